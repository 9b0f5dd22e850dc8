/**
 * How many distinct stage names and months the session statistics hold.
 * Beyond them, further names (months) are counted together under
 * {@link OVERFLOW_NAME}, as the OpenTelemetry SDK folds metric series past
 * its cardinality limit (2,000 by default) into one marked
 * `otel.metric.overflow`: a pipeline that puts ids in stage names keeps a
 * flat memory, and the summary says so instead of growing without bound.
 * The live session and the offline summary use the same SessionStats, so
 * both fold the same names.
 */

/** Distinct stage names held one by one; the SDK's default metric cardinality limit. */
export const MAX_STAGE_NAMES = 2000;
/** Distinct months held one by one (a month's account is small; 10,000 is 833 years of monthly runs). */
export const MAX_MONTHS = 10_000;
/** The stage name (and month) under which the rest are counted. */
export const OVERFLOW_NAME = 'otel.metric.overflow';
