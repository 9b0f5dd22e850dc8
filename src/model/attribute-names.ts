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
export const ATTR_MONTH = 'stagetrace.month';
export const ATTR_STAGE_NAME = 'stagetrace.stage.name';
export const ATTR_OUTCOME = 'stagetrace.outcome';
export const ATTR_INTERRUPTED_REASON = 'stagetrace.interrupted.reason';
export const ATTR_SLOW = 'stagetrace.stage.slow';
export const ATTR_THRESHOLD_S = 'stagetrace.stage.threshold_s';
export const ATTR_DURATION_S = 'stagetrace.duration_s';
export const ATTR_RSS_START_MB = 'stagetrace.memory.rss_start_mb';
export const ATTR_RSS_END_MB = 'stagetrace.memory.rss_end_mb';
export const ATTR_RSS_DELTA_MB = 'stagetrace.memory.rss_delta_mb';
export const ATTR_RSS_PEAK_MB = 'stagetrace.memory.rss_peak_mb';
export const ATTR_HEAP_START_MB = 'stagetrace.memory.heap_used_start_mb';
export const ATTR_HEAP_END_MB = 'stagetrace.memory.heap_used_end_mb';
export const ATTR_HEAP_DELTA_MB = 'stagetrace.memory.heap_used_delta_mb';
/** Prefix under which the caller's context is flattened. */
export const CONTEXT_PREFIX = 'stagetrace.context.';

export const EVENT_LOG = 'log';
export const EVENT_SLOW = 'stagetrace.stage.slow';
export const EVENT_MEMORY_THRESHOLD = 'memory.threshold';
export const EVENT_ATTR_LEVEL = 'log.level';
export const EVENT_ATTR_MESSAGE = 'log.message';

export const KIND_MONTH = 'month';
export const KIND_STAGE = 'stage';

/** Span name of every month span; the month itself is {@link ATTR_MONTH}. */
export const MONTH_SPAN_NAME = 'month';

export type Outcome = 'success' | 'failure' | 'interrupted';

/** A month or a stage. */
export type ScopeKind = 'month' | 'stage';
