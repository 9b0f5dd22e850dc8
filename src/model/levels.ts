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

/** Accepts the canonical names case-insensitively, plus `WARN` as an alias. */
export function parseLevel(value: unknown, optionName: string): LogLevel {
  if (typeof value === 'string') {
    const upper = value.toUpperCase();
    if (upper in LEVEL_RANK) return upper as LogLevel;
    if (upper === 'WARN') return 'WARNING';
  }
  throw new TypeError(`stagetrace: ${optionName} must be one of ${LEVELS.join(', ')}; got ${describeValue(value)}.`);
}

/** A short, safe rendering of a bad value for error messages. */
export function describeValue(value: unknown): string {
  try {
    return describeUnsafe(value);
  } catch {
    // A revoked proxy throws on instanceof and Array.isArray.
    return `a value of type ${typeof value}`;
  }
}

function describeUnsafe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()})`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a value of type ${typeof value}`;
}
