import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS } from '../../../src/config/option-kinds.js';
import { OPTION_TABLE } from '../../../src/config/option-table.js';
import type { ResolvedConfig } from '../../../src/config/options.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import type { StagetraceOptions } from '../../../src/index.js';

/** Planted where users put credentials; no error message may ever contain it. */
const SECRET = 'S3cr3tMarker';

const NAMES = OPTION_TABLE.map((row) => row.name);
/** Option names and the groups holding nested ones (`otlp`, `memory`…). */
const NAMES_AND_GROUPS = [...new Set(NAMES.flatMap((n) => [n, n.split('.')[0] as string]))];
const VARIABLES = [...OPTION_TABLE.flatMap((row) => row.variables), 'OTEL_SDK_DISABLED', 'NO_COLOR'];
const NUMERIC_ROWS = OPTION_TABLE.flatMap((row) =>
  row.kind.range ? [{ name: row.name, variables: row.variables, range: row.kind.range }] : [],
);

/** A hostile value, made only when the property runs: fast-check itself cannot hold a revoked proxy. */
class Hostile {
  constructor(
    readonly label: string,
    readonly make: () => unknown,
  ) {}
  toString(): string {
    return this.label;
  }
}

/** An object whose `name` property throws when read. */
function throwingGetter(name: string): object {
  return Object.defineProperty({}, name, {
    enumerable: true,
    get() {
      throw new Error('getter');
    },
  });
}

/** Values that have broken option parsers: getters and proxies that throw, class instances, odd numbers and strings. */
const hostile = fc.constantFrom(
  new Hostile('throwing getter', () => throwingGetter('port')),
  new Hostile('revoked proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  }),
  new Hostile(
    'proxy with throwing ownKeys',
    () =>
      new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error('ownKeys');
          },
        },
      ),
  ),
  new Hostile(
    'class instance',
    () =>
      new (class Settings {
        port = 1;
      })(),
  ),
  new Hostile('Map', () => new Map([['port', 1]])),
  new Hostile('invalid Date', () => new Date(Number.NaN)),
  new Hostile('symbol', () => Symbol('s')),
  new Hostile('function', () => () => 1),
  new Hostile('BigInt', () => 10n ** 30n),
  new Hostile('NaN', () => Number.NaN),
  new Hostile('-0', () => -0),
  new Hostile('Infinity', () => Number.POSITIVE_INFINITY),
  new Hostile('3e9', () => 3e9),
  new Hostile('2^31', () => 2 ** 31),
  new Hostile('1 MB string', () => 'x'.repeat(1_000_000)),
  new Hostile('lone surrogate', () => '\ud800 lone surrogate'),
  new Hostile('__proto__ key', () => JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}')),
  new Hostile('inherited keys', () => Object.create({ inherited: 1 })),
);

/** Replaces the hostile stand-ins (at the top and one level down, where the arbitraries put them) by the real thing. */
function materialize(value: unknown, depth = 0): unknown {
  if (value instanceof Hostile) return value.make();
  if (depth < 2 && typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, materialize(v, depth + 1)]));
  }
  return value;
}

/** A value for an option: anything fast-check makes, plausible numbers and words, and the hostile ones. */
const optionValue = fc.oneof(
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true }),
  fc.integer({ min: -10, max: 2 ** 32 }),
  fc.double(),
  fc.constantFrom('true', 'false', 'sync', 'INFO', 'http/json', 'gzip', 'http://127.0.0.1:4318', 'download=3', ''),
  fc.string(),
  hostile,
);

/** Options objects: known names (nested where dotted) with arbitrary values, sometimes a group or the whole replaced. */
const optionsArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(fc.constantFrom(...NAMES), optionValue, { maxKeys: 6 }).map((flat) => {
    const options: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(flat)) {
      const [group, leaf] = name.split('.') as [string, string | undefined];
      if (leaf === undefined) options[group] = value;
      else options[group] = { ...(options[group] as object), [leaf]: value };
    }
    return options;
  }),
  fc.dictionary(fc.string(), optionValue, { maxKeys: 3 }),
  // A known name inside a group whose getter throws.
  fc.constantFrom(...NAMES.filter((n) => n.includes('.'))).map((name) => {
    const [group, leaf] = name.split('.') as [string, string];
    return { [group]: new Hostile(`throwing ${name} getter`, () => throwingGetter(leaf)) };
  }),
  fc.dictionary(fc.constantFrom('otlp', 'memory', 'alerts', 'prometheus', 'redact', 'logdir', 'webhookUrl'), optionValue, { maxKeys: 3 }),
  optionValue,
  fc.constant(undefined),
);

