import { type Context, context as contextApi, TraceFlags } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { EXPORT_FAILED, EXPORT_SUCCESS } from '../model/export-result-code.js';
import { Once } from '../model/once.js';
import { BYTES_PER_MB } from '../model/units.js';
import { PartialRejection, type PartialSuccess } from './partial-success.js';
import { Backoff, type BackoffOptions, isPermanentFailure } from './retry-backoff.js';
import { type SpanBatch, SpanQueue } from './span-queue.js';
import { estimateSpanBytes } from './span-size.js';
import { suppressTracing } from './suppress-tracing.js';

/**
 * Why spans were given up: the queue was full (the collector was away
 * longer than the queue holds), the collector refused them for good (a 4xx
 * such as 400, or a 200 whose `partial_success` rejects spans), or shutdown
 * ran out of time before the collector took them.
 */
export type ForwardDropReason = 'queue_full' | 'rejected' | 'shutdown';

/** Where the processor tells what happened to the spans; the session counts it and says it once. */
export interface ForwardListener {
  /** Spans given up for good (they stay in the audit files, for replay). */
  dropped(count: number, reason: ForwardDropReason, error?: unknown): void;
  /** An export failed; its `count` spans went back to the front of the queue and are tried again in `retryInMillis`. */
  retrying(count: number, retryInMillis: number, error: unknown): void;
  /** The collector acknowledged these spans. */
  delivered?(spans: readonly ReadableSpan[]): void;
  /** A span started (its resource and scope are those of every span that follows). */
  started?(span: ReadableSpan): void;
}

/** Where the latest `Retry-After` comes from (see RetryAfterWatch). */
export interface RetryAfterSource {
  retryAfterSince(sinceMs: number): number | undefined;
  /** Called once the processor has shut down. */
  close?(): void;
}

/** The `partial_success` of the answer to the export that just succeeded (see PartialSuccessWatch). */
export interface PartialSuccessSource {
  take(): PartialSuccess | undefined;
  /** Called once the processor has shut down. */
  close?(): void;
}

export interface ForwardSpanProcessorOptions {
  /** Most spans waiting; beyond it the newest are dropped (and counted). Default 2048. */
  maxQueueSpans?: number;
  /** Most estimated bytes of spans waiting; beyond it the newest are dropped (and counted). Default 8 MiB. */
  maxQueueBytes?: number;
  /** Spans per export. Default 512. */
  maxExportBatchSize?: number;
  /** Longest wait before a partial batch is sent. Default 1000. */
  scheduledDelayMillis?: number;
  /** An export whose callback has not come by then counts as failed (and is retried). Default 30000. */
  exportTimeoutMillis?: number;
  /**
   * How long one export may take against a collector that does not answer
   * (the exporter's own timeout, its retries included). Shutdown starts no
   * retry of a failing collector that could not end before its deadline, so
   * no export outlives it. Default: half of `exportTimeoutMillis`.
   */
  attemptTimeoutMillis?: number;
  /** Exports in flight at once while the collector answers; one while it fails. Default 2. */
  maxConcurrentExports?: number;
  /** How long shutdown() keeps trying before it gives the rest up. Default 5000. */
  shutdownTimeoutMillis?: number;
  /** Waits between tries of a failing collector. */
  backoff?: BackoffOptions;
  retryAfter?: RetryAfterSource;
  partialSuccess?: PartialSuccessSource;
}

/**
 * Batches sampled spans and forwards them to an exporter (OTLP), retrying
 * instead of dropping. A failed batch goes back to the front of the queue
 * and is tried again after a backoff (longer if the collector sent
 * `Retry-After`); spans that end meanwhile wait behind it. Only a full queue
 * (bounded in spans and in bytes) drops, the newest first; a collector that
 * refuses a batch for good (4xx) has it dropped; shutdown() keeps trying
 * until `shutdownTimeoutMillis` and counts what it could not deliver. Every
 * drop is counted by reason, and the audit files hold every span for
 * `stagetrace replay`.
 *
 * Nothing here ever waits on the pipeline's path: onEnd() queues and
 * returns; exports run on timers and callbacks.
 */
