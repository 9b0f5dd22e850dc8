import type { Attributes } from '@opentelemetry/api';
import { CONSOLE_LEVELS, type ConsoleLevel } from '../model/console-level.js';
import { describeValue } from '../model/describe-value.js';
import { LEVELS, type LogLevel, levelOf } from '../model/levels.js';
import { describeUrlValue, InvalidValue, isPlainObject } from './config-error.js';

/**
 * How one option is checked and converted: from a value given in code, and
 * from the text of its environment variable. `In` is what the option type
 * accepts (`StagetraceOptions` is generated from the table with `tsType`), `Out` what
 * the resolved configuration holds.
 */
export interface OptionKind<In, Out> {
  /** What a valid value looks like, in the README's words and the errors'. */
  readonly expected: string;
  /** Converts a value given in code (never `undefined`); throws {@link InvalidValue}. */
  fromOption(value: unknown): Out;
  /** Converts a variable's text (trimmed, never blank); throws {@link InvalidValue}. */
  fromVariable(text: string): Out;
  /** For numbers: the bounds `fromOption` and `fromVariable` enforce. */
  readonly range?: Readonly<NumberBounds>;
  /** The TypeScript type a user writes for it, as `StagetraceOptions` declares it (generated from the table). */
  readonly tsType: string;
  /** Type-level only: what the option type accepts. */
  readonly input?: In;
}

