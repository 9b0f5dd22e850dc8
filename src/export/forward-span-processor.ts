import { type Context, context as contextApi, TraceFlags } from '@opentelemetry/api';
import { BindOnceFuture, type ExportResult, ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * Why spans were not forwarded: the export failed, the forward queue was
 * full, the export did not finish in time, or the collector had just failed
 * and is given a rest before the next try.
 */
export type ForwardDropReason = 'export_failed' | 'queue_full' | 'timeout' | 'collector_unavailable';

/** Where the processor reports spans it could not forward; the session counts them and says it once. */
export interface ForwardReporter {
  dropped(count: number, reason: ForwardDropReason, error?: unknown): void;
}

export interface ForwardSpanProcessorOptions {
  /** Spans waiting to be forwarded; beyond this the newest are dropped from the forward (and counted). Default 2048. */
  maxQueueSize?: number;
  /** Spans per forward export. Default 512. */
  maxExportBatchSize?: number;
  /** Longest wait before a partial batch is forwarded. Default 1000. */
  scheduledDelayMillis?: number;
  /** A forward export not finished by then is counted as dropped. Default 30000. */
  exportTimeoutMillis?: number;
  /** Forward exports in flight at once; further spans wait in the queue. Default 2. */
  maxConcurrentExports?: number;
}

/**
 * Batches sampled spans and forwards them to an exporter (OTLP), with at
 * most a few exports in flight and a bounded queue. What it drops is
 * counted and reported; the audit files never depend on it (they are
 * written from the session's records).
 */
export class ForwardSpanProcessor implements SpanProcessor {
  private queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly shutdownOnce: BindOnceFuture<void>;
  private readonly maxQueueSize: number;
  private readonly maxExportBatchSize: number;
  private readonly scheduledDelayMillis: number;
  private readonly exportTimeoutMillis: number;
  private readonly maxConcurrentExports: number;
  /** After a failed export, batches are not sent (and counted) until then: a dead collector is not hammered. */
  private unavailableUntil = 0;
  private backoffMs = 0;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly reporter: ForwardReporter,
    options: ForwardSpanProcessorOptions = {},
  ) {
    this.shutdownOnce = new BindOnceFuture(this.shutdownNow, this);
    this.maxQueueSize = options.maxQueueSize ?? 2048;
    this.maxExportBatchSize = Math.min(options.maxExportBatchSize ?? 512, this.maxQueueSize);
    this.scheduledDelayMillis = options.scheduledDelayMillis ?? 1000;
    this.exportTimeoutMillis = options.exportTimeoutMillis ?? 30_000;
    this.maxConcurrentExports = options.maxConcurrentExports ?? 2;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.shutdownOnce.isCalled) return;
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queue.length >= this.maxQueueSize) {
      this.reporter.dropped(1, 'queue_full');
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.maxExportBatchSize) this.exportBatch();
    else this.scheduleTimer();
  }

  /**
   * Starts forwarding up to one batch; never waits. With the maximum of
   * exports already in flight the spans stay queued (a slow collector fills
   * the queue, and the queue's bound is what drops, visibly).
   */
  private exportBatch(): void {
    if (this.inFlight.size >= this.maxConcurrentExports) return;
    const batch = this.queue.splice(0, this.maxExportBatchSize);
    if (batch.length === 0) return;
    if (Date.now() < this.unavailableUntil) {
      this.reporter.dropped(batch.length, 'collector_unavailable');
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.reporter.dropped(batch.length, 'timeout');
        resolve();
      }, this.exportTimeoutMillis);
      timer.unref();
      this.forward(batch, (result) => {
        clearTimeout(timer);
        if (result.code === ExportResultCode.SUCCESS) {
          this.backoffMs = 0;
        } else {
          // 5 s, doubling to a minute, between tries while the collector fails.
          this.backoffMs = Math.min(60_000, Math.max(5000, this.backoffMs * 2));
          this.unavailableUntil = Date.now() + this.backoffMs;
        }
        resolve();
      });
    });
    this.inFlight.add(done);
    void done.then(() => {
      this.inFlight.delete(done);
      // Room again: send what waited, a full batch now, a partial one by the timer.
      if (this.queue.length >= this.maxExportBatchSize) this.exportBatch();
      else if (this.queue.length > 0) this.scheduleTimer();
    });
  }

  private scheduleTimer(): void {
    if (this.timer !== undefined || this.shutdownOnce.isCalled) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.scheduledDelayMillis);
    this.timer.unref();
  }

  /** Starts as many batches as the in-flight limit allows. */
  private drain(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.inFlight.size < this.maxConcurrentExports) this.exportBatch();
  }

  /** Forwards everything queued and waits until it is sent (or failed, or timed out). */
  private async drainAll(): Promise<void> {
    for (;;) {
      this.drain();
      if (this.inFlight.size === 0) return;
      await Promise.race([...this.inFlight]);
    }
  }

  /**
   * One export, outside any trace: the exporter's own HTTP request must not
   * become a span of the pipeline (and be exported in turn).
   */
  private forward(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      contextApi.with(suppressTracing(contextApi.active()), () => {
        this.exporter.export(spans, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) this.reporter.dropped(spans.length, 'export_failed', result.error);
          done(result);
        });
      });
    } catch (error) {
      this.reporter.dropped(spans.length, 'export_failed', error);
      done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  /** Forwards everything queued, waiting for the exports to finish (or fail, or time out). */
  async forceFlush(): Promise<void> {
    await this.drainAll();
    await this.exporter.forceFlush?.();
  }

  /** Flushes, then shuts the exporter down. Idempotent. */
  shutdown(): Promise<void> {
    return this.shutdownOnce.call();
  }

  private async shutdownNow(): Promise<void> {
    await this.drainAll();
    await this.exporter.shutdown();
  }
}
