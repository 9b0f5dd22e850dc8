/**
 * The forward's retry logic on fake timers: a batch the collector did not
 * take is kept and tried again with backoff, spans that end meanwhile wait
 * behind it, only a full queue drops, and shutdown keeps trying until its
 * bound. The exporter here is scripted (each export waits for the test to
 * answer it); the real exporters against real receivers are in
 * test/integration/delivery.test.ts.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { type ReadableSpan, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ForwardDropReason, ForwardSpanProcessor } from '../../../src/export/forward-span-processor.js';
import type { PartialSuccess } from '../../../src/export/partial-success.js';

/** An exporter whose exports wait until the test answers them. */
class ScriptedExporter implements SpanExporter {
  readonly calls: { spans: ReadableSpan[]; atMs: number; answer: (result: ExportResult) => void }[] = [];
  shutdowns = 0;

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.calls.push({ spans, atMs: Date.now(), answer: done });
  }

  /** Answers the oldest unanswered export. */
  answer(result: ExportResult): ReadableSpan[] {
    const call = this.calls.find((c) => !(c as { answered?: boolean }).answered);
    if (call === undefined) throw new Error('no export waiting');
    (call as { answered?: boolean }).answered = true;
    call.answer(result);
    return call.spans;
  }

  pending(): number {
    return this.calls.filter((c) => !(c as { answered?: boolean }).answered).length;
  }

  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

const ok: ExportResult = { code: ExportResultCode.SUCCESS };
const refused = (): ExportResult => ({
  code: ExportResultCode.FAILED,
  error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4318'), { code: 'ECONNREFUSED' }),
});
const httpError = (status: number): ExportResult => ({
  code: ExportResultCode.FAILED,
  error: Object.assign(new Error(`HTTP ${status}`), { name: 'OTLPExporterError', code: status }),
});

class RecordingReporter {
  readonly drops: { count: number; reason: ForwardDropReason }[] = [];
  readonly retries: { count: number; inMs: number }[] = [];
  readonly delivered: string[] = [];
  dropped(count: number, reason: ForwardDropReason): void {
    this.drops.push({ count, reason });
  }
  retrying(count: number, inMs: number): void {
    this.retries.push({ count, inMs });
  }
  delivered_(spans: readonly ReadableSpan[]): void {
    for (const s of spans) this.delivered.push(s.name);
  }
  droppedBy(reason: ForwardDropReason): number {
    return this.drops.filter((d) => d.reason === reason).reduce((n, d) => n + d.count, 0);
  }
}