/** 2³¹−1: Node.js runs a timer with a longer delay after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Parses a number the way `Number()` does, refusing the blank string it reads as 0. */
function numberFromText(text: string, expected: string): number {
  const n = Number(text);
  if (Number.isNaN(n)) throw new InvalidValue(expected, describeValue(text));
  return n;
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A list with a bad item, shown by that item. */
function holding(item: unknown): string {
  return `a list holding ${describeValue(item)}`;
}

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

export function flag(): OptionKind<boolean, boolean> {
  const expected = 'true or false';
  return {
    expected,
    tsType: 'boolean',
    fromOption(value) {
      if (typeof value === 'boolean') return value;
      throw new InvalidValue(`${expected} (a boolean)`, describeValue(value));
    },
    fromVariable(text) {
      const lower = text.toLowerCase();
      if (TRUE_WORDS.includes(lower)) return true;
      if (FALSE_WORDS.includes(lower)) return false;
      throw new InvalidValue(`${expected} (also 1/0, yes/no, on/off)`, describeValue(text));
    },
  };
}

export interface NumberBounds {
  /** Smallest value allowed; or, with `exclusive`, the value it must be greater than. */
  min: number;
  exclusive?: boolean;
  max: number;
  /** Whole numbers only. */
  integer: boolean;
  /** What the number is, when more telling than "an integer": `a TCP port`. */
  noun?: string;
  /** The unit, said after the range: `milliseconds`, `bytes`, `MB`. */
  unit?: string;
  /** Why the bounds are what they are, said in errors only. */
  why?: string;
}

/** A finite number within `[min, max]`. Out of bounds is a RangeError; not a number (or not whole) a TypeError. */
export function numberIn(bounds: NumberBounds): OptionKind<number, number> {
  const { min, exclusive = false, max, integer, noun, unit, why } = bounds;
  const a = noun ?? (integer ? 'an integer' : 'a number');
  const range = exclusive ? `${a} greater than ${min} and at most ${max}` : `${a} from ${min} to ${max}`;
  const expected = `${range}${unit ? ` (${unit})` : ''}`;
  const explained = why ? `${expected}, ${why}` : expected;
  const check = (n: unknown, shown: string): number => {
    if (typeof n !== 'number' || Number.isNaN(n)) throw new InvalidValue(explained, shown);
    if (!((exclusive ? n > min : n >= min) && n <= max)) throw new InvalidValue(explained, shown, 'range');
    if (integer && !Number.isInteger(n)) throw new InvalidValue(explained, shown);
    return n;
  };
  return {
    expected,
    tsType: 'number',
    range: bounds,
    fromOption: (value) => check(value, describeValue(value)),
    fromVariable: (text) => check(numberFromText(text, explained), describeValue(text)),
  };
}

/** Milliseconds for a timer: 1 (or `min`) to 2³¹−1. */
export function milliseconds(min = 1): OptionKind<number, number> {
  return numberIn({
    min,
    max: MAX_TIMER_MS,
    integer: true,
    unit: 'milliseconds',
    why: 'the longest delay a Node.js timer keeps (about 24.8 days; longer ones fire after 1 ms)',
  });
}

/** One of a few words. `aliases` map other spellings to a word. */
export function oneOf<const W extends string>(
  words: readonly W[],
  { ignoreCase = false, aliases = {}, note }: { ignoreCase?: boolean; aliases?: Record<string, W>; note?: string } = {},
): OptionKind<W, W> {
  const listed = words.map((w) => `'${w}'`);
  const expected = `${listed.length > 2 ? `one of ${listed.join(', ')}` : listed.join(' or ')}${note ? ` ${note}` : ''}`;
  const parse = (value: unknown): W => {
    if (typeof value === 'string') {
      const key = ignoreCase ? value.toUpperCase() : value;
      const found =
        words.find((w) => (ignoreCase ? w.toUpperCase() : w) === key) ?? (Object.hasOwn(aliases, key) ? aliases[key] : undefined);
      if (found !== undefined) return found;
    }
    throw new InvalidValue(expected, describeValue(value));
  };
  return { expected, tsType: words.map((w) => `'${w}'`).join(' | '), fromOption: parse, fromVariable: parse };
}

/** A level name, any case; `WARN` means `WARNING` (parsed by the one level parser, {@link levelOf}). */
export function level(): OptionKind<LogLevel | Lowercase<LogLevel>, LogLevel> {
  const expected = `one of ${LEVELS.map((w) => `'${w}'`).join(', ')} (any case)`;
  const parse = (value: unknown): LogLevel => {
    const found = levelOf(value);
    if (found === undefined) throw new InvalidValue(expected, describeValue(value));
    return found;
  };
  return { expected, tsType: 'LogLevel | Lowercase<LogLevel>', fromOption: parse, fromVariable: parse };
}

/** A console level: a log level or `STAGES`, any case; `WARN` means `WARNING`. */
export function consoleLevel(): OptionKind<ConsoleLevel | Lowercase<ConsoleLevel>, ConsoleLevel> {
  const kind = oneOf(CONSOLE_LEVELS, { ignoreCase: true, aliases: { WARN: 'WARNING' }, note: '(any case)' });
  return { ...kind, tsType: 'ConsoleLevel | Lowercase<ConsoleLevel>' } as OptionKind<ConsoleLevel | Lowercase<ConsoleLevel>, ConsoleLevel>;
}

/** A non-empty string without control characters, optionally of a given shape (checked by `accepts`, which must be linear). */
export function text({
  expected = 'a non-empty string without control characters',
  maxLength = 1024,
  accepts,
}: {
  expected?: string;
  maxLength?: number;
  accepts?: (value: string) => boolean;
} = {}): OptionKind<string, string> {
  const parse = (value: unknown): string => {
    if (
      typeof value !== 'string' ||
      value.trim() === '' ||
      value.length > maxLength ||
      hasControlCharacter(value) ||
      (accepts && !accepts(value))
    ) {
      throw new InvalidValue(expected, describeValue(value));
    }
    return value;
  };
  return { expected, tsType: 'string', fromOption: parse, fromVariable: parse };
}

/** A folder path, or `false` (variable: `false`, `off`, `none`) for none. */
export function folderOrOff(): OptionKind<string | false, string | undefined> {
  const expected = 'a folder path, or false to write no files';
  const path = (value: unknown): string => {
    // A NUL would make every file call throw later, from deep inside fs.
    if (typeof value !== 'string' || value.trim() === '' || value.includes('\0')) throw new InvalidValue(expected, describeValue(value));
    return value;
  };
  return {
    expected,
    tsType: 'string | false',
    fromOption: (value) => (value === false ? undefined : path(value)),
    fromVariable: (value) => (['false', 'off', 'none'].includes(value.toLowerCase()) ? undefined : path(value)),
  };
}

/** A list of short non-empty strings; a variable holds it comma-separated. */
export function stringList({ maxItems, maxLength }: { maxItems: number; maxLength: number }): OptionKind<string[], string[]> {
  const expected = `an array of up to ${maxItems} non-empty strings of at most ${maxLength} characters, without control characters`;
  const check = (items: unknown, shown: string): string[] => {
    if (!Array.isArray(items) || items.length > maxItems) throw new InvalidValue(expected, shown);
    for (const item of items) {
      if (typeof item !== 'string' || item === '' || item.length > maxLength || hasControlCharacter(item)) {
        throw new InvalidValue(expected, holding(item));
      }
    }
    return [...items];
  };
  return {
    expected,
    tsType: 'string[]',
    fromOption: (value) => check(value, describeValue(value)),
    fromVariable: (value) =>
      check(
        value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        describeValue(value),
      ),
  };
}

/** `true` for all groups, `false` for none, or a list of groups (a variable: `all`, `none`, or a comma list). */
export function groupsOrAll<const G extends string>(groups: readonly G[]): OptionKind<boolean | string[], G[] | false> {
  const expected = `true, false, or a list of ${groups.join(', ')}`;
  const pick = (items: unknown, shown: string): G[] => {
    if (!Array.isArray(items)) throw new InvalidValue(expected, shown);
    const unknown = items.find((g) => !groups.includes(g));
    if (unknown !== undefined) throw new InvalidValue(expected, holding(unknown));
    if (items.length > groups.length * 4) throw new InvalidValue(expected, `a list of ${items.length} items`);
    return [...new Set(items as G[])];
  };
  return {
    expected,
    tsType: 'boolean | string[]',
    fromOption: (value) => {
      if (value === true) return [...groups];
      if (value === false) return false;
      return pick(value, describeValue(value));
    },
    fromVariable: (value) => {
      const lower = value.toLowerCase();
      if (['true', '1', 'on', 'all'].includes(lower)) return [...groups];
      if (['false', '0', 'off', 'none'].includes(lower)) return false;
      return pick(
        value.split(',').map((s) => s.trim()),
        describeValue(value),
      );
    },
  };
}

/** An absolute http:// or https:// URL; credentials in it are never echoed. */
export function httpUrl(): OptionKind<string, URL> {
  const expected = 'an absolute http:// or https:// URL';
  const parse = (value: unknown): URL => {
    let url: URL | undefined;
    try {
      url = typeof value === 'string' ? new URL(value) : undefined;
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new InvalidValue(expected, describeUrlValue(value));
    }
    return url;
  };
  return { expected, tsType: 'string', fromOption: parse, fromVariable: parse };
}

/** Like {@link httpUrl}, for a URL that is a secret as a whole (a webhook's path holds its token): never echoed. */
export function secretHttpUrl(): OptionKind<string, string> {
  const url = httpUrl();
  const parse = (value: unknown): string => {
    try {
      return url.fromOption(value).href;
    } catch {
      throw new InvalidValue(url.expected, 'a value not shown here, because webhook URLs carry a secret');
    }
  };
  return { expected: url.expected, tsType: 'string', fromOption: parse, fromVariable: parse };
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** True when Node.js would send this header value (no line breaks or other control characters). */
function sendableHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || (c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

const NOT_SHOWN = 'a value not shown here, because header values usually carry credentials';

/**
 * Extra request headers. Values are secrets: an error names the header,
 * never its value. A variable holds `key=value` pairs, comma-separated.
 */
export function headers(): OptionKind<Record<string, string>, Record<string, string>> {
  const expected = 'an object of header names to string values without line breaks';
  return {
    expected,
    tsType: 'Record<string, string>',
    fromOption(value) {
      if (!isPlainObject(value)) throw new InvalidValue(expected, describeValue(value));
      const entries = Object.entries(value);
      for (const [name, v] of entries) {
        if (!HEADER_NAME.test(name))
          throw new InvalidValue("an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)", describeValue(name));
        if (typeof v !== 'string' || !sendableHeaderValue(v)) {
          throw new InvalidValue(
            'a string without line breaks or control characters',
            typeof v === 'string' ? NOT_SHOWN : describeValue(v),
            'type',
            name,
          );
        }
      }
      // fromEntries: a `__proto__` key stays a plain key.
      return Object.fromEntries(entries) as Record<string, string>;
    },
    fromVariable(value) {
      const entries = value.split(',').map((pair) => {
        const eq = pair.indexOf('=');
        const name = eq === -1 ? '' : pair.slice(0, eq).trim();
        if (!HEADER_NAME.test(name)) {
          throw new InvalidValue(
            'comma-separated key=value pairs, e.g. authorization=Bearer%20xyz',
            `${NOT_SHOWN} (a pair is not key=value)`,
          );
        }
        return [name, pair.slice(eq + 1).trim()] as const;
      });
      return Object.fromEntries(entries);
    },
  };
}

/** Longest slow-stage threshold: the timer limit, in seconds. */
export const MAX_THRESHOLD_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** Seconds per stage name: an object, or `name=seconds` pairs in a variable. */
export function secondsPerStage(): OptionKind<Record<string, number>, Map<string, number>> {
  const seconds = numberIn({ min: 0, exclusive: true, max: MAX_THRESHOLD_SECONDS, integer: false, unit: 'seconds' });
  const expected = `an object of seconds (greater than 0, at most ${MAX_THRESHOLD_SECONDS}) per stage name, e.g. { download: 300, default: 600 }`;
  /** One stage's seconds; `pair` is the `stage=seconds` text a variable held, shown as written. */
  const each = (stage: string, value: unknown, pair?: string): number => {
    try {
      return pair !== undefined && typeof value === 'string' ? seconds.fromVariable(value) : seconds.fromOption(value);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      const what = `a number of seconds greater than 0 and at most ${MAX_THRESHOLD_SECONDS}${pair !== undefined ? ' (write stage=seconds pairs)' : ''}`;
      throw new InvalidValue(what, pair !== undefined ? describeValue(pair) : error.shown, error.problem, stage || '?');
    }
  };
  return {
    expected,
    tsType: 'Record<string, number>',
    fromOption(value) {
      if (!isPlainObject(value)) throw new InvalidValue(expected, describeValue(value));
      const map = new Map<string, number>();
      for (const [stage, s] of Object.entries(value)) map.set(stage, each(stage, s));
      return map;
    },
    fromVariable(value) {
      const map = new Map<string, number>();
      for (const raw of value.split(',')) {
        const pair = raw.trim();
        const eq = pair.indexOf('=');
        const stage = eq === -1 ? pair : pair.slice(0, eq).trim();
        const s = eq === -1 ? '' : pair.slice(eq + 1).trim();
        if (stage === '' || s === '') {
          throw new InvalidValue(
            `a number of seconds greater than 0 and at most ${MAX_THRESHOLD_SECONDS} (write stage=seconds pairs)`,
            describeValue(pair),
            'type',
            stage || '?',
          );
        }
        map.set(stage, each(stage, s, pair));
      }
      return map;
    },
  };
}

type AttributeValue =
  | string
  | number
  | boolean
  | Array<null | undefined | string>
  | Array<null | undefined | number>
  | Array<null | undefined | boolean>;

function isAttributeValue(value: unknown): boolean {
  const t = typeof value;
  if (t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(value))) return true;
  if (!Array.isArray(value)) return false;
  let kind: string | undefined;
  for (const item of value) {
    if (item === null || item === undefined) continue;
    const k = typeof item;
    if (k !== 'string' && k !== 'number' && k !== 'boolean') return false;
    if (kind !== undefined && k !== kind) return false;
    kind = k;
  }
  return true;
}

/** Resource attributes: a plain object of strings, finite numbers, booleans or arrays of one of those. */
export function attributes(): OptionKind<Attributes, Record<string, AttributeValue>> {
  const expected = 'an object of attribute values (strings, finite numbers, booleans, or arrays of one of those)';
  const parse = (value: unknown): Record<string, AttributeValue> => {
    if (!isPlainObject(value)) throw new InvalidValue(expected, describeValue(value));
    const entries: [string, AttributeValue][] = [];
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (key === '' || !isAttributeValue(v)) {
        throw new InvalidValue('a string, finite number, boolean, or an array of one of those', describeValue(v), 'type', key || '""');
      }
      entries.push([key, Array.isArray(v) ? [...v] : (v as AttributeValue)]);
    }
    // fromEntries: a `__proto__` key stays a plain key.
    return Object.fromEntries(entries);
  };
  return {
    expected,
    tsType: 'Attributes',
    fromOption: parse,
    // The SDK reads OTEL_RESOURCE_ATTRIBUTES itself; this kind never sees a variable.
    fromVariable: () => ({}),
  };
}