/** Variable values: arbitrary text, numbers as text, and the words the kinds know. */
const variableValue = fc.oneof(
  fc.string(),
  fc.double().map(String),
  fc.integer({ min: -10, max: 2 ** 32 }).map(String),
  fc.constantFrom('true', 'false', '2', 'on', '3e9', '0x10', 'Infinity', 'buffered', 'warn', 'http://127.0.0.1:4318', 'a=b,c', '  '),
);
const envArbitrary = fc.dictionary(fc.constantFrom(...VARIABLES), variableValue, { maxKeys: 6 });

const MS_FIELDS = (c: ResolvedConfig): (number | undefined)[] => [
  c.shutdownTimeoutMillis,
  c.metricExportIntervalMillis,
  c.memory.intervalMs,
  c.alerts?.minIntervalMs,
  c.alerts?.timeoutMs,
  c.otlp?.timeoutMillis,
];

/** What every accepted configuration holds, whatever went in. */
function expectSane(c: ResolvedConfig): void {
  for (const ms of MS_FIELDS(c)) {
    if (ms === undefined) continue;
    expect(Number.isInteger(ms) && ms >= 1 && ms <= MAX_TIMER_MS).toBe(true);
  }
  expect(Number.isInteger(c.maxFiles) && c.maxFiles >= 1 && c.maxFiles <= 1000).toBe(true);
  expect(Number.isInteger(c.maxFileBytes) && c.maxFileBytes >= 1024 && c.maxFileBytes <= 2 ** 40).toBe(true);
  for (const s of [c.defaultThresholdS, ...c.stageThresholds.values()]) expect(Number.isFinite(s) && s > 0).toBe(true);
  if (c.prometheus) expect(c.prometheus.port >= 1 && c.prometheus.port <= 65535).toBe(true);
  for (const flag of [c.console, c.colors, c.handleExit, c.requireLogDir, c.sdkDisabled]) expect(typeof flag).toBe('boolean');
  expect(typeof c.resourceAttributes['service.instance.id'] === 'string' || c.resourceAttributes['service.instance.id'] === undefined).toBe(
    true,
  );
}

/** The one error resolveConfig may throw: ours, said once, naming where and what. */
function expectOneClearError(error: unknown): void {
  expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
  const { message, stack = '' } = error as Error;
  expect(message.startsWith('stagetrace: '), message).toBe(true);
  expect(message.match(/stagetrace:/g)?.length, message).toBe(1);
  // Names an option or variable (or the options argument as a whole)...
  const named =
    NAMES_AND_GROUPS.some((n) => message.includes(`option ${n}`) || message.includes(`option "${n}`)) ||
    VARIABLES.some((v) => message.includes(v)) ||
    /\boptions\b/.test(message);
  expect(named, message).toBe(true);
  // ...and says what is wrong with it.
  expect(/ must be .*; got |unknown option |could not be read|must be greater than /.test(message), message).toBe(true);
  // Built here, not thrown from deep inside Node.js or a library.
  expect(stack.split('\n')[1] ?? '', stack).toMatch(/src[/\\]config[/\\]/);
  expect(message).not.toContain(SECRET);
}

function outcome(recipe: unknown, env: Record<string, string>): void {
  const options = materialize(recipe);
  let config: ResolvedConfig;
  try {
    config = resolveConfig(options as StagetraceOptions, env);
  } catch (error) {
    expectOneClearError(error);
    return;
  }
  expectSane(config);
}

describe('resolveConfig over arbitrary input', () => {
  it('accepts arbitrary options or throws one clear error of its own', () => {
    fc.assert(
      fc.property(optionsArbitrary, (options) => outcome(options, {})),
      { numRuns: 1000 },
    );
  });

  it('accepts arbitrary variables or throws one clear error of its own', () => {
    fc.assert(
      fc.property(envArbitrary, (env) => outcome(undefined, env)),
      { numRuns: 1000 },
    );
  });

  it('accepts arbitrary options with arbitrary variables or throws one clear error of its own', () => {
    fc.assert(
      fc.property(optionsArbitrary, envArbitrary, (options, env) => outcome(options, env)),
      { numRuns: 1000 },
    );
  });
});

