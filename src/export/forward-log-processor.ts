import { context as contextApi } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { EXPORT_FAILED, EXPORT_SUCCESS } from '../model/export-result-code.js';
import type { PartialSuccessSource } from './forward-span-processor.js';
import { PartialRejection } from './partial-success.js';
import { Backoff, type BackoffOptions, isPermanentFailure } from './retry-backoff.js';
import { suppressTracing } from './suppress-tracing.js';

/** Why log records were given up: the queue was full, the collector refused them for good, or shutdown ran out of time. */
export type LogDropReason = 'queue_full' | 'rejected' | 'shutdown';

export interface ForwardLogProcessorOptions {
  /** Most records waiting (queued or in an unanswered export); past it the newest are dropped. Default 2048. */
  maxQueueRecords?: number;
  /** Records per export. Default 512. */
  maxExportBatchSize?: number;
  /** Longest wait before a partial batch is sent. Default 1000. */
  scheduledDelayMillis?: number;
  /** An export whose callback has not come by then counts as failed (and is retried). Default 30000. */
  exportTimeoutMillis?: number;
  /** How long shutdown() keeps trying before it gives the rest up. Default 5000. */
  shutdownTimeoutMillis?: number;
  /** Waits between tries of a failing collector. */
  backoff?: BackoffOptions;
  /** Told of records given up for good (they stay in the audit files). */
  onDropped?: (count: number, reason: LogDropReason, error?: unknown) => void;
  /** The `partial_success` of the answer to the export that just succeeded: such a batch is not delivered. */
  partialSuccess?: PartialSuccessSource;
  /** Told of the records of each batch the collector acknowledged. */
  onDelivered?: (records: readonly ReadableLogRecord[]) => void;
  /** Told of each record handed to the forward (its resource and scope are those of the records that follow). */
  onEmitted?: (record: ReadableLogRecord) => void;
}

/**
 * Batches log records and forwards them to an exporter (OTLP), retrying
 * instead of dropping, as the span forward does: a failed batch goes back to
 * the front of the queue and is tried again after a growing wait; only a
 * full queue drops (the newest first), a collector that refuses a batch for
 * good (4xx) has it dropped, and shutdown() keeps trying until
 * `shutdownTimeoutMillis`. One export at a time. onEmit() only queues.
 */
export class ForwardLogRecordProcessor implements LogRecordProcessor {
  readonly #exporter: LogRecordExporter;
  readonly #maxQueue: number;
  readonly #batchSize: number;
  readonly #delayMs: number;
  readonly #exportTimeoutMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #backoff: Backoff;
  readonly #onDropped: NonNullable<ForwardLogProcessorOptions['onDropped']>;
  readonly #onDelivered: ForwardLogProcessorOptions['onDelivered'];
  readonly #onEmitted: ForwardLogProcessorOptions['onEmitted'];
  readonly #partialSuccess: PartialSuccessSource | undefined;
  #queue: ReadableLogRecord[] = [];
  #inFlight: Promise<void> | undefined;
  #inFlightCount = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAtMs = 0;
  #retryAtMs = 0;
  #shutdown: Promise<void> | undefined;
  /** forceFlush() or shutdown() running: their waits keep the process alive. */
  #flushing = 0;

  constructor(exporter: LogRecordExporter, options: ForwardLogProcessorOptions = {}) {
    this.#exporter = exporter;
    this.#maxQueue = Math.max(1, options.maxQueueRecords ?? 2048);
    this.#batchSize = Math.max(1, Math.min(options.maxExportBatchSize ?? 512, this.#maxQueue));
    this.#delayMs = options.scheduledDelayMillis ?? 1000;
    this.#exportTimeoutMs = options.exportTimeoutMillis ?? 30_000;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMillis ?? 5000;
    this.#backoff = new Backoff(options.backoff);
    this.#onDropped = options.onDropped ?? (() => undefined);
    this.#onDelivered = options.onDelivered;
    this.#onEmitted = options.onEmitted;
    this.#partialSuccess = options.partialSuccess;
  }

