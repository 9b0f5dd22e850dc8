import { existsSync, statSync } from 'node:fs';
import {
  DELIVERY_LOG_FILE,
  type DeliveryEndRecord,
  PERFORMANCE_LOG_FILE,
  type PerformanceRecord,
  STRUCTURED_LOG_FILE,
  type StructuredRecord,
} from '../model/audit-schema.js';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../model/records.js';
import { NO_TELEMETRY_PROBLEMS, type RecordedTelemetryCounts } from '../model/telemetry-counts.js';
import { SessionStats } from '../stats/session-stats.js';
import { buildSessionSummary, type LiveFacts, type SessionSummary } from '../stats/session-summary.js';
import { type AuditLogKind, decodeAuditLine } from './audit-line.js';
import { AuditLogError } from './audit-log-error.js';
import { endRecordFrom, messageRecordFrom, startRecordFrom } from './audit-records.js';
import { forEachLine, type LinePosition, LineReader, openRegularFile, totalBytes, UnreadableFileError } from './line-reader.js';
import { auditFileGenerations, readAuditLog } from './read-audit-log.js';

export { AuditLogError } from './audit-log-error.js';

/** A line that is not a record of the session, skipped. */
export interface SkippedLine extends LinePosition {
  reason: string;
}

export interface SummarizeAuditLogOptions {
  /** The session to summarise; by default the latest one in the files. */
  session?: string;
  /**
   * Summarise a run instead: every session whose records carry this `run_id`
   * (older lines: this session id), from every folder given. The default with
   * several folders: the run of the latest session in the first.
   */
  run?: string;
  /** Called for each line that is not a valid record (a torn last line after a kill, say); reading goes on. */
  onSkippedLine?: (line: SkippedLine) => void;
  /** Called after each chunk read (64 KiB), with the bytes read so far of both JSONL files. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Called with every record of the session, in file order, after the statistics took it. */
  onRecord?: (record: ScopeStartRecord | ScopeEndRecord | MessageRecord) => void;
}

/** Performance lines read ahead while looking for one; beyond this the oldest are dropped. */
const MAX_PENDING_PERFORMANCE = 10_000;
const NEED_MORE = Symbol('need more input');

/**
 * The session summary rebuilt from the audit files alone: the JSONL records
 * are turned back into the session's records and fed to the same
 * {@link SessionStats} the live session uses, so for a session that ended
 * the result equals what `getSessionSummary()` returned.
 *
 * Reads `structured_processing.jsonl` and `performance_metrics.jsonl` (every
 * rotated generation) once, side by side, in constant memory.
 *
 * @throws AuditLogError for a missing folder, no records, an unknown session,
 *   a newer schema version or an unreadable file.
 */
export async function summarizeAuditLog(dirs: string | readonly string[], options: SummarizeAuditLogOptions = {}): Promise<SessionSummary> {
  if (typeof dirs !== 'string' && dirs.length === 0) {
    throw new AuditLogError('missing-folder', 'no folder given: give the logDir (or the logDirs of one run) to summarise.');
  }
  const dir = typeof dirs === 'string' ? dirs : (dirs[0] as string);
  if (typeof dirs !== 'string' && (dirs.length > 1 || options.run !== undefined)) return summarizeRun(dirs, options);
  if (options.run !== undefined) return summarizeRun([dir], options);
  const { stats, sessionId } = await feedSession(dir, options);
  const recorded = stats.recordedConfig;
  const facts: LiveFacts = {
    sessionId,
    serviceName: recorded.serviceName ?? 'unknown_service',
    nowMs: stats.lastRecordMs ?? stats.startedAtMs,
    openScopes: stats.openScopes,
    currentRssBytes: 0,
    telemetry: await withForwardEnd(dir, sessionId, stats.telemetryAtEnd ?? NO_TELEMETRY_PROBLEMS),
  };
  return buildSessionSummary(stats, facts);
}

/**
 * The summary of one run over the folders of its processes: every record of
 * the run, from every folder, in time order, fed to one SessionStats — the
 * months from every process, stage statistics and bottlenecks over all of
 * them. Its `session_id` is the run id. Holds the run's records in memory
 * while it sorts them.
 */
