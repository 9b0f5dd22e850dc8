import type { Attributes } from '@opentelemetry/api';
import { CONTEXT_PREFIX } from '../model/attribute-names.js';
import type { RecordedTelemetryCounts } from '../model/telemetry-counts.js';
import { toMb } from '../model/units.js';

/**
 * Context keys of the message records that carry session-level facts the
 * statistics need and the audit files would otherwise not hold: the session's
 * start (service name, slow thresholds, memory thresholds), its end (and the
 * telemetry counters at that moment), and memory threshold crossings.
 *
 * Why messages: they are ordinary records, so every sink handles them
 * unchanged and the file formats stay as they are; a summary rebuilt from the
 * files then sees the very facts the live session saw. In the JSONL the keys
 * appear without the `stagetrace.context.` prefix (`"session.event":"start"`).
 */
const SESSION = `${CONTEXT_PREFIX}session.`;
const MEMORY = `${CONTEXT_PREFIX}memory.`;

export const SESSION_EVENT_KEY = `${SESSION}event`;
export const SESSION_SERVICE_NAME_KEY = `${SESSION}service_name`;
export const SESSION_DEFAULT_THRESHOLD_KEY = `${SESSION}default_threshold_s`;
/** Followed by the stage name: `…session.stage_threshold.download`. */
export const SESSION_STAGE_THRESHOLD_PREFIX = `${SESSION}stage_threshold.`;
export const SESSION_MEMORY_WARNING_KEY = `${SESSION}memory_warning_mb`;
export const SESSION_MEMORY_CRITICAL_KEY = `${SESSION}memory_critical_mb`;
export const SESSION_AUDIT_WRITE_ERRORS_KEY = `${SESSION}audit_write_errors`;
export const SESSION_AUDIT_LOST_RECORDS_KEY = `${SESSION}audit_lost_records`;
export const SESSION_OTLP_DROPPED_SPANS_KEY = `${SESSION}otlp_dropped_spans`;
export const SESSION_OTLP_EXPORT_ERRORS_KEY = `${SESSION}otlp_export_errors`;
export const SESSION_ALERT_FAILURES_KEY = `${SESSION}alert_failures`;

export const MEMORY_LEVEL_KEY = `${MEMORY}level`;
export const MEMORY_RSS_MB_KEY = `${MEMORY}rss_mb`;
export const MEMORY_THRESHOLD_MB_KEY = `${MEMORY}threshold_mb`;
export const MEMORY_DIRECTION_KEY = `${MEMORY}direction`;

/** What a session knows about itself at its start. */
export interface SessionStartFacts {
  sessionId: string;
  serviceName: string;
  /** The slow threshold of stages without one of their own, seconds. */
  defaultThresholdS: number;
  /** Per-stage slow thresholds, seconds. */
  stageThresholds: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  memoryWarningBytes: number;
  memoryCriticalBytes: number;
}

/** A message record's text and context. */
export interface MarkerMessage {
  message: string;
  context: Attributes;
}

/**
 * The session's first record: an INFO message written when the session
 * starts, whatever the minimum log level, at the instant given to
 * `new SessionStats(startedAtMs)`.
 */
export function sessionStartMessage(facts: SessionStartFacts): MarkerMessage {
  const context: Attributes = {
    [SESSION_EVENT_KEY]: 'start',
    [SESSION_SERVICE_NAME_KEY]: facts.serviceName,
    [SESSION_DEFAULT_THRESHOLD_KEY]: facts.defaultThresholdS,
    [SESSION_MEMORY_WARNING_KEY]: toMb(facts.memoryWarningBytes),
    [SESSION_MEMORY_CRITICAL_KEY]: toMb(facts.memoryCriticalBytes),
  };
  const thresholds = facts.stageThresholds instanceof Map ? facts.stageThresholds : new Map(Object.entries(facts.stageThresholds));
  for (const [stage, seconds] of thresholds) context[`${SESSION_STAGE_THRESHOLD_PREFIX}${stage}`] = seconds;
  return { message: `Session ${facts.sessionId} started (service ${facts.serviceName})`, context };
}

/**
 * The session's last record: an INFO message written at shutdown, whatever
 * the minimum log level, after open months and stages were ended, at the
 * instant given to `SessionStats.end()`.
 */
export function sessionEndMessage(sessionId: string, telemetry: RecordedTelemetryCounts): MarkerMessage {
  return {
    message: `Session ${sessionId} ended`,
    context: {
      [SESSION_EVENT_KEY]: 'end',
      [SESSION_AUDIT_WRITE_ERRORS_KEY]: telemetry.auditWriteErrors,
      [SESSION_AUDIT_LOST_RECORDS_KEY]: telemetry.auditLostRecords,
      [SESSION_OTLP_DROPPED_SPANS_KEY]: telemetry.otlpDroppedSpans,
      [SESSION_OTLP_EXPORT_ERRORS_KEY]: telemetry.otlpExportErrors,
      [SESSION_ALERT_FAILURES_KEY]: telemetry.alertFailures,
    },
  };
}

/** A memory threshold crossing, as the context of the message that reports it. */
export interface MemoryCrossingFacts {
  /** The state after the crossing. */
  level: 'ok' | 'warning' | 'critical';
  direction: 'up' | 'down';
  rssBytes: number;
  thresholdBytes: number;
}

/** The context of a memory threshold message (RSS and threshold in MB with one decimal, as the files write MB). */
export function memoryCrossingContext(c: MemoryCrossingFacts): Attributes {
  return {
    [MEMORY_LEVEL_KEY]: c.level,
    [MEMORY_RSS_MB_KEY]: toMb(c.rssBytes),
    [MEMORY_THRESHOLD_MB_KEY]: toMb(c.thresholdBytes),
    [MEMORY_DIRECTION_KEY]: c.direction,
  };
}
