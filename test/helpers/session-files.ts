import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../../src/model/records.js';
import { NO_TELEMETRY_PROBLEMS } from '../../src/model/telemetry-counts.js';
import { writeRecords } from './audit-jsonl.js';
import { end, errorInfo, ref, sessionEnded, sessionStarted, start } from './records.js';

export type SessionRecord = ScopeStartRecord | ScopeEndRecord | MessageRecord;

export interface MonthlySessionOptions {
  serviceName?: string;
  /** Write the session's end marker (default true); without it and with a month left open, the session is still running or was killed. */
  ended?: boolean;
  /** A month started whose end is not in the files. */
  openMonth?: string;
  /** Memory thresholds the session ran with (default 700 and 900 MB). */
  warningMb?: number;
  criticalMb?: number;
}

/**
 * A whole session as the records it writes, markers included: per month,
 * each stage's seconds in order; a negative number is a stage that failed
 * after that long (and so its month). Times are exact, so reports of these
 * files can be checked to the character.
 */
export function monthlySession(
  sessionId: string,
  atMs: number,
  months: Record<string, Record<string, number>>,
  options: MonthlySessionOptions = {},
): SessionRecord[] {
  const serviceName = options.serviceName ?? 'nightly-etl';
  const records: SessionRecord[] = [
    sessionStarted(atMs, { sessionId, serviceName, warningMb: options.warningMb ?? 700, criticalMb: options.criticalMb ?? 900 }),
  ];
  let t = atMs;
  for (const [month, stages] of Object.entries(months)) {
    const m = ref('month', 'month', month, undefined, sessionId);
    const monthStart = t;
    records.push(start(m, t));
    let failed: string | undefined;
    for (const [name, seconds] of Object.entries(stages)) {
      const s = ref('stage', name, month, m, sessionId);
      records.push(start(s, t));
      const failure = seconds < 0 ? { outcome: 'failure' as const, error: errorInfo('RangeError', `${name} broke`) } : {};
      records.push(end(s, t, Math.abs(seconds), failure));
      failed ??= seconds < 0 ? name : undefined;
      t += Math.abs(seconds) * 1000;
    }
    records.push(
      end(m, monthStart, (t - monthStart) / 1000, failed ? { outcome: 'failure', error: errorInfo('RangeError', `${failed} broke`) } : {}),
    );
  }
  if (options.openMonth !== undefined) records.push(start(ref('month', 'month', options.openMonth, undefined, sessionId), t));
  if (options.ended ?? true) {
    records.push(sessionEnded(t, NO_TELEMETRY_PROBLEMS, { sessionId }));
  }
  return records;
}

/** Appends {@link monthlySession}'s records to the audit files of `dir`. */
export function writeMonthlySession(
  dir: string,
  sessionId: string,
  atMs: number,
  months: Record<string, Record<string, number>>,
  options: MonthlySessionOptions = {},
): SessionRecord[] {
  const records = monthlySession(sessionId, atMs, months, options);
  writeRecords(dir, sessionId, records);
  return records;
}
