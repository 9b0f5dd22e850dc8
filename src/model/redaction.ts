/**
 * Redaction runs where values enter stagetrace (context, messages, errors),
 * so nothing downstream — files, console, OTLP — ever holds a secret.
 *
 * Every function here is linear in its input and never throws: text is cut
 * at {@link MAX_SCRUB_CHARS} before any pattern work, and one hand-written
 * scan visits each character a bounded number of times. No regular
 * expression ever sees unbounded text: a backtracking pattern once turned a
 * 1 MB error message into minutes of CPU inside a stage.
 */
export const REDACTED = '[REDACTED]';

/**
 * Longest text scrubbed. Longer text is cut to its first this-many
 * characters (never half a surrogate pair) and ends in
 * `…[truncated from N chars]`, N being the original length; a secret that
 * the cut splits is redacted as if it ran on.
 */
export const MAX_SCRUB_CHARS = 65_536;

/** The end of a cut text: how long it was. */
export function truncationMarker(originalLength: number): string {
  return `…[truncated from ${originalLength} chars]`;
}

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

/** Keys longer than this are judged by their last this-many characters in text, and cut in attribute names. */
const MAX_KEY_CHARS = 256;
/** Distinct keys whose secret/not-secret decision is remembered. */
const KEY_CACHE_SIZE = 10_000;
/** A `Bearer`/`Basic` credential is at least this long, so prose ("a basic setup") stays. */
const MIN_CREDENTIAL_CHARS = 8;
/** JSON text of objects stops nesting here (`"[Object]"`). */
const MAX_JSON_DEPTH = 8;
/** Scheme words after a secret key whose next word is the credential (`Authorization: token ghp_…`). */
const AUTH_SCHEMES = new Set(['bearer', 'basic', 'token', 'digest', 'negotiate', 'apikey', 'key']);
/** Only for the pre-check; a literal alternation, linear. */
const CREDENTIAL_WORD = /b(?:earer|asic)/i;
/** Finds each `bearer`/`basic`: literal words, no quantifier, nothing to backtrack. */
const CREDENTIAL_WORDS = /b(?:earer|asic)/gi;

const indexOrEnd = (index: number, end: number) => (index === -1 ? end : index);

const AT = 64;
const COLON = 58;
const EQUALS = 61;
const SLASH = 47;
const QUESTION = 63;
const HASH = 35;
const AMPERSAND = 38;
const SEMICOLON = 59;
const BACKSLASH = 92;
const PERCENT = 37;

function isSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const isHorizontalSpace = (c: number) => c === 32 || c === 9;
const isQuote = (c: number) => c === 34 || c === 39 || c === 96;
/** Where a URL ends in text: whitespace, quotes, angle brackets. */
const isUrlEnd = (c: number) => isSpace(c) || isQuote(c) || c === 60 || c === 62;

/** What may stand before the user of a scheme-less `user:password@host`: whitespace, a quote, a bracket, `=`, `,`, `;`, `<`. */
const isUserBoundary = (c: number) =>
  isSpace(c) || isQuote(c) || c === 40 || c === 91 || c === 123 || c === EQUALS || c === 44 || c === SEMICOLON || c === 60;

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** Characters of a key in `key=value` text; `%` for percent-encoded query names. */
function isKeyChar(c: number): boolean {
  return isWordChar(c) || c === 45 || c === 46 || c === PERCENT;
}

/** Runs that end a secret: an unquoted value (text or query) or a `Bearer`/`Basic` credential. */
const VALUE = 0;
const QUERY_VALUE = 1;
const CREDENTIAL = 2;
type RunKind = typeof VALUE | typeof QUERY_VALUE | typeof CREDENTIAL;

/**
 * Where a run ends. An unquoted value ends at whitespace, a quote or `&`, in a
 * query also at `#`; `;` and `,` do not end it, a secret may hold them. A
 * credential runs to whitespace or a quote: wider than RFC 6750's token68, as real tokens are.
 */
function endsRun(c: number, kind: RunKind): boolean {
  return isSpace(c) || isQuote(c) || (kind !== CREDENTIAL && c === AMPERSAND) || (kind === QUERY_VALUE && c === HASH);
}

/** Case-insensitive `bearer`/`basic` as a whole word at `at`; its length, or 0. */
function credentialWordAt(text: string, at: number): number {
  if (at > 0 && isWordChar(text.charCodeAt(at - 1))) return 0;
  for (const word of ['bearer', 'basic']) {
    const end = at + word.length;
    if (end <= text.length && (end === text.length || !isWordChar(text.charCodeAt(end)))) {
      let same = true;
      for (let k = 0; k < word.length && same; k++) same = (text.charCodeAt(at + k) | 32) === word.charCodeAt(k);
      if (same) return word.length;
    }
  }
  return 0;
}

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_. ]/g, '');
}

