import type { Attributes } from '@opentelemetry/api';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { logProgress, traceStage } from '../../../src/index.js';
import { flattenContext } from '../../../src/model/context-attributes.js';
import { REDACTED, Redactor } from '../../../src/model/redaction.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

const redactor = new Redactor();
const flat = (context: unknown): Attributes => flattenContext(context, 'ctx.', redactor);

describe('flattenContext: shapes', () => {
  it('flattens nested objects to dotted keys', () => {
    expect(flat({ s3: { bucket: 'data', object: { key: 'raw/a.csv' } }, month: '2024-01' })).toEqual({
      'ctx.s3.bucket': 'data',
      'ctx.s3.object.key': 'raw/a.csv',
      'ctx.month': '2024-01',
    });
  });

  it('keeps numbers and booleans as they are, and stringifies non-finite numbers', () => {
    expect(
      flat({ rows: 42, ratio: 0.5, negative: -1, dry_run: true, done: false, nan: Number.NaN, inf: Number.POSITIVE_INFINITY }),
    ).toEqual({
      'ctx.rows': 42,
      'ctx.ratio': 0.5,
      'ctx.negative': -1,
      'ctx.dry_run': true,
      'ctx.done': false,
      'ctx.nan': 'NaN',
      'ctx.inf': 'Infinity',
    });
  });

  it('keeps arrays of one primitive type as arrays and turns mixed arrays into JSON text', () => {
    const out = flat({
      files: ['a.csv', 'b.csv'],
      sizes: [1, 2, 3],
      flags: [true, false],
      mixed: [1, 'two', { three: 3 }],
      nested: [[1], [2]],
      empty: [],
    });
    expect(out['ctx.files']).toEqual(['a.csv', 'b.csv']);
    expect(out['ctx.sizes']).toEqual([1, 2, 3]);
    expect(out['ctx.flags']).toEqual([true, false]);
    expect(out['ctx.mixed']).toBe('[1,"two",{"three":3}]');
    expect(out['ctx.nested']).toBe('[[1],[2]]');
    expect(out['ctx.empty']).toEqual([]);
  });

  it('converts Dates, Errors, BigInts and Buffers to strings', () => {
    expect(
      flat({
        at: new Date('2024-01-31T23:59:58.123Z'),
        bad_date: new Date('nope'),
        error: new TypeError('bad row'),
        big: 12345678901234567890n,
        payload: Buffer.from('hello'),
        typed: new Uint32Array(4),
      }),
    ).toEqual({
      'ctx.at': '2024-01-31T23:59:58.123Z',
      'ctx.bad_date': 'Invalid Date',
      'ctx.error': 'TypeError: bad row',
      'ctx.big': '12345678901234567890',
      'ctx.payload': '<5 bytes>',
      'ctx.typed': '<16 bytes>',
    });
  });

  it('drops functions, symbols, undefined and null', () => {
    expect(flat({ fn: () => 1, sym: Symbol('s'), undef: undefined, nil: null, kept: 'yes' })).toEqual({ 'ctx.kept': 'yes' });
  });

  it('marks circular references instead of looping', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.child = { parent: a };
    const list: unknown[] = [1];
    list.push(list);
    const out = flat({ a, list });
    expect(out['ctx.a.name']).toBe('a');
    expect(out['ctx.a.self']).toBe('[Circular]');
    expect(out['ctx.a.child.parent']).toBe('[Circular]');
    expect(out['ctx.list']).toBe('[1,"[Circular]"]');
  });

  it('cuts long strings at 4096 characters with an ellipsis', () => {
    const out = flat({ long: 'x'.repeat(10_000), exact: 'y'.repeat(4096), inList: ['z'.repeat(5000)] });
    expect(out['ctx.long']).toBe(`${'x'.repeat(4096)}…`);
    expect(out['ctx.exact']).toBe('y'.repeat(4096));
    expect((out['ctx.inList'] as string[])[0]).toBe(`${'z'.repeat(4096)}…`);
  });

  it('flattens Maps like objects and Sets like arrays', () => {
    expect(
      flat({
        m: new Map<string, unknown>([
          ['a', 1],
          ['b', { c: 'd' }],
        ]),
        s: new Set(['x', 'y']),
      }),
    ).toEqual({
      'ctx.m.a': 1,
      'ctx.m.b.c': 'd',
      'ctx.s': ['x', 'y'],
    });
  });

  it('ignores non-object contexts', () => {
    for (const value of [undefined, null, 'text', 42, true]) expect(flat(value)).toEqual({});
  });
});

