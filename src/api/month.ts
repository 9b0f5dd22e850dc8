import { context as contextApi } from '@opentelemetry/api';
import type { StageContext } from '../model/context-attributes.js';
import { describeValue } from '../model/describe-value.js';
import { toMonthString } from '../model/month-format.js';
import { checkKeys, type MonthHandle, MonthHandleImpl } from './handles.js';
import { runInScope } from './run-in-scope.js';
import { scopeSession } from './scope-session.js';

/** Options of {@link traceMonth}. */
export interface MonthOptions {
  /** Caller context, recorded as span attributes and in the audit records. */
  context?: StageContext;
}

const MONTH_KEYS = ['context'] as const;

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
  checkKeys(options, MONTH_KEYS, 'traceMonth()');
  const session = scopeSession('traceMonth');
  const scope = session.openMonth(normalised, options?.context, contextApi.active());
  return runInScope<MonthHandle, T>(session, scope, new MonthHandleImpl(session, scope), fn);
}
