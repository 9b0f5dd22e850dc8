/**
 * Hand-rolled JSON pieces for the audit records. The record shapes are
 * fixed, so building the text directly is several times cheaper than a
 * generic `JSON.stringify` of a fresh object per record.
 */

// Characters that JSON must escape, plus lone surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what JSON escapes.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal. */
export function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** A JSON number; non-finite numbers become `null` as JSON has no such values. */
export function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** Any attribute value as JSON. */
export function attributeJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return num(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return value === undefined ? 'null' : (JSON.stringify(value) ?? 'null');
  }
}

/**
 * The `context` object of a record, from attributes whose keys start with
 * `prefix` (the prefix is removed) and whose value is not undefined. `{}`
 * when there are none.
 */
export function contextJson(attributes: Readonly<Record<string, unknown>> | undefined, prefix: string): string {
  if (attributes === undefined) return '{}';
  let out = '';
  const cut = prefix.length;
  for (const key in attributes) {
    const value = attributes[key];
    // Left out like JSON.stringify leaves out an undefined property.
    if (value === undefined || !key.startsWith(prefix)) continue;
    out += `${out === '' ? '' : ','}${quote(key.slice(cut))}:${attributeJson(value)}`;
  }
  return `{${out}}`;
}

let isoSecond = -1;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, with the part up to the second cached. */
export function isoTimestamp(epochMs: number): string {
  epochMs = Math.floor(epochMs);
  const second = Math.floor(epochMs / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    isoSecond = second;
  }
  const ms = epochMs - second * 1000;
  return `${isoPrefix}${ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : ms}Z`;
}

/**
 * A number rounded to one decimal, as JSON — the same text `String()` gives
 * for `Math.round(value * 10) / 10` (`109.2`, `17`, `-0.3`) — from integer
 * arithmetic: printing a double costs several times more, and every record
 * carries five of these.
 */
export function tenthsJson(value: number): string {
  const tenths = Math.round(value * 10);
  // Beyond 1e15 tenths the digits are no longer exact integers: let String() print them.
  if (!(tenths > -1e15 && tenths < 1e15)) return num(tenths / 10);
  const rest = tenths % 10;
  if (rest === 0) return String(tenths / 10);
  const whole = (tenths - rest) / 10;
  return `${tenths < 0 && whole === 0 ? '-' : ''}${whole}.${rest < 0 ? -rest : rest}`;
}

/** The decimal part `String()` prints for a whole number of milliseconds in seconds: `''`, `.5`, `.05`, `.123`. */
const MS_FRACTION = Array.from({ length: 1000 }, (_, ms) => (ms === 0 ? '' : `.${String(ms).padStart(3, '0').replace(/0+$/, '')}`));

/**
 * Whole milliseconds as seconds in JSON, the same text as `String(ms / 1000)`
 * (`1730736125.55`, `3`, `-0.25`), by integer arithmetic.
 */
export function wholeMillisecondsAsSecondsJson(ms: number): string {
  if (!(ms > -1e15 && ms < 1e15) || !Number.isInteger(ms)) return num(ms / 1000);
  const abs = ms < 0 ? -ms : ms;
  const rest = abs % 1000;
  return `${ms < 0 ? '-' : ''}${(abs - rest) / 1000}${MS_FRACTION[rest]}`;
}

/**
 * Seconds as JSON with the same text `String()` gives (`0.000347`, `1.5`,
 * `3`), by integer arithmetic when they are a whole number of microseconds —
 * every duration the clock gives — and by `String()` itself otherwise.
 * Printing a double costs about four times more.
 */
export function secondsJson(seconds: number): string {
  const us = Math.round(seconds * 1e6);
  // Exactly us / 1e6, or the digits of us would not be the digits of seconds.
  if (us / 1e6 !== seconds || !(us > -1e15 && us < 1e15)) return num(seconds);
  const abs = us < 0 ? -us : us;
  let rest = abs % 1e6;
  const whole = (abs - rest) / 1e6;
  const sign = us < 0 ? '-' : '';
  if (rest === 0) return `${sign}${whole}`;
  let width = 6;
  while (rest % 10 === 0) {
    rest /= 10;
    width--;
  }
  let digits = `${rest}`;
  while (digits.length < width) digits = `0${digits}`;
  return `${sign}${whole}.${digits}`;
}

// Characters JSON.stringify leaves raw that some readers take for a line break or a terminal control.
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029]/;
const RAW_IN_JSON_ALL = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * JSON text safe to put on one line of a human-read file: DEL, C1 controls
 * and the Unicode line and paragraph separators as `\uXXXX` escapes. They
 * occur only inside strings, so the text parses to the same value.
 */
export function jsonForLine(json: string): string {
  return RAW_IN_JSON.test(json) ? json.replace(RAW_IN_JSON_ALL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}
