/**
 * The audit files' record shapes. docs/audit-files.md describes them for
 * people; readers check `schema_version` and refuse versions they do not know.
 *
 * Version 2 added, at the end of structured lines, what a span needs to be
 * rebuilt by `stagetrace replay` (parent id, times at full precision, bytes,
 * stacks, memory events, sampled), and the delivery file
 * `otlp_delivery.jsonl`. Version 1 lines read the same, without those fields.
 *
 * Version 3 added `run_id` after `session_id` in structured and performance
 * lines: the run every process of one run shares. Older lines read as a run
 * of their own session.
 */
export const AUDIT_SCHEMA_VERSION = 3;

export const HUMAN_LOG_FILE = 'enhanced_processing.log';
export const STRUCTURED_LOG_FILE = 'structured_processing.jsonl';
export const PERFORMANCE_LOG_FILE = 'performance_metrics.jsonl';
export const ERROR_LOG_FILE = 'error_details.log';
/** Which spans the collector acknowledged; written only by sessions that forward spans over OTLP, and by replay. */
export const DELIVERY_LOG_FILE = 'otlp_delivery.jsonl';

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
  /** Schema 3: the run this session belongs to; absent before (read as the session id). */
  run_id?: string;
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
  // Schema 2, after span_id; absent from schema 1 records.
  /** Starts and ends: the enclosing span, null for a month. */
  parent_span_id?: string | null;
  /** The instant of `timestamp` at full precision: epoch milliseconds with a fraction (for an end, the span's end). */
  epoch_ms?: number;
  /** Ends: the span's start, epoch milliseconds at full precision. */
  start_epoch_ms?: number;
  /** Starts: RSS and V8 heap used at the start, bytes. */
  rss_bytes?: number;
  heap_used_bytes?: number;
  /** Ends: memory in bytes, as the span's attributes carry it. */
  rss_start_bytes?: number;
  rss_end_bytes?: number;
  rss_peak_bytes?: number;
  heap_start_bytes?: number;
  heap_end_bytes?: number;
  /** Stage ends: the slow threshold in force, seconds. */
  threshold_s?: number | null;
  /** Interrupted ends: why. */
  reason?: string;
  /** Messages: the message's number in its session, from 1, as its log record carries it (absent in older lines). */
  message_seq?: number;
  /** With an error: its stack with `Caused by:` sections, as the span's exception event has it. */
  error_stack?: string;
  /** With an error that has a `cause` chain: each cause's type and message, outermost first. */
  error_causes?: { type: string; message: string }[];
  /** Messages of a memory threshold crossing: the `memory.threshold` event on every open span. */
  memory_event?: {
    epoch_ms: number;
    level: string;
    direction: string;
    rss_bytes: number;
    threshold_bytes: number;
    span_ids: string[];
  };
  /** Starts and ends: false when the sampler left the span out of export. */
  sampled?: boolean;
}

/** One line of performance_metrics.jsonl: one per ended stage and month. */
export interface PerformanceRecord {
  schema_version: number;
  record_type: 'stage' | 'month';
  timestamp: string;
  session_id: string;
  /** Schema 3: the run this session belongs to; absent before (read as the session id). */
  run_id?: string;
  month: string | null;
  stage: string;
  duration_seconds: number;
  memory_mb: number;
  memory_delta_mb: number;
  memory_peak_mb: number;
  heap_used_mb: number;
  heap_delta_mb: number;
  /** The process's CPU over the sampler's last interval, percent of one core: not the stage's own (see `cpu_share`). */
  cpu_percent: number;
  success: boolean;
  outcome: 'success' | 'failure' | 'interrupted';
  slow: boolean;
  context: Record<string, unknown>;
  trace_id: string;
  span_id: string;
  /** CPU time of the process between the scope's start and end, user + system, seconds. Absent in older lines. */
  cpu_seconds?: number;
  /** `cpu_seconds` over `duration_seconds`, to 0.001 (1 = one core busy throughout). Absent in older lines. */
  cpu_share?: number;
  /** Highest V8 heap in use sampled while the scope was open, MB. Absent in older lines. */
  heap_peak_mb?: number;
  /** Another month or stage (not enclosing it, not inside it) ran at the same time: the figures are process-wide. Absent in older lines. */
  overlapped?: boolean;
}

/** The run that forwards spans: who they are from. Written once, with the session's first span. */
export interface DeliverySessionRecord {
  schema_version: number;
  record_type: 'session';
  timestamp: string;
  session_id: string;
  /** The process, so that replay can tell a session still running on this host. */
  pid: number;
  host_name: string;
  /** The traces URL the run sends to. */
  endpoint: string;
  /** The spans' resource attributes and instrumentation scope, as the collector receives them. */
  resource: Record<string, unknown>;
  scope_name: string;
  scope_version: string | null;
  /** The logs URL, when the session also forwards its messages as log records (absent otherwise, and in older files). */
  logs_endpoint?: string;
}

/** One batch the collector acknowledged. */
export interface DeliveredRecord {
  schema_version: number;
  record_type: 'delivered';
  timestamp: string;
  session_id: string;
  /** `forward`: sent by the run; `replay`: by `stagetrace replay`. */
  via: 'forward' | 'replay';
  endpoint: string;
  /** The acknowledged spans of this session (stagetrace's months and stages only). */
  span_ids: string[];
}

/** Most message numbers one `logs_delivered` line holds: a longer batch takes several lines, and a reader refuses a longer list. */
export const MAX_SEQS_PER_LINE = 4096;

/** Log records of stagetrace's messages the collector acknowledged, by their `message_seq`. */
export interface LogsDeliveredRecord {
  schema_version: number;
  record_type: 'logs_delivered';
  timestamp: string;
  session_id: string;
  via: 'forward' | 'replay';
  /** The logs URL. */
  endpoint: string;
  /** At most {@link MAX_SEQS_PER_LINE}. */
  message_seqs: number[];
}

/** The forward shut down: what it delivered and what it gave up, by reason. */
export interface DeliveryEndRecord {
  schema_version: number;
  record_type: 'session_end';
  timestamp: string;
  session_id: string;
  delivered_spans: number;
  /** Spans not delivered, by reason (`queue_full`, `rejected`, `shutdown`): what a replay would send. */
  undelivered_spans: Record<string, number>;
  /** Failed exports over the whole session, those of the shutdown drain included (absent in older files). */
  export_errors?: number;
  /** With a log forward: log records delivered, and those given up by reason (absent otherwise, and in older files). */
  delivered_logs?: number;
  undelivered_logs?: Record<string, number>;
}

/** One line of otlp_delivery.jsonl. */
export type DeliveryRecord = DeliverySessionRecord | DeliveredRecord | LogsDeliveredRecord | DeliveryEndRecord;