function escapeJson(text: string): string {
  return JSON.stringify(text);
}

/** Reads a property; a getter or proxy trap that throws yields `undefined`. */
function read(target: unknown, key: PropertyKey): unknown {
  try {
    return (target as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Digits of a BigInt, unless it is so large that printing it would take long. */
function bigintText(value: bigint): string {
  const magnitude = value < 0n ? -value : value;
  const hexDigits = magnitude.toString(16).length;
  return hexDigits > 4096 ? `[BigInt of ${hexDigits * 4} bits]` : value.toString();
}

/**
 * Decides which keys are secret and scrubs credentials out of strings and
 * values. Key decisions are cached: a pipeline uses the same few keys
 * millions of times.
 */
export class Redactor {
  readonly #fragments: string[];
  readonly #secretParams: Set<string>;
  readonly #keyCache = new Map<string, boolean>();
  readonly #textKeyCache = new Map<string, boolean>();
  readonly #paramCache = new Map<string, boolean>();

  constructor(options: RedactorOptions = {}) {
    this.#fragments = [...DEFAULT_SECRET_KEY_FRAGMENTS, ...(options.extraKeys ?? []).map(normaliseKey)].filter((f) => f !== '');
    this.#secretParams = new Set([...DEFAULT_SECRET_QUERY_PARAMS, ...(options.extraQueryParams ?? [])].map((p) => p.toLowerCase()));
  }

  /** True when values under this key must never be shown. */
  isSecretKey(key: string): boolean {
    let secret = this.#keyCache.get(key);
    if (secret === undefined) {
      secret = this.#judgeKey(key);
      if (key.length <= MAX_KEY_CHARS && this.#keyCache.size < KEY_CACHE_SIZE) this.#keyCache.set(key, secret);
    }
    return secret;
  }

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

  /**
   * Removes URL passwords (also ones holding `@`, `/` or `%40`), credential
   * query and fragment parameters, `key=value` / `key: value` / `"key": "value"`
   * secrets and `Bearer`/`Basic` credentials from free text, leaving the rest
   * (host, path, object key) readable. Text longer than `maxChars` is cut
   * first (see {@link MAX_SCRUB_CHARS}). Linear in `min(text.length, maxChars)`.
   */
  scrubText(text: string, maxChars: number = MAX_SCRUB_CHARS): string {
    let body = text;
    let suffix = '';
    if (text.length > maxChars) {
      let end = Math.max(0, Math.floor(maxChars));
      const last = text.charCodeAt(end - 1);
      if (last >= 0xd800 && last <= 0xdbff) end--; // never half a surrogate pair
      body = text.slice(0, end);
      suffix = truncationMarker(text.length);
    }
    // Cheap pre-check: most messages hold none of the characters a secret needs around it.
    const words = CREDENTIAL_WORD.test(body);
    if (!words && body.indexOf('=') === -1 && body.indexOf(':') === -1) return body + suffix;
    return new Scan(this.#judgeTextKey, body, suffix !== '', words).run() + suffix;
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

  /**
   * For {@link Scan}: the decision on a key found in text (`rows: 3`,
   * `?sig=…`), remembered like object keys: messages repeat the same few.
   */
  readonly #judgeTextKey = (key: string, inQuery: boolean): boolean => {
    const cache = inQuery ? this.#paramCache : this.#textKeyCache;
    let secret = cache.get(key);
    if (secret === undefined) {
      secret = inQuery ? this.#isSecretParam(key) : this.#judgeKey(key);
      if (cache.size < KEY_CACHE_SIZE) cache.set(key, secret);
    }
    return secret;
  };
}

/** `"Name: message"` of an Error, read without trusting its getters. */
export function errorSummary(error: object): string {
  const name = read(error, 'name');
  const message = read(error, 'message');
  const nameText = typeof name === 'string' && name !== '' ? name.slice(0, MAX_KEY_CHARS) : 'Error';
  return typeof message === 'string' ? `${nameText}: ${message}` : nameText;
}

/**
 * One left-to-right pass over (already cut) text. Each handler looks only at
 * the characters around one `:`, `=` or credential word and says where the
 * pass goes on, never before the point it was called at; backwards a handler
 * looks at most {@link MAX_KEY_CHARS} characters, and a URL's extent is found
 * once for all URLs nested in it, so the pass is linear.
 */
class Scan {
  #out = '';
  #copied = 0;
  /** The URL token the last URL lay in, shared by URLs nested in it (`?next=https://…`). */
  #tokenStart = -1;
  #tokenEnd = -1;
  #tokenLastAt = -1;
  /** The last run found of each kind: a run nested in it (`token: password: x`) ends where it ends. Made when first needed. */
  #runStart: number[] | undefined;
  #runEnd: number[] | undefined;
  /** The text holds `bearer` or `basic`. */
  readonly #hasCredentialWord: boolean;

  readonly #isSecret: (key: string, inQuery: boolean) => boolean;
  readonly #text: string;
  /** The text was cut: a secret running to its end may be the start of a longer one. */
  readonly #truncated: boolean;

  constructor(isSecret: (key: string, inQuery: boolean) => boolean, text: string, truncated: boolean, hasCredentialWord: boolean) {
    this.#isSecret = isSecret;
    this.#text = text;
    this.#truncated = truncated;
    this.#hasCredentialWord = hasCredentialWord;
  }

  run(): string {
    const text = this.#text;
    const n = text.length;
    // The next `:`, `=` and credential word at or after p, each found by a search that only moves forward.
    let colon = -1;
    let equals = -1;
    let word = this.#hasCredentialWord ? -1 : n;
    let p = 0;
    while (p < n) {
      if (colon !== n && colon < p) colon = indexOrEnd(text.indexOf(':', p), n);
      if (equals !== n && equals < p) equals = indexOrEnd(text.indexOf('=', p), n);
      if (word !== n && word < p) {
        CREDENTIAL_WORDS.lastIndex = p;
        word = CREDENTIAL_WORDS.exec(text)?.index ?? n;
      }
      p = Math.min(colon, equals, word);
      if (p >= n) break;
      if (p === colon && text.charCodeAt(p + 1) === SLASH && text.charCodeAt(p + 2) === SLASH) {
        p = Math.max(p + 1, this.#url(p));
      } else if (p === colon || p === equals) {
        const next = this.#keyValue(p);
        // Also a connection string without a scheme (`etl:secret@db.internal`), whose password may run past a value's end.
        p = p === colon ? Math.max(p + 1, next, this.#userinfo(p)) : Math.max(p + 1, next);
      } else {
        const length = credentialWordAt(text, p);
        p = length === 0 ? p + 1 : Math.max(p + 1, this.#credential(p + length));
      }
    }
    return this.#copied === 0 ? text : this.#out + text.slice(this.#copied);
  }

  /** The end of the run of `kind` starting at `from`; each character is looked at once however runs nest. */
  #endOfRun(from: number, kind: RunKind): number {
    this.#runStart ??= [-1, -1, -1];
    this.#runEnd ??= [-1, -1, -1];
    const start = this.#runStart[kind] as number;
    const end = this.#runEnd[kind] as number;
    if (from >= start && from < end) return end;
    const text = this.#text;
    let at = from;
    while (at < text.length && !endsRun(text.charCodeAt(at), kind)) at++;
    this.#runStart[kind] = from;
    this.#runEnd[kind] = at;
    return at;
  }

  /** Replaces text[from, to) by the marker; a range overlapping the last one merges into it. */
  #redact(from: number, to: number): void {
    if (from < this.#copied) {
      if (to > this.#copied) this.#copied = to;
      return;
    }
    this.#out += `${this.#text.slice(this.#copied, from)}${REDACTED}`;
    this.#copied = to;
  }

  /** `scheme://user:password@host…`: the password is everything from the first `:` to the last `@` of the URL. */
  #url(colon: number): number {
    const text = this.#text;
    const n = text.length;
    const start = colon + 3;
    if (!(start >= this.#tokenStart && start < this.#tokenEnd)) {
      let end = start;
      while (end < n && !isUrlEnd(text.charCodeAt(end))) end++;
      let at = end - 1;
      while (at >= start && text.charCodeAt(at) !== AT) at--;
      this.#tokenStart = start;
      this.#tokenEnd = end;
      this.#tokenLastAt = at;
    }
    let first = start;
    while (first < this.#tokenEnd) {
      const c = text.charCodeAt(first);
      if (c === COLON || c === SLASH || c === QUESTION || c === HASH || c === AT) break;
      first++;
    }
    if (first >= this.#tokenEnd || text.charCodeAt(first) !== COLON) return start;
    if (this.#truncated && this.#tokenEnd === n) {
      // A URL that the cut ends: its last `@` may lie past the cut, so all after the colon may be password.
      this.#redact(first + 1, n);
      return n;
    }
    if (this.#tokenLastAt > first) {
      this.#redact(first + 1, this.#tokenLastAt);
      // Go on inside: what looked like a password may be `host:port?password=…@…`, whose value runs past the `@`.
      return first + 1;
    }
    return first + 1; // host:port; going on after the colon keeps `secrets.example:443` from reading as a key
  }

  /**
   * `user:password@host` without a scheme, as connection strings appear in
   * messages: a user of key characters after a boundary, then the password
   * up to the token's last `@`, as in a URL. Text such as `12:30` or
   * `Error: a@b` has no `@` in the token after the colon, or a space.
   */
  #userinfo(colon: number): number {
    const text = this.#text;
    let userStart = colon;
    while (userStart > 0 && colon - userStart < MAX_KEY_CHARS && isKeyChar(text.charCodeAt(userStart - 1))) userStart--;
    if (userStart === colon || (userStart > 0 && !isUserBoundary(text.charCodeAt(userStart - 1)))) return colon + 1;
    const start = colon + 1;
    if (!(start >= this.#tokenStart && start < this.#tokenEnd)) {
      let end = start;
      while (end < text.length && !isUrlEnd(text.charCodeAt(end))) end++;
      let at = end - 1;
      while (at >= start && text.charCodeAt(at) !== AT) at--;
      this.#tokenStart = start;
      this.#tokenEnd = end;
      this.#tokenLastAt = at;
    }
    if (this.#truncated && this.#tokenEnd === text.length) {
      // A token the cut ends: its last `@` may lie past the cut, so all after the colon may be password.
      this.#redact(start, text.length);
      return text.length;
    }
    if (this.#tokenLastAt <= start) return colon + 1;
    this.#redact(start, this.#tokenLastAt);
    return this.#tokenLastAt;
  }

  /** `key=value`, `key: value`, `"key": "value"`, and `?name=value` in URLs. */
  #keyValue(separator: number): number {
    const text = this.#text;
    const n = text.length;
    let keyEnd = separator;
    while (keyEnd > 0 && separator - keyEnd < MAX_KEY_CHARS && isHorizontalSpace(text.charCodeAt(keyEnd - 1))) keyEnd--;
    let keyStart = keyEnd;
    let before: number;
    const quote = text.charCodeAt(keyEnd - 1);
    if (keyEnd > 0 && isQuote(quote)) {
      keyEnd--;
      keyStart = keyEnd;
      while (keyStart > 0 && keyEnd - keyStart < MAX_KEY_CHARS) {
        const c = text.charCodeAt(keyStart - 1);
        if (!isKeyChar(c) && !isHorizontalSpace(c)) break;
        keyStart--;
      }
      if (keyStart === 0 || text.charCodeAt(keyStart - 1) !== quote) return separator + 1;
      before = keyStart > 1 ? text.charCodeAt(keyStart - 2) : -1;
    } else {
      while (keyStart > 0 && keyEnd - keyStart < MAX_KEY_CHARS && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--;
      before = keyStart > 0 ? text.charCodeAt(keyStart - 1) : -1;
    }
    if (keyStart === keyEnd) return separator + 1;
    const inQuery =
      text.charCodeAt(separator) === EQUALS && (before === QUESTION || before === AMPERSAND || before === SEMICOLON || before === HASH);
    if (!this.#isSecret(text.slice(keyStart, keyEnd), inQuery)) return separator + 1;

    let value = separator + 1;
    while (value < n && isHorizontalSpace(text.charCodeAt(value))) value++;
    if (value >= n) return n;
    const open = text.charCodeAt(value);
    if (isQuote(open)) {
      let close = value + 1;
      while (close < n && text.charCodeAt(close) !== open) close += text.charCodeAt(close) === BACKSLASH ? 2 : 1;
      if (close >= n) {
        this.#redact(value + 1, n); // unterminated: the rest may all be the secret
        return n;
      }
      if (close > value + 1) this.#redact(value + 1, close);
      return close + 1;
    }
    let end = this.#endOfRun(value, inQuery ? QUERY_VALUE : VALUE);
    if (end === value) return value;
    if (!inQuery && end - value <= 9 && AUTH_SCHEMES.has(text.slice(value, end).toLowerCase())) {
      // `Authorization: token ghp_…`: the scheme's next word is the credential.
      let next = end;
      while (next < n && isHorizontalSpace(text.charCodeAt(next))) next++;
      if (next > end) end = this.#endOfRun(next, VALUE);
    }
    this.#redact(value, end);
    // Go on inside the value: it may end in another secret key (`token: password: x`) whose value follows it.
    return value;
  }

  /** `Bearer <credential>` / `Basic <credential>`, starting after the word. */
  #credential(wordEnd: number): number {
    const text = this.#text;
    const n = text.length;
    let start = wordEnd;
    while (start < n && isSpace(text.charCodeAt(start))) start++;
    if (start === wordEnd) return wordEnd;
    const end = this.#endOfRun(start, CREDENTIAL);
    const cutShort = this.#truncated && end === n && end > start;
    if (end - start >= MIN_CREDENTIAL_CHARS || cutShort) this.#redact(start, end);
    return start; // inside too, as for values
  }
}

/** Bounded JSON text for {@link Redactor.toJsonText}. */
class JsonWriter {
  #parts: string[] = [];
  #length = 0;
  #seen: object[] = [];

  readonly #redactor: Redactor;
  readonly #budget: number;

  constructor(redactor: Redactor, budget: number) {
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