async function summarizeRun(dirs: readonly string[], options: SummarizeAuditLogOptions): Promise<SessionSummary> {
  const run = options.run ?? (await latestRunId(auditLogFiles(dirs[0] as string).structured));
  if (run === undefined) throw new AuditLogError('no-records', `${dirs[0]} holds no sessions: ${STRUCTURED_LOG_FILE} has no records.`);
  const records: (ScopeStartRecord | ScopeEndRecord | MessageRecord)[] = [];
  for (const dir of dirs) {
    await readRecords(dir, { ...options, onRecord: undefined, onProgress: undefined }, { run }, (record) => records.push(record));
  }
  if (records.length === 0) {
    throw new AuditLogError(
      'unknown-session',
      `no run ${JSON.stringify(run)} in ${dirs.join(', ')}: \`stagetrace sessions\` lists the sessions of a folder.`,
    );
  }
  // Stable: records of one process with the same time keep their file order.
  records.sort((a, b) => timeOf(a) - timeOf(b));
  const stats = new SessionStats(timeOf(records[0] as ScopeStartRecord));
  for (const record of records) {
    if (record.type === 'start') stats.onStart(record);
    else if (record.type === 'end') stats.onEnd(record);
    else stats.onMessage(record);
    options.onRecord?.(record);
  }
  const last = stats.lastRecordMs;
  if (stats.endedAtMs === undefined && stats.openScopes === 0 && last !== undefined) stats.end(last);
  const recorded = stats.recordedConfig;
  return buildSessionSummary(stats, {
    sessionId: run,
    serviceName: recorded.serviceName ?? 'unknown_service',
    nowMs: stats.lastRecordMs ?? stats.startedAtMs,
    openScopes: stats.openScopes,
    currentRssBytes: 0,
    telemetry: runTelemetry(records),
  });
}

/** The telemetry problems of every session of a run: the sum of their end records. */
function runTelemetry(records: readonly (ScopeStartRecord | ScopeEndRecord | MessageRecord)[]): RecordedTelemetryCounts {
  const sum: RecordedTelemetryCounts = { ...NO_TELEMETRY_PROBLEMS };
  for (const record of records) {
    const facts = record.type === 'message' ? record.sessionFacts : undefined;
    if (facts?.event !== 'end') continue;
    const t = facts.telemetry;
    sum.auditWriteErrors += t.auditWriteErrors;
    sum.auditLostRecords += t.auditLostRecords;
    sum.otlpDroppedSpans += t.otlpDroppedSpans;
    sum.otlpDroppedLogRecords += t.otlpDroppedLogRecords;
    sum.otlpExportErrors += t.otlpExportErrors;
    sum.alertFailures += t.alertFailures;
  }
  return sum;
}

const timeOf = (r: ScopeStartRecord | ScopeEndRecord | MessageRecord) =>
  r.type === 'start' ? r.startMs : r.type === 'end' ? r.endMs : r.atMs;

/**
 * The session's end record is written before the OTLP forward shuts down
 * (so it is on disk even if the drain is cut short), and cannot count the
 * spans given up or the exports failed during that drain; the forward's own
 * `session_end` record in otlp_delivery.jsonl, written after, does. A
 * session without one keeps what its end record says.
 */
async function withForwardEnd(dir: string, sessionId: string, telemetry: RecordedTelemetryCounts): Promise<RecordedTelemetryCounts> {
  if (auditFileGenerations(dir, DELIVERY_LOG_FILE).length === 0) return telemetry;
  let end: DeliveryEndRecord | undefined;
  try {
    for await (const record of readAuditLog(dir, { file: 'delivery', sessionId })) {
      if (record.record_type === 'session_end') end = record;
    }
  } catch {
    return telemetry; // The delivery file is an addition: the summary stands without it.
  }
  if (end === undefined) return telemetry;
  const exportErrors = typeof end.export_errors === 'number' ? end.export_errors : 0;
  return {
    ...telemetry,
    otlpDroppedSpans: Math.max(telemetry.otlpDroppedSpans, total(end.undelivered_spans)),
    otlpDroppedLogRecords: Math.max(telemetry.otlpDroppedLogRecords, total(end.undelivered_logs)),
    otlpExportErrors: Math.max(telemetry.otlpExportErrors, exportErrors),
  };
}

/** The sum of a count-by-reason object of the delivery file (the decoder let through whole numbers only). */
function total(counts: Record<string, number> | undefined): number {
  let sum = 0;
  for (const count of Object.values(counts ?? {})) sum += count;
  return sum;
}

