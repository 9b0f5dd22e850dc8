import { describeValue } from '../model/describe-value.js';
import { closestName } from './closest-name.js';
import { configError, describeSource, InvalidValue, isPlainObject, optionsError, type ValueSource } from './config-error.js';
import type { OptionKind } from './option-kinds.js';
import { OPTION_TABLE, type OptionDefault, type OptionName, type OptionOutput } from './option-table.js';

/** The process environment, or a test's stand-in. */
export type Env = Readonly<Record<string, string | undefined>>;

interface AnyRow {
  readonly name: string;
  readonly variables: readonly string[];
  readonly kind: OptionKind<unknown, unknown>;
  readonly default?: unknown;
  readonly defaultText: string;
}

const ROWS = new Map<string, AnyRow>(OPTION_TABLE.map((r) => [r.name, r as AnyRow]));

/** Top-level names, and for each group (`memory`) the names inside it (`intervalMs`…), in table order. */
const TOP_LEVEL: string[] = [];
const GROUPS = new Map<string, string[]>();
for (const { name } of OPTION_TABLE) {
  const dot = name.indexOf('.');
  const top = dot === -1 ? name : name.slice(0, dot);
  if (!TOP_LEVEL.includes(top)) TOP_LEVEL.push(top);
  if (dot !== -1) GROUPS.set(top, [...(GROUPS.get(top) ?? []), name.slice(dot + 1)]);
}

/** A read value and where it came from. */
export interface Sourced<T> {
  readonly value: T;
  readonly source: ValueSource;
}

/** Runs `read`, turning a throwing getter or proxy into one clear error. */
function guarded<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch {
    throw optionsError(`${what} could not be read (a getter or proxy threw); pass plain values.`);
  }
}

function unknownOption(name: string, group: string | undefined, known: readonly string[]): TypeError {
  const full = group ? `${group}.${name}` : name;
  const near =
    closestName(name, known) ??
    (group
      ? undefined
      : closestName(
          name,
          [...ROWS.keys()].map((n) => n.slice(n.indexOf('.') + 1)),
        ));
  let hint = '';
  if (near !== undefined) {
    // A nested name written at the top level (`webhookUrl`) points to where it belongs.
    const dotted = group ? `${group}.${near}` : TOP_LEVEL.includes(near) ? near : [...ROWS.keys()].find((n) => n.endsWith(`.${near}`));
    if (dotted) hint = ` (did you mean ${JSON.stringify(dotted)}?)`;
  }
  return optionsError(`unknown option ${describeValue(full)}${hint}; known ${group ? `${group} ` : ''}options are ${known.join(', ')}.`);
}

/** The options object flattened to dotted names, values as given; `undefined` values count as not given. */
function flatten(options: unknown): { given: Map<string, unknown>; groups: Set<string> } {
  const given = new Map<string, unknown>();
  const groups = new Set<string>();
  if (options === undefined) return { given, groups };
  if (!guarded('options', () => isPlainObject(options))) {
    throw optionsError(`options must be an object such as { logDir: 'logs' }; got ${describeValue(options)}.`);
  }
  const top = options as Record<string, unknown>;
  for (const key of guarded('the options object', () => Object.keys(top))) {
    if (!TOP_LEVEL.includes(key)) throw unknownOption(key, undefined, TOP_LEVEL);
    const value = guarded(`option ${key}`, () => top[key]);
    const inside = GROUPS.get(key);
    if (inside === undefined) {
      if (value !== undefined) given.set(key, value);
      continue;
    }
    if (value === undefined) continue;
    if (!guarded(`option ${key}`, () => isPlainObject(value))) {
      throw new TypeError(
        `stagetrace: option ${key} must be an object with any of ${inside.join(', ')}; got ${describeValue(value)}. Correct it, or leave ${key} out.`,
      );
    }
    groups.add(key);
    const group = value as Record<string, unknown>;
    for (const sub of guarded(`option ${key}`, () => Object.keys(group))) {
      if (!inside.includes(sub)) throw unknownOption(sub, key, inside);
      const v = guarded(`option ${key}.${sub}`, () => group[sub]);
      if (v !== undefined) given.set(`${key}.${sub}`, v);
    }
  }
  return { given, groups };
}

/**
 * Reads options through the table: an option given in code, else the first
 * set variable, else a caller's default, else the table's. Each value is
 * checked and converted by its row's kind; a bad one throws the single error
 * `resolveConfig` reports.
 */
export class OptionReader {
  readonly #given: Map<string, unknown>;
  readonly #groups: Set<string>;
  readonly #env: Env;

  constructor(options: unknown, env: Env) {
    const { given, groups } = flatten(options);
    this.#given = given;
    this.#groups = groups;
    this.#env = env;
  }

  /** True when the options hold this group's object, even empty (`prometheus: {}`). */
  hasGroup(group: string): boolean {
    return this.#groups.has(group);
  }

  /** The value given in code, checked; undefined when not given. */
  option<N extends OptionName>(name: N): Sourced<OptionOutput<N>> | undefined {
    const row = ROWS.get(name) as AnyRow;
    if (!this.#given.has(name)) return undefined;
    const raw = this.#given.get(name);
    const source = { option: name };
    return { value: convert(row, source, () => row.kind.fromOption(raw)) as OptionOutput<N>, source };
  }

  /** The value of one of the option's variables (the first set one by default), checked; undefined when none is set. */
  variable<N extends OptionName>(name: N, only?: string): Sourced<OptionOutput<N>> | undefined {
    const row = ROWS.get(name) as AnyRow;
    for (const variable of only === undefined ? row.variables : [only]) {
      const text = this.#env[variable]?.trim();
      if (!text) continue;
      const source = { option: name, variable };
      return { value: convert(row, source, () => row.kind.fromVariable(text)) as OptionOutput<N>, source };
    }
    return undefined;
  }

  /** Checks every set variable of the option, not only the first (for variables other code reads). */
  checkVariables(name: OptionName): void {
    for (const variable of (ROWS.get(name) as AnyRow).variables) this.variable(name, variable);
  }

  /** The option, else its variable; undefined when neither is given. */
  given<N extends OptionName>(name: N): Sourced<OptionOutput<N>> | undefined {
    return this.option(name) ?? this.variable(name);
  }

  /** The option, else its variable, else `fallback`, else the table's default (`undefined` for an option without one). */
  value<N extends OptionName>(name: N): OptionOutput<N> | (undefined extends OptionDefault<N> ? undefined : never);
  value<N extends OptionName>(name: N, fallback: OptionOutput<N> | undefined): OptionOutput<N>;
  value<N extends OptionName>(name: N, fallback?: OptionOutput<N>): OptionOutput<N> | undefined {
    const found = this.given(name);
    if (found !== undefined) return found.value;
    return fallback ?? ((ROWS.get(name) as AnyRow).default as OptionOutput<N>);
  }
}

function convert(row: AnyRow, source: ValueSource, parse: () => unknown): unknown {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidValue) throw configError(source, error, hintDefault(row));
    throw optionsError(`${describeSource(source)} could not be read (a getter or proxy threw); pass plain values.`);
  }
}

/** The default as an error's advice says it, when there is a single value to name. */
function hintDefault(row: AnyRow): string | undefined {
  return row.default === undefined || row.defaultText === '—' ? undefined : row.defaultText.replaceAll('`', '');
}
