/**
 * Which keys hold secrets: object keys (`db_password`), keys found in text
 * (`token: …`) and URL query parameters (`?X-Amz-Signature=…`). Decisions are
 * cached per key: a pipeline uses the same few keys millions of times.
 */

/** What stands where a secret was. */
export const REDACTED = '[REDACTED]';

/** Keys longer than this are judged by their last this-many characters in text, and cut in attribute names. */
export const MAX_KEY_CHARS = 256;
/** Distinct keys whose secret/not-secret decision is remembered. */
const KEY_CACHE_SIZE = 10_000;

/**
 * Key fragments that mark a value as secret, compared against the key
 * lower-cased with `-`, `_`, `.` and spaces removed (so `db_password`,
 * `X-Api-Key` and `awsSecretAccessKey` all match).
 */
export const DEFAULT_SECRET_KEY_FRAGMENTS: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'authorization',
  'credential',
  'privatekey',
  'cookie',
];

/**
 * Query parameters of signed URLs whose values are credentials, besides any
 * parameter whose name holds a secret key fragment (`refresh_token`).
 */
export const DEFAULT_SECRET_QUERY_PARAMS: readonly string[] = [
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
  'sig',
  'signature',
  'token',
  'access_token',
  'api_key',
  'apikey',
  'key',
  'password',
  'secret',
];

export interface RedactorOptions {
  /** More key fragments to treat as secret (matched like the defaults). */
  extraKeys?: readonly string[];
  /** More URL query parameter names whose values are secret. */
  extraQueryParams?: readonly string[];
}

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_. ]/g, '');
}

/** The secret-key decisions of one redactor's configuration, cached. */
export class SecretKeys {
  readonly #fragments: string[];
  readonly #secretParams: Set<string>;
  readonly #keyCache = new Map<string, boolean>();
  readonly #textKeyCache = new Map<string, boolean>();
  readonly #paramCache = new Map<string, boolean>();

  constructor(options: RedactorOptions = {}) {
    this.#fragments = [...DEFAULT_SECRET_KEY_FRAGMENTS, ...(options.extraKeys ?? []).map(normaliseKey)].filter((f) => f !== '');
    this.#secretParams = new Set([...DEFAULT_SECRET_QUERY_PARAMS, ...(options.extraQueryParams ?? [])].map((p) => p.toLowerCase()));
  }

  /** True when values under this object key must never be shown. */
  isSecretKey(key: string): boolean {
    let secret = this.#keyCache.get(key);
    if (secret === undefined) {
      secret = this.#judgeKey(key);
      if (key.length <= MAX_KEY_CHARS && this.#keyCache.size < KEY_CACHE_SIZE) this.#keyCache.set(key, secret);
    }
    return secret;
  }

  /**
   * The decision on a key found in text (`rows: 3`), or with `inQuery` on a
   * URL query parameter (`?sig=…`), remembered like object keys: messages
   * repeat the same few.
   */
  readonly isSecretTextKey = (key: string, inQuery: boolean): boolean => {
    const cache = inQuery ? this.#paramCache : this.#textKeyCache;
    let secret = cache.get(key);
    if (secret === undefined) {
      secret = inQuery ? this.#isSecretParam(key) : this.#judgeKey(key);
      if (cache.size < KEY_CACHE_SIZE) cache.set(key, secret);
    }
    return secret;
  };

  #judgeKey(key: string): boolean {
    const normalised = normaliseKey(key);
    return this.#fragments.some((fragment) => normalised.includes(fragment));
  }

  /** A query parameter (or `;`/`#` parameter) name whose value is a credential. */
  #isSecretParam(name: string): boolean {
    let decoded = name;
    if (name.includes('%')) {
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // Not valid percent-encoding: judge it as written.
      }
    }
    return this.#secretParams.has(decoded.toLowerCase()) || this.#judgeKey(decoded);
  }
}
