/**
 * The log-record forward keeps the spans' delivery rules: a collector that
 * is away and comes back gets every record once; a full queue drops the
 * newest; a refusal for good (4xx) drops the batch; shutdown gives up at its
 * deadline and says how many.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ForwardLogRecordProcessor, type LogDropReason } from '../../../src/export/forward-log-processor.js';
import { type PartialSuccess, parsePartialSuccess } from '../../../src/export/partial-success.js';

/** An exporter whose answers the test decides: `up` accepts, `down` refuses the connection, `reject` answers 400. */
class ScriptedExporter implements LogRecordExporter {
  mode: 'up' | 'down' | 'reject' = 'up';
  readonly received: string[] = [];
  attempts = 0;
  shutDown = false;

  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.attempts++;
    if (this.mode === 'up') {
      for (const r of records) this.received.push(String(r.body));
      done({ code: ExportResultCode.SUCCESS });
    } else if (this.mode === 'down') {
      done({ code: ExportResultCode.FAILED, error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    } else {
      done({ code: ExportResultCode.FAILED, error: Object.assign(new Error('Bad Request'), { name: 'OTLPExporterError', code: 400 }) });
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.shutDown = true;
  }
}

const record = (body: string) => ({ body }) as unknown as ReadWriteLogRecord;

let drops: [number, LogDropReason][];
const onDropped = (count: number, reason: LogDropReason) => {
  drops.push([count, reason]);
};

beforeEach(() => {
  vi.useFakeTimers();
  drops = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ForwardLogRecordProcessor', () => {
  it('sends each record once in batches, a partial batch after the scheduled delay', async () => {
    const exporter = new ScriptedExporter();
    const p = new ForwardLogRecordProcessor(exporter, { maxExportBatchSize: 2, scheduledDelayMillis: 1000, onDropped });
    for (const body of ['a', 'b', 'c']) p.onEmit(record(body));
    await vi.advanceTimersByTimeAsync(0);
    expect(exporter.received).toEqual(['a', 'b']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(exporter.received).toEqual(['a', 'b', 'c']);
    expect(drops).toEqual([]);
  });

  it('keeps the records while the collector is down and delivers every one once when it is back', async () => {
    const exporter = new ScriptedExporter();
    exporter.mode = 'down';
    const p = new ForwardLogRecordProcessor(exporter, {
      maxExportBatchSize: 4,
      backoff: { initialMillis: 100, maxMillis: 400, random: () => 0.5 },
      onDropped,
    });
    const bodies = Array.from({ length: 10 }, (_, i) => `m${i}`);
    for (const body of bodies.slice(0, 5)) p.onEmit(record(body));
    await vi.advanceTimersByTimeAsync(5000);
    expect(exporter.attempts).toBeGreaterThan(3);
    expect(exporter.received).toEqual([]);
    for (const body of bodies.slice(5)) p.onEmit(record(body));
    exporter.mode = 'up';
    await vi.advanceTimersByTimeAsync(5000);
    expect(exporter.received).toEqual(bodies);
    expect(drops).toEqual([]);
  });

  it('drops the newest past the queue bound and counts them', async () => {
    const exporter = new ScriptedExporter();
    exporter.mode = 'down';
    const p = new ForwardLogRecordProcessor(exporter, { maxQueueRecords: 3, backoff: { initialMillis: 100 }, onDropped });
    for (const body of ['a', 'b', 'c', 'd', 'e']) p.onEmit(record(body));
    expect(drops).toEqual([
      [1, 'queue_full'],
      [1, 'queue_full'],
    ]);
    exporter.mode = 'up';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(exporter.received).toEqual(['a', 'b', 'c']);
  });

  it('drops a batch the collector refuses for good, and goes on with the next', async () => {
    const exporter = new ScriptedExporter();
    exporter.mode = 'reject';
    const p = new ForwardLogRecordProcessor(exporter, { maxExportBatchSize: 2, onDropped });
    p.onEmit(record('a'));
    p.onEmit(record('b'));
    await vi.advanceTimersByTimeAsync(0);
    expect(drops).toEqual([[2, 'rejected']]);
    exporter.mode = 'up';
    p.onEmit(record('c'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(exporter.received).toEqual(['c']);
  });

  it('flushes at shutdown, then gives up at shutdownTimeoutMillis on a collector that stays down and says how many', async () => {
    const exporter = new ScriptedExporter();
    const up = new ForwardLogRecordProcessor(exporter, { onDropped });
    up.onEmit(record('last'));
    await up.shutdown();
    expect(exporter.received).toEqual(['last']);
    expect(exporter.shutDown).toBe(true);

    const down = new ScriptedExporter();
    down.mode = 'down';
    const p = new ForwardLogRecordProcessor(down, { shutdownTimeoutMillis: 2000, backoff: { initialMillis: 100 }, onDropped });
    p.onEmit(record('x'));
    p.onEmit(record('y'));
    const stopping = p.shutdown();
    await vi.advanceTimersByTimeAsync(3000);
    await stopping;
    expect(drops).toEqual([[2, 'shutdown']]);
    p.onEmit(record('after'));
    expect(down.received).toEqual([]);
  });

  it('does not count a batch answered with a partial_success as delivered: its rejected records are dropped as rejected', async () => {
    const exporter = new ScriptedExporter();
    const answers: (PartialSuccess | undefined)[] = [{ rejectedSpans: 1, errorMessage: 'too old' }, undefined];
    const delivered: unknown[][] = [];
    const p = new ForwardLogRecordProcessor(exporter, {
      maxExportBatchSize: 2,
      onDropped,
      onDelivered: (records) => delivered.push(records.map((r) => r.body)),
      partialSuccess: { take: () => answers.shift() },
    });
    for (const body of ['a', 'b', 'c', 'd']) p.onEmit(record(body));
    await vi.advanceTimersByTimeAsync(1000);
    expect(exporter.received).toEqual(['a', 'b', 'c', 'd']);
    expect(drops).toEqual([[1, 'rejected']]);
    expect(delivered).toEqual([['c', 'd']]);
    // A logs answer names them rejectedLogRecords.
    const body = Buffer.from(JSON.stringify({ partialSuccess: { rejectedLogRecords: '2', errorMessage: 'x' } }));
    expect(parsePartialSuccess(body, 'application/json')).toEqual({ rejectedSpans: 2, errorMessage: 'x' });
  });
});
