/**
 * Bounded JSON text of any value with secret keys redacted at any depth and
 * strings scrubbed, for context values and messages that are objects. Reads
 * nothing it cannot read safely: getters, proxies and `toJSON` that throw
 * cost only their own value.
 */
import { REDACTED } from './secret-keys.js';
import { MAX_SCRUB_CHARS } from './secret-scan.js';

/** JSON text of objects stops nesting here (`"[Object]"`). */
const MAX_JSON_DEPTH = 8;
/** Error names longer than this are cut. */
const MAX_NAME_CHARS = 256;

/** What the writer needs of a redactor. */
export interface Scrubber {
  scrubText(text: string, maxChars?: number): string;
  scrubKey(key: string): string;
  isSecretKey(key: string): boolean;
}

function escapeJson(text: string): string {
  return JSON.stringify(text);
}

/** Reads a property; a getter or proxy trap that throws yields `undefined`. */
export function read(target: unknown, key: PropertyKey): unknown {
  try {
    return (target as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Digits of a BigInt, unless it is so large that printing it would take long. */
export function bigintText(value: bigint): string {
  const magnitude = value < 0n ? -value : value;
  const hexDigits = magnitude.toString(16).length;
  return hexDigits > 4096 ? `[BigInt of ${hexDigits * 4} bits]` : value.toString();
}

/** `"Name: message"` of an Error, read without trusting its getters. */
export function errorSummary(error: object): string {
  const name = read(error, 'name');
  const message = read(error, 'message');
  const nameText = typeof name === 'string' && name !== '' ? name.slice(0, MAX_NAME_CHARS) : 'Error';
  return typeof message === 'string' ? `${nameText}: ${message}` : nameText;
}

/** Bounded JSON text for {@link Redactor.toJsonText}. */
export class JsonWriter {
  #parts: string[] = [];
  #length = 0;
  #seen: object[] = [];

  readonly #redactor: Scrubber;
  readonly #budget: number;

  constructor(redactor: Scrubber, budget: number) {
    this.#redactor = redactor;
    this.#budget = budget;
  }

  get #full(): boolean {
    return this.#length > this.#budget;
  }

  #push(part: string): void {
    this.#parts.push(part);
    this.#length += part.length;
  }

  #string(text: string): void {
    const room = Math.max(16, this.#budget - this.#length + 1);
    this.#push(escapeJson(this.#redactor.scrubText(text, Math.min(room, MAX_SCRUB_CHARS))));
  }

  text(): string {
    const text = this.#parts.join('');
    return text.length > this.#budget ? `${text.slice(0, this.#budget)}…` : text;
  }

  /** Writes one value; what JSON has no place for (undefined, functions, symbols) is `null`, as in arrays. */
  write(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.#string(value);
        return;
      case 'number':
        this.#push(Number.isFinite(value) ? String(value) : escapeJson(String(value)));
        return;
      case 'boolean':
        this.#push(String(value));
        return;
      case 'bigint':
        this.#push(escapeJson(bigintText(value)));
        return;
      case 'object':
        if (value === null) {
          this.#push('null');
          return;
        }
        this.#object(value, depth);
        return;
      default:
        this.#push('null');
    }
  }

  #object(value: object, depth: number): void {
    if (this.#seen.includes(value)) {
      this.#push('"[Circular]"');
      return;
    }
    if (depth >= MAX_JSON_DEPTH) {
      this.#push('"[Object]"');
      return;
    }
    const parts = this.#parts.length;
    const length = this.#length;
    this.#seen.push(value);
    try {
      if (Array.isArray(value)) this.#array(value, depth);
      else if (value instanceof Date) this.#push(escapeJson(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()));
      else if (value instanceof Error) this.#string(errorSummary(value));
      else if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) this.#push(`"<${value.byteLength} bytes>"`);
      else if (value instanceof Map) this.#map(value, depth);
      else if (value instanceof Set) this.#array([...value], depth);
      else if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        this.write((value as { toJSON: (key: string) => unknown }).toJSON(''), depth + 1);
      } else this.#plain(value, depth);
    } catch {
      // A revoked proxy, a trap or toJSON that throws: this value only.
      this.#parts.length = parts;
      this.#length = length;
      this.#push('"[Unreadable]"');
    } finally {
      this.#seen.pop();
    }
  }

  #array(items: readonly unknown[], depth: number): void {
    const count = items.length;
    this.#push('[');
    for (let i = 0; i < count && !this.#full; i++) {
      if (i > 0) this.#push(',');
      let item: unknown;
      try {
        item = items[i];
      } catch {
        item = '[Unreadable]';
      }
      this.write(item, depth + 1);
    }
    this.#push(']');
  }

  #entry(first: boolean, key: string, value: unknown, isSecret: boolean, depth: number): boolean {
    if (!isSecret && (value === undefined || typeof value === 'function' || typeof value === 'symbol')) return first;
    if (!first) this.#push(',');
    this.#push(`${escapeJson(this.#redactor.scrubKey(key))}:`);
    if (isSecret) this.#push(`"${REDACTED}"`);
    else this.write(value, depth + 1);
    return false;
  }

  #plain(value: object, depth: number): void {
    const keys = Object.keys(value);
    this.#push('{');
    let first = true;
    for (const key of keys) {
      if (this.#full) break;
      if (this.#redactor.isSecretKey(key)) {
        first = this.#entry(first, key, undefined, true, depth);
        continue;
      }
      let item: unknown;
      try {
        item = (value as Record<string, unknown>)[key];
      } catch {
        item = '[Unreadable]';
      }
      first = this.#entry(first, key, item, false, depth);
    }
    this.#push('}');
  }

  #map(map: Map<unknown, unknown>, depth: number): void {
    this.#push('{');
    let first = true;
    for (const [rawKey, item] of map) {
      if (this.#full) break;
      let key: string;
      try {
        key = typeof rawKey === 'string' ? rawKey : String(rawKey);
      } catch {
        continue; // a key whose toString throws: this entry only
      }
      first = this.#entry(first, key, item, this.#redactor.isSecretKey(key), depth);
    }
    this.#push('}');
  }
}
