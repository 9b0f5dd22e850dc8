import { CONTEXT_PREFIX } from '../model/attribute-names.js';
import type { StructuredRecord } from '../model/audit-schema.js';
import { SESSION_KEYS } from '../model/session-facts.js';
import { decodeAuditLine } from './audit-line.js';
import { AuditLogError } from './audit-log-error.js';
import { atMsOf } from './audit-records.js';
import { forEachLine, LineReader, totalBytes, UnreadableFileError } from './line-reader.js';
import { auditLogFiles, type SkippedLine } from './summarize-audit-log.js';

/** One session found in a log folder. */
export interface SessionListing {
  session_id: string;
  /** The run the session belongs to (its own id for files written before runs had one): `stagetrace report --run`. */
  run_id: string;
  /** First and last record, ISO 8601. */
  start: string;
  last_record: string;
  duration_seconds: number;
  months: number;
  months_failed: number;
  stage_executions: number;
  stage_failures: number;
  /**
   * `succeeded`: every month succeeded; `failed`: some month failed or was
   * interrupted; `open`: months or stages never ended (still running, or the
   * process was killed).
   */
  outcome: 'succeeded' | 'failed' | 'open';
}

interface Tally {
  runId: string;
  firstMs: number;
  lastMs: number;
  months: Set<string>;
  monthsFailed: Set<string>;
  stageExecutions: number;
  stageFailures: number;
  open: number;
  ended: boolean;
}

const SESSION_EVENT = SESSION_KEYS.event.slice(CONTEXT_PREFIX.length);

/** The sessions in a log folder, in the order they first appear. */
export async function listSessions(
  dir: string,
  options: { onSkippedLine?: (line: SkippedLine) => void; onProgress?: (bytesRead: number, totalBytes: number) => void } = {},
): Promise<SessionListing[]> {
  const { structured } = auditLogFiles(dir);
  const reader = new LineReader(structured);
  const total = options.onProgress ? await totalBytes(structured) : 0;
  const sessions = new Map<string, Tally>();
  const tally = (r: StructuredRecord) => {
    const atMs = atMsOf(r);
    let t = sessions.get(r.session_id);
    if (t === undefined) {
      t = {
        runId: typeof r.run_id === 'string' ? r.run_id : r.session_id,
        firstMs: atMs,
        lastMs: atMs,
        months: new Set(),
        monthsFailed: new Set(),
        stageExecutions: 0,
        stageFailures: 0,
        open: 0,
        ended: false,
      };
      sessions.set(r.session_id, t);
    }
    if (atMs < t.firstMs) t.firstMs = atMs;
    if (atMs > t.lastMs) t.lastMs = atMs;
    const month = typeof r.month === 'string' ? r.month : undefined;
    if (r.stage_event === 'start') {
      t.open++;
      if (r.record_type === 'month' && month !== undefined) t.months.add(month);
    } else if (r.stage_event === 'end') {
      if (t.open > 0) t.open--;
      if (r.record_type === 'month' && month !== undefined) {
        t.months.add(month);
        if (r.outcome !== 'success') t.monthsFailed.add(month);
        else t.monthsFailed.delete(month);
      } else if (r.record_type === 'stage') {
        t.stageExecutions++;
        if (r.outcome !== 'success') t.stageFailures++;
      }
    } else if (r.context?.[SESSION_EVENT] === 'end') t.ended = true;
  };
  try {
    await forEachLine(
      reader,
      (line) => {
        const decoded = decodeAuditLine('structured', line, reader);
        if (decoded === undefined) return;
        if (decoded.record === undefined) options.onSkippedLine?.({ ...reader.position(), reason: decoded.reason });
        else tally(decoded.record as unknown as StructuredRecord);
      },
      () => options.onProgress?.(reader.bytesRead, total),
    );
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new AuditLogError('unreadable', error.message, { cause: error });
    throw error;
  }
  if (sessions.size === 0)
    throw new AuditLogError('no-records', `${dir} holds no sessions: its structured_processing.jsonl has no records.`);
  return [...sessions].map(([id, t]) => ({
    session_id: id,
    run_id: t.runId,
    start: new Date(t.firstMs).toISOString(),
    last_record: new Date(t.lastMs).toISOString(),
    duration_seconds: Math.round(t.lastMs - t.firstMs) / 1000,
    months: t.months.size,
    months_failed: t.monthsFailed.size,
    stage_executions: t.stageExecutions,
    stage_failures: t.stageFailures,
    outcome: t.open > 0 && !t.ended ? 'open' : t.monthsFailed.size > 0 ? 'failed' : 'succeeded',
  }));
}
