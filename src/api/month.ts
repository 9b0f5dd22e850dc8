import type { StageContext } from '../model/context-attributes.js';
import { describeValue } from '../model/levels.js';
import { toMonthString } from '../model/month-format.js';
import { getRuntime } from '../session/session.js';
import type { MonthHandle } from './handles.js';
import { runInScope } from './run-in-scope.js';

/** Options of {@link traceMonth}. */
export interface MonthOptions {
  /** Caller context, recorded as span attributes and in the audit records. */
  context?: StageContext;
}

/**
 * Runs `fn` as one month of the pipeline: a root span (its own trace) that
 * carries the month, the session id and `options.context`. Stages inside it
 * become its children. Returns what `fn` returns; errors are recorded and
 * rethrown unchanged.
 *
 * @param month `'YYYY-MM'` or a Date (read in UTC); anything else throws a TypeError before any span starts.
 */
export function traceMonth<T>(month: string | Date, fn: (month: MonthHandle) => T, options?: MonthOptions): T {
  const normalised = toMonthString(month);
  if (typeof fn !== 'function') {
    throw new TypeError(`stagetrace: traceMonth(month, fn) expects fn to be a function; got ${describeValue(fn)}.`);
  }
  const scope = getRuntime().openMonth(normalised, options?.context);
  return runInScope<MonthHandle, T>(scope, fn);
}
