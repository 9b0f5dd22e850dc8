import type { Attributes } from '@opentelemetry/api';
import type { ErrorInfo } from '../../src/model/error-info.js';
import type { LogLevel } from '../../src/model/levels.js';
import type { MessageRecord, ScopeEndRecord, ScopeRef, ScopeStartRecord } from '../../src/model/records.js';

export const MB = 1024 * 1024;
export const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

let nextId = 1;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** A scope reference with fresh ids. */
export function ref(
  kind: 'month' | 'stage',
  name: string,
  month: string | undefined,
  parent?: ScopeRef,
  sessionId = 'test-session',
): ScopeRef {
  const id = nextId++;
  return {
    kind,
    name: kind === 'month' ? 'month' : name,
    month,
    sessionId,
    runId: sessionId,
    traceId: parent?.traceId ?? hex(id, 32),
    spanId: hex(id, 16),
    parentSpanId: parent?.spanId,
  };
}

export function start(scope: ScopeRef, atMs: number, rssMb = 100, context: Attributes = {}): ScopeStartRecord {
  return { type: 'start', scope, startMs: atMs, context, rssBytes: rssMb * MB, heapUsedBytes: 20 * MB };
}

export interface EndOptions {
  outcome?: 'success' | 'failure' | 'interrupted';
  slow?: boolean;
  thresholdS?: number;
  rssEndMb?: number;
  rssPeakMb?: number;
  error?: ErrorInfo;
  reason?: string;
  context?: Attributes;
}

export function end(scope: ScopeRef, startMs: number, durationS: number, o: EndOptions = {}): ScopeEndRecord {
  return {
    type: 'end',
    scope,
    startMs,
    endMs: startMs + durationS * 1000,
    durationS,
    outcome: o.outcome ?? 'success',
    slow: o.slow ?? false,
    thresholdS: scope.kind === 'stage' ? (o.thresholdS ?? 300) : undefined,
    rssStartBytes: 100 * MB,
    rssEndBytes: (o.rssEndMb ?? 100) * MB,
    rssPeakBytes: (o.rssPeakMb ?? o.rssEndMb ?? 100) * MB,
    heapStartBytes: 20 * MB,
    heapEndBytes: 21 * MB,
    cpuPercent: 12.5,
    error: o.error,
    reason: o.reason,
    context: o.context ?? {},
  };
}

export function message(
  atMs: number,
  text: string,
  o: { level?: LogLevel; scope?: ScopeRef; label?: string; context?: Attributes; rssMb?: number; error?: ErrorInfo } = {},
): MessageRecord {
  return {
    type: 'message',
    atMs,
    level: o.level ?? 'INFO',
    message: text,
    scope: o.scope,
    label: o.label,
    context: o.context,
    error: o.error,
    rssBytes: (o.rssMb ?? 100) * MB,
  };
}

export function errorInfo(type: string, text: string): ErrorInfo {
  return { type, message: text, stack: `${type}: ${text}\n    at work (pipeline.ts:1:1)`, causes: [] };
}