/** Checks the folder and lists the JSONL generations; throws AuditLogError when there is nothing to read. */
export function auditLogFiles(dir: string): { structured: string[]; performance: string[] } {
  if (!existsSync(dir))
    throw new AuditLogError('missing-folder', `no folder ${dir}: give the logDir your pipeline writes its audit files to.`);
  if (!statSync(dir).isDirectory())
    throw new AuditLogError('missing-folder', `${dir} is a file, not a folder: give the logDir your pipeline writes its audit files to.`);
  const structured = auditFileGenerations(dir, STRUCTURED_LOG_FILE);
  if (structured.length === 0) {
    throw new AuditLogError(
      'no-records',
      `${dir} holds no sessions: there is no ${STRUCTURED_LOG_FILE} in it. Is it the folder the pipeline's logDir names?`,
    );
  }
  return { structured, performance: auditFileGenerations(dir, PERFORMANCE_LOG_FILE) };
}

/**
 * Reads one session's records in file order and feeds them to a fresh
 * SessionStats; with the session's end not in the files and nothing left
 * open, the session counts as ended at its last record.
 */
export async function feedSession(
  dir: string,
  options: SummarizeAuditLogOptions = {},
): Promise<{ stats: SessionStats; sessionId: string }> {
  const files = auditLogFiles(dir);
  const sessionId = options.session ?? (await latestSessionId(files.structured));
  if (sessionId === undefined) throw new AuditLogError('no-records', `${dir} holds no sessions: ${STRUCTURED_LOG_FILE} has no records.`);
  let stats: SessionStats | undefined;
  const take = (record: ScopeStartRecord | ScopeEndRecord | MessageRecord) => {
    stats ??= new SessionStats(record.type === 'start' ? record.startMs : record.type === 'end' ? record.endMs : record.atMs);
    if (record.type === 'start') stats.onStart(record);
    else if (record.type === 'end') stats.onEnd(record);
    else stats.onMessage(record);
    options.onRecord?.(record);
  };
  await readRecords(dir, options, { session: sessionId }, take);
  // Assigned in `take`, which the compiler does not follow.
  const fed = stats as SessionStats | undefined;
  if (fed === undefined) {
    throw new AuditLogError(
      options.session === undefined ? 'no-records' : 'unknown-session',
      options.session === undefined
        ? `${dir} holds no sessions: ${STRUCTURED_LOG_FILE} has no records.`
        : `no session ${JSON.stringify(sessionId)} in ${dir}: \`stagetrace sessions ${dir}\` lists the sessions there.`,
    );
  }
  const last = fed.lastRecordMs;
  if (fed.endedAtMs === undefined && fed.openScopes === 0 && last !== undefined) fed.end(last);
  return { stats: fed, sessionId };
}

/** Which records to read: one session's, or one run's (a line without `run_id` is a run of its own session). */
type Selection = { session: string; run?: undefined } | { run: string; session?: undefined };

/**
 * Reads the selected records of one folder in file order and hands each to
 * `take`, an end with its performance line.
 */
