import { type Attributes, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, type IdGenerator, type ReadableSpan, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import * as A from '../model/attribute-names.js';
import type { DeliverySessionRecord } from '../model/audit-schema.js';
import { secondsBetween } from '../model/clock.js';
import {
  endAttributes,
  errorStatusMessage,
  exceptionOf,
  logEventAttributes,
  memoryEventAttributes,
  monthStartAttributes,
  slowEventAttributes,
  stageStartAttributes,
  toMicros,
} from '../model/span-facts.js';
import { VERSION } from '../model/version.js';
import type { PlannedSession, PlannedSpan } from './replay-plan.js';

/** The ids the next span gets: those it had in the run. */
class RecordedIds implements IdGenerator {
  traceId = '';
  spanId = '';
  generateTraceId(): string {
    return this.traceId;
  }
  generateSpanId(): string {
    return this.spanId;
  }
}

/** Why a span with no end record was closed by replay. */
export const CLOSED_BY_REPLAY_REASON =
  'the process ended before this ended (no end record: killed?); closed by stagetrace replay at the last instant its session recorded';

/**
 * Rebuilds a session's planned spans as SDK spans, through the SDK itself
 * (a private provider with an id generator that hands out the recorded ids),
 * so they carry exactly what the run's spans carried: ids, parent, name,
 * kind, times to the nanosecond, attributes in the order they were set,
 * events with their times, status, resource and scope — and the same span
 * limits apply. Nothing is registered globally.
 */
export async function rebuildSpans(session: PlannedSession): Promise<ReadableSpan[]> {
  const ended: ReadableSpan[] = [];
  const collect: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (span) => {
      ended.push(span);
    },
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  const ids = new RecordedIds();
  const delivery = session.delivery;
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resourceOf(delivery, session.sessionId)),
    idGenerator: ids,
    sampler: new AlwaysOnSampler(),
    spanProcessors: [collect],
  });
  const tracer = provider.getTracer(delivery?.scope_name ?? 'stagetrace', delivery?.scope_version ?? VERSION);
  for (const planned of session.spans) rebuildOne(tracer, ids, planned, session);
  await provider.shutdown();
  return ended;
}

/** The resource the session's spans and log records were sent with. */
export function resourceOf(delivery: DeliverySessionRecord | undefined, sessionId: string): Attributes {
  if (delivery !== undefined) return delivery.resource as Attributes;
  return { 'service.instance.id': sessionId };
}

function rebuildOne(tracer: ReturnType<TracerProvider['getTracer']>, ids: RecordedIds, p: PlannedSpan, session: PlannedSession): void {
  ids.traceId = p.traceId;
  ids.spanId = p.spanId;
  const parent =
    p.parentSpanId === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, { traceId: p.traceId, spanId: p.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: false });
  const attributes =
    p.kind === 'month'
      ? monthStartAttributes(session, p.month ?? '', p.rssStartBytes, p.heapStartBytes)
      : stageStartAttributes(p.name, p.month, session, p.rssStartBytes, p.heapStartBytes);
  for (const key in p.startContext) attributes[key] = p.startContext[key];
  const span = tracer.startSpan(p.name, { kind: SpanKind.INTERNAL, attributes, startTime: p.startMs }, parent);
  // Context added while it ran (addContext, end({ context })).
  if (p.end !== undefined) span.setAttributes(p.end.context);

  const endMs = p.end?.endMs ?? Math.max(p.startMs, session.closedAtMs);
  for (const e of p.events) {
    if (e.kind === 'memory') {
      span.addEvent(A.EVENT_MEMORY_THRESHOLD, memoryEventAttributes(e), e.atMs);
    } else if (e.atMs <= endMs) {
      // A message logged after its scope ended is in the files but was no event of the span.
      span.addEvent(A.EVENT_LOG, logEventAttributes(e.context, e.level, e.message), e.atMs);
      if (e.error !== undefined) span.recordException(exceptionOf(e.error, e.error.stack), e.atMs);
    }
  }

  const end = p.end;
  if (end === undefined) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: errorStatusMessage({ outcome: 'interrupted', error: undefined, reason: CLOSED_BY_REPLAY_REASON }),
    });
    span.setAttributes({
      [A.ATTR_INTERRUPTED_REASON]: CLOSED_BY_REPLAY_REASON,
      [A.ATTR_OUTCOME]: 'interrupted',
      [A.ATTR_DURATION_US]: toMicros(secondsBetween(p.startMs, endMs)),
      [A.ATTR_SLOW]: false,
    });
    span.end(endMs);
    return;
  }
  const slow = slowEventAttributes(end);
  if (slow !== undefined) span.addEvent(A.EVENT_SLOW, slow, end.endMs);
  if (end.outcome !== 'success') {
    if (end.exception !== undefined) span.recordException(exceptionOf(end.exception, end.exception.stack), end.endMs);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorStatusMessage(end) });
  }
  span.setAttributes(endAttributes(end));
  span.end(end.endMs);
}
