/**
 * Redaction runs where values enter stagetrace (context, messages, errors),
 * so nothing downstream — files, console, OTLP — ever holds a secret. The
 * {@link Redactor} puts three parts together: which keys are secret
 * (secret-keys.ts), the scan of free text (secret-scan.ts) and the JSON text
 * of objects (redacted-json.ts).
 *
 * Every function here is linear in its input and never throws: text is cut
 * at {@link MAX_SCRUB_CHARS} before any pattern work, and one hand-written
 * scan visits each character a bounded number of times.
 */
import { bigintText, errorSummary, JsonWriter, read } from './redacted-json.js';
import { MAX_KEY_CHARS, type RedactorOptions, SecretKeys } from './secret-keys.js';
import { CREDENTIAL_WORD, MAX_SCRUB_CHARS, scrubSecrets } from './secret-scan.js';

export { errorSummary } from './redacted-json.js';
export { DEFAULT_SECRET_KEY_FRAGMENTS, DEFAULT_SECRET_QUERY_PARAMS, REDACTED, type RedactorOptions } from './secret-keys.js';
export { MAX_SCRUB_CHARS, truncationMarker } from './secret-scan.js';

/**
 * Decides which keys are secret and scrubs credentials out of strings and
 * values. Key decisions are cached: a pipeline uses the same few keys
 * millions of times.
 */
export class Redactor {
  readonly #keys: SecretKeys;

  constructor(options: RedactorOptions = {}) {
    this.#keys = new SecretKeys(options);
  }

  /** True when values under this key must never be shown. */
  isSecretKey(key: string): boolean {
    return this.#keys.isSecretKey(key);
  }

  /**
   * Removes URL passwords (also ones holding `@`, `/` or `%40`), credential
   * query and fragment parameters, `key=value` / `key: value` / `"key": "value"`
   * secrets and `Bearer`/`Basic` credentials from free text, leaving the rest
   * (host, path, object key) readable. Text longer than `maxChars` is cut
   * first (see {@link MAX_SCRUB_CHARS}). Linear in `min(text.length, maxChars)`.
   */
  scrubText(text: string, maxChars: number = MAX_SCRUB_CHARS): string {
    return scrubSecrets(text, maxChars, this.#keys.isSecretTextKey);
  }

  /** A key as it may appear in an attribute name: scrubbed like text and at most `maxChars` long. */
  scrubKey(key: string, maxChars: number = MAX_KEY_CHARS): string {
    if (key.length <= maxChars && key.indexOf(':') === -1 && key.indexOf('=') === -1 && !CREDENTIAL_WORD.test(key)) return key;
    const scrubbed = this.scrubText(key, maxChars);
    return scrubbed.length > maxChars ? `${scrubbed.slice(0, maxChars)}…` : scrubbed;
  }

  /**
   * JSON text of any value with secret keys `"[REDACTED]"` at any depth and
   * strings scrubbed. BigInts and non-finite numbers become strings, Dates
   * ISO strings, Errors `"Name: message"`, binary data `"<N bytes>"`, Maps
   * objects and Sets arrays; cycles `"[Circular]"`, nesting past 8 levels
   * `"[Object]"`, anything that throws when read `"[Unreadable]"`. Stops
   * once `maxChars` are written: longer text is cut and ends in `…`. Never throws.
   */
  toJsonText(value: unknown, maxChars = 4096): string {
    const writer = new JsonWriter(this, maxChars);
    writer.write(value, 0);
    return writer.text();
  }

  /**
   * Any value as redacted text, for messages and labels: strings scrubbed,
   * Errors as `"Name: message"`, objects with their own `toString` through it,
   * other objects as {@link toJsonText}. Never throws.
   */
  toText(value: unknown, maxChars: number = MAX_SCRUB_CHARS): string {
    switch (typeof value) {
      case 'string':
        return this.scrubText(value, maxChars);
      case 'number':
      case 'boolean':
      case 'undefined':
        return String(value);
      case 'bigint':
        return bigintText(value);
      case 'symbol':
        try {
          return this.scrubText(value.toString(), maxChars);
        } catch {
          return 'Symbol()';
        }
      case 'function': {
        const name = read(value, 'name');
        return typeof name === 'string' && name !== '' ? `[Function ${this.scrubKey(name)}]` : '[Function]';
      }
    }
    if (value === null) return 'null';
    try {
      if (value instanceof Error) return this.scrubText(errorSummary(value), maxChars);
      if (!Array.isArray(value)) {
        const text = String(value);
        if (typeof text === 'string' && !text.startsWith('[object ')) return this.scrubText(text, maxChars);
      }
    } catch {
      // A toString that throws, an object without a prototype, a revoked proxy: JSON below.
    }
    const json = this.toJsonText(value, maxChars);
    return json === '"[Unreadable]"' ? '[Unreadable]' : json;
  }
}
