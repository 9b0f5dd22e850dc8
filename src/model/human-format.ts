/**
 * The Python logger's human-readable line: `[2025-11-04 13:42:05.552] [INFO] [download] Starting download`.
 * Local time, as the Python logger wrote it. The second-resolution prefix is cached:
 * a busy pipeline formats thousands of lines per second.
 */
let cachedSecond = -1;
let cachedPrefix = '';

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

export function formatLocalTimestamp(epochMs: number): string {
  epochMs = Math.floor(epochMs);
  const second = Math.floor(epochMs / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedPrefix = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.`;
    cachedSecond = second;
  }
  const ms = epochMs - second * 1000;
  return cachedPrefix + (ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : `${ms}`);
}

// What a line cannot hold as it is: C0 controls, DEL, C1 controls, the Unicode
// line and paragraph separators, lone surrogates (a file would get U+FFFD for
// them) and the backslash that starts an escape. The test is the quick check;
// it also matches paired surrogates, which the replacement leaves alone.
// biome-ignore-start lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\\ud800-\udfff]/;
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// The same, and the bracket that closes a `[stage]` field.
const LABEL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\\]\ud800-\udfff]/;
const LABEL_UNSAFE_ALL =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\\]]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: matching control characters is the point.

function escapeChar(ch: string): string {
  switch (ch) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\\':
      return '\\\\';
    case ']':
      return '\\]';
    default:
      return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
}

/**
 * Escapes newlines, control characters and lone surrogates (`\n`, `\u001b`,
 * `\ud800`) and doubles backslashes, so one message is always one line, a
 * message cannot forge a log line or move the terminal cursor, and the
 * line reads back to exactly the message.
 */
export function escapeForLine(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escapeChar) : text;
}

/** {@link escapeForLine} for the `[stage]` field, which also escapes `]` (`\]`): the field ends at the first bare `]`. */
export function escapeLabel(text: string): string {
  return LABEL_UNSAFE.test(text) ? text.replace(LABEL_UNSAFE_ALL, escapeChar) : text;
}

/** One complete human line, newline included. `stage` may be undefined. */
export function formatHumanLine(epochMs: number, tag: string, stage: string | undefined, message: string): string {
  const ts = formatLocalTimestamp(epochMs);
  return stage === undefined
    ? `[${ts}] [${tag}] ${escapeForLine(message)}\n`
    : `[${ts}] [${tag}] [${escapeLabel(stage)}] ${escapeForLine(message)}\n`;
}

/**
 * Seconds for humans: `0.13`, `12.4`, `3725.0`. Integer arithmetic, as
 * `toFixed` costs several times more and this runs for every stage.
 */
export function formatSeconds(seconds: number): string {
  if (!(seconds >= 0 && seconds < 1e9)) return String(seconds);
  if (seconds < 10) {
    const hundredths = Math.round(seconds * 100);
    const rest = hundredths % 100;
    return `${(hundredths - rest) / 100}.${rest < 10 ? `0${rest}` : rest}`;
  }
  return formatTenths(seconds);
}

/** One decimal place (`109.2`, `3.0`) without `toFixed`. */
export function formatTenths(value: number): string {
  if (!(value >= 0 && value < 1e12)) return value.toFixed(1);
  const tenths = Math.round(value * 10);
  const rest = tenths % 10;
  return `${(tenths - rest) / 10}.${rest}`;
}
