import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DELIVERY_LOG_FILE,
  type DeliveryRecord,
  PERFORMANCE_LOG_FILE,
  type PerformanceRecord,
  STRUCTURED_LOG_FILE,
  type StructuredRecord,
} from '../model/audit-schema.js';
import { type AuditLogKind, decodeAuditLine } from './audit-line.js';
import { LineReader } from './line-reader.js';

export type { AuditLogKind } from './audit-line.js';

export interface ReadAuditLogOptions {
  /**
   * `structured` (default): structured_processing.jsonl; `performance`:
   * performance_metrics.jsonl; `delivery`: otlp_delivery.jsonl (absent for
   * sessions that did not forward spans: then nothing is read).
   */
  file?: AuditLogKind;
  /** Only records of this session. */
  sessionId?: string;
  /** Called for each line that is not a valid record (a torn last line after a kill, say); reading goes on. */
  onInvalidLine?: (problem: InvalidLine) => void;
}

export interface InvalidLine {
  file: string;
  /** 1-based, in its file. */
  line: number;
  /** Why it is not a record, in words: not JSON, torn, a field of the wrong type or out of range, too long. */
  reason: string;
  /** The line, up to its first 1024 characters. */
  text: string;
}

type RecordOf<K extends AuditLogKind | undefined> = K extends 'performance'
  ? PerformanceRecord
  : K extends 'delivery'
    ? DeliveryRecord
    : StructuredRecord;

const FILE_OF: Readonly<Record<AuditLogKind, string>> = {
  structured: STRUCTURED_LOG_FILE,
  performance: PERFORMANCE_LOG_FILE,
  delivery: DELIVERY_LOG_FILE,
};

/** Rotated generations oldest first (`name.N` … `name.1`), then the live file. */
export function auditFileGenerations(dir: string, name: string): string[] {
  const rotated: { n: number; path: string }[] = [];
  for (const entry of existsSync(dir) ? readdirSync(dir) : []) {
    if (!entry.startsWith(`${name}.`)) continue;
    const n = Number(entry.slice(name.length + 1));
    if (Number.isInteger(n) && n > 0) rotated.push({ n, path: join(dir, entry) });
  }
  rotated.sort((a, b) => b.n - a.n);
  const files = rotated.map((r) => r.path);
  if (existsSync(join(dir, name))) files.push(join(dir, name));
  return files;
}

/**
 * Reads audit records across rotated files and sessions, oldest first.
 * Lines that are not valid JSON records are skipped and reported through
 * `onInvalidLine`; a record of a newer schema version than this reader
 * knows stops the read with an error saying so. Records of every older
 * version are read as they are: version 1 structured records lack the
 * fields schema 2 added (they are optional in {@link StructuredRecord}).
 *
 * @example
 * for await (const record of readAuditLog('logs', { file: 'performance' })) console.log(record.stage, record.duration_seconds);
 */
// The default applies to `readAuditLog(dir)`: without it O falls back to its constraint and
// the records would type as StructuredRecord | PerformanceRecord.
export async function* readAuditLog<O extends ReadAuditLogOptions = ReadAuditLogOptions & { file?: 'structured' }>(
  dir: string,
  options?: O,
): AsyncGenerator<RecordOf<O['file']>> {
  const name = FILE_OF[options?.file ?? 'structured'];
  if (name === undefined) {
    throw new Error(`stagetrace: readAuditLog: file ${JSON.stringify(options?.file)} is not one of ${Object.keys(FILE_OF).join(', ')}.`);
  }
  if (!existsSync(dir)) throw new Error(`stagetrace: readAuditLog: folder ${JSON.stringify(dir)} does not exist.`);
  const kind = options?.file ?? 'structured';
  const reader = new LineReader(auditFileGenerations(dir, name));
  for await (const text of reader.lines()) {
    const decoded = decodeAuditLine(kind, text, reader);
    if (decoded === undefined) continue;
    if (decoded.record === undefined) {
      const where = reader.position();
      // Not the whole text of a line cut by the length cap: it may be megabytes.
      options?.onInvalidLine?.({ file: where.file, line: where.line, reason: decoded.reason, text: text.slice(0, 1024) });
      continue;
    }
    if (options?.sessionId !== undefined && decoded.record.session_id !== options.sessionId) continue;
    yield decoded.record as unknown as RecordOf<O['file']>;
  }
}
