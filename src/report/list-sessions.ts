import { CONTEXT_PREFIX } from '../model/attribute-names.js';
import { AUDIT_SCHEMA_VERSION, type StructuredRecord } from '../model/audit-schema.js';
import { SESSION_EVENT_KEY } from '../stats/session-markers.js';
import { LineReader, totalBytes, UnreadableFileError } from './line-reader.js';
import { AuditLogError, auditLogFiles, type SkippedLine } from './summarize-audit-log.js';

/** One session found in a log folder. */
export interface SessionListing {
  session_id: string;
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
  firstMs: number;
  lastMs: number;
  months: Set<string>;
  monthsFailed: Set<string>;
  stageExecutions: number;
  stageFailures: number;
  open: number;
  ended: boolean;
}

const SESSION_EVENT = SESSION_EVENT_KEY.slice(CONTEXT_PREFIX.length);

/** The sessions in a log folder, in the order they first appear. */
export async function listSessions(
  dir: string,
  options: { onSkippedLine?: (line: SkippedLine) => void; onProgress?: (bytesRead: number, totalBytes: number) => void } = {},
): Promise<SessionListing[]> {
  const { structured } = auditLogFiles(dir);
  const reader = new LineReader(structured);
  const total = options.onProgress ? await totalBytes(structured) : 0;
  const sessions = new Map<string, Tally>();
  try {
    for (;;) {
      const line = reader.next();
      if (line === undefined) {
        if (reader.done) break;
        await reader.fill();
        options.onProgress?.(reader.bytesRead, total);
        continue;
      }
      if (line === '') continue;
      let r: StructuredRecord;
      try {
        r = JSON.parse(line) as StructuredRecord;
      } catch (error) {
        options.onSkippedLine?.({
          ...reader.position(),
          reason: reader.lastLineTorn
            ? 'torn last line (the process was stopped while writing it)'
            : `not JSON (${(error as Error).message})`,
        });
        continue;
      }
      if (typeof r?.schema_version !== 'number' || typeof r.session_id !== 'string') {
        options.onSkippedLine?.({ ...reader.position(), reason: 'not an audit record (no schema_version)' });
        continue;
      }
      if (r.schema_version > AUDIT_SCHEMA_VERSION) {
        const { file, line: lineNo } = reader.position();
        throw new AuditLogError(
          'newer-schema',
          `${file}:${lineNo} has schema_version ${r.schema_version}, newer than this reader's ${AUDIT_SCHEMA_VERSION}: upgrade stagetrace to read it.`,
        );
      }
      const atMs = Math.round(r.processing_time * 1000);
      let t = sessions.get(r.session_id);
      if (t === undefined) {
        t = {
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
      if (r.stage_event === 'start') {
        t.open++;
        if (r.record_type === 'month' && r.month !== null) t.months.add(r.month);
      } else if (r.stage_event === 'end') {
        if (t.open > 0) t.open--;
        if (r.record_type === 'month' && r.month !== null) {
          t.months.add(r.month);
          if (r.outcome !== 'success') t.monthsFailed.add(r.month);
          else t.monthsFailed.delete(r.month);
        } else if (r.record_type === 'stage') {
          t.stageExecutions++;
          if (r.outcome !== 'success') t.stageFailures++;
        }
      } else if (r.context?.[SESSION_EVENT] === 'end') t.ended = true;
    }
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new AuditLogError('unreadable', error.message, { cause: error });
    throw error;
  } finally {
    await reader.close();
  }
  if (sessions.size === 0)
    throw new AuditLogError('no-records', `${dir} holds no sessions: its structured_processing.jsonl has no records.`);
  return [...sessions].map(([id, t]) => ({
    session_id: id,
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