  onEmit(record: ReadWriteLogRecord): void {
    if (this.#shutdown !== undefined) return;
    this.#onEmitted?.(record as unknown as ReadableLogRecord);
    if (this.#queue.length + this.#inFlightCount >= this.#maxQueue) {
      this.#onDropped(1, 'queue_full');
      return;
    }
    this.#queue.push(record as unknown as ReadableLogRecord);
    this.#schedule(this.#queue.length >= this.#batchSize ? 0 : this.#delayMs);
  }

  /** Sends in `delayMs` (not before a pending retry); a timer already set for later is brought forward. */
  #schedule(delayMs: number): void {
    if (this.#inFlight !== undefined || this.#queue.length === 0) return;
    const wait = Math.max(delayMs, this.#retryAtMs - Date.now());
    if (this.#timer !== undefined) {
      if (Date.now() + wait >= this.#timerAtMs) return;
      clearTimeout(this.#timer);
    }
    this.#timerAtMs = Date.now() + wait;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#send();
    }, wait);
    this.#timer.unref();
  }

  /** Sends the next batch, unless one is in flight; resolves when it is answered. */
  #send(): Promise<void> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    if (this.#queue.length === 0) return Promise.resolve();
    const batch = this.#queue.splice(0, this.#batchSize);
    this.#inFlightCount = batch.length;
    this.#inFlight = this.#export(batch).then((result) => {
      this.#inFlight = undefined;
      this.#inFlightCount = 0;
      if (result.code === EXPORT_SUCCESS) {
        this.#backoff.reset();
        this.#retryAtMs = 0;
        const partial = this.#partialSuccess?.take();
        // OTLP does not say which records were refused: none of the batch counts as delivered (replay sends it again).
        if (partial === undefined) this.#onDelivered?.(batch);
        else this.#onDropped(Math.min(partial.rejectedSpans, batch.length), 'rejected', new PartialRejection(partial, batch.length));
      } else if (isPermanentFailure(result.error)) {
        this.#onDropped(batch.length, 'rejected', result.error);
      } else {
        this.#queue = batch.concat(this.#queue);
        this.#retryAtMs = Date.now() + this.#backoff.next();
      }
      if (this.#shutdown === undefined) this.#schedule(this.#queue.length >= this.#batchSize ? 0 : this.#delayMs);
    });
    return this.#inFlight;
  }

  #export(batch: ReadableLogRecord[]): Promise<ExportResult> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (result: ExportResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => finish({ code: EXPORT_FAILED, error: new Error('log export timed out') }), this.#exportTimeoutMs);
      // While flushing, the wait holds the process: an exit waits for the flush, which its own deadline bounds.
      if (this.#flushing === 0) timer.unref();
      try {
        // Outside any trace: the exporter's own HTTP request must not become a span of the pipeline.
        contextApi.with(suppressTracing(contextApi.active()), () => this.#exporter.export(batch, finish));
      } catch (error) {
        finish({ code: EXPORT_FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
  }

  /** Sends what is queued, retrying a failing collector, until done or `shutdownTimeoutMillis` passes. */
  async forceFlush(): Promise<void> {
    this.#flushing++;
    try {
      await this.#flush();
    } finally {
      this.#flushing--;
    }
  }

  async #flush(): Promise<void> {
    const deadline = Date.now() + this.#shutdownTimeoutMs;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while ((this.#queue.length > 0 || this.#inFlight !== undefined) && Date.now() < deadline) {
      if (this.#inFlight === undefined && this.#retryAtMs > Date.now()) {
        // A retry that could not end before the deadline is not started.
        if (this.#retryAtMs >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, this.#retryAtMs - Date.now()));
        continue;
      }
      await this.#send();
    }
    if (this.#shutdown === undefined) this.#schedule(this.#delayMs);
  }

  /** Flushes within `shutdownTimeoutMillis`, counts what is left as dropped, and shuts the exporter down. Idempotent. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      await this.forceFlush();
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      const left = this.#queue.length + this.#inFlightCount;
      this.#queue = [];
      if (left > 0) this.#onDropped(left, 'shutdown');
      await this.#exporter.shutdown();
      this.#partialSuccess?.close?.();
    })();
    return this.#shutdown;
  }
}