describe('flattenContext: secrets', () => {
  it('redacts values under secret-looking keys at any depth', () => {
    const out = flat({
      password: 'hunter2',
      db_password: 'p',
      token: 't',
      api_key: 'k',
      'X-Api-Key': 'k2',
      secret_access_key: 's',
      awsSecretAccessKey: 's2',
      authorization: 'Bearer abcdefghijkl',
      headers: { Authorization: 'Basic dXNlcjpwYXNz', Cookie: 'sid=1' },
      nested: { credentials: { user: 'u' } },
      private_key: '-----BEGIN',
    });
    for (const key of [
      'ctx.password',
      'ctx.db_password',
      'ctx.token',
      'ctx.api_key',
      'ctx.X-Api-Key',
      'ctx.secret_access_key',
      'ctx.awsSecretAccessKey',
      'ctx.authorization',
      'ctx.headers.Authorization',
      'ctx.headers.Cookie',
      'ctx.nested.credentials',
      'ctx.private_key',
    ]) {
      expect(out[key], key).toBe(REDACTED);
    }
    expect(JSON.stringify(out)).not.toMatch(/hunter2|dXNlcjpwYXNz|abcdefghijkl|BEGIN/);
  });

  it('keeps file_key, s3_key and similar object keys visible', () => {
    expect(flat({ file_key: 'raw/2024-01.csv', s3_key: 'out/2024-01.parquet', key: 'k', partition_key: 'p', keys: ['a'] })).toEqual({
      'ctx.file_key': 'raw/2024-01.csv',
      'ctx.s3_key': 'out/2024-01.parquet',
      'ctx.key': 'k',
      'ctx.partition_key': 'p',
      'ctx.keys': ['a'],
    });
  });

  it('removes URL passwords but keeps the rest of the URL readable', () => {
    expect(flat({ db: 'postgres://etl:s3cret@db.internal:5432/warehouse' })['ctx.db']).toBe(
      `postgres://etl:${REDACTED}@db.internal:5432/warehouse`,
    );
  });

  it('removes signed-URL credentials but keeps bucket, path and other parameters', () => {
    const url =
      'https://bucket.s3.amazonaws.com/raw/2024-01.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE&X-Amz-Signature=abcdef0123456789&partNumber=2';
    const out = flat({
      url,
      azure: 'https://acct.blob.core.windows.net/c/f.csv?sv=2022&sig=SIGVALUE%3D&se=2024',
      other: 'https://x.test/p?signature=zzz',
    });
    const scrubbed = out['ctx.url'] as string;
    expect(scrubbed).toContain('https://bucket.s3.amazonaws.com/raw/2024-01.csv?');
    expect(scrubbed).toContain('X-Amz-Algorithm=AWS4-HMAC-SHA256');
    expect(scrubbed).toContain('X-Amz-Date=20240101T000000Z');
    expect(scrubbed).toContain('X-Amz-Expires=3600');
    expect(scrubbed).toContain('partNumber=2');
    expect(scrubbed).toContain(`X-Amz-Credential=${REDACTED}`);
    expect(scrubbed).toContain(`X-Amz-Security-Token=${REDACTED}`);
    expect(scrubbed).toContain(`X-Amz-Signature=${REDACTED}`);
    expect(scrubbed).not.toMatch(/AKIAEXAMPLE|FQoGZXIvYXdzEXAMPLE|abcdef0123456789/);
    expect(out['ctx.azure']).toBe(`https://acct.blob.core.windows.net/c/f.csv?sv=2022&sig=${REDACTED}&se=2024`);
    expect(out['ctx.other']).toBe(`https://x.test/p?signature=${REDACTED}`);
  });

  it('scrubs URLs inside arrays, Error messages and JSON text too', () => {
    const signed = 'https://b.s3.amazonaws.com/k?X-Amz-Signature=SECRETSIG';
    const out = flat({ list: [signed], error: new Error(`GET ${signed} failed`), mixed: [1, signed], deep: [{ password: 'pw' }] });
    expect(JSON.stringify(out)).not.toMatch(/SECRETSIG|"pw"/);
    expect(out['ctx.error']).toBe(`Error: GET https://b.s3.amazonaws.com/k?X-Amz-Signature=${REDACTED} failed`);
  });

  it('honours extra secret keys', () => {
    const custom = new Redactor({ extraKeys: ['ssn'] });
    expect(flattenContext({ customer_ssn: '123-45-6789', name: 'x' }, 'ctx.', custom)).toEqual({
      'ctx.customer_ssn': REDACTED,
      'ctx.name': 'x',
    });
  });
});

