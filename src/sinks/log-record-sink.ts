import { type Attributes, type Context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import * as A from '../model/attribute-names.js';
import { stackWithCauses } from '../model/error-info.js';
import type { LogLevel } from '../model/levels.js';
import type { RecordSink } from '../model/record-sink.js';
import type { MessageRecord } from '../model/records.js';

/** OpenTelemetry severity numbers of our levels (the first number of each range: DEBUG, INFO, WARN, ERROR, FATAL). */
export const SEVERITY_NUMBER: Readonly<Record<LogLevel, number>> = {
  DEBUG: 5,
  INFO: 9,
  WARNING: 13,
  ERROR: 17,
  CRITICAL: 21,
};

/** The fields of a Logs API record stagetrace sets; a structural copy, so both SDK lines' loggers fit. */
export interface EmittedLogRecord {
  timestamp: number;
  severityNumber: number;
  severityText: string;
  body: string;
  attributes: Attributes;
  context: Context;
}

/** What the sink emits through: a Logs API `Logger`. */
export interface LogEmitter {
  emit(record: EmittedLogRecord): void;
}

export interface LogRecordSinkOptions {
  /** The session id of records that belong to no month or stage. */
  sessionId: string;
  /** The logger, or undefined while the Logs API is still loading or no LoggerProvider is registered yet. */
  logger: () => LogEmitter | undefined;
  /** Settles once the Logs API has loaded (or could not): a flush waits for it. */
  loaded?: Promise<unknown>;
  /** Most records kept while the logger loads or no provider is registered; newer ones are dropped past it. */
  maxPending?: number;
}

const DEFAULT_MAX_PENDING = 1024;

/**
 * Every message record — the records `structured_processing.jsonl` holds
 * with `record_type: "message"` — as an OpenTelemetry log record: same text,
 * level, time, trace and span ids as the file's line, attributes under the
 * names the span uses. The record is already redacted and bounded, so
 * nothing leaves here that the files would not hold.
 */
export class LogRecordSink implements RecordSink {
  readonly #sessionId: string;
  readonly #logger: () => LogEmitter | undefined;
  readonly #maxPending: number;
  readonly #loaded: Promise<unknown>;
  #pending: EmittedLogRecord[] = [];

  constructor(options: LogRecordSinkOptions) {
    this.#sessionId = options.sessionId;
    this.#logger = options.logger;
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#loaded = (options.loaded ?? Promise.resolve()).catch(() => undefined);
  }

  onStart(): void {}

  onEnd(): void {}

  onMessage(r: MessageRecord): void {
    const logger = this.#logger();
    if (logger === undefined) {
      // Past the bound the newest wait no more, as the span queue drops its newest: the session's first records stay.
      if (this.#pending.length < this.#maxPending) this.#pending.push(logRecordOf(r, this.#sessionId));
      return;
    }
    this.#drain(logger);
    logger.emit(logRecordOf(r, this.#sessionId));
  }

  /** Hands over what waited for the logger, once the Logs API has loaded and a provider is there. */
  async forceFlush(): Promise<void> {
    await this.#loaded;
    const logger = this.#logger();
    if (logger !== undefined) this.#drain(logger);
  }

  /** What still waits for a provider that never came is let go. */
  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.#pending = [];
  }

  #drain(logger: LogEmitter): void {
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    for (const record of pending) logger.emit(record);
  }
}

/** The log record of a message record. */
export function logRecordOf(r: MessageRecord, sessionId: string): EmittedLogRecord {
  const scope = r.scope;
  // Our names first, then the context copied in: a spread copy that then gains keys is many times slower in V8.
  const attributes: Attributes = { [A.ATTR_SESSION_ID]: scope?.sessionId ?? sessionId };
  // The only way from the Logs API's emit to the forward that journals it; a backend can de-duplicate by it too.
  if (r.seq !== undefined) attributes[A.ATTR_MESSAGE_SEQ] = r.seq;
  if (scope !== undefined) attributes[A.ATTR_KIND] = scope.kind;
  if (scope?.month !== undefined) attributes[A.ATTR_MONTH] = scope.month;
  // As the file's `stage` field: the label given with the message, else the stage it belongs to.
  const stage = r.label ?? (scope?.kind === 'stage' ? scope.name : undefined);
  if (stage !== undefined) attributes[A.ATTR_STAGE_NAME] = stage;
  const context = r.context;
  if (context !== undefined) for (const key in context) attributes[key] = context[key];
  if (r.error !== undefined) {
    attributes[A.ATTR_EXCEPTION_TYPE] = r.error.type;
    attributes[A.ATTR_EXCEPTION_MESSAGE] = r.error.message;
    attributes[A.ATTR_EXCEPTION_STACKTRACE] = stackWithCauses(r.error);
  }
  return {
    timestamp: r.atMs,
    severityNumber: SEVERITY_NUMBER[r.level],
    severityText: r.level,
    body: r.message,
    attributes,
    // Explicit even without a scope: the SDK would otherwise take the active context, whose span the file does not name.
    context: scope === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, spanContextOf(scope)),
  };
}

function spanContextOf(scope: NonNullable<MessageRecord['scope']>) {
  return {
    traceId: scope.traceId,
    spanId: scope.spanId,
    traceFlags: scope.sampled === false ? TraceFlags.NONE : TraceFlags.SAMPLED,
  };
}
