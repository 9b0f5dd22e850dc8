import { LEVELS } from '../model/levels.js';
import { toMb } from '../model/units.js';
import type { SessionStats } from './session-stats.js';

/** What only the live session knows; offline reports take it from the files. */
export interface LiveFacts {
  sessionId: string;
  serviceName: string;
  nowMs: number;
  openScopes: number;
  currentRssBytes: number;
  telemetry: {
    auditWriteErrors: number;
    auditLostRecords: number;
    otlpDroppedSpans: number;
    otlpExportErrors: number;
    alertFailures: number;
  };
}

/** Per-stage figures of a session summary. Durations in seconds. */
export interface StageSummary {
  executions: number;
  successes: number;
  failures: number;
  interrupted: number;
  /** successes / executions, 0..1. */
  success_rate: number;
  total_duration_seconds: number;
  avg_duration_seconds: number;
  min_duration_seconds: number;
  max_duration_seconds: number;
  slow_count: number;
  threshold_seconds: number;
}

export interface MonthSummary {
  status: 'running' | 'success' | 'failure' | 'interrupted';
  /** Seconds; for a running month, so far. */
  duration: number;
  /** Stages executed in the month. */
  stages: number;
  failed_stages: number;
  start: string;
  end: string | null;
  trace_id: string;
}

/** A plain, JSON-serialisable snapshot of the session. Field names match the audit files. */
export interface SessionSummary {
  session_id: string;
  service_name: string;
  start: string;
  end: string | null;
  duration_seconds: number;
  stages: Record<string, StageSummary>;
  months: Record<string, MonthSummary>;
  totals: {
    stage_executions: number;
    stage_failures: number;
    /** Successful stage executions over all executions, 0..1 (1 when none ran). */
    success_rate: number;
    months: number;
    months_failed: number;
    open_scopes: number;
  };
  peak_memory_mb: number;
  messages_by_level: Record<string, number>;
  otlp: { dropped_spans: number; export_errors: number };
  audit: { write_errors: number; lost_records: number };
  alerts: { failed: number };
}

/** Seconds to the microsecond: a sub-millisecond stage must not read as 0. */
const r6 = (n: number) => Math.round(n * 1e6) / 1e6;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

export function buildSessionSummary(stats: SessionStats, facts: LiveFacts): SessionSummary {
  const now = facts.nowMs;
  const stages: Record<string, StageSummary> = {};
  let executions = 0;
  let successes = 0;
  for (const [name, t] of stats.stages) {
    executions += t.executions;
    successes += t.successes;
    stages[name] = {
      executions: t.executions,
      successes: t.successes,
      failures: t.failures,
      interrupted: t.interrupted,
      success_rate: t.executions === 0 ? 1 : r3(t.successes / t.executions),
      total_duration_seconds: r6(t.totalDurationS),
      avg_duration_seconds: t.executions === 0 ? 0 : r6(t.totalDurationS / t.executions),
      min_duration_seconds: t.executions === 0 ? 0 : r6(t.minDurationS),
      max_duration_seconds: r6(t.maxDurationS),
      slow_count: t.slowCount,
      threshold_seconds: t.thresholdS,
    };
  }
  const months: Record<string, MonthSummary> = {};
  let monthsFailed = 0;
  for (const [month, m] of [...stats.months].sort(([a], [b]) => a.localeCompare(b))) {
    if (m.status === 'failure' || m.status === 'interrupted') monthsFailed++;
    months[month] = {
      status: m.status,
      duration: r3(m.durationS ?? (now - m.startedAtMs) / 1000),
      stages: m.stages,
      failed_stages: m.failedStages,
      start: new Date(m.startedAtMs).toISOString(),
      end: m.endedAtMs === undefined ? null : new Date(m.endedAtMs).toISOString(),
      trace_id: m.traceId,
    };
  }
  const peak = Math.max(stats.peakRssBytes, facts.currentRssBytes);
  const end = stats.endedAtMs;
  const messages: Record<string, number> = {};
  LEVELS.forEach((level, i) => {
    messages[level] = stats.messagesByLevel[i] ?? 0;
  });
  return {
    session_id: facts.sessionId,
    service_name: facts.serviceName,
    start: new Date(stats.startedAtMs).toISOString(),
    end: end === undefined ? null : new Date(end).toISOString(),
    duration_seconds: r3(((end ?? now) - stats.startedAtMs) / 1000),
    stages,
    months,
    totals: {
      stage_executions: executions,
      stage_failures: executions - successes,
      success_rate: executions === 0 ? 1 : r3(successes / executions),
      months: stats.months.size,
      months_failed: monthsFailed,
      open_scopes: facts.openScopes,
    },
    peak_memory_mb: toMb(peak),
    messages_by_level: messages,
    otlp: { dropped_spans: facts.telemetry.otlpDroppedSpans, export_errors: facts.telemetry.otlpExportErrors },
    audit: { write_errors: facts.telemetry.auditWriteErrors, lost_records: facts.telemetry.auditLostRecords },
    alerts: { failed: facts.telemetry.alertFailures },
  };
}
