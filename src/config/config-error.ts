import { describeValue } from '../model/describe-value.js';

/**
 * Errors for bad options. Every one says, once and in one sentence, where
 * the value came from (option or variable), what was given, what is allowed
 * and what to do; values that may hold credentials are never echoed.
 */

/** Where a value came from: an option in code, or the variable standing in for it. */
export interface ValueSource {
  /** Dotted option name, e.g. `memory.intervalMs`. */
  readonly option: string;
  /** Set when the value came from this environment variable. */
  readonly variable?: string | undefined;
}

/** `option memory.intervalMs`, or `STAGETRACE_MEMORY_INTERVAL_MS (option memory.intervalMs)`. */
export function describeSource({ option, variable }: ValueSource): string {
  return variable ? `${variable} (option ${option})` : `option ${option}`;
}

/**
 * What a check found wrong, before it is known where the value came from.
 * Thrown by the option kinds and caught by the reader, which adds the source;
 * it never reaches user code.
 */
export class InvalidValue {
  constructor(
    /** What is allowed, e.g. `an integer from 1 to 1000`. */
    readonly expected: string,
    /** The value as the error shows it (already made safe). */
    readonly shown: string,
    /** `range` for a number outside its bounds (a RangeError); `type` for anything else. */
    readonly problem: 'type' | 'range' = 'type',
    /** A key below the option, e.g. `download` in `stageThresholds.download`. */
    readonly key?: string,
  ) {}
}

/** Builds the single error `resolveConfig` throws for a bad value. */
export function configError(source: ValueSource, invalid: InvalidValue, defaultText: string | undefined): TypeError | RangeError {
  const at: ValueSource = invalid.key === undefined ? source : { ...source, option: `${source.option}.${invalid.key}` };
  const where = describeSource(at);
  const todo = source.variable
    ? `Correct or unset ${source.variable}${defaultText ? ` to use the default (${defaultText})` : ''}.`
    : `Correct it, or leave ${source.option} out${defaultText ? ` to use the default (${defaultText})` : ''}.`;
  const message = `stagetrace: ${where} must be ${invalid.expected}; got ${invalid.shown}. ${todo}`;
  return invalid.problem === 'range' ? new RangeError(message) : new TypeError(message);
}

/** An error about options as a whole (not one value): the text after the `stagetrace:` prefix. */
export function optionsError(text: string): TypeError {
  return new TypeError(`stagetrace: ${text}`);
}

/**
 * A URL-like value with its credentials hidden: the user information of
 * `https://user:password@host/` (up to the last `@`, since passwords may hold
 * `@` or `/`) and everything after `?` or `#`. A plain scan, no pattern, so
 * any length is linear.
 */
export function describeUrlValue(value: unknown): string {
  if (typeof value !== 'string') return describeValue(value);
  let text = value;
  const cut = [text.indexOf('?'), text.indexOf('#')].filter((i) => i !== -1);
  if (cut.length > 0) {
    const at = Math.min(...cut);
    text = `${text.slice(0, at)}${text[at]}…`;
  }
  const scheme = text.indexOf('://');
  const authorityStart = scheme === -1 ? 0 : scheme + 3;
  const at = text.lastIndexOf('@');
  if (at >= authorityStart) text = `${text.slice(0, authorityStart)}***${text.slice(at)}`;
  return describeValue(text);
}

/** True for `{}` and `Object.create(null)` (from any realm), false for arrays, class instances, Maps, Dates… */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}