export class ForwardSpanProcessor implements SpanProcessor {
  readonly #exporter: SpanExporter;
  readonly #listener: ForwardListener;
  readonly #queue: SpanQueue;
  readonly #batchSize: number;
  readonly #delayMs: number;
  readonly #exportTimeoutMs: number;
  readonly #attemptMs: number;
  readonly #maxConcurrent: number;
  readonly #shutdownTimeoutMs: number;
  readonly #backoff: Backoff;
  readonly #retryAfter: RetryAfterSource | undefined;
  readonly #partialSuccess: PartialSuccessSource | undefined;
  readonly #shutdownOnce: Once<[], void>;
  /** Batches handed to the exporter and not yet answered. */
  readonly #inFlight = new Set<SpanBatch>();
  /** While the collector fails: one try at a time, not before this instant. */
  #failing = false;
  #retryAtMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAtMs = 0;
  /** forceFlush() or shutdown() running: partial batches go at once. */
  #flushing = 0;
  /** shutdown() gave up what was left; later spans are counted as not delivered. */
  #gaveUp = false;
  readonly #waiters = new Set<() => void>();

  constructor(exporter: SpanExporter, listener: ForwardListener, options: ForwardSpanProcessorOptions = {}) {
    this.#exporter = exporter;
    this.#listener = listener;
    this.#queue = new SpanQueue(options.maxQueueSpans ?? 2048, options.maxQueueBytes ?? 8 * BYTES_PER_MB);
    this.#batchSize = Math.max(1, Math.min(options.maxExportBatchSize ?? 512, this.#queue.maxSpans));
    this.#delayMs = options.scheduledDelayMillis ?? 1000;
    this.#exportTimeoutMs = options.exportTimeoutMillis ?? 30_000;
    this.#attemptMs = options.attemptTimeoutMillis ?? this.#exportTimeoutMs / 2;
    this.#maxConcurrent = Math.max(1, options.maxConcurrentExports ?? 2);
    this.#shutdownTimeoutMs = options.shutdownTimeoutMillis ?? 5000;
    this.#backoff = new Backoff(options.backoff);
    this.#retryAfter = options.retryAfter;
    this.#partialSuccess = options.partialSuccess;
    this.#shutdownOnce = new Once(() => this.#shutdownNow());
  }

  /** Spans waiting to be sent (not counting those in flight). */
  get queuedSpans(): number {
    return this.#queue.length;
  }

  /** Estimated bytes of the spans the forward holds: waiting, and in exports not yet answered. */
  get queuedBytes(): number {
    return this.#queue.heldBytes;
  }

