/**
 * stagetrace: OpenTelemetry instrumentation for batch data pipelines.
 * Months are root spans, stages their children; progress goes to the
 * console, local audit files and OTLP.
 */

export { carrierEnv, getCarrier } from './api/carrier.js';
export type { EndOptions, HandleLogOptions, MonthHandle, ScopeHandle, StageHandle } from './api/handles.js';
export { type MonthOptions, traceMonth } from './api/month.js';
export { type LogProgressOptions, logProgress } from './api/progress.js';
export { type StageOptions, startStage, traceStage } from './api/stage.js';
export { generateSessionReport, getSessionSummary } from './api/summary.js';
export type { AlertOptions, Durability, MemoryOptions, OtlpOptions, PrometheusOptions, StagetraceOptions } from './config/options.js';
export * as attributes from './model/attribute-names.js';
export {
  AUDIT_SCHEMA_VERSION,
  type DeliveredRecord,
  type DeliveryEndRecord,
  type DeliveryRecord,
  type DeliverySessionRecord,
  type PerformanceRecord,
  type StructuredRecord,
} from './model/audit-schema.js';
export type { Carrier } from './model/carrier.js';
export type { StageContext } from './model/context-attributes.js';
export { LEVELS, type LogLevel } from './model/levels.js';
export { VERSION } from './model/version.js';
export { replayAuditLog } from './replay/replay-on-demand.js';
export {
  ReplayError,
  type ReplayErrorKind,
  type ReplayOptions,
  type ReplayResult,
  type ReplaySessionResult,
} from './replay/replay-result.js';
export { AuditLogError } from './report/audit-log-error.js';
export {
  type CompareOptions,
  compareSessions,
  type DurationChange,
  formatComparison,
  type MonthComparison,
  type Regression,
  type SessionComparison,
  type StageComparison,
} from './report/compare-sessions.js';
export type { SessionListing } from './report/list-sessions.js';
export type { AuditLogKind, InvalidLine, ReadAuditLogOptions } from './report/read-audit-log.js';
export { listSessions, readAuditLog, summarizeAuditLog } from './report/readers-on-demand.js';
export { formatSessionReport } from './report/session-report.js';
export type { SkippedLine, SummarizeAuditLogOptions } from './report/summarize-audit-log.js';
export { AuditSampler } from './setup/audit-sampler.js';
export { createStagetrace, forceFlush, type StagetraceComponents, shutdown, start } from './setup/start.js';
export type { MonthSummary, SessionSummary, StageSummary } from './stats/session-summary.js';
