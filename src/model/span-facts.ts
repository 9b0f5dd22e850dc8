import type { Attributes } from '@opentelemetry/api';
import * as A from './attribute-names.js';
import type { ErrorInfo } from './error-info.js';
import type { ScopeEndRecord } from './records.js';

/**
 * What a month's or stage's span says at its end, derived from its end
 * record alone. The live session and `stagetrace replay` both build spans
 * from these functions, so a replayed span carries what the live one did.
 */

/** The end facts a span needs; a {@link ScopeEndRecord} has them, and so does a record read back from the files. */
export type SpanEndFacts = Pick<
  ScopeEndRecord,
  | 'durationS'
  | 'outcome'
  | 'slow'
  | 'thresholdS'
  | 'error'
  | 'reason'
  | 'rssStartBytes'
  | 'rssEndBytes'
  | 'rssPeakBytes'
  | 'heapStartBytes'
  | 'heapEndBytes'
>;

/** Microseconds, as every duration attribute is sent (one OTLP type for all). */
export const toMicros = (seconds: number) => Math.round(seconds * 1e6);

/** Attributes of the slow event, or undefined when the scope was not slow. */
export function slowEventAttributes(r: Pick<SpanEndFacts, 'slow' | 'thresholdS' | 'durationS'>): Attributes | undefined {
  if (!r.slow) return undefined;
  return { [A.ATTR_THRESHOLD_US]: toMicros(r.thresholdS ?? 0), [A.ATTR_DURATION_US]: toMicros(r.durationS) };
}

/** The span status message of a scope that did not succeed (the status code is ERROR). */
export function errorStatusMessage(r: Pick<SpanEndFacts, 'outcome' | 'error' | 'reason'>): string {
  const message = r.reason ?? r.error?.message ?? (r.outcome === 'interrupted' ? 'interrupted' : 'failed');
  return `${r.error?.type ?? r.outcome}: ${message}`;
}

/**
 * The semantic conventions' `error.type` of a scope that did not succeed:
 * the error's class name, `interrupted` for a scope a signal, exit or
 * shutdown ended, `_OTHER` for a failure without an error; undefined on success.
 */
export function errorTypeOf(r: Pick<SpanEndFacts, 'outcome' | 'error'>): string | undefined {
  if (r.outcome === 'success') return undefined;
  if (r.outcome === 'interrupted') return 'interrupted';
  return r.error?.type ?? '_OTHER';
}

/** The exception as the span records it: `recordException()` input. */
export function exceptionOf(error: Pick<ErrorInfo, 'type' | 'message'>, stack: string): { name: string; message: string; stack: string } {
  return { name: error.type, message: error.message, stack };
}

/** Attributes set when the scope ends, in the order they are set (the threshold and reason first, when present). */
export function endAttributes(r: SpanEndFacts): Attributes {
  const out: Attributes = {};
  if (r.slow) out[A.ATTR_THRESHOLD_US] = toMicros(r.thresholdS ?? 0);
  if (r.outcome !== 'success' && r.reason !== undefined) out[A.ATTR_INTERRUPTED_REASON] = r.reason;
  out[A.ATTR_OUTCOME] = r.outcome;
  const errorType = errorTypeOf(r);
  if (errorType !== undefined) out[A.ATTR_ERROR_TYPE] = errorType;
  out[A.ATTR_DURATION_US] = toMicros(r.durationS);
  out[A.ATTR_SLOW] = r.slow;
  out[A.ATTR_RSS_END_BYTES] = r.rssEndBytes;
  out[A.ATTR_RSS_DELTA_BYTES] = r.rssEndBytes - r.rssStartBytes;
  out[A.ATTR_RSS_PEAK_BYTES] = r.rssPeakBytes;
  out[A.ATTR_HEAP_END_BYTES] = r.heapEndBytes;
  out[A.ATTR_HEAP_DELTA_BYTES] = r.heapEndBytes - r.heapStartBytes;
  return out;
}

/** Attributes a month's span starts with (the caller's context follows). */
export function monthStartAttributes(
  ids: { sessionId: string; runId: string },
  month: string,
  rssBytes: number,
  heapUsedBytes: number,
): Attributes {
  return {
    [A.ATTR_KIND]: A.KIND_MONTH,
    [A.ATTR_SESSION_ID]: ids.sessionId,
    [A.ATTR_RUN_ID]: ids.runId,
    [A.ATTR_MONTH]: month,
    [A.ATTR_RSS_START_BYTES]: rssBytes,
    [A.ATTR_HEAP_START_BYTES]: heapUsedBytes,
  };
}

/** Attributes a stage's span starts with: its month, or the session and run ids for a stage outside any month. */
export function stageStartAttributes(
  name: string,
  month: string | undefined,
  ids: { sessionId: string; runId: string },
  rssBytes: number,
  heapUsedBytes: number,
): Attributes {
  const attributes: Attributes = {
    [A.ATTR_KIND]: A.KIND_STAGE,
    [A.ATTR_STAGE_NAME]: name,
    [A.ATTR_RSS_START_BYTES]: rssBytes,
    [A.ATTR_HEAP_START_BYTES]: heapUsedBytes,
  };
  if (month !== undefined) attributes[A.ATTR_MONTH] = month;
  else {
    attributes[A.ATTR_SESSION_ID] = ids.sessionId;
    attributes[A.ATTR_RUN_ID] = ids.runId;
  }
  return attributes;
}

/**
 * Attributes of a log event: level and text, then the message's context
 * (under its own prefix, so never the same keys). Built in that order
 * because a spread copy that then gains keys is many times slower in V8.
 */
export function logEventAttributes(context: Readonly<Attributes> | undefined, level: string, message: string): Attributes {
  const attributes: Attributes = { [A.EVENT_ATTR_LEVEL]: level, [A.EVENT_ATTR_MESSAGE]: message };
  if (context !== undefined) for (const key in context) attributes[key] = context[key];
  return attributes;
}

/** Attributes of the `memory.threshold` event. */
export function memoryEventAttributes(c: { level: string; direction: string; rssBytes: number; thresholdBytes: number }): Attributes {
  return {
    [A.EVENT_ATTR_MEMORY_LEVEL]: c.level,
    [A.EVENT_ATTR_MEMORY_DIRECTION]: c.direction,
    [A.EVENT_ATTR_MEMORY_RSS_BYTES]: c.rssBytes,
    [A.EVENT_ATTR_MEMORY_THRESHOLD_BYTES]: c.thresholdBytes,
  };
}
