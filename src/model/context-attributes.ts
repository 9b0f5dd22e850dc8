import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { REDACTED, type Redactor } from './redaction.js';

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
 * - arrays of one primitive type stay arrays; mixed or nested arrays become JSON text;
 * - `null`, `undefined`, functions and symbols are dropped; a circular reference becomes `"[Circular]"`;
 * - values under secret-looking keys become `"[REDACTED]"`, and URLs in strings lose their credentials.
 * It never throws: a getter that throws yields `"[Unreadable]"`.
 */
export function flattenContext(
  context: unknown,
  prefix: string,
  redactor: Redactor,
  limits: FlattenLimits = DEFAULT_FLATTEN_LIMITS,
  into: Attributes = {},
): Attributes {
  if (context === null || typeof context !== 'object') return into;
  const state: FlattenState = { redactor, limits, count: 0, seen: [] };
  state.count = Object.keys(into).length;
  try {
    flattenObject(context as object, prefix, 0, state, into);
  } catch {
    // A hostile proxy or similar: keep what was flattened so far.
  }
  return into;
}

interface FlattenState {
  redactor: Redactor;
  limits: FlattenLimits;
  count: number;
  seen: object[];
}

function flattenObject(value: object, prefix: string, depth: number, state: FlattenState, into: Attributes): void {
  if (state.seen.includes(value)) return;
  state.seen.push(value);
  let keys: string[];
  try {
    if (value instanceof Map) {
      for (const [key, entry] of value) addEntry(String(key), entry, prefix, depth, state, into);
      keys = [];
    } else {
      keys = Object.keys(value);
    }
  } catch {
    // A hostile object (a Proxy whose traps throw) loses only its own keys.
    keys = [];
  }
  for (const key of keys) {
    let entry: unknown;
    try {
      entry = (value as Record<string, unknown>)[key];
    } catch {
      entry = '[Unreadable]';
    }
    addEntry(key, entry, prefix, depth, state, into);
  }
  state.seen.pop();
}

function addEntry(key: string, entry: unknown, prefix: string, depth: number, state: FlattenState, into: Attributes): void {
  const name = prefix + key;
  if (state.redactor.isSecretKey(key)) {
    if (entry !== undefined && entry !== null) set(name, REDACTED, state, into);
    return;
  }
  if (entry !== null && typeof entry === 'object' && isPlainContainer(entry)) {
    if (state.seen.includes(entry)) {
      set(name, '[Circular]', state, into);
    } else if (depth + 1 >= state.limits.maxDepth) {
      set(name, '[Object]', state, into);
    } else if (entry instanceof Set) {
      set(name, toArrayAttribute([...entry], state), state, into);
    } else {
      flattenObject(entry, `${name}.`, depth + 1, state, into);
    }
    return;
  }
  if (Array.isArray(entry)) {
    set(name, toArrayAttribute(entry, state), state, into);
    return;
  }
  const scalar = toScalar(entry, state);
  if (scalar !== undefined) set(name, scalar, state, into);
}

function set(name: string, value: AttributeValue | undefined, state: FlattenState, into: Attributes): void {
  if (value === undefined) return;
  if (!(name in into)) {
    if (state.count >= state.limits.maxAttributes) return;
    state.count++;
  }
  into[name] = value;
}

function isPlainContainer(value: object): boolean {
  return !(
    value instanceof Date ||
    value instanceof Error ||
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    Array.isArray(value)
  );
}

/** Converts one leaf value; `undefined` means "drop it". */
export function toScalar(value: unknown, state: { redactor: Redactor; limits: FlattenLimits }): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      return cut(state.redactor.scrubText(value), state.limits.maxStringLength);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return undefined;
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
      if (value instanceof Error) return cut(state.redactor.scrubText(`${value.name}: ${value.message}`), state.limits.maxStringLength);
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `<${value.byteLength} bytes>`;
      return cut(safeJson(value, state.redactor), state.limits.maxStringLength);
    }
    default:
      return undefined; // undefined, function, symbol
  }
}

function toArrayAttribute(items: unknown[], state: FlattenState): AttributeValue | undefined {
  let kind: string | undefined;
  let uniform = true;
  for (const item of items) {
    const t = typeof item;
    if (t !== 'string' && t !== 'number' && t !== 'boolean') {
      uniform = false;
      break;
    }
    if (kind === undefined) kind = t;
    else if (kind !== t) {
      uniform = false;
      break;
    }
  }
  if (uniform) {
    if (kind === 'string') return (items as string[]).map((s) => cut(state.redactor.scrubText(s), state.limits.maxStringLength));
    return items as number[] | boolean[];
  }
  return cut(safeJson(items, state.redactor), state.limits.maxStringLength);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** JSON text that survives cycles, BigInts and secret keys. */
export function safeJson(value: unknown, redactor: Redactor): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, function replacer(this: unknown, key, item: unknown) {
        if (key !== '' && redactor.isSecretKey(key)) return REDACTED;
        if (typeof item === 'bigint') return item.toString();
        if (typeof item === 'string') return redactor.scrubText(item);
        if (item !== null && typeof item === 'object') {
          if (seen.has(item)) return '[Circular]';
          seen.add(item);
          if (item instanceof Error) return `${item.name}: ${item.message}`;
        }
        return item;
      }) ?? ''
    );
  } catch {
    return '[Unserializable]';
  }
}
