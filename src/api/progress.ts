import { context as contextApi } from '@opentelemetry/api';
import { EVENT_ATTR_LEVEL, EVENT_ATTR_MESSAGE, EVENT_LOG } from '../model/attribute-names.js';
import type { StageContext } from '../model/context-attributes.js';
import { stackWithCauses, toErrorInfo } from '../model/error-info.js';
import { describeValue, LEVEL_RANK, type LogLevel, parseLevel } from '../model/levels.js';
import { activeScope, type Scope } from '../session/scope.js';
import type { Runtime } from '../session/session.js';
import { getRuntime } from '../session/session.js';
import type { HandleLogOptions } from './handles.js';

/** Options of {@link logProgress}; the seed's `log_progress` arguments in TypeScript style. */
export interface LogProgressOptions {
  /** DEBUG, INFO (default), WARNING, ERROR or CRITICAL; lower case is accepted. */
  level?: LogLevel | Lowercase<LogLevel>;
  /** Context for this message (flattened like stage context). */
  context?: StageContext;
  /** An error to record: its type, message, stack and cause chain go to the error log and the span. */
  error?: unknown;
  /** The stage this message is about. With `stageEvent`, starts or ends that stage. */
  stage?: string;
  /** `'start'` starts stage `stage` as `startStage` does; `'end'` ends the latest one of that name. */
  stageEvent?: 'start' | 'end';
}

function levelOf(level: unknown): LogLevel {
  if (level === undefined) return 'INFO';
  // Own keys only: `in` would accept 'toString' and other prototype names.
  if (typeof level === 'string' && Object.hasOwn(LEVEL_RANK, level)) return level as LogLevel;
  return parseLevel(level, 'logProgress option level');
}

/** Writes one message against `scope` (or none). Shared by `logProgress` and handles. */
export function logWithin(
  rt: Runtime,
  scope: Scope | undefined,
  message: unknown,
  options: HandleLogOptions | undefined,
  label?: string,
): void {
  const level = levelOf(options?.level);
  const text = rt.redactor.scrubText(typeof message === 'string' ? message : String(message));
  const context = options?.context === undefined ? undefined : rt.flatten(options.context);
  const error = options?.error === undefined ? undefined : toErrorInfo(options.error, rt.redactor);
  if (scope !== undefined && !scope.ended) {
    try {
      const span = scope.span;
      if (span.isRecording()) {
        const attributes = context === undefined ? {} : { ...context };
        attributes[EVENT_ATTR_LEVEL] = level;
        attributes[EVENT_ATTR_MESSAGE] = text;
        span.addEvent(EVENT_LOG, attributes);
        if (error !== undefined) span.recordException({ name: error.type, message: error.message, stack: stackWithCauses(error) });
      }
    } catch (err) {
      rt.reportInternalError('adding a log event', err);
    }
  }
  rt.message({ atMs: Date.now(), level, message: text, scope, label, context, error });
}

/**
 * Logs a progress message: to the console, the audit files, and as an event
 * on the active month or stage span. Mirrors the seed's
 * `log_progress(message, level, error_details, context, stage, stage_event)`.
 *
 * @example
 * logProgress('Downloading', { stage: 'download', stageEvent: 'start', context: { file_key } });
 * logProgress('Downloaded', { stage: 'download', stageEvent: 'end' });
 */
export function logProgress(message: string, options?: LogProgressOptions): void {
  const rt = getRuntime();
  if (options?.stageEvent === undefined) {
    const scope = activeScope(contextApi.active());
    const stage = options?.stage;
    if (stage !== undefined && typeof stage !== 'string') {
      throw new TypeError(`stagetrace: logProgress option stage must be a stage name string; got ${describeValue(stage)}.`);
    }
    const named = stage === undefined ? undefined : latestNamed(rt, stage);
    logWithin(rt, named ?? scope, message, options, stage);
    return;
  }
  const { stage, stageEvent } = options;
  if (typeof stage !== 'string' || stage === '') {
    throw new TypeError(`stagetrace: logProgress option stageEvent needs a stage name in option stage; got ${describeValue(stage)}.`);
  }
  if (stageEvent === 'start') {
    const scope = openNamedStage(rt, stage, options.context);
    if (message) logWithin(rt, scope, message, { level: options.level, error: options.error });
    return;
  }
  if (stageEvent !== 'end') {
    throw new TypeError(`stagetrace: logProgress option stageEvent must be 'start' or 'end'; got ${describeValue(stageEvent)}.`);
  }
  const scope = latestNamed(rt, stage);
  const level = levelOf(options.level);
  if (scope === undefined) {
    rt.warnOnce(`end-without-start:${stage}`, `logProgress ended stage "${stage}", which was not started with stageEvent 'start'.`);
    if (message) logWithin(rt, activeScope(), message, options, stage);
    return;
  }
  if (message) logWithin(rt, scope, message, { level, error: options.error });
  if (options.context !== undefined) scope.addContext(options.context);
  const failed = options.error !== undefined || LEVEL_RANK[level] >= LEVEL_RANK.ERROR;
  scope.finish(failed ? 'failure' : 'success', options.error);
}

/** Opens a stage that ends by name later (`startStage` and `stageEvent: 'start'`). */
export function openNamedStage(rt: Runtime, name: string, context: unknown, thresholdS?: number): Scope {
  const scope = rt.openStage(name, context, thresholdS);
  let list = rt.namedStages.get(name);
  if (list === undefined) {
    list = [];
    rt.namedStages.set(name, list);
  }
  list.push(scope);
  return scope;
}

function latestNamed(rt: Runtime, name: string): Scope | undefined {
  const list = rt.namedStages.get(name);
  return list === undefined ? undefined : list[list.length - 1];
}
