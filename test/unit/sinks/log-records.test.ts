/**
 * Every message record of structured_processing.jsonl is also one
 * OpenTelemetry log record through the user's LoggerProvider: same text,
 * level, time, trace and span ids, attributes under the span's names, the
 * exception under the semantic conventions' names.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { attributes as A, LEVELS, type LogLevel, logProgress, traceMonth, traceStage } from '../../../src/index.js';
import { logRecordOf, SEVERITY_NUMBER } from '../../../src/sinks/log-record-sink.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';
import { ref } from '../../helpers/records.js';

const runs = Math.max(5, Math.floor((Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200) / 10));

let session: InMemorySession | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await session?.close();
  session = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(options: Parameters<typeof startInMemory>[0] = {}): { s: InMemorySession; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stagetrace-log-records-'));
  dirs.push(dir);
  session = startInMemory({ logDir: dir, logLevel: 'DEBUG', ...options });
  return { s: session, dir };
}

interface FileMessage {
  message: string;
  level: string;
  trace_id: string | null;
  span_id: string | null;
  month: string | null;
  stage: string | null;
  session_id: string;
  epoch_ms: number;
  error_type?: string;
  error_message?: string;
  message_seq?: number;
}

function fileMessages(dir: string): FileMessage[] {
  const file = readdirSync(dir).find((f) => f.startsWith('structured_processing') && f.endsWith('.jsonl'));
  if (file === undefined) throw new Error(`no structured_processing file in ${dir}`);
  return readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as FileMessage & { record_type: string })
    .filter((r) => r.record_type === 'message');
}

function idsOf(record: ReadableLogRecord): { trace: string | null; span: string | null } {
  const ctx = record.spanContext;
  return { trace: ctx?.traceId ?? null, span: ctx?.spanId ?? null };
}

/** The file's message lines and the log records, matched one to one in order. */
async function closeAndPair(s: InMemorySession, dir: string): Promise<[FileMessage, ReadableLogRecord][]> {
  await s.close();
  const lines = fileMessages(dir);
  const records = s.logRecords();
  expect(records).toHaveLength(lines.length);
  return lines.map((line, i) => [line, records[i] as ReadableLogRecord]);
}

function expectSame(line: FileMessage, record: ReadableLogRecord): void {
  expect(record.body).toBe(line.message);
  expect(record.severityText).toBe(line.level);
  expect(record.severityNumber).toBe(SEVERITY_NUMBER[line.level as LogLevel]);
  const ids = idsOf(record);
  expect(ids.trace).toBe(line.trace_id);
  expect(ids.span).toBe(line.span_id);
  expect(record.attributes[A.ATTR_SESSION_ID]).toBe(line.session_id);
  // The message's number in its session, the same in the file and on the record: what replay and the journal key on.
  expect(line.message_seq).toEqual(expect.any(Number));
  expect(record.attributes[A.ATTR_MESSAGE_SEQ]).toBe(line.message_seq);
  expect(record.attributes[A.ATTR_MONTH] ?? null).toBe(line.month);
  expect(record.attributes[A.ATTR_STAGE_NAME] ?? null).toBe(line.stage);
  // The file keeps whole milliseconds; the record the same instant, to the microsecond.
  const [seconds, nanos] = record.hrTime;
  expect(Math.abs(seconds * 1000 + nanos / 1e6 - line.epoch_ms)).toBeLessThan(0.01);
  if (line.error_type === undefined) expect(record.attributes[A.ATTR_EXCEPTION_TYPE]).toBeUndefined();
  else {
    expect(record.attributes[A.ATTR_EXCEPTION_TYPE]).toBe(line.error_type);
    expect(record.attributes[A.ATTR_EXCEPTION_MESSAGE]).toBe(line.error_message);
    expect(String(record.attributes[A.ATTR_EXCEPTION_STACKTRACE])).toContain(line.error_type);
  }
}

