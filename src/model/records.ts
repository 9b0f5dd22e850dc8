import type { Attributes } from '@opentelemetry/api';
import type { Outcome, ScopeKind } from './attribute-names.js';
import type { ErrorInfo } from './error-info.js';
import type { LogLevel } from './levels.js';
import type { ThresholdCrossing } from './memory-crossing.js';
import type { SessionFacts } from './session-facts.js';

/**
 * The records a session hands to its sinks. Each is built once, frozen, and
 * given to every sink (span, audit files, console, statistics, metrics,
 * alerts) unchanged: a sink never reads facts back from a span, so what the
 * files say cannot drift from what the console or the summary says.
 *
 * Times are epoch milliseconds with the sub-millisecond precision of
 * `performance.now()`; start and end come from the same clock, and every
 * duration is derived from them.
 */

/** Who a record is about: one month or stage. Built once per scope and shared by its records. */
export interface ScopeRef {
  readonly kind: ScopeKind;
  /** The stage name; `'month'` for months. */
  readonly name: string;
  /** `YYYY-MM`, or undefined for a stage outside any month. */
  readonly month: string | undefined;
  readonly sessionId: string;
  /** The run the session belongs to: one id across every process of a run (its own session id when it started the run). */
  readonly runId: string;
  /** Lower-case hex; all zeros when no SDK gave the span an id. */
  readonly traceId: string;
  readonly spanId: string;
  /** The enclosing month's or stage's span id; undefined for roots. */
  readonly parentSpanId: string | undefined;
  /** False when the sampler left the span out of export; absent means sampled. */
  readonly sampled?: boolean;
}

/** A month or stage has started. */
export interface ScopeStartRecord {
  readonly type: 'start';
  readonly scope: ScopeRef;
  readonly startMs: number;
  /** Caller context, flattened to attributes under `stagetrace.context.`. */
  readonly context: Readonly<Attributes>;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

/** A month or stage has ended: everything every sink needs about it. */
export interface ScopeEndRecord {
  readonly type: 'end';
  readonly scope: ScopeRef;
  readonly startMs: number;
  readonly endMs: number;
  /** `(endMs - startMs) / 1000`, to the microsecond. */
  readonly durationS: number;
  readonly outcome: Outcome;
  /** Stages only: over {@link thresholdS}. */
  readonly slow: boolean;
  /** Stages only: the slow threshold in force. */
  readonly thresholdS: number | undefined;
  readonly rssStartBytes: number;
  readonly rssEndBytes: number;
  /** Highest RSS sampled while the scope was open. */
  readonly rssPeakBytes: number;
  readonly heapStartBytes: number;
  readonly heapEndBytes: number;
  /** Highest V8 heap in use sampled while the scope was open. Absent in lines written before it was recorded. */
  readonly heapPeakBytes?: number;
  /** Process CPU over the last sampling interval, percent of one core: the sampler's figure, not the scope's own. */
  readonly cpuPercent: number;
  /**
   * CPU time the process used between the scope's start and end, user +
   * system, every thread, seconds (µs precision). Absent in lines written
   * before it was recorded.
   */
  readonly cpuSeconds?: number;
  /**
   * Another month or stage, neither enclosing this one nor inside it, was
   * open at some time while it ran: its CPU and memory figures are the
   * whole process's during it, theirs included.
   */
  readonly overlapped?: boolean;
  /** Failures with an error; redacted. */
  readonly error: ErrorInfo | undefined;
  /** Interrupted scopes: why (signal, exit, shutdown); redacted. */
  readonly reason: string | undefined;
  /** Final caller context, including what `addContext()` and `end({ context })` added. */
  readonly context: Readonly<Attributes>;
}

/** A log message, redacted; at or above the session's minimum level, or one of stagetrace's own. */
export interface MessageRecord {
  readonly type: 'message';
  readonly atMs: number;
  readonly level: LogLevel;
  readonly message: string;
  /**
   * The message's number in its session, from 1, in the order records were made: written as `message_seq`,
   * carried by its log record, and named in otlp_delivery.jsonl once the collector acknowledged it.
   */
  readonly seq?: number;
  /** The month or stage the message belongs to, if any. */
  readonly scope: ScopeRef | undefined;
  /** A stage label given with the message (`logProgress({ stage })`) when it names no open stage. */
  readonly label: string | undefined;
  readonly context: Readonly<Attributes> | undefined;
  readonly error: ErrorInfo | undefined;
  readonly rssBytes: number;
  /** Set on the message the memory observer writes for a threshold crossing. */
  readonly memory?: ThresholdCrossing;
  /** With `memory`: when the crossing was sampled, and the spans that got its `memory.threshold` event (every open one). */
  readonly memoryEvent?: { readonly atMs: number; readonly spanIds: readonly string[] };
  /** A notice of stagetrace's own about its telemetry, already said on stderr: the console does not print it again. */
  readonly notice?: true;
  /** Set on the session's own first and last records (the facts a report rebuilt from the files needs); not a logged message. */
  readonly sessionFacts?: SessionFacts;
}

/** The label of a scope in log lines: the stage name, or `month YYYY-MM`. */
export function scopeLabel(scope: Pick<ScopeRef, 'kind' | 'name' | 'month'>): string {
  return scope.kind === 'month' ? `month ${scope.month}` : scope.name;
}

/**
 * CPU time over wall time, to 0.001: 1 is one core busy for the whole
 * scope; above 1 when several threads worked (garbage collection, worker
 * threads). 0 for a scope of no measurable length.
 */
export function cpuShareOf(cpuSeconds: number, durationS: number): number {
  return durationS > 0 ? Math.round((cpuSeconds / durationS) * 1000) / 1000 : 0;
}