describe('flattenContext: never throws', () => {
  it('survives getters that throw', () => {
    const hostile = {
      ok: 1,
      get broken(): string {
        throw new Error('boom');
      },
    };
    let out: Attributes = {};
    expect(() => {
      out = flat(hostile);
    }).not.toThrow();
    expect(out['ctx.ok']).toBe(1);
    expect(out['ctx.broken']).toBe('[Unreadable]');
  });

  it('survives proxies whose traps throw, and objects whose toJSON throws', () => {
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
      },
    );
    expect(() => flat({ proxy, before: 1 })).not.toThrow();
    const badJson = {
      toJSON() {
        throw new Error('no json');
      },
    };
    expect(() => flat({ list: [1, badJson] })).not.toThrow();
    expect(flat({ list: [1, badJson] })['ctx.list']).toEqual(expect.any(String));
  });

  it('caps very deep or very wide contexts instead of failing', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 50; i++) deep = { d: deep };
    expect(() => flat(deep)).not.toThrow();
    const wide: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) wide[`k${i}`] = i;
    expect(Object.keys(flat(wide)).length).toBeLessThanOrEqual(128);
  });
});

describe('flattenContext: hostile values drop only themselves', () => {
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
    revoke();
    return proxy;
  };

  it('a revoked proxy does not take the keys after it', () => {
    const out = flat({ ok: 1, p: revoked(), after: 2, nested: { q: revoked(), kept: 'k' } });
    expect(out['ctx.ok']).toBe(1);
    expect(out['ctx.after']).toBe(2);
    expect(out['ctx.nested.kept']).toBe('k');
    expect(out['ctx.p']).toBe('[Unreadable]');
  });

  it('a revoked proxy inside an array, a Set or a Map does not take the keys after it', () => {
    const out = flat({ list: [1, revoked()], set: new Set([revoked()]), map: new Map([['x', revoked()]]), after: 2 });
    expect(out['ctx.list']).toBe('[1,"[Unreadable]"]');
    expect(out['ctx.after']).toBe(2);
  });

  it('objects without a prototype and objects whose toString or name throws work', () => {
    const bare = Object.assign(Object.create(null), { a: 1, inner: Object.assign(Object.create(null), { b: 'x' }) });
    expect(flat(bare)).toEqual({ 'ctx.a': 1, 'ctx.inner.b': 'x' });
    const hostileKey = {
      toString() {
        throw new Error('boom');
      },
    };
    const hostileError = new Error('m');
    Object.defineProperty(hostileError, 'name', {
      get() {
        throw new Error('boom');
      },
    });
    const out = flat({
      map: new Map<unknown, unknown>([
        [hostileKey, 1],
        ['fine', 2],
      ]),
      err: hostileError,
      list: [
        {
          toString() {
            throw new Error('boom');
          },
        },
      ],
      after: 3,
    });
    expect(out['ctx.map.fine']).toBe(2);
    expect(out['ctx.after']).toBe(3);
    expect(typeof out['ctx.err']).toBe('string');
  });

  it('__proto__ and constructor keys are plain attribute names and are counted', () => {
    const context = JSON.parse('{"__proto__": ["a", "b"], "constructor": 2, "toString": 3, "x": 4}');
    const out = flattenContext(context, '', redactor, { maxAttributes: 3, maxDepth: 8, maxStringLength: 100 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual(['a', 'b']);
  });

  it('renders BigInt and NaN inside arrays by the context rule', () => {
    const out = flat({
      bigs: [1n, 2n],
      nonFinite: [Number.NaN, Number.POSITIVE_INFINITY],
      withNaN: [1, Number.NaN],
      bigAndNumber: [1n, 2],
      negativeZero: [-0, 1],
    });
    // BigInt, NaN and ±Infinity become strings; an array of one type stays an array, a mixed one is JSON text.
    expect(out['ctx.bigs']).toEqual(['1', '2']);
    expect(out['ctx.nonFinite']).toEqual(['NaN', 'Infinity']);
    expect(out['ctx.withNaN']).toBe('[1,"NaN"]');
    expect(out['ctx.bigAndNumber']).toBe('["1",2]');
    expect(out['ctx.negativeZero']).toEqual([-0, 1]);
  });

  it('keys that hold a URL with a password are scrubbed and long keys are cut', () => {
    const out = flat({ 'https://svc:KEYSECRET@api/x': 'ok', ['k'.repeat(10_000)]: 1 });
    expect(JSON.stringify(Object.keys(out))).not.toContain('KEYSECRET');
    for (const name of Object.keys(out)) expect(name.length).toBeLessThanOrEqual(4 + 4096 + 1);
  });

  it('holds the attribute count with values that were already set and with huge inputs', () => {
    const into: Attributes = { 'ctx.pre': 1 };
    const wide: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) wide[`k${i}`] = i;
    const out = flattenContext(wide, 'ctx.', redactor, { maxAttributes: 10, maxDepth: 8, maxStringLength: 16 }, into);
    expect(Object.keys(out)).toHaveLength(10);
    const long = flattenContext({ s: 'x'.repeat(1 << 20), list: ['y'.repeat(1 << 20)] }, 'ctx.', redactor, {
      maxAttributes: 10,
      maxDepth: 8,
      maxStringLength: 16,
    });
    expect(long['ctx.s']).toBe(`${'x'.repeat(16)}…`);
    expect(long['ctx.list']).toEqual([`${'y'.repeat(16)}…`]);
  });
});

