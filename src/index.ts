/**
 * stagetrace: OpenTelemetry instrumentation for batch data pipelines.
 * Months are root spans, stages their children; progress goes to the
 * console, local audit files and OTLP.
 */

import { formatSessionReport } from './report/session-report.js';
import { getRuntime } from './session/session.js';
import { buildSessionSummary, type SessionSummary } from './stats/session-summary.js';

export type { EndOptions, HandleLogOptions, MonthHandle, ScopeHandle, StageHandle } from './api/handles.js';
export { type MonthOptions, traceMonth } from './api/month.js';
export { type LogProgressOptions, logProgress } from './api/progress.js';
export { type StageOptions, startStage, traceStage } from './api/stage.js';
export type { AlertOptions, Durability, MemoryOptions, OtlpOptions, PrometheusOptions, StagetraceOptions } from './config/options.js';
export * as attributes from './model/attribute-names.js';
export {
  AUDIT_SCHEMA_VERSION,
  type PerformanceRecord,
  type StructuredRecord,
} from './model/audit-schema.js';
export type { StageContext } from './model/context-attributes.js';
export { LEVELS, type LogLevel } from './model/levels.js';
export { VERSION } from './model/version.js';
export {
  type CompareOptions,
  compareSessions,
  formatComparison,
  type Regression,
  type SessionComparison,
} from './report/compare-sessions.js';
export { listSessions, type SessionListing } from './report/list-sessions.js';
export { type AuditLogKind, type InvalidLine, type ReadAuditLogOptions, readAuditLog } from './report/read-audit-log.js';
export { formatSessionReport } from './report/session-report.js';
export { AuditLogError, type SkippedLine, type SummarizeAuditLogOptions, summarizeAuditLog } from './report/summarize-audit-log.js';
export { AuditSampler } from './setup/audit-sampler.js';
export { createStagetrace, forceFlush, type StagetraceComponents, shutdown, start } from './setup/start.js';
export type {
  Bottleneck,
  BottleneckReason,
  MemoryCrossingSummary,
  MonthSummary,
  SessionSummary,
  StageSummary,
} from './stats/session-summary.js';

/** A JSON-serialisable snapshot of the session so far: per stage, per month, totals. */
export function getSessionSummary(): SessionSummary {
  const rt = getRuntime();
  return buildSessionSummary(rt.stats, {
    sessionId: rt.sessionId,
    serviceName: rt.config.serviceName,
    nowMs: Date.now(),
    openScopes: rt.open.size,
    currentRssBytes: rt.memory.latest.rssBytes,
    telemetry: rt.telemetryCounters(),
    memoryThresholds: { warningBytes: rt.memoryObserver.warningBytes, criticalBytes: rt.memoryObserver.criticalBytes },
    slowThresholds: { defaultSeconds: rt.config.defaultThresholdS, stages: rt.config.stageThresholds },
  });
}

/** The session summary as readable multi-line text. */
export function generateSessionReport(): string {
  return formatSessionReport(getSessionSummary());
}
