import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AuditLog } from '../sinks/audit/audit-log.js';

/**
 * Why spans were not forwarded: the export failed, the forward queue was
 * full, the export did not finish in time, or the collector had just failed
 * and is given a rest before the next try.
 */
export type ForwardDropReason = 'export_failed' | 'queue_full' | 'timeout' | 'collector_unavailable';

/** Where the exporter reports what it could not do; the runtime counts and prints it once. */
export interface AuditExportReporter {
  /** A span's audit records could not be written (they stay queued for retry in the file). */
  auditFailed(error: unknown): void;
  /** Spans that did not reach the forward exporter. */
  forwardDropped(count: number, reason: ForwardDropReason, error?: unknown): void;
}

/**
 * A SpanExporter that writes the local audit records of month and stage
 * spans, then forwards the same spans to another exporter (OTLP, usually).
 *
 * The two halves are independent: a failing or slow forward never touches
 * the files, and a failing file write never stops the forward. It works
 * behind any span processor; stagetrace's own {@link AuditSpanProcessor}
 * calls {@link record} as each span ends so the files never depend on a
 * batch queue that may drop spans.
 */
export class AuditSpanExporter implements SpanExporter {
  private shutdownPromise: Promise<void> | undefined;

  constructor(
    private readonly audit: AuditLog | undefined,
    private readonly next: SpanExporter | undefined,
    private readonly reporter: AuditExportReporter,
  ) {}

  /** True when spans are forwarded anywhere. */
  get forwards(): boolean {
    return this.next !== undefined;
  }

  /** Writes the audit records of one span. Never throws. */
  record(span: ReadableSpan): void {
    if (this.audit === undefined) return;
    try {
      this.audit.recordSpan(span);
    } catch (error) {
      this.reporter.auditFailed(error);
    }
  }

  /** Forwards spans only (their records were written already). */
  forward(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const next = this.next;
    if (next === undefined || spans.length === 0) {
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    try {
      next.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) this.reporter.forwardDropped(spans.length, 'export_failed', result.error);
        resultCallback(result);
      });
    } catch (error) {
      this.reporter.forwardDropped(spans.length, 'export_failed', error);
      resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    for (const span of spans) this.record(span);
    this.forward(spans, resultCallback);
  }

  /** Writes the queued audit records now. Never throws. */
  flushAudit(): void {
    try {
      this.audit?.flushNow();
    } catch (error) {
      this.reporter.auditFailed(error);
    }
  }

  async forceFlush(): Promise<void> {
    this.audit?.flushNow();
    await this.next?.forceFlush?.();
  }

  /** Closes the files and shuts the forward exporter down. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.audit?.close();
      await this.next?.shutdown();
    })();
    return this.shutdownPromise;
  }
}