describe('context on spans and console lines', () => {
  let session: InMemorySession | undefined;
  let stderr: StderrCapture | undefined;

  afterEach(async () => {
    stderr?.restore();
    await session?.close();
  });

  it('applies the same rule and redaction to span attributes, log events and console lines', () => {
    session = startInMemory({ console: true, colors: false });
    stderr = captureStderr();
    traceStage(
      'upload',
      () => {
        logProgress('Uploading to https://b.s3.amazonaws.com/out.csv?X-Amz-Signature=TOPSECRET', { context: { token: 'tkn-123' } });
      },
      { context: { file_key: 'out.csv', password: 'pw-123', at: new Date('2024-02-01T00:00:00Z') } },
    );
    stderr.restore();
    const span = session.span('upload');
    expect(span.attributes['stagetrace.context.file_key']).toBe('out.csv');
    expect(span.attributes['stagetrace.context.password']).toBe(REDACTED);
    expect(span.attributes['stagetrace.context.at']).toBe('2024-02-01T00:00:00.000Z');
    const event = span.events.find((e) => e.name === 'log');
    expect(event?.attributes?.['stagetrace.context.token']).toBe(REDACTED);
    expect(event?.attributes?.['log.message']).toBe(`Uploading to https://b.s3.amazonaws.com/out.csv?X-Amz-Signature=${REDACTED}`);
    const everything = JSON.stringify(session.spans().map((s) => [s.attributes, s.events])) + stderr.text();
    expect(everything).not.toMatch(/TOPSECRET|tkn-123|pw-123/);
  });
});