async function readRecords(
  dir: string,
  options: SummarizeAuditLogOptions,
  select: Selection,
  take: (record: ScopeStartRecord | ScopeEndRecord | MessageRecord) => void,
): Promise<void> {
  const files = auditLogFiles(dir);
  const id = select.session ?? select.run;
  const needle = `"session_id":${JSON.stringify(id)}`;
  const runNeedle = `"run_id":${JSON.stringify(id)}`;
  const selected = (record: Record<string, unknown>) =>
    select.session !== undefined ? record.session_id === id : (record.run_id ?? record.session_id) === id;
  const structured = new LineReader(files.structured);
  const performance = new LineReader(files.performance);
  const total = options.onProgress ? await totalBytes([...files.structured, ...files.performance]) : 0;
  const pending = new Map<string, PerformanceRecord>();

  const skip = (reader: LineReader, reason: string) => options.onSkippedLine?.({ ...reader.position(), reason });
  /**
   * The line as a record of this session; undefined for other sessions and for lines skipped. Only lines
   * that name the session are decoded; a line that does not and is not shaped like a record (`{…}`) is
   * decoded too, so that damage in the middle of a file is noted, not passed over.
   */
  const parse = <R extends { session_id: string }>(reader: LineReader, kind: AuditLogKind, line: string): R | undefined => {
    if (
      !line.includes(needle) &&
      (select.run === undefined || !line.includes(runNeedle)) &&
      line.charCodeAt(0) === 123 &&
      line.charCodeAt(line.length - 1) === 125
    )
      return undefined;
    const decoded = decodeAuditLine(kind, line, reader);
    if (decoded === undefined) return undefined;
    if (decoded.record === undefined) {
      skip(reader, decoded.reason);
      return undefined;
    }
    return selected(decoded.record) ? (decoded.record as unknown as R) : undefined;
  };

  /** The performance line of an ended scope: it is written in the same order as the structured end lines. */
  const performanceOf = (spanId: string, timestamp: string): PerformanceRecord | undefined | typeof NEED_MORE => {
    const seen = pending.get(spanId);
    if (seen !== undefined) {
      pending.delete(spanId);
      return seen;
    }
    for (;;) {
      const line = performance.next();
      if (line === undefined) return performance.done ? undefined : NEED_MORE;
      const record = parse<PerformanceRecord>(performance, 'performance', line);
      if (record === undefined) continue;
      if (record.span_id === spanId) return record;
      pending.set(record.span_id, record);
      if (pending.size > MAX_PENDING_PERFORMANCE) pending.delete(pending.keys().next().value as string);
      // Past this end's time: its performance line is not in the files (an older generation was deleted).
      if (record.timestamp > timestamp) return undefined;
    }
  };

  const progress = () => options.onProgress?.(structured.bytesRead + performance.bytesRead, total);

  /** An end whose performance line is in a chunk not read yet. */
  const endAfterMore = async (r: StructuredRecord) => {
    let perf: ReturnType<typeof performanceOf> = NEED_MORE;
    while (perf === NEED_MORE) {
      await performance.fill();
      progress();
      perf = performanceOf(r.span_id ?? '', r.timestamp);
    }
    take(endRecordFrom(r, perf));
  };

  try {
    await forEachLine(
      structured,
      (line) => {
        const r = parse<StructuredRecord>(structured, 'structured', line);
        if (r === undefined) return;
        if (r.stage_event === 'start') take(startRecordFrom(r));
        else if (r.stage_event === 'end') {
          const perf = performanceOf(r.span_id ?? '', r.timestamp);
          if (perf === NEED_MORE) return endAfterMore(r);
          take(endRecordFrom(r, perf));
        } else take(messageRecordFrom(r));
      },
      progress,
    );
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new AuditLogError('unreadable', error.message, { cause: error });
    throw error;
  } finally {
    await structured.close();
    await performance.close();
  }
}

/** The session of the last record in the newest generation that has one. */
export async function latestSessionId(files: readonly string[]): Promise<string | undefined> {
  return (await latestIds(files))?.session;
}

/** The run of the last record in the newest generation that has one (its session id, for lines without a run). */
export async function latestRunId(files: readonly string[]): Promise<string | undefined> {
  return (await latestIds(files))?.run;
}

async function latestIds(files: readonly string[]): Promise<Ids | undefined> {
  for (let i = files.length - 1; i >= 0; i--) {
    const file = files[i] as string;
    const ids = (await lastSessionInTail(file)) ?? (await lastSessionInFile(file));
    if (ids !== undefined) return ids;
  }
  return undefined;
}

interface Ids {
  session: string;
  run: string;
}

/** The session of the last record in the file's last MiB: where it is, unless damage fills the tail. */
async function lastSessionInTail(file: string): Promise<Ids | undefined> {
  let text: string;
  try {
    const handle = await openRegularFile(file);
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 1 << 20);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new AuditLogError('unreadable', new UnreadableFileError(file, error).message, { cause: error });
  }
  const lines = text.split('\n');
  for (let j = lines.length - 1; j >= 0; j--) {
    const id = sessionOfLine(lines[j] as string, file);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** The session of the file's last record, reading all of it: for a tail of megabytes of damage (a power cut's NUL bytes). */
async function lastSessionInFile(file: string): Promise<Ids | undefined> {
  let id: Ids | undefined;
  try {
    await forEachLine(new LineReader([file]), (line) => {
      id = sessionOfLine(line, file) ?? id;
    });
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new AuditLogError('unreadable', error.message, { cause: error });
    throw error;
  }
  return id;
}

function sessionOfLine(line: string, file: string): Ids | undefined {
  let record: { session_id?: unknown; run_id?: unknown };
  try {
    const decoded = decodeAuditLine('structured', line, { position: () => ({ file, line: 0, torn: false }) });
    if (decoded?.record === undefined) return undefined;
    record = decoded.record;
  } catch {
    // A newer schema: its session is read, and the read stops at the line, saying where.
    record = JSON.parse(line) as typeof record;
  }
  const session = record.session_id;
  if (typeof session !== 'string') return undefined;
  return { session, run: typeof record.run_id === 'string' ? record.run_id : session };
}