function setup(options: ConstructorParameters<typeof ForwardSpanProcessor>[2] = {}) {
  const exporter = new ScriptedExporter();
  const reporter = new RecordingReporter();
  const processor = new ForwardSpanProcessor(
    exporter,
    { dropped: (c, r) => reporter.dropped(c, r), retrying: (c, ms) => reporter.retrying(c, ms), delivered: (s) => reporter.delivered_(s) },
    // Jitter fixed at its middle: waits are 75 % of the ceiling.
    { scheduledDelayMillis: 1000, backoff: { initialMillis: 1000, maxMillis: 8000, random: () => 0.5 }, ...options },
  );
  const provider = new TracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('test');
  let n = 0;
  /** Ends `count` spans named s1, s2, … */
  const end = (count: number) => {
    for (let i = 0; i < count; i++) tracer.startSpan(`s${++n}`).end();
  };
  const names = (spans: readonly ReadableSpan[]) => spans.map((s) => s.name);
  return { exporter, reporter, processor, end, names };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry instead of drop', () => {
  it('keeps a batch the collector did not take and sends it again after the backoff, then delivers each span once', async () => {
    const { exporter, reporter, end, names } = setup({ maxExportBatchSize: 3 });
    end(3);
    expect(exporter.pending()).toBe(1); // a full batch goes at once
    exporter.answer(refused());
    expect(reporter.retries).toEqual([{ count: 3, inMs: 750 }]);
    end(2); // ends while the collector is away: waits behind the failed batch
    await vi.advanceTimersByTimeAsync(749);
    expect(exporter.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(names(exporter.answer(ok))).toEqual(['s1', 's2', 's3']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(names(exporter.answer(ok))).toEqual(['s4', 's5']);
    expect(reporter.delivered).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(reporter.drops).toEqual([]);
  });

  it('waits longer after each failure, up to the maximum, and starts again from the first wait after a success', async () => {
    const { exporter, reporter, end } = setup({ maxExportBatchSize: 1 });
    end(1);
    for (let i = 0; i < 6; i++) {
      exporter.answer(refused());
      await vi.advanceTimersByTimeAsync(reporter.retries.at(-1)?.inMs ?? 0);
    }
    expect(reporter.retries.map((r) => r.inMs)).toEqual([750, 1500, 3000, 6000, 6000, 6000]);
    exporter.answer(ok);
    end(1);
    exporter.answer(refused());
    expect(reporter.retries.at(-1)?.inMs).toBe(750);
  });

  it('tries one batch at a time while the collector fails, and sends the backlog as soon as it answers', async () => {
    const { exporter, end, names } = setup({ maxExportBatchSize: 2, maxConcurrentExports: 2 });
    end(2);
    exporter.answer(refused());
    end(6); // three more full batches wait
    expect(exporter.pending()).toBe(0);
    await vi.advanceTimersByTimeAsync(750);
    expect(exporter.pending()).toBe(1); // one probe, not three batches
    exporter.answer(ok);
    expect(exporter.pending()).toBe(2); // answered: full concurrency again, at once
    expect(names(exporter.answer(ok))).toEqual(['s3', 's4']);
    expect(names(exporter.answer(ok))).toEqual(['s5', 's6']);
    expect(names(exporter.answer(ok))).toEqual(['s7', 's8']);
  });

  it('waits as long as the collector asked with Retry-After when that is longer than the backoff', async () => {
    const retryAfter = { asked: 7000 as number | undefined, retryAfterSince: () => retryAfter.asked };
    const { exporter, reporter, end } = setup({ maxExportBatchSize: 1, retryAfter });
    end(1);
    exporter.answer(refused());
    expect(reporter.retries[0]?.inMs).toBe(7000);
    await vi.advanceTimersByTimeAsync(6999);
    expect(exporter.pending()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(exporter.pending()).toBe(1);
    retryAfter.asked = 1; // shorter than the backoff: the backoff wins
    exporter.answer(refused());
    expect(reporter.retries[1]?.inMs).toBe(1500);
  });

  it('drops a batch the collector refuses for good (400) without retrying it, and goes on with the next', async () => {
    const { exporter, reporter, end, names } = setup({ maxExportBatchSize: 2 });
    end(2);
    exporter.answer(httpError(400));
    expect(reporter.droppedBy('rejected')).toBe(2);
    expect(reporter.retries).toEqual([]);
    end(2);
    expect(names(exporter.answer(ok))).toEqual(['s3', 's4']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(exporter.calls).toHaveLength(2);
  });

  it('retries 429 and 503 answers', () => {
    const { exporter, reporter, end } = setup({ maxExportBatchSize: 1 });
    end(1);
    exporter.answer(httpError(503));
    expect(reporter.retries).toHaveLength(1);
    expect(reporter.drops).toEqual([]);
  });

  it('counts an export whose answer never comes as failed, and sends the batch again', async () => {
    const { exporter, reporter, end, names } = setup({ maxExportBatchSize: 2, exportTimeoutMillis: 5000 });
    end(2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(reporter.retries).toEqual([{ count: 2, inMs: 750 }]);
    await vi.advanceTimersByTimeAsync(750);
    expect(exporter.calls).toHaveLength(2);
    expect(names(exporter.calls[1]?.spans ?? [])).toEqual(['s1', 's2']);
  });
});

describe('the bounded queue', () => {
  it('drops the newest spans once the queue holds maxQueueSpans, and counts them', () => {
    const { exporter, reporter, processor, end } = setup({ maxQueueSpans: 5, maxExportBatchSize: 5 });
    end(5);
    exporter.answer(refused());
    end(7); // the failed five are back in the queue, which is full
    expect(processor.queuedSpans).toBe(5);
    expect(reporter.droppedBy('queue_full')).toBe(7);
  });

  it('bounds the queue in estimated bytes too', () => {
    const { reporter, processor, end } = setup({ maxQueueBytes: 20_000, maxExportBatchSize: 512 });
    end(100);
    expect(processor.queuedBytes).toBeLessThanOrEqual(20_000);
    expect(processor.queuedSpans).toBeGreaterThan(0);
    expect(processor.queuedSpans + reporter.droppedBy('queue_full')).toBe(100);
    expect(reporter.droppedBy('queue_full')).toBeGreaterThan(0);
  });

  it('keeps a failed batch in front when spans queued meanwhile: the newest give way', async () => {
    const { exporter, reporter, processor, end, names } = setup({ maxQueueSpans: 4, maxExportBatchSize: 2, maxConcurrentExports: 1 });
    end(2); // in flight
    end(4); // room for two: the batch in flight counts against the bound
    exporter.answer(refused());
    expect(processor.queuedSpans).toBe(4);
    expect(reporter.droppedBy('queue_full')).toBe(2); // s5 and s6 found no room: s1 and s2, in flight, still count
    await vi.advanceTimersByTimeAsync(750);
    expect(names(exporter.answer(ok))).toEqual(['s1', 's2']);
    expect(names(exporter.answer(ok))).toEqual(['s3', 's4']);
  });
});

describe('forceFlush and shutdown', () => {
  it('forceFlush sends partial batches at once and waits for the answers', async () => {
    const { exporter, processor, end } = setup();
    end(3);
    expect(exporter.pending()).toBe(0);
    const flushed = processor.forceFlush();
    expect(exporter.pending()).toBe(1);
    exporter.answer(ok);
    await flushed;
    expect(processor.queuedSpans).toBe(0);
  });

  it('forceFlush does not wait through the backoff while the collector fails: the spans stay queued', async () => {
    const { exporter, processor, reporter, end } = setup({ maxExportBatchSize: 2 });
    end(2);
    exporter.answer(refused());
    let done = false;
    void processor.forceFlush().then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    expect(processor.queuedSpans).toBe(2);
    expect(reporter.drops).toEqual([]);
  });

  it('shutdown tries a failing collector again at once, delivers when it answers, and gives up nothing', async () => {
    const { exporter, processor, reporter, end } = setup({ maxExportBatchSize: 2, shutdownTimeoutMillis: 5000 });
    end(2);
    exporter.answer(refused()); // next try in 750 ms
    end(1);
    const stopping = processor.shutdown();
    await vi.advanceTimersByTimeAsync(0);
    expect(exporter.pending()).toBe(1);
    exporter.answer(ok);
    await vi.advanceTimersByTimeAsync(0);
    exporter.answer(ok);
    await stopping;
    expect(reporter.delivered).toEqual(['s1', 's2', 's3']);
    expect(reporter.drops).toEqual([]);
    expect(exporter.shutdowns).toBe(1);
  });

  it('shutdown keeps retrying with backoff until shutdownTimeoutMillis, then counts what it could not deliver', async () => {
    const { exporter, processor, reporter, end } = setup({ maxExportBatchSize: 2, shutdownTimeoutMillis: 5000, attemptTimeoutMillis: 100 });
    end(5);
    exporter.answer(refused());
    const started = Date.now();
    let stoppedAt = 0;
    void processor.shutdown().then(() => {
      stoppedAt = Date.now();
    });
    // Every try fails at once; the waits grow (750, 1500, 3000 …) until the next would pass the deadline.
    for (let i = 0; i < 20 && stoppedAt === 0; i++) {
      await vi.advanceTimersByTimeAsync(0);
      if (exporter.pending() > 0) exporter.answer(refused());
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt - started).toBeLessThanOrEqual(5000);
    expect(exporter.calls.length).toBeGreaterThanOrEqual(3);
    expect(reporter.drops).toEqual([{ count: 5, reason: 'shutdown' }]);
    // After shutdown, a late span is counted as not delivered, never queued.
    end(1);
    expect(reporter.droppedBy('shutdown')).toBe(6);
    expect(processor.queuedSpans).toBe(0);
  });

  it('shutdown starts no retry that could not end before its deadline (no export outlives it)', async () => {
    const { exporter, processor, reporter, end } = setup({
      maxExportBatchSize: 2,
      shutdownTimeoutMillis: 5000,
      attemptTimeoutMillis: 3000,
    });
    end(2);
    exporter.answer(refused());
    let stoppedAt = 0;
    const started = Date.now();
    void processor.shutdown().then(() => {
      stoppedAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(exporter.pending()).toBe(1); // the immediate try fits: 0 + 3000 ≤ 4500
    await vi.advanceTimersByTimeAsync(2000);
    exporter.answer(refused()); // the next would start in 1500 ms and could run to 6500: not started
    await vi.advanceTimersByTimeAsync(0);
    expect(stoppedAt - started).toBe(2000);
    expect(exporter.calls).toHaveLength(2);
    expect(reporter.drops).toEqual([{ count: 2, reason: 'shutdown' }]);
  });

  it('shutdown gives up an export that hangs when shutdownTimeoutMillis is over', async () => {
    const { exporter, processor, reporter, end } = setup({ shutdownTimeoutMillis: 2000 });
    end(3);
    let stopped = false;
    void processor.shutdown().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(1799);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toBe(true);
    expect(exporter.pending()).toBe(1);
    expect(reporter.drops).toEqual([{ count: 3, reason: 'shutdown' }]);
    // The collector answers after all: the spans are recorded as delivered (replay will not send them again).
    exporter.answer(ok);
    expect(reporter.delivered).toEqual(['s1', 's2', 's3']);
  });

  it('shutdown is idempotent', async () => {
    const { processor, exporter } = setup();
    await Promise.all([processor.shutdown(), processor.shutdown()]);
    await processor.shutdown();
    expect(exporter.shutdowns).toBe(1);
  });
});

describe('partial_success', () => {
  it('a success whose answer rejected spans: counted as rejected, the batch neither delivered nor retried, and the collector counts as up', async () => {
    const answers: (PartialSuccess | undefined)[] = [];
    const { exporter, reporter, end, names } = setup({ maxExportBatchSize: 3, partialSuccess: { take: () => answers.shift() } });
    end(3);
    exporter.answer(refused()); // the collector was away: backoff
    await vi.advanceTimersByTimeAsync(750);
    answers.push({ rejectedSpans: 2, errorMessage: 'too old' });
    expect(names(exporter.answer(ok))).toEqual(['s1', 's2', 's3']);
    expect(reporter.drops).toEqual([{ count: 2, reason: 'rejected' }]);
    expect(reporter.delivered).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(exporter.pending()).toBe(0); // not sent again
    end(3); // the collector answered: no backoff before the next batch
    expect(exporter.pending()).toBe(1);
    exporter.answer(ok);
    expect(reporter.delivered).toEqual(['s4', 's5', 's6']);
  });
});
