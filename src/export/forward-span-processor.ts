import { type Context, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AuditExportReporter, AuditSpanExporter } from './audit-span-exporter.js';

export interface AuditSpanProcessorOptions {
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
 * Writes each month and stage span's audit records the moment it ends,
 * then batches sampled spans for forwarding.
 *
 * Unlike the SDK's BatchSpanProcessor, whose full queue drops spans, the
 * audit side has no queue to overflow: records go straight to the audit
 * files' buffers. Only the forward side is bounded, and what it drops is
 * counted and reported.
 */
export class AuditSpanProcessor implements SpanProcessor {
  private queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private shutdownPromise: Promise<void> | undefined;
  private readonly maxQueueSize: number;
  private readonly maxExportBatchSize: number;
  private readonly scheduledDelayMillis: number;
  private readonly exportTimeoutMillis: number;
  private readonly maxConcurrentExports: number;
  /** After a failed export, batches are not sent (and counted) until then: a dead collector is not hammered. */
  private unavailableUntil = 0;
  private backoffMs = 0;

  constructor(
    private readonly exporter: AuditSpanExporter,
    private readonly reporter: AuditExportReporter,
    options: AuditSpanProcessorOptions = {},
  ) {
    this.maxQueueSize = options.maxQueueSize ?? 2048;
    this.maxExportBatchSize = Math.min(options.maxExportBatchSize ?? 512, this.maxQueueSize);
    this.scheduledDelayMillis = options.scheduledDelayMillis ?? 1000;
    this.exportTimeoutMillis = options.exportTimeoutMillis ?? 30_000;
    this.maxConcurrentExports = options.maxConcurrentExports ?? 2;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.shutdownPromise !== undefined) return;
    this.exporter.record(span);
    if (!this.exporter.forwards || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queue.length >= this.maxQueueSize) {
      this.reporter.forwardDropped(1, 'queue_full');
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
      this.reporter.forwardDropped(batch.length, 'collector_unavailable');
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.reporter.forwardDropped(batch.length, 'timeout');
        resolve();
      }, this.exportTimeoutMillis);
      timer.unref();
      this.exporter.forward(batch, (result) => {
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
    if (this.timer !== undefined || this.shutdownPromise !== undefined) return;
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

  /** Writes the audit files and forwards everything queued, waiting for the forward to finish. */
  async forceFlush(): Promise<void> {
    this.exporter.flushAudit(); // first: the files must not wait on a slow collector
    await this.drainAll();
    await this.exporter.forceFlush().catch((error) => this.reporter.auditFailed(error));
  }

  /** Flushes, then shuts the exporter down. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      await this.drainAll();
      await this.exporter.shutdown();
    })();
    return this.shutdownPromise;
  }
}
