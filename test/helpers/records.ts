import type { Attributes } from '@opentelemetry/api';
import type { ErrorInfo } from '../../src/model/error-info.js';
import type { LogLevel } from '../../src/model/levels.js';
import type { MessageRecord, ScopeEndRecord, ScopeRef, ScopeStartRecord } from '../../src/model/records.js';
import { MEMORY_KEYS, type SessionFacts, sessionFactsText } from '../../src/model/session-facts.js';
import type { RecordedTelemetryCounts } from '../../src/model/telemetry-counts.js';

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
  /** The scope's own CPU time; left out, the record is as the files before it read back. */
  cpuSeconds?: number;
  heapPeakMb?: number;
  overlapped?: boolean;
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
    ...(o.cpuSeconds === undefined ? {} : { cpuSeconds: o.cpuSeconds }),
    ...(o.heapPeakMb === undefined ? {} : { heapPeakBytes: o.heapPeakMb * MB }),
    ...(o.overlapped === undefined ? {} : { overlapped: o.overlapped }),
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

/** The session's first record, as `Session.begin()` builds it. */
export function sessionStarted(
  atMs: number,
  o: {
    sessionId?: string;
    serviceName?: string;
    defaultThresholdS?: number;
    stageThresholds?: Record<string, number>;
    warningMb?: number;
    criticalMb?: number;
    rssMb?: number;
  } = {},
): MessageRecord {
  const facts: SessionFacts = {
    event: 'start',
    serviceName: o.serviceName ?? 'nightly-etl',
    defaultThresholdS: o.defaultThresholdS ?? 60,
    stageThresholds: new Map(Object.entries(o.stageThresholds ?? {})),
    memoryWarningMb: o.warningMb ?? 700,
    memoryCriticalMb: o.criticalMb ?? 900,
  };
  return { ...message(atMs, sessionFactsText(o.sessionId ?? 'test-session', facts), { rssMb: o.rssMb }), sessionFacts: facts };
}

/** The session's last record, as `Session.end()` builds it. */
export function sessionEnded(
  atMs: number,
  telemetry: RecordedTelemetryCounts,
  o: { sessionId?: string; rssMb?: number } = {},
): MessageRecord {
  const facts: SessionFacts = { event: 'end', telemetry };
  return { ...message(atMs, sessionFactsText(o.sessionId ?? 'test-session', facts), { rssMb: o.rssMb }), sessionFacts: facts };
}

/** A memory threshold message as the memory observer's crossing makes it: the typed crossing and its context. */
export function memoryMessage(
  atMs: number,
  text: string,
  c: { level: 'ok' | 'warning' | 'critical'; direction: 'up' | 'down'; rssMb: number; thresholdMb: number },
  o: { level?: LogLevel; scope?: ScopeRef } = {},
): MessageRecord {
  const threshold = c.level === 'critical' ? 'critical' : 'warning';
  return {
    ...message(atMs, text, {
      ...o,
      rssMb: c.rssMb,
      context: {
        [MEMORY_KEYS.level]: c.level,
        [MEMORY_KEYS.direction]: c.direction,
        [MEMORY_KEYS.threshold]: threshold,
        [MEMORY_KEYS.rssMb]: c.rssMb,
        [MEMORY_KEYS.thresholdMb]: c.thresholdMb,
      },
    }),
    memory: { level: c.level, direction: c.direction, threshold, rssBytes: c.rssMb * MB, thresholdBytes: c.thresholdMb * MB },
  };
}
