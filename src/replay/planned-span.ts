import type { Attributes } from '@opentelemetry/api';
import type { DeliverySessionRecord } from '../model/audit-schema.js';
import type { ErrorInfo } from '../model/error-info.js';
import type { MessageRecord } from '../model/records.js';
import type { SpanEndFacts } from '../model/span-facts.js';

/** What replay plans to send, read from a log folder (see replay-plan.ts). */

/** An event of a span, in the order the run added it. */
export type PlannedEvent =
  | { kind: 'log'; atMs: number; level: string; message: string; context: Attributes; error: PlannedError | undefined }
  | { kind: 'memory'; atMs: number; level: string; direction: string; rssBytes: number; thresholdBytes: number };

export interface PlannedError extends Pick<ErrorInfo, 'type' | 'message'> {
  /** The stack with its causes, as the exception event has it. */
  stack: string;
}

/** The end of a span as its end record has it. */
export interface PlannedEnd extends SpanEndFacts {
  endMs: number;
  context: Attributes;
  /** `error` with its stack. */
  exception: PlannedError | undefined;
}

/** One month or stage span to rebuild. */
export interface PlannedSpan {
  kind: 'month' | 'stage';
  /** The span name: `month`, or the stage's name. */
  name: string;
  month: string | undefined;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  startMs: number;
  rssStartBytes: number;
  heapStartBytes: number;
  /** The caller's context when it started (attributes under `stagetrace.context.`). */
  startContext: Attributes;
  events: PlannedEvent[];
  /** Undefined for a span whose process ended before it did (see {@link PlannedSession.closedAtMs}). */
  end: PlannedEnd | undefined;
}

export interface PlannedSession {
  sessionId: string;
  /** The run's id from the files; the session id for files written before runs had one. */
  runId: string;
  /** Who the spans are from (otlp_delivery.jsonl); undefined when the session forwarded nothing. */
  delivery: DeliverySessionRecord | undefined;
  /** The forward shut down (a `session_end` record). */
  ended: boolean;
  /** The session's process still runs on this host: it is not replayed (its own forward may still send). */
  running: boolean;
  /** Spans to send: sampled, not acknowledged, rebuildable. */
  spans: PlannedSpan[];
  /** Spans the collector acknowledged already. */
  alreadyDelivered: number;
  /** Spans the sampler left out of export. */
  notSampled: number;
  /** Spans written by stagetrace before schema 2, which lack what a rebuild needs. */
  notReplayable: number;
  /** Spans whose ids or times a collector could not take (see span-validation.ts): not sent. */
  invalid: number;
  /** Why, for the first few of them. */
  invalidReasons: string[];
  /** The session's last recorded instant: where spans its process never ended are closed. */
  closedAtMs: number;
  /** Messages to send as log records (the session forwarded logs: `logs_endpoint`), not acknowledged, in file order. */
  messages: MessageRecord[];
  /** Messages whose log records the collector acknowledged already. */
  messagesAlreadyDelivered: number;
  /** Message lines written before messages had a number (`message_seq`): they cannot be told apart from delivered ones. */
  messagesNotReplayable: number;
  /** Message lines with a level, time or id a live run cannot have made, or a number seen before: not sent. */
  messagesInvalid: number;
  /** Why, for the first few of them. */
  messagesInvalidReasons: string[];
}
