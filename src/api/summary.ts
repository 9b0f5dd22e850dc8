import { formatSessionReport } from '../report/session-report.js';
import { summarySession } from '../setup/current-session.js';
import type { SessionSummary } from '../stats/session-summary.js';

/**
 * A JSON-serialisable snapshot of the session so far: per stage, per month,
 * totals, and the counts of telemetry problems. After `shutdown()` it
 * describes the session that ended.
 */
export function getSessionSummary(): SessionSummary {
  return summarySession().summary();
}

/** The session summary as readable multi-line text. */
export function generateSessionReport(): string {
  return formatSessionReport(getSessionSummary());
}
