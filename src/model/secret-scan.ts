/**
 * Credentials in free text: URL passwords, `key=value` / `key: value` /
 * `"key": "value"` secrets, secret query parameters, `Bearer`/`Basic`
 * credentials. One hand-written pass, linear in the (already cut) text: no
 * regular expression ever sees unbounded text — a backtracking pattern once
 * turned a 1 MB error message into minutes of CPU inside a stage.
 */
import { MAX_KEY_CHARS, REDACTED } from './secret-keys.js';

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

/** A `Bearer`/`Basic` credential is at least this long, so prose ("a basic setup") stays. */
const MIN_CREDENTIAL_CHARS = 8;
/** Scheme words after a secret key whose next word is the credential (`Authorization: token ghp_…`). */
const AUTH_SCHEMES = new Set(['bearer', 'basic', 'token', 'digest', 'negotiate', 'apikey', 'key']);
/** Only for the pre-check; a literal alternation, linear. */
export const CREDENTIAL_WORD = /b(?:earer|asic)/i;
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

/**
 * `text` with its credentials replaced by {@link REDACTED}, cut first to
 * `maxChars` (see {@link MAX_SCRUB_CHARS}); `isSecret` judges the keys found.
 */
export function scrubSecrets(text: string, maxChars: number, isSecret: (key: string, inQuery: boolean) => boolean): string {
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
  return new Scan(isSecret, body, suffix !== '', words).run() + suffix;
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

  /**
   * Finds the token (up to whitespace, a quote or an angle bracket) that
   * starts at `start` and its last `@` — once for a token and every URL or
   * `user:password@` nested in it, which keeps the pass linear.
   */
  #token(start: number): void {
    if (start >= this.#tokenStart && start < this.#tokenEnd) return;
    const text = this.#text;
    let end = start;
    while (end < text.length && !isUrlEnd(text.charCodeAt(end))) end++;
    let at = end - 1;
    while (at >= start && text.charCodeAt(at) !== AT) at--;
    this.#tokenStart = start;
    this.#tokenEnd = end;
    this.#tokenLastAt = at;
  }

  /** `scheme://user:password@host…`: the password is everything from the first `:` to the last `@` of the URL. */
  #url(colon: number): number {
    const text = this.#text;
    const n = text.length;
    const start = colon + 3;
    this.#token(start);
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
    this.#token(start);
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
