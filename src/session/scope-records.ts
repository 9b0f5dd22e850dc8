import type { MessageEntry } from '../model/record-sink.js';
import type { MessageRecord, ScopeEndRecord, ScopeRef, ScopeStartRecord } from '../model/records.js';
import type { Scope } from './scope.js';

/*
 * Records built from a live Scope, for the sinks that already take records
 * (the statistics). Interim: once the session builds one frozen record per
 * event for every sink, these conversions go.
 */

const refs = new WeakMap<Scope, ScopeRef>();

function refOf(scope: Scope): ScopeRef {
  let ref = refs.get(scope);
  if (ref === undefined) {
    const ctx = scope.span.spanContext();
    const parentCtx = scope.parent?.span.spanContext();
    ref = {
      kind: scope.kind,
      name: scope.name,
      month: scope.month,
      sessionId: scope.runtime.sessionId,
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      parentSpanId: parentCtx?.spanId,
    };
    refs.set(scope, ref);
  }
  return ref;
}

export function startRecordOf(scope: Scope): ScopeStartRecord {
  return {
    type: 'start',
    scope: refOf(scope),
    startMs: scope.startedAtMs,
    context: scope.contextAttributes,
    rssBytes: scope.startRssBytes,
    heapUsedBytes: scope.startHeapBytes,
  };
}

export function endRecordOf(scope: Scope): ScopeEndRecord {
  // The audit files take a scope's end time from its span; the statistics must see the same instant.
  const spanEnd = (scope.span as { endTime?: [number, number] }).endTime;
  const endMs = spanEnd !== undefined && spanEnd[0] > 0 ? spanEnd[0] * 1000 + spanEnd[1] / 1e6 : scope.endedAtMs;
  return {
    type: 'end',
    scope: refOf(scope),
    startMs: scope.startedAtMs,
    endMs,
    durationS: scope.durationS,
    outcome: scope.outcome ?? 'success',
    slow: scope.slow,
    thresholdS: scope.kind === 'stage' ? scope.thresholdS : undefined,
    rssStartBytes: scope.startRssBytes,
    rssEndBytes: scope.endRssBytes,
    rssPeakBytes: scope.peakRssBytes,
    heapStartBytes: scope.startHeapBytes,
    heapEndBytes: scope.endHeapBytes,
    cpuPercent: scope.runtime.memory.latest.cpuPercent,
    error: scope.error,
    reason: scope.reason,
    context: scope.contextAttributes,
  };
}

export function messageRecordOf(entry: MessageEntry, rssBytes: number): MessageRecord {
  return {
    type: 'message',
    atMs: entry.atMs,
    level: entry.level,
    message: entry.message,
    scope: entry.scope === undefined ? undefined : refOf(entry.scope),
    label: entry.label,
    context: entry.context,
    error: entry.error,
    rssBytes,
  };
}
