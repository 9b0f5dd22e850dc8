/**
 * The audit files' record shapes. docs/audit-files.md describes them for
 * people; readers check `schema_version` and refuse versions they do not know.
 */
export const AUDIT_SCHEMA_VERSION = 1;

export const HUMAN_LOG_FILE = 'enhanced_processing.log';
export const STRUCTURED_LOG_FILE = 'structured_processing.jsonl';
export const PERFORMANCE_LOG_FILE = 'performance_metrics.jsonl';
export const ERROR_LOG_FILE = 'error_details.log';

/** The Python logger called the month scope a stage named `month_processing`; its users' scripts filter on it. */
export const MONTH_STAGE_NAME = 'month_processing';

export type RecordType = 'message' | 'stage' | 'month';

/** One line of structured_processing.jsonl. */
export interface StructuredRecord {
  schema_version: number;
  record_type: RecordType;
  timestamp: string;
  processing_time: number;
  session_id: string;
  level: string;
  message: string;
  month: string | null;
  stage: string | null;
  stage_event: 'start' | 'end' | null;
  stage_duration?: number;
  success_status?: boolean;
  outcome?: 'success' | 'failure' | 'interrupted';
  context: Record<string, unknown>;
  memory_mb: number;
  has_error: boolean;
  error_type?: string;
  error_message?: string;
  trace_id: string | null;
  span_id: string | null;
}

/** One line of performance_metrics.jsonl: one per ended stage and month. */
export interface PerformanceRecord {
  schema_version: number;
  record_type: 'stage' | 'month';
  timestamp: string;
  session_id: string;
  month: string | null;
  stage: string;
  duration_seconds: number;
  memory_mb: number;
  memory_delta_mb: number;
  memory_peak_mb: number;
  heap_used_mb: number;
  heap_delta_mb: number;
  cpu_percent: number;
  success: boolean;
  outcome: 'success' | 'failure' | 'interrupted';
  slow: boolean;
  context: Record<string, unknown>;
  trace_id: string;
  span_id: string;
}
