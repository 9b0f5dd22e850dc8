import { describeValue } from './describe-value.js';

/**
 * The Python logger's five levels. Their numbers order them for the minimum-level
 * filter and index per-level counters without a Map lookup.
 */
export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LEVELS)[number];

export const LEVEL_RANK: Readonly<Record<LogLevel, number>> = {
  DEBUG: 0,
  INFO: 1,
  WARNING: 2,
  ERROR: 3,
  CRITICAL: 4,
};

/** Whether a value is exactly one of our level names. Own keys only: `in` would accept `toString` and the other prototype names an untrusted file can hold. */
export function isLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(LEVEL_RANK, value);
}

/** The level a name means, any case, `WARN` for `WARNING`; undefined for anything else. The one level parser. */
export function levelOf(value: unknown): LogLevel | undefined {
  if (typeof value !== 'string') return undefined;
  const upper = value.toUpperCase();
  if (isLevel(upper)) return upper;
  return upper === 'WARN' ? 'WARNING' : undefined;
}

/** {@link levelOf}, or a TypeError naming the option and the levels. */
export function parseLevel(value: unknown, optionName: string): LogLevel {
  const level = levelOf(value);
  if (level !== undefined) return level;
  throw new TypeError(`stagetrace: ${optionName} must be one of ${LEVELS.join(', ')}; got ${describeValue(value)}.`);
}
