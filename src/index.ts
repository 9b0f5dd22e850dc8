/**
 * stagetrace: OpenTelemetry instrumentation for batch data pipelines.
 * Months are root spans, stages their children; progress goes to the
 * console, local audit files and OTLP.
 */

import { formatSessionReport } from './report/session-report.js';
import { buildSessionSummary, type SessionSummary } from './report/session-summary.js';
import { getRuntime } from './sdk/runtime.js';

export * as attributes from './api/attribute-names.js';
export type { StageContext } from './api/context-attributes.js';
export type { EndOptions, HandleLogOptions, MonthHandle, ScopeHandle, StageHandle } from './api/handles.js';
export { LEVELS, type LogLevel } from './api/levels.js';
export { type MonthOptions, traceMonth } from './api/month.js';
export { type LogProgressOptions, logProgress } from './api/progress.js';
export { type StageOptions, startStage, traceStage } from './api/stage.js';
export {
  AUDIT_SCHEMA_VERSION,
  type PerformanceRecord,
  type StructuredRecord,
} from './export/audit-schema.js';
export { type AuditLogKind, type InvalidLine, type ReadAuditLogOptions, readAuditLog } from './report/read-audit-log.js';
export type { MonthSummary, SessionSummary, StageSummary } from './report/session-summary.js';
export { AuditSampler } from './sdk/audit-sampler.js';
export type { AlertOptions, Durability, MemoryOptions, OtlpOptions, PrometheusOptions, StagetraceOptions } from './sdk/options.js';
export { createStagetrace, forceFlush, type StagetraceComponents, shutdown, start } from './sdk/start.js';
export { VERSION } from './sdk/version.js';

/** A JSON-serialisable snapshot of the session so far: per stage, per month, totals. */
export function getSessionSummary(): SessionSummary {
  return buildSessionSummary(getRuntime());
}

/** The session summary as readable multi-line text. */
export function generateSessionReport(): string {
  return formatSessionReport(getSessionSummary());
}
