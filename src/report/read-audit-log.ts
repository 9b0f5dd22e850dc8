import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  AUDIT_SCHEMA_VERSION,
  DELIVERY_LOG_FILE,
  type DeliveryRecord,
  PERFORMANCE_LOG_FILE,
  type PerformanceRecord,
  STRUCTURED_LOG_FILE,
  type StructuredRecord,
} from '../model/audit-schema.js';

/** Which JSONL file to read. */
export type AuditLogKind = 'structured' | 'performance' | 'delivery';

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
  line: number;
  reason: string;
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
  for (const file of auditFileGenerations(dir, name)) {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
    let lineNo = 0;
    for await (const text of lines) {
      lineNo++;
      if (text.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch (error) {
        options?.onInvalidLine?.({ file, line: lineNo, reason: `not JSON (${(error as Error).message})`, text });
        continue;
      }
      const version = (record as { schema_version?: unknown } | null)?.schema_version;
      if (typeof record !== 'object' || record === null || typeof version !== 'number') {
        options?.onInvalidLine?.({ file, line: lineNo, reason: 'not an audit record (no schema_version)', text });
        continue;
      }
      if (version > AUDIT_SCHEMA_VERSION) {
        lines.close();
        throw new Error(
          `stagetrace: ${file}:${lineNo} has schema_version ${version}, newer than this reader's ${AUDIT_SCHEMA_VERSION}; upgrade stagetrace to read it.`,
        );
      }
      if (options?.sessionId !== undefined && (record as { session_id?: unknown }).session_id !== options.sessionId) continue;
      yield record as RecordOf<O['file']>;
    }
  }
}
