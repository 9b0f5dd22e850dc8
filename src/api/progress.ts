import { context as contextApi } from '@opentelemetry/api';
import type { StageContext } from '../model/context-attributes.js';
import { describeValue } from '../model/describe-value.js';
import { LEVEL_RANK, type LogLevel } from '../model/levels.js';
import { activeScope } from '../session/open-scope.js';
import { currentSession } from '../setup/current-session.js';
import { checkKeys, levelOf } from './handles.js';

/** Options of {@link logProgress}; the Python logger's `log_progress` arguments in TypeScript style. */
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

const PROGRESS_KEYS = ['level', 'context', 'error', 'stage', 'stageEvent'] as const;

/**
 * Logs a progress message: to the console, the audit files, and as an event
 * on the active month or stage span. Mirrors the Python logger's
 * `log_progress(message, level, error_details, context, stage, stage_event)`.
 *
 * @example
 * logProgress('Downloading', { stage: 'download', stageEvent: 'start', context: { file_key } });
 * logProgress('Downloaded', { stage: 'download', stageEvent: 'end' });
 */
export function logProgress(message: string, options?: LogProgressOptions): void {
  const session = currentSession();
  // Converted (and redacted) by the session; only its presence matters here.
  const text: unknown = message;
  if (options === undefined) {
    session.log({ scope: activeScope(contextApi.active()), level: 'INFO', message: text });
    return;
  }
  checkKeys(options, PROGRESS_KEYS, 'logProgress()');
  const level = levelOf(options.level, 'logProgress option level');
  const stage = options.stage;
  const stageEvent = options.stageEvent;
  if (stageEvent === undefined) {
    if (stage !== undefined && typeof stage !== 'string') {
      throw new TypeError(`stagetrace: logProgress option stage must be a stage name string; got ${describeValue(stage)}.`);
    }
    const named = stage === undefined ? undefined : session.latestOpenStage(session.stageName(stage));
    const scope = named ?? activeScope(contextApi.active());
    session.log({
      scope,
      level,
      message: text,
      context: options.context,
      error: options.error,
      label: named === undefined ? stage : undefined,
    });
    return;
  }
  if (typeof stage !== 'string' || stage === '') {
    throw new TypeError(`stagetrace: logProgress option stageEvent needs a stage name in option stage; got ${describeValue(stage)}.`);
  }
  if (stageEvent === 'start') {
    const scope = session.openStage(stage, options.context, undefined, contextApi.active(), true);
    if (text) session.log({ scope, level, message: text, error: options.error });
    return;
  }
  if (stageEvent !== 'end') {
    throw new TypeError(`stagetrace: logProgress option stageEvent must be 'start' or 'end'; got ${describeValue(stageEvent)}.`);
  }
  const scope = session.latestOpenStage(session.stageName(stage));
  if (scope === undefined) {
    session.usageWarning(
      `end-without-start:${stage}`,
      `logProgress ended stage "${session.stageName(stage)}", which was not started with stageEvent 'start'.`,
    );
    if (text)
      session.log({
        scope: activeScope(contextApi.active()),
        level,
        message: text,
        context: options.context,
        error: options.error,
        label: stage,
      });
    return;
  }
  if (text) session.log({ scope, level, message: text, error: options.error });
  if (options.context !== undefined) session.addContext(scope, options.context);
  const failed = options.error !== undefined || LEVEL_RANK[level] >= LEVEL_RANK.ERROR;
  session.endScope(scope, failed ? 'failure' : 'success', options.error);
}
