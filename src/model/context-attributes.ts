import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { errorSummary, REDACTED, type Redactor } from './redaction.js';

/** Caller context: any plain object; see {@link flattenContext} for the rule. */
export type StageContext = Record<string, unknown>;

export interface FlattenLimits {
  /** Strings longer than this are cut and end in `…`. */
  maxStringLength: number;
  /** Attributes beyond this count are dropped (the first ones win). */
  maxAttributes: number;
  /** Objects nested deeper than this become the string `[Object]`. */
  maxDepth: number;
}

export const DEFAULT_FLATTEN_LIMITS: FlattenLimits = {
  maxStringLength: 4096,
  // Room under OpenTelemetry's default limit of 128 attributes per span for stagetrace's own (outcome, duration, memory...).
  maxAttributes: 100,
  maxDepth: 8,
};

/**
 * Turns the caller's context into span attributes. The rule (also in the README):
 * - nested objects flatten to dotted keys under `prefix` (`{s3: {key: 'a'}}` → `prefix + 's3.key'`);
 * - strings, finite numbers and booleans keep their type; strings are cut at `maxStringLength`;
 * - `NaN`/`±Infinity`, BigInts → strings; Dates → ISO 8601 strings; Errors → `"Name: message"`;
 *   Buffers and typed arrays → `"<N bytes>"`; Maps flatten like objects, Sets like arrays;
 * - arrays whose items are all strings, all finite numbers or all booleans stay arrays, with BigInts and
 *   non-finite numbers counted as the strings they become (`[1n, 2n]` → `['1', '2']`); mixed or nested
 *   arrays, and arrays of more than `maxStringLength` items, become JSON text (`[1, NaN]` → `'[1,"NaN"]'`);
 * - `null`, `undefined`, functions and symbols are dropped; a circular reference becomes `"[Circular]"`;
 * - values under secret-looking keys become `"[REDACTED]"`, and URLs in strings and keys lose their credentials.
 * It never throws: a value that throws when read (a getter, a revoked proxy) becomes `"[Unreadable]"` and
 * takes nothing else with it. Keys are cut at `maxStringLength` too.
 */
export function flattenContext(
  context: unknown,
  prefix: string,
  redactor: Redactor,
  limits: FlattenLimits = DEFAULT_FLATTEN_LIMITS,
  into: Attributes = {},
): Attributes {
  if (context === null || typeof context !== 'object') return into;
  const state: FlattenState = { redactor, limits, count: Object.keys(into).length, seen: [] };
  try {
    flattenObject(context, prefix, 0, state, into);
  } catch {
    // Not reached (every entry is guarded); kept so that no future path can throw into the caller.
  }
  return into;
}

interface FlattenState {
  redactor: Redactor;
  limits: FlattenLimits;
  count: number;
  seen: object[];
}

const full = (state: FlattenState) => state.count >= state.limits.maxAttributes;

function flattenObject(value: object, prefix: string, depth: number, state: FlattenState, into: Attributes): void {
  state.seen.push(value);
  try {
    let map: Map<unknown, unknown> | undefined;
    let keys: string[] = [];
    try {
      if (value instanceof Map) map = value;
      else keys = Object.keys(value);
    } catch {
      return; // A hostile object (a revoked proxy, a trap that throws) loses only its own keys.
    }
    if (map !== undefined) {
      flattenMap(map, prefix, depth, state, into);
      return;
    }
    for (const key of keys) {
      if (full(state)) return;
      let entry: unknown;
      try {
        entry = (value as Record<string, unknown>)[key];
      } catch {
        entry = UNREADABLE;
      }
      addEntry(key, entry, prefix, depth, state, into);
    }
  } finally {
    state.seen.pop();
  }
}

function flattenMap(map: Map<unknown, unknown>, prefix: string, depth: number, state: FlattenState, into: Attributes): void {
  try {
    for (const [rawKey, entry] of map) {
      if (full(state)) return;
      let key: string;
      try {
        key = typeof rawKey === 'string' ? rawKey : String(rawKey);
      } catch {
        continue; // A key that cannot be named (its toString throws): this entry only.
      }
      addEntry(key, entry, prefix, depth, state, into);
    }
  } catch {
    // A Map whose iterator throws keeps the entries read so far.
  }
}

const UNREADABLE = '[Unreadable]';

