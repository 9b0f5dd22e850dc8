import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../../src/model/records.js';
import { sessionFactsContext } from '../../src/model/session-facts.js';

/**
 * Writes records as the audit files' JSON lines, field by field as
 * docs/audit-files.md describes them (MB to one decimal, times in whole
 * milliseconds), for tests of readers that take those files.
 */
const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
const iso = (ms: number) => new Date(Math.floor(ms)).toISOString();
const seconds = (ms: number) => Math.floor(ms) / 1000;

function context(attributes: Readonly<Attributes> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes ?? {})) if (key.startsWith('stagetrace.context.')) out[key.slice(19)] = value;
  return out;
}

export function structuredLine(record: ScopeStartRecord | ScopeEndRecord | MessageRecord, sessionId: string): string {
  if (record.type === 'message') {
    const scope = record.scope;
    return JSON.stringify({
      schema_version: 1,
      record_type: 'message',
      timestamp: iso(record.atMs),
      processing_time: seconds(record.atMs),
      session_id: scope?.sessionId ?? sessionId,
      level: record.level,
      message: record.message,
      month: scope?.month ?? null,
      stage: record.label ?? (scope?.kind === 'stage' ? scope.name : null),
      stage_event: null,
      context: context(record.sessionFacts ? sessionFactsContext(record.sessionFacts) : record.context),
      memory_mb: mb(record.rssBytes),
      has_error: record.error !== undefined,
      ...(record.error ? { error_type: record.error.type, error_message: record.error.message } : {}),
      trace_id: scope?.traceId ?? null,
      span_id: scope?.spanId ?? null,
    });
  }
  const scope = record.scope;
  const at = record.type === 'start' ? record.startMs : record.endMs;
  const base = {
    schema_version: 1,
    record_type: scope.kind,
    timestamp: iso(at),
    processing_time: seconds(at),
    session_id: scope.sessionId,
    level: record.type === 'end' && record.outcome !== 'success' ? 'ERROR' : 'INFO',
    message: record.type === 'start' ? `Starting ${scope.name}` : `${scope.name} ended`,
    month: scope.month ?? null,
    stage: scope.kind === 'month' ? 'month_processing' : scope.name,
    stage_event: record.type,
  };
  if (record.type === 'start') {
    return JSON.stringify({
      ...base,
      context: context(record.context),
      memory_mb: mb(record.rssBytes),
      has_error: false,
      trace_id: scope.traceId,
      span_id: scope.spanId,
    });
  }
  const errorType = record.error?.type ?? (record.outcome === 'interrupted' ? 'Interrupted' : undefined);
  return JSON.stringify({
    ...base,
    stage_duration: record.durationS,
    success_status: record.outcome === 'success',
    outcome: record.outcome,
    context: context(record.context),
    memory_mb: mb(record.rssEndBytes),
    has_error: errorType !== undefined,
    ...(errorType !== undefined ? { error_type: errorType, error_message: record.error?.message ?? record.reason ?? '' } : {}),
    trace_id: scope.traceId,
    span_id: scope.spanId,
    ...(record.error && record.error.causes.length > 0
      ? { error_causes: record.error.causes.map((c) => ({ type: c.type, message: c.message })) }
      : {}),
  });
}

export function performanceLine(record: ScopeEndRecord): string {
  const scope = record.scope;
  return JSON.stringify({
    schema_version: 1,
    record_type: scope.kind,
    timestamp: iso(record.endMs),
    session_id: scope.sessionId,
    month: scope.month ?? null,
    stage: scope.kind === 'month' ? 'month_processing' : scope.name,
    duration_seconds: record.durationS,
    memory_mb: mb(record.rssEndBytes),
    memory_delta_mb: mb(record.rssEndBytes - record.rssStartBytes),
    memory_peak_mb: mb(record.rssPeakBytes),
    heap_used_mb: mb(record.heapEndBytes),
    heap_delta_mb: mb(record.heapEndBytes - record.heapStartBytes),
    cpu_percent: record.cpuPercent,
    success: record.outcome === 'success',
    outcome: record.outcome,
    slow: record.slow,
    context: context(record.context),
    trace_id: scope.traceId,
    span_id: scope.spanId,
    // The scope's own figures, as the session writes them since it records them; older lines have none.
    ...(record.cpuSeconds === undefined
      ? {}
      : {
          cpu_seconds: record.cpuSeconds,
          cpu_share: record.durationS > 0 ? Math.round((record.cpuSeconds / record.durationS) * 1000) / 1000 : 0,
          heap_peak_mb: mb(record.heapPeakBytes ?? record.heapEndBytes),
          overlapped: record.overlapped === true,
        }),
  });
}

/** Appends the records of session `sessionId` to the two JSONL files of `dir`, as a session would. */
export function writeRecords(dir: string, sessionId: string, records: (ScopeStartRecord | ScopeEndRecord | MessageRecord)[]): void {
  let structured = '';
  let performance = '';
  for (const record of records) {
    structured += `${structuredLine(record, sessionId)}\n`;
    if (record.type === 'end') performance += `${performanceLine(record)}\n`;
  }
  appendFileSync(join(dir, 'structured_processing.jsonl'), structured);
  appendFileSync(join(dir, 'performance_metrics.jsonl'), performance);
}