describe('log records: one per message record of the files', () => {
  it('maps the five levels to OpenTelemetry severity numbers and keeps the level as written', () => {
    expect(LEVELS.map((l) => SEVERITY_NUMBER[l])).toEqual([5, 9, 13, 17, 21]);
  });

  it('gives a message in a stage the stage span ids, month, stage name and context of the span', async () => {
    const { s, dir } = open();
    traceMonth('2024-03', () =>
      traceStage('download', () => logProgress('fetched', { context: { rows: 12, bucket: 'raw' }, level: 'WARNING' })),
    );
    const pairs = await closeAndPair(s, dir);
    const fetched = pairs.find(([line]) => line.message === 'fetched');
    if (fetched === undefined) throw new Error('no log record for the message');
    const [line, record] = fetched;
    expectSame(line, record);
    const span = s.span('download');
    expect(idsOf(record)).toEqual({ trace: span.spanContext().traceId, span: span.spanContext().spanId });
    expect(record.attributes['stagetrace.context.rows']).toBe(12);
    expect(record.attributes['stagetrace.context.bucket']).toBe('raw');
    expect(record.attributes[A.ATTR_KIND]).toBe('stage');
    for (const [l, r] of pairs) expectSame(l, r);
  });

  it('records an error as exception.type, exception.message and exception.stacktrace', async () => {
    const { s, dir } = open();
    class ChecksumError extends Error {
      override name = 'ChecksumError';
    }
    traceStage('validate', () => logProgress('bad file', { level: 'ERROR', error: new ChecksumError('crc mismatch') }));
    const pairs = await closeAndPair(s, dir);
    const [line, record] = pairs.find(([l]) => l.message === 'bad file') ?? [];
    if (line === undefined || record === undefined) throw new Error('no log record for the message');
    expectSame(line, record);
    expect(record.attributes[A.ATTR_EXCEPTION_TYPE]).toBe('ChecksumError');
    expect(record.attributes[A.ATTR_EXCEPTION_MESSAGE]).toBe('crc mismatch');
    expect(String(record.attributes[A.ATTR_EXCEPTION_STACKTRACE])).toMatch(/^ChecksumError: crc mismatch\n\s+at /);
  });

  it('gives a message outside any month or stage no span ids, even inside a span of the application', async () => {
    const record = logRecordOf(
      {
        type: 'message',
        atMs: 1,
        level: 'INFO',
        message: 'outside',
        scope: undefined,
        label: undefined,
        context: undefined,
        error: undefined,
        rssBytes: 0,
      },
      'sess',
    );
    const { trace } = await import('@opentelemetry/api');
    expect(trace.getSpanContext(record.context)).toBeUndefined();
    expect(record.attributes).toEqual({ [A.ATTR_SESSION_ID]: 'sess' });
  });

  it('carries the trace flags of the scope: unsampled spans give unsampled records', () => {
    const scope = { ...ref('stage', 'load', '2024-01'), sampled: false };
    const record = logRecordOf(
      { type: 'message', atMs: 1, level: 'INFO', message: 'm', scope, label: undefined, context: undefined, error: undefined, rssBytes: 0 },
      'sess',
    );
    return import('@opentelemetry/api').then(({ trace }) => {
      expect(trace.getSpanContext(record.context)).toEqual({ traceId: scope.traceId, spanId: scope.spanId, traceFlags: 0 });
    });
  });

  it('emits nothing with logs: false', async () => {
    const { s } = open({ logs: false });
    traceStage('work', () => logProgress('quiet'));
    await s.close();
    expect(s.logRecords()).toEqual([]);
  });

  it('leaves messages below logLevel out, as the files do', async () => {
    const { s, dir } = open({ logLevel: 'WARNING' });
    traceStage('work', () => {
      logProgress('detail', { level: 'DEBUG' });
      logProgress('note', { level: 'INFO' });
      logProgress('careful', { level: 'WARNING' });
    });
    const pairs = await closeAndPair(s, dir);
    expect(pairs.map(([, r]) => r.body)).not.toContain('detail');
    expect(pairs.map(([, r]) => r.body)).toContain('careful');
  });

  it('property: for any messages, contexts, levels and scopes, text and ids equal the file record', async () => {
    const message = fc.string({ maxLength: 60 });
    const context = fc.option(
      fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/), fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean()), {
        maxKeys: 4,
      }),
      { nil: undefined },
    );
    const where = fc.constantFrom('none', 'month', 'stage', 'label');
    const entry = fc.record({ message, context, level: fc.constantFrom(...LEVELS), where, fails: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 6 }), async (entries) => {
        const { s, dir } = open();
        for (const e of entries) {
          const log = () =>
            logProgress(e.message, {
              level: e.level,
              context: e.context,
              error: e.fails ? new RangeError(`bad ${e.message}`) : undefined,
              stage: e.where === 'label' ? 'labelled' : undefined,
            });
          if (e.where === 'month') traceMonth('2024-05', log);
          else if (e.where === 'stage') traceMonth('2024-06', () => traceStage('step', log));
          else log();
        }
        const pairs = await closeAndPair(s, dir);
        for (const [line, record] of pairs) expectSame(line, record);
        expect(pairs.map(([line]) => line.message_seq)).toEqual(pairs.map((_, i) => i + 1));
        session = undefined;
        for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      }),
      { numRuns: runs },
    );
  });
});