/** Adds one key's attributes; whatever the value does, only this key is affected. */
function addEntry(key: string, entry: unknown, prefix: string, depth: number, state: FlattenState, into: Attributes): void {
  const name = prefix + state.redactor.scrubKey(key, state.limits.maxStringLength);
  try {
    if (state.redactor.isSecretKey(key)) {
      if (entry !== undefined && entry !== null) set(name, REDACTED, state, into);
      return;
    }
    if (entry !== null && typeof entry === 'object') {
      if (Array.isArray(entry)) {
        set(name, toArrayAttribute(entry, state), state, into);
      } else if (isPlainContainer(entry)) {
        if (state.seen.includes(entry)) set(name, '[Circular]', state, into);
        else if (depth + 1 >= state.limits.maxDepth) set(name, '[Object]', state, into);
        else if (entry instanceof Set) set(name, toArrayAttribute([...entry], state), state, into);
        else flattenObject(entry, `${name}.`, depth + 1, state, into);
      } else {
        set(name, toScalar(entry, state), state, into);
      }
      return;
    }
    set(name, toScalar(entry, state), state, into);
  } catch {
    if (!Object.hasOwn(into, name)) set(name, UNREADABLE, state, into);
  }
}

function set(name: string, value: AttributeValue | undefined, state: FlattenState, into: Attributes): void {
  if (value === undefined) return;
  if (!Object.hasOwn(into, name)) {
    if (full(state)) return;
    state.count++;
  }
  // `into.__proto__ = array` would replace the prototype instead of adding an attribute.
  if (name === '__proto__') Object.defineProperty(into, name, { value, enumerable: true, writable: true, configurable: true });
  else into[name] = value;
}

/** Objects flattened key by key (plain objects, class instances, Maps, Sets); throws on a revoked proxy. */
function isPlainContainer(value: object): boolean {
  return !(value instanceof Date || value instanceof Error || ArrayBuffer.isView(value) || value instanceof ArrayBuffer);
}

/** Converts one leaf value; `undefined` means "drop it". Never throws. */
export function toScalar(value: unknown, state: { redactor: Redactor; limits: FlattenLimits }): AttributeValue | undefined {
  const max = state.limits.maxStringLength;
  switch (typeof value) {
    case 'string':
      return cut(state.redactor.scrubText(value), max);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return cut(state.redactor.toText(value), max);
    case 'object': {
      if (value === null) return undefined;
      try {
        if (value instanceof Date) return cut(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString(), max);
        if (value instanceof Error) return cut(state.redactor.scrubText(errorSummary(value)), max);
        if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return cut(`<${value.byteLength} bytes>`, max);
      } catch {
        return UNREADABLE;
      }
      return cut(state.redactor.toJsonText(value, max), max);
    }
    default:
      return undefined; // undefined, function, symbol
  }
}

/** The kind an array item counts as under the context rule, or `undefined` when the array becomes JSON text. */
function itemKind(item: unknown): 'string' | 'number' | 'boolean' | undefined {
  switch (typeof item) {
    case 'string':
    case 'bigint':
      return 'string';
    case 'number':
      return Number.isFinite(item) ? 'number' : 'string';
    case 'boolean':
      return 'boolean';
    default:
      return undefined;
  }
}

function toArrayAttribute(items: readonly unknown[], state: FlattenState): AttributeValue | undefined {
  const max = state.limits.maxStringLength;
  let kind: string | undefined;
  let uniform = true;
  let values: unknown[];
  try {
    // A longer array (or a sparse one with a huge length) would not fit the limit as text either.
    if (items.length > max) throw new RangeError('too many items');
    values = Array.from({ length: items.length }, (_, i) => items[i]);
  } catch {
    return cut(state.redactor.toJsonText(items, max), max);
  }
  for (const item of values) {
    const itemKindNow = itemKind(item);
    if (itemKindNow === undefined || (kind !== undefined && kind !== itemKindNow)) {
      uniform = false;
      break;
    }
    kind = itemKindNow;
  }
  if (!uniform) return cut(state.redactor.toJsonText(items, max), max); // the array itself, so a cycle through it is seen
  if (kind === 'string')
    return values.map((item) => cut(typeof item === 'string' ? state.redactor.scrubText(item) : state.redactor.toText(item), max));
  return values as number[] | boolean[];
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