  onStart(span: Span, _parentContext: Context): void {
    this.#listener.started?.(span);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#gaveUp) {
      this.#listener.dropped(1, 'shutdown');
      return;
    }
    if (!this.#queue.push(span, estimateSpanBytes(span))) {
      this.#listener.dropped(1, 'queue_full');
      return;
    }
    this.#pump();
  }

  /**
   * Starts the exports the state allows — full batches, or partial ones
   * while flushing — and otherwise makes sure a timer will come back.
   */
  #pump(): void {
    if (this.#gaveUp) return;
    for (;;) {
      if (this.#queue.length === 0) return;
      const now = Date.now();
      if (this.#failing && now < this.#retryAtMs) {
        this.#wakeAt(this.#retryAtMs);
        return;
      }
      if (this.#inFlight.size >= (this.#failing ? 1 : this.#maxConcurrent)) return;
      if (this.#queue.length < this.#batchSize && this.#flushing === 0) {
        this.#wakeAt(now + this.#delayMs);
        return;
      }
      this.#send(this.#queue.take(this.#batchSize));
    }
  }

  /** One timer at a time, at the earliest instant asked for; it sends partial batches. */
  #wakeAt(atMs: number): void {
    if (this.#timer !== undefined) {
      if (this.#timerAtMs <= atMs) return;
      clearTimeout(this.#timer);
    }
    this.#timerAtMs = atMs;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#flushing++;
        try {
          this.#pump();
        } finally {
          this.#flushing--;
        }
      },
      Math.max(0, atMs - Date.now()),
    );
    this.#timer.unref();
  }

  #send(batch: SpanBatch): void {
    this.#inFlight.add(batch);
    const startedAtMs = Date.now();
    let settled = false;
    const timeout = setTimeout(() => {
      finish({ code: EXPORT_FAILED, error: new Error(`the export did not finish within ${this.#exportTimeoutMs} ms`) });
    }, this.#exportTimeoutMs);
    timeout.unref();
    const finish = (result: ExportResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      this.#inFlight.delete(batch);
      this.#settle(batch, result, startedAtMs);
      for (const wake of [...this.#waiters]) wake();
      this.#pump();
    };
    const exportNow = () => {
      try {
        // Outside any trace: the exporter's own HTTP request must not become a span of the pipeline.
        contextApi.with(suppressTracing(contextApi.active()), () => this.#exporter.export(batch.spans, finish));
      } catch (error) {
        finish({ code: EXPORT_FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    };
    // As the SDK's batch processor does: a resource still settling (host.id is read asynchronously) is awaited, or it is sent without those attributes.
    const settling = batch.spans.find((span) => span.resource.asyncAttributesPending)?.resource;
    if (settling?.waitForAsyncAttributes) settling.waitForAsyncAttributes().then(exportNow, exportNow);
    else exportNow();
  }

  #settle(batch: SpanBatch, result: ExportResult, startedAtMs: number): void {
    if (result.code === EXPORT_SUCCESS) {
      const partial = this.#partialSuccess?.take();
      this.#queue.release(batch);
      this.#recovered();
      if (partial === undefined) {
        this.#listener.delivered?.(batch.spans);
        return;
      }
      // OTLP does not say which spans were rejected: none of the batch is recorded as delivered, so
      // replay sends all of it again (at least once). Sending it again now would be refused again.
      const rejection = new PartialRejection(partial, batch.spans.length);
      this.#listener.dropped(rejection.rejectedSpans, 'rejected', rejection);
      return;
    }
    if (this.#gaveUp) return; // counted when shutdown gave up
    if (isPermanentFailure(result.error)) {
      // The collector answered: it is up, and this batch will never be taken.
      this.#queue.release(batch);
      this.#recovered();
      this.#listener.dropped(batch.spans.length, 'rejected', result.error);
      return;
    }
    const pushedOut = this.#queue.putBack(batch);
    const waitMs = this.#backoff.next(this.#retryAfter?.retryAfterSince(startedAtMs));
    this.#failing = true;
    this.#retryAtMs = Math.max(this.#retryAtMs, Date.now() + waitMs);
    this.#listener.retrying(batch.spans.length, waitMs, result.error);
    if (pushedOut.length > 0) this.#listener.dropped(pushedOut.length, 'queue_full');
  }

  #recovered(): void {
    this.#failing = false;
    this.#retryAtMs = 0;
    this.#backoff.reset();
  }

  /**
   * Resolves on the next export result, or after `ms`. The timer holds the
   * process open: someone awaits forceFlush() or shutdown(), both bounded,
   * and during a backoff nothing else (no socket) would.
   */
  #nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#waiters.add(done);
    });
  }

  /**
   * Sends everything queued and waits for the answers. While the collector
   * is failing it does not wait through the backoff: the spans stay queued
   * for the next try, so a flush at each month's end cannot stall a
   * pipeline during an outage.
   */
  async forceFlush(): Promise<void> {
    this.#flushing++;
    try {
      for (;;) {
        this.#pump();
        if (this.#inFlight.size === 0 && (this.#queue.length === 0 || this.#failing || this.#gaveUp)) break;
        await this.#nextChange(this.#exportTimeoutMs);
      }
      await this.#exporter.forceFlush?.();
    } finally {
      this.#flushing--;
    }
  }

  /**
   * Keeps sending — retrying a failing collector at once, then with backoff,
   * as long as a try can end in time — until the queue is empty or
   * `shutdownTimeoutMillis` is nearly over; what is left is counted as not
   * delivered. Then shuts the exporter down within the same bound.
   * Idempotent.
   */
  shutdown(): Promise<void> {
    return this.#shutdownOnce.call();
  }

  async #shutdownNow(): Promise<void> {
    // A margin inside the bound start()'s shutdown() enforces, so the count is said before it gives up.
    const deadline = Date.now() + Math.max(1, this.#shutdownTimeoutMs - Math.min(500, this.#shutdownTimeoutMs * 0.1));
    this.#flushing++;
    if (this.#failing) this.#retryAtMs = Math.min(this.#retryAtMs, Date.now());
    try {
      for (;;) {
        this.#pump();
        if (this.#queue.length === 0 && this.#inFlight.size === 0) break;
        const now = Date.now();
        // The next try of a failing collector could not end by the deadline: nothing more can be delivered in time.
        if (
          now >= deadline ||
          (this.#inFlight.size === 0 && this.#failing && Math.max(now, this.#retryAtMs) + this.#attemptMs > deadline)
        ) {
          break;
        }
        await this.#nextChange(Math.min(deadline, this.#failing && this.#inFlight.size === 0 ? this.#retryAtMs : deadline) - now);
      }
      let undelivered = this.#queue.clear().length;
      for (const batch of this.#inFlight) undelivered += batch.spans.length;
      this.#gaveUp = true;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      if (undelivered > 0) this.#listener.dropped(undelivered, 'shutdown');
    } finally {
      this.#flushing--;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#exporter.shutdown().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
    this.#retryAfter?.close?.();
    this.#partialSuccess?.close?.();
  }
}
