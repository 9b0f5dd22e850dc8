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
 * `prefix` (the prefix is removed). `{}` when there are none.
 */
export function contextJson(attributes: Readonly<Record<string, unknown>> | undefined, prefix: string): string {
  if (attributes === undefined) return '{}';
  let out = '';
  const cut = prefix.length;
  for (const key in attributes) {
    if (!key.startsWith(prefix)) continue;
    out += `${out === '' ? '' : ','}${quote(key.slice(cut))}:${attributeJson(attributes[key])}`;
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
 * (`109.2`, `17`, `-0.3`) — from integer arithmetic: printing a double costs
 * several times more, and every record carries five of these.
 */
export function tenthsJson(value: number): string {
  if (!Number.isFinite(value) || Math.abs(value) >= 1e14) return num(value);
  const tenths = Math.round(value * 10);
  const rest = tenths % 10;
  if (rest === 0) return String(tenths / 10);
  const whole = (tenths - rest) / 10;
  return `${tenths < 0 && whole === 0 ? '-' : ''}${whole}.${rest < 0 ? -rest : rest}`;
}

/**
 * Seconds that are whole milliseconds (durations measured with `Date.now()`),
 * as JSON with the same text `String()` gives (`0.012`, `1.5`, `3`).
 */
export function millisecondsJson(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (!Number.isFinite(seconds) || Math.abs(seconds * 1000 - ms) > 1e-6 || Math.abs(ms) >= 1e15) return num(seconds);
  const rest = ms % 1000;
  if (rest === 0) return String(ms / 1000);
  const whole = (ms - rest) / 1000;
  const r = rest < 0 ? -rest : rest;
  let digits = r < 10 ? `00${r}` : r < 100 ? `0${r}` : `${r}`;
  if (digits.endsWith('00')) digits = digits.slice(0, 1);
  else if (digits.endsWith('0')) digits = digits.slice(0, 2);
  return `${ms < 0 && whole === 0 ? '-' : ''}${whole}.${digits}`;
}
