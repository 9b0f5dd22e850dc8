import { type Context, context as contextApi, type SpanContext } from '@opentelemetry/api';
import type { Carrier } from '../model/carrier.js';
import type { StageContext } from '../model/context-attributes.js';
import { describeValue } from '../model/describe-value.js';
import { remoteParentContext } from '../session/open-scope.js';
import type { Session } from '../session/session.js';
import { checkKeys, type StageHandle, StageHandleImpl } from './handles.js';
import { runInScope } from './run-in-scope.js';
import { scopeSession } from './scope-session.js';

/** Options of {@link traceStage} and {@link startStage}. */
export interface StageOptions {
  /** Caller context, recorded as span attributes and in the audit records. */
  context?: StageContext;
  /** Seconds after which this call counts as slow; overrides `stageThresholds`. */
  warnAfterSeconds?: number;
  /**
   * The span this stage is a child of, wherever it runs: a carrier from
   * {@link getCarrier} (in job data, a message) or an OTel `SpanContext`. The
   * stage counts in the carrier's month. A malformed one is ignored with one
   * warning naming the field; it never throws.
   */
  parent?: Carrier | SpanContext;
}

const MAX_STAGE_NAME = 200;
const STAGE_KEYS = ['context', 'warnAfterSeconds', 'parent'] as const;

function checkName(name: unknown, fn: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_STAGE_NAME) {
    throw new TypeError(
      `stagetrace: ${fn}(name) expects a non-empty stage name of at most ${MAX_STAGE_NAME} characters, such as 'download'; got ${describeValue(name)}.`,
    );
  }
}

function checkOptions(options: StageOptions | undefined, fn: string): number | undefined {
  if (options === undefined) return undefined;
  checkKeys(options, STAGE_KEYS, `${fn}()`);
  const seconds = options.warnAfterSeconds;
  if (seconds === undefined) return undefined;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new TypeError(
      `stagetrace: ${fn} option warnAfterSeconds must be a number of seconds greater than 0; got ${describeValue(seconds)}.`,
    );
  }
  return seconds;
}

/** The context a stage opens in: the active one, or its `parent` option's. */
function stageContext(session: Session, options: StageOptions | undefined, fn: string): Context {
  const active = contextApi.active();
  if (options?.parent === undefined) return active;
  const remote = session.remoteParent(options.parent, fn);
  return remote === undefined ? active : remoteParentContext(active, remote);
}

/**
 * Runs `fn` as a stage: a child span of the active month (or of the active
 * stage, for nested stages) with duration, outcome and memory. Returns what
 * `fn` returns — synchronously for a sync `fn`, as a Promise for an async one.
 * If `fn` throws or rejects, the span is marked ERROR with the exception and
 * the error is rethrown unchanged.
 *
 * Outside any month, the stage is a root span of its own trace and is
 * counted in the stage statistics without a month — unless `options.parent`
 * names a span (a carrier from another process), or this process was started
 * with `carrierEnv()`: then it is that span's child.
 *
 * @example
 * const rows = await traceStage('download', () => download(key), { context: { file_key: key } });
 */
export function traceStage<T>(name: string, fn: (stage: StageHandle) => T, options?: StageOptions): T {
  checkName(name, 'traceStage');
  if (typeof fn !== 'function') {
    throw new TypeError(`stagetrace: traceStage(name, fn) expects fn to be a function; got ${describeValue(fn)}.`);
  }
  const thresholdS = checkOptions(options, 'traceStage');
  const session = scopeSession('traceStage');
  const scope = session.openStage(name, options?.context, thresholdS, stageContext(session, options, 'traceStage()'));
  return runInScope<StageHandle, T>(session, scope, new StageHandleImpl(session, scope), fn);
}

/**
 * Starts a stage for code that cannot be wrapped in a function; end it with
 * `handle.end()`. The stage is a child of whatever month or stage is active
 * where `startStage` is called, and `handle.run(fn)` runs code inside it.
 */
export function startStage(name: string, options?: StageOptions): StageHandle {
  checkName(name, 'startStage');
  const thresholdS = checkOptions(options, 'startStage');
  const session = scopeSession('startStage');
  const scope = session.openStage(name, options?.context, thresholdS, stageContext(session, options, 'startStage()'), true);
  return new StageHandleImpl(session, scope);
}