describe('property: arbitrary context values', () => {
  const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;
  const boom = () => {
    throw new Error('boom');
  };
  /** Values that fight back, made fresh in each run (fast-check itself must not touch them: it reads generated values). */
  const HOSTILE: (() => unknown)[] = [
    () => {
      const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
      revoke();
      return proxy;
    },
    () => Object.defineProperty({}, 'x', { enumerable: true, get: boom }),
    () => new Proxy({}, { ownKeys: boom, get: boom, getPrototypeOf: boom, has: boom, getOwnPropertyDescriptor: boom }),
    () => new Proxy([1, 2], { get: boom }),
    () => ({ toString: boom, toJSON: boom, valueOf: boom }),
    () => Object.create(null),
    () => new Map<unknown, unknown>([[{ toString: boom }, 1]]),
    () => Object.assign(new Error('e'), { name: { toString: boom } }),
    () => Object.defineProperty(new Error('e'), 'message', { get: boom }),
    () => new Date(Number.NaN),
    () => {
      const sparse: unknown[] = [];
      sparse.length = 2 ** 32 - 1;
      return sparse;
    },
    () =>
      new (class Custom {
        get bad(): never {
          return boom();
        }
      })(),
  ];
  class Hostile {
    constructor(readonly index: number) {}
  }
  const hostile = fc.nat({ max: HOSTILE.length - 1 }).map((i) => new Hostile(i));
  /** The generated value with each placeholder replaced by its hostile value. */
  function materialise(value: unknown): unknown {
    if (value instanceof Hostile) return (HOSTILE[value.index] as () => unknown)();
    if (Array.isArray(value)) return value.map(materialise);
    if (value instanceof Map) return new Map([...value].map(([k, v]) => [materialise(k), materialise(v)]));
    if (value instanceof Set) return new Set([...value].map(materialise));
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        Object.defineProperty(out, key, {
          value: materialise((value as Record<string, unknown>)[key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  }
  const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 5 });
  const leaf = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    loneSurrogates,
    fc.double(),
    fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    fc.bigInt(),
    fc.boolean(),
    fc.constantFrom(undefined, null),
    fc.string({ maxLength: 5 }).map((d) => Symbol(d)),
    fc.constant(() => 1),
    fc.date({ noInvalidDate: false }),
    fc.uint8Array({ maxLength: 8 }),
    fc.float64Array({ maxLength: 4 }),
    fc.nat({ max: 300_000 }).map((n) => 'h'.repeat(n)),
    hostile,
  );
  const key = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'password', 'a.b', ''),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('node'), { maxLength: 4 }),
      fc
        .array(key, { maxLength: 5 })
        .chain((keys) => fc.tuple(...keys.map(() => tie('node'))).map((values) => Object.fromEntries(keys.map((k, i) => [k, values[i]])))),
      fc.array(fc.tuple(fc.oneof(key, leaf), tie('node')), { maxLength: 3 }).map((entries) => new Map(entries)),
      fc.array(tie('node'), { maxLength: 3 }).map((items) => new Set(items)),
    ),
  })).node;
  /** Adds cycles: the context to itself, and to its first nested object. */
  function withCycles(context: Record<string, unknown>, cyclic: boolean): Record<string, unknown> {
    if (!cyclic) return context;
    context.loop = context;
    for (const entry of Object.values(context)) {
      try {
        if (entry !== null && typeof entry === 'object' && !Array.isArray(entry) && Object.isExtensible(entry)) {
          (entry as Record<string, unknown>).back = context;
          break;
        }
      } catch {
        // a revoked or trapping proxy: try the next one
      }
    }
    return context;
  }
  const keep = fc.array(
    fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    {
      maxLength: 6,
    },
  );
  const isAttributeValue = (v: unknown): boolean => {
    if (typeof v === 'string' || typeof v === 'boolean') return true;
    if (typeof v === 'number') return Number.isFinite(v);
    if (!Array.isArray(v)) return false;
    const kinds = new Set(v.map((item) => typeof item));
    return (
      kinds.size <= 1 &&
      v.every((item) => typeof item !== 'number' || Number.isFinite(item)) &&
      [...kinds].every((k) => k === 'string' || k === 'number' || k === 'boolean')
    );
  };

  it('never throws, keeps every keepable key after hostile ones, and yields only valid attribute values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 6 }), keep, fc.boolean(), (hostileEntries, kept, cyclic) => {
        const context = withCycles(materialise(Object.fromEntries(hostileEntries)) as Record<string, unknown>, cyclic);
        kept.forEach((v, i) => {
          context[`keep_${i}`] = v;
        });
        const limits = { maxAttributes: 100_000, maxDepth: 8, maxStringLength: 4096 };
        const out = flattenContext(context, 'ctx.', redactor, limits);
        kept.forEach((v, i) => {
          const got = out[`ctx.keep_${i}`];
          if (typeof v === 'string') expect(typeof got).toBe('string');
          else expect(got).toBe(v);
        });
        for (const [name, v] of Object.entries(out)) {
          expect(isAttributeValue(v), name).toBe(true);
          if (typeof v === 'string') expect(v.length).toBeLessThanOrEqual(4097);
          expect(name.length).toBeLessThanOrEqual(4 + 4097 * 9);
        }
        expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      }),
      { numRuns: runs },
    );
  });

  // The fixed markers ([REDACTED], [Unreadable] …, at most 12 characters) are never cut.
  it('holds the attribute count and the string length limits whatever the value', () => {
    fc.assert(
      fc.property(value, fc.nat({ max: 20 }), fc.integer({ min: 12, max: 64 }), (v, maxAttributes, maxStringLength) => {
        const live = materialise(v);
        const out = flattenContext({ v: live, w: live }, 'ctx.', redactor, { maxAttributes, maxDepth: 8, maxStringLength });
        expect(Object.keys(out).length).toBeLessThanOrEqual(maxAttributes);
        for (const attribute of Object.values(out)) {
          const strings = Array.isArray(attribute) ? attribute.filter((s) => typeof s === 'string') : [attribute];
          for (const s of strings) if (typeof s === 'string') expect(s.length).toBeLessThanOrEqual(maxStringLength + 1);
        }
      }),
      { numRuns: runs },
    );
  });
});
