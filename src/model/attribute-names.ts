/**
 * Span attribute and event names written by stagetrace. One table in the
 * README mirrors this file; keep them in step.
 *
 * Names follow OpenTelemetry's rules: lower-case dotted namespaces, our own
 * under `stagetrace.`, and span names of low cardinality (the month is an
 * attribute, never part of a span name).
 */
export const ATTR_KIND = 'stagetrace.kind';
export const ATTR_SESSION_ID = 'stagetrace.session.id';
/** On log records: the message's number in its session (`message_seq` in the files), for replay and de-duplication. */
export const ATTR_MESSAGE_SEQ = 'stagetrace.message.seq';
/** The run: one id across every process of a run; also a resource attribute. */
export const ATTR_RUN_ID = 'stagetrace.run.id';
export const ATTR_MONTH = 'stagetrace.month';
export const ATTR_STAGE_NAME = 'stagetrace.stage.name';
export const ATTR_OUTCOME = 'stagetrace.outcome';
export const ATTR_INTERRUPTED_REASON = 'stagetrace.interrupted.reason';
export const ATTR_SLOW = 'stagetrace.stage.slow';
/**
 * Numbers are sent in integer units (microseconds, bytes) so that each
 * attribute has one type on every span: OTLP encodes a whole-valued double
 * as an int64, so `1.5` seconds and `2` seconds would arrive as two types.
 */
export const ATTR_THRESHOLD_US = 'stagetrace.stage.threshold_us';
export const ATTR_DURATION_US = 'stagetrace.duration_us';
export const ATTR_RSS_START_BYTES = 'stagetrace.memory.rss_start_bytes';
export const ATTR_RSS_END_BYTES = 'stagetrace.memory.rss_end_bytes';
export const ATTR_RSS_DELTA_BYTES = 'stagetrace.memory.rss_delta_bytes';
export const ATTR_RSS_PEAK_BYTES = 'stagetrace.memory.rss_peak_bytes';
export const ATTR_HEAP_START_BYTES = 'stagetrace.memory.heap_used_start_bytes';
export const ATTR_HEAP_END_BYTES = 'stagetrace.memory.heap_used_end_bytes';
export const ATTR_HEAP_DELTA_BYTES = 'stagetrace.memory.heap_used_delta_bytes';
/** Prefix under which the caller's context is flattened. */
export const CONTEXT_PREFIX = 'stagetrace.context.';

/** Semantic-convention names (stable): the error's class name, or `interrupted`, on failed spans and duration series. */
export const ATTR_ERROR_TYPE = 'error.type';
/** An exception on a log record (stable semantic conventions). */
export const ATTR_EXCEPTION_TYPE = 'exception.type';
export const ATTR_EXCEPTION_MESSAGE = 'exception.message';
export const ATTR_EXCEPTION_STACKTRACE = 'exception.stacktrace';

export const EVENT_LOG = 'log';
export const EVENT_SLOW = 'stagetrace.stage.slow';
/** Recorded at coarse steps of `stage.progress()`: each tenth of the total, or each doubling without one. */
export const EVENT_PROGRESS = 'stagetrace.stage.progress';
export const EVENT_ATTR_PROGRESS_DONE = 'stagetrace.progress.done';
export const EVENT_ATTR_PROGRESS_TOTAL = 'stagetrace.progress.total';
export const EVENT_MEMORY_THRESHOLD = 'memory.threshold';
export const EVENT_ATTR_LEVEL = 'log.level';
export const EVENT_ATTR_MESSAGE = 'log.message';
/** Attributes of the memory threshold event (and, level and direction, of the crossing counter). */
export const EVENT_ATTR_MEMORY_LEVEL = 'memory.threshold.level';
export const EVENT_ATTR_MEMORY_DIRECTION = 'memory.direction';
export const EVENT_ATTR_MEMORY_RSS_BYTES = 'memory.rss_bytes';
export const EVENT_ATTR_MEMORY_THRESHOLD_BYTES = 'memory.threshold_bytes';

export const KIND_MONTH = 'month';
export const KIND_STAGE = 'stage';

/** Span name of every month span; the month itself is {@link ATTR_MONTH}. */
export const MONTH_SPAN_NAME = 'month';

export type Outcome = 'success' | 'failure' | 'interrupted';

/** A month or a stage. */
export type ScopeKind = 'month' | 'stage';
