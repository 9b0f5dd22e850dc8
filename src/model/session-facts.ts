import type { Attributes } from '@opentelemetry/api';
import { CONTEXT_PREFIX } from './attribute-names.js';
import type { RecordedTelemetryCounts } from './telemetry-counts.js';

/**
 * What a session says about itself in its first and last records: the facts
 * a summary needs and the month and stage records do not hold. Records carry
 * them typed; only the audit files hold them as message context keys
 * (`"session.event":"start"`, …), written by {@link sessionFactsContext} and
 * read back by the report's decoder, so a summary rebuilt from the files sees
 * the very facts the live session saw.
 */
export type SessionFacts = SessionStartFacts | SessionEndFacts;

/** The session's start: its service and the thresholds in force. */
export interface SessionStartFacts {
  readonly event: 'start';
  readonly serviceName: string;
  /** The slow threshold of stages without one of their own, seconds. */
  readonly defaultThresholdS: number;
  /** Per-stage slow thresholds, seconds. */
  readonly stageThresholds: ReadonlyMap<string, number>;
  /** Memory thresholds, MB with one decimal, as the files write MB. */
  readonly memoryWarningMb: number;
  readonly memoryCriticalMb: number;
}

/** The session's end: the telemetry problems counted by then. */
export interface SessionEndFacts {
  readonly event: 'end';
  readonly telemetry: RecordedTelemetryCounts;
}

const SESSION = `${CONTEXT_PREFIX}session.`;
const MEMORY = `${CONTEXT_PREFIX}memory.`;

/** The context keys of the files' session records and memory crossing messages, with the attribute prefix. */
export const SESSION_KEYS = Object.freeze({
  event: `${SESSION}event`,
  serviceName: `${SESSION}service_name`,
  defaultThresholdS: `${SESSION}default_threshold_s`,
  /** Followed by the stage name: `…session.stage_threshold.download`. */
  stageThresholdPrefix: `${SESSION}stage_threshold.`,
  memoryWarningMb: `${SESSION}memory_warning_mb`,
  memoryCriticalMb: `${SESSION}memory_critical_mb`,
  auditWriteErrors: `${SESSION}audit_write_errors`,
  auditLostRecords: `${SESSION}audit_lost_records`,
  otlpDroppedSpans: `${SESSION}otlp_dropped_spans`,
  otlpDroppedLogRecords: `${SESSION}otlp_dropped_log_records`,
  otlpExportErrors: `${SESSION}otlp_export_errors`,
  alertFailures: `${SESSION}alert_failures`,
});

/** The context keys of a memory threshold message, with the attribute prefix. */
export const MEMORY_KEYS = Object.freeze({
  level: `${MEMORY}level`,
  direction: `${MEMORY}direction`,
  threshold: `${MEMORY}threshold`,
  rssMb: `${MEMORY}rss_mb`,
  thresholdMb: `${MEMORY}threshold_mb`,
});

/** The message text of a session's first or last record. */
export function sessionFactsText(sessionId: string, facts: SessionFacts): string {
  return facts.event === 'start' ? `Session ${sessionId} started (service ${facts.serviceName})` : `Session ${sessionId} ended`;
}

/** The facts as the context of the files' message line (the audit sink's half of the codec). */
export function sessionFactsContext(facts: SessionFacts): Attributes {
  if (facts.event === 'end') {
    const t = facts.telemetry;
    return {
      [SESSION_KEYS.event]: 'end',
      [SESSION_KEYS.auditWriteErrors]: t.auditWriteErrors,
      [SESSION_KEYS.auditLostRecords]: t.auditLostRecords,
      [SESSION_KEYS.otlpDroppedSpans]: t.otlpDroppedSpans,
      [SESSION_KEYS.otlpDroppedLogRecords]: t.otlpDroppedLogRecords,
      [SESSION_KEYS.otlpExportErrors]: t.otlpExportErrors,
      [SESSION_KEYS.alertFailures]: t.alertFailures,
    };
  }
  const context: Attributes = {
    [SESSION_KEYS.event]: 'start',
    [SESSION_KEYS.serviceName]: facts.serviceName,
    [SESSION_KEYS.defaultThresholdS]: facts.defaultThresholdS,
    [SESSION_KEYS.memoryWarningMb]: facts.memoryWarningMb,
    [SESSION_KEYS.memoryCriticalMb]: facts.memoryCriticalMb,
  };
  for (const [stage, seconds] of facts.stageThresholds) context[`${SESSION_KEYS.stageThresholdPrefix}${stage}`] = seconds;
  return context;
}