describe('numeric options, from the table', () => {
  const rows = fc.constantFrom(...NUMERIC_ROWS);

  it('take every value in their range, from code and from each variable', () => {
    fc.assert(
      fc.property(
        rows.chain((row) => {
          const { min, max, integer, exclusive } = row.range;
          const value = integer
            ? fc.integer({ min: exclusive ? min + 1 : min, max })
            : fc.double({ min, max, noNaN: true, minExcluded: exclusive === true });
          return fc.tuple(fc.constant(row), value);
        }),
        ([row, value]) => {
          const [group, leaf] = row.name.split('.') as [string, string | undefined];
          const options = (leaf === undefined ? { [group]: value } : { [group]: { [leaf]: value } }) as StagetraceOptions;
          const read = (c: ResolvedConfig): unknown => pick(c, row.name);
          expect(read(resolveConfig(options, ENDPOINT))).toBe(value);
          for (const variable of row.variables) {
            if (variable.startsWith('OTEL_EXPORTER_OTLP_') && variable.endsWith('TIMEOUT')) continue; // read by the exporter
            expect(read(resolveConfig({}, { ...ENDPOINT, [variable]: String(value) })), variable).toBe(value);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuse every value outside their range with a RangeError that states the range', () => {
    fc.assert(
      fc.property(
        rows.chain((row) => {
          const { min, max, exclusive } = row.range;
          const below = exclusive ? fc.double({ max: min, noNaN: true }) : fc.double({ max: min, maxExcluded: true, noNaN: true });
          const above = fc.double({ min: max, minExcluded: true, noNaN: true });
          return fc.tuple(fc.constant(row), fc.oneof(below, above));
        }),
        fc.boolean(),
        ([row, value], fromVariable) => {
          const [group, leaf] = row.name.split('.') as [string, string | undefined];
          const variable = row.variables[0] as string;
          const options = (leaf === undefined ? { [group]: value } : { [group]: { [leaf]: value } }) as StagetraceOptions;
          let error: unknown;
          try {
            if (fromVariable) resolveConfig({}, { ...ENDPOINT, [variable]: String(value) });
            else resolveConfig(options, ENDPOINT);
          } catch (e) {
            error = e;
          }
          expect(error, `${row.name} = ${value}`).toBeInstanceOf(RangeError);
          const message = (error as Error).message;
          expect(message).toContain(fromVariable ? `${variable} (option ${row.name})` : `option ${row.name} `);
          expect(message).toContain(String(row.range.min));
          expect(message).toContain(String(row.range.max));
          expect(message).toContain(fromVariable ? `got ${JSON.stringify(String(value))}` : `got ${Object.is(value, -0) ? '-0' : value}`);
          expectOneClearError(error);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** Turns OTLP export and alerts on, so their resolved values exist to compare. */
const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', STAGETRACE_ALERTS_WEBHOOK_URL: 'https://hooks.example.com/x' };

/** The resolved value of an option, where ResolvedConfig keeps it. */
function pick(c: ResolvedConfig, name: string): unknown {
  const [group, leaf] = name.split('.') as [string, string | undefined];
  if (leaf === undefined) return (c as unknown as Record<string, unknown>)[group];
  const holder = (c as unknown as Record<string, Record<string, unknown> | undefined>)[group];
  return holder?.[leaf];
}

describe('secrets in bad input', () => {
  const secretText = fc.string().map((s) => `${s}${SECRET}${s}`);
  const brokenHeaderValue = fc.tuple(secretText, fc.constantFrom('\n', '\r', '\u0000', '\u0100', '')).map(([s, c]) => s + c);

  it('are never shown: header values, webhook URLs, endpoint credentials', () => {
    fc.assert(
      fc.property(
        fc.record({
          headerName: fc.constantFrom('authorization', 'x-api-key', 'bad name', ''),
          headerValue: fc.oneof(brokenHeaderValue, secretText),
          webhookUrl: fc.oneof(
            secretText,
            secretText.map((s) => `https://hooks.example.com/services/${s}`),
            secretText.map((s) => `ftp://hooks.example.com/${s}`),
          ),
          endpoint: fc.oneof(
            secretText.map((s) => `htp://user:${s}@collector:4318/`),
            secretText.map((s) => `collector:4318/?token=${s}`),
            secretText.map((s) => `not a url#${s}`),
          ),
          headersVariable: secretText,
        }),
        optionsArbitrary,
        fc.constantFrom('headers', 'webhook', 'webhookVariable', 'endpoint', 'headersVariable'),
        (input, others, where) => {
          let base: Record<string, unknown>;
          try {
            base = { ...(materialize(others) as object) };
          } catch {
            base = {}; // a hostile value the test itself cannot copy
          }
          const env: Record<string, string> = { ...ENDPOINT };
          let options: Record<string, unknown> = base;
          if (where === 'headers') options = { ...base, otlp: { headers: { [input.headerName]: input.headerValue } } };
          if (where === 'webhook') options = { ...base, alerts: { webhookUrl: input.webhookUrl } };
          if (where === 'webhookVariable') env.STAGETRACE_ALERTS_WEBHOOK_URL = input.webhookUrl;
          if (where === 'endpoint') options = { ...base, otlp: { endpoint: input.endpoint } };
          if (where === 'headersVariable') env.OTEL_EXPORTER_OTLP_HEADERS = input.headersVariable;
          try {
            resolveConfig(options as StagetraceOptions, env);
          } catch (error) {
            expectOneClearError(error);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
