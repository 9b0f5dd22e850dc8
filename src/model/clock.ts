/**
 * The one clock of every start and end: epoch milliseconds with the
 * sub-millisecond precision of `performance.now()`.
 *
 * Why not `Date.now()`: it is whole milliseconds, so a 300 µs stage would
 * last 0 or 1 ms, and a child that starts on a rounded-down millisecond can
 * appear to end after its parent. Both ends of a span and every duration
 * come from here, so parents always enclose their children.
 */
/** Read on the first reading, not at import: touching `performance` loads Node's perf_hooks. */
let originMs: number | undefined;

export function epochNowMs(): number {
  originMs ??= performance.timeOrigin;
  return originMs + performance.now();
}

/** Seconds between two clock readings, rounded to the microsecond. */
export function secondsBetween(startMs: number, endMs: number): number {
  return Math.round((endMs - startMs) * 1000) / 1e6;
}
