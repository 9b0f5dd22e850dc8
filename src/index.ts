/**
 * stagetrace: OpenTelemetry instrumentation for batch data pipelines.
 * Months are root spans, stages their children; progress goes to the
 * console, local audit files and OTLP.
 */
import { getRuntime } from './sdk/runtime.js';
import { formatSessionReport } from './report/session-report.js';
import { buildSessionSummary, type SessionSummary } from './report/session-summary.js';

export { traceMonth, type MonthOptions } from './api/month.js';
export { traceStage, startStage, type StageOptions } from './api/stage.js';
export { logProgress, type LogProgressOptions } from './api/progress.js';
export type { StageHandle, MonthHandle, ScopeHandle, EndOptions, HandleLogOptions } from './api/handles.js';
export type { StageContext } from './api/context-attributes.js';
export { LEVELS, type LogLevel } from './api/levels.js';
export * as attributes from './api/attribute-names.js';
export { start, shutdown, forceFlush, createStagetrace, type StagetraceComponents } from './sdk/start.js';
export type { StagetraceOptions, OtlpOptions, MemoryOptions, Durability } from './sdk/options.js';
export type { SessionSummary, StageSummary, MonthSummary } from './report/session-summary.js';
export { VERSION } from './sdk/version.js';
export { readAuditLog, type ReadAuditLogOptions, type InvalidLine, type AuditLogKind } from './report/read-audit-log.js';
export {
  AUDIT_SCHEMA_VERSION,
  type StructuredRecord,
  type PerformanceRecord,
} from './export/audit-schema.js';


/** A JSON-serialisable snapshot of the session so far: per stage, per month, totals. */
export function getSessionSummary(): SessionSummary {
  return buildSessionSummary(getRuntime());
}

/** The session summary as readable multi-line text. */
export function generateSessionReport(): string {
  return formatSessionReport(getSessionSummary());
}
