import { context as contextApi, type SpanContext } from '@opentelemetry/api';
import type { Carrier } from '../model/carrier.js';
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
  /**
   * A span this month is a child of (a scheduler's own trace): a carrier from
   * {@link getCarrier} or an OTel `SpanContext`. Without it the month is the
   * root of its own trace. A malformed one is ignored with one warning naming
   * the field; it never throws.
   */
  parent?: Carrier | SpanContext;
}

const MONTH_KEYS = ['context', 'parent'] as const;

/**
 * Runs `fn` as one month of the pipeline: a root span (its own trace) that
 * carries the month, the session and run ids and `options.context`. Stages
 * inside it become its children. With `options.parent` the month is that
 * span's child instead; in a process started with `carrierEnv()` it keeps its
 * own trace and links to the span that started the process. Returns what `fn` returns; errors are recorded and
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
  const remote = options?.parent === undefined ? undefined : session.remoteParent(options.parent, 'traceMonth()');
  const scope = session.openMonth(normalised, options?.context, contextApi.active(), remote);
  return runInScope<MonthHandle, T>(session, scope, new MonthHandleImpl(session, scope), fn);
}
