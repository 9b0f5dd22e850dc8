/**
 * Redaction runs where values enter stagetrace (context, messages, errors),
 * so nothing downstream — files, console, OTLP — ever holds a secret.
 */
export const REDACTED = '[REDACTED]';

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

/** Query parameters of signed URLs whose values are credentials. */
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

const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi;
const BEARER = /\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}/gi;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_. ]/g, '');
}

/**
 * Decides which keys are secret and scrubs credentials out of strings.
 * Key decisions are cached: a pipeline uses the same few keys millions of times.
 */
export class Redactor {
  private readonly fragments: string[];
  private readonly keyCache = new Map<string, boolean>();
  private readonly queryParam: RegExp;

  constructor(options: RedactorOptions = {}) {
    this.fragments = [...DEFAULT_SECRET_KEY_FRAGMENTS, ...(options.extraKeys ?? []).map(normaliseKey)];
    const params = [...DEFAULT_SECRET_QUERY_PARAMS, ...(options.extraQueryParams ?? [])].map(escapeRegExp);
    this.queryParam = new RegExp(`([?&;](?:${params.join('|')})=)[^&#\\s"']*`, 'gi');
  }

  /** True when values under this key must never be shown. */
  isSecretKey(key: string): boolean {
    let secret = this.keyCache.get(key);
    if (secret === undefined) {
      const normalised = normaliseKey(key);
      secret = this.fragments.some((fragment) => normalised.includes(fragment));
      if (this.keyCache.size < 10_000) this.keyCache.set(key, secret);
    }
    return secret;
  }

  /**
   * Removes URL passwords, signed-URL credentials and bearer tokens from free
   * text, leaving the rest of the text (host, path, object key) readable.
   */
  scrubText(text: string): string {
    // Cheap pre-check: most messages hold none of the markers.
    if (text.indexOf('://') === -1 && text.indexOf('=') === -1 && !/bearer|basic/i.test(text)) return text;
    return text.replace(URL_USERINFO, `$1${REDACTED}@`).replace(this.queryParam, `$1${REDACTED}`).replace(BEARER, `$1 ${REDACTED}`);
  }
}
