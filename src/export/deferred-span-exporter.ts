import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { type Deferred, track } from '../model/deferred.js';
import { EXPORT_FAILED } from '../model/export-result-code.js';

/** A span exporter whose package loads on construction. */
export class DeferredSpanExporter implements SpanExporter, Deferred {
  #real: SpanExporter | undefined;
  readonly loaded: Promise<SpanExporter>;

  constructor(load: () => Promise<SpanExporter>) {
    this.loaded = track(load(), (real) => {
      this.#real = real;
    });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.#real !== undefined) {
      this.#real.export(spans, done);
      return;
    }
    this.loaded.then(
      (real) => real.export(spans, done),
      (error: unknown) => done({ code: EXPORT_FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }

  async shutdown(): Promise<void> {
    await (await this.loaded.catch(() => undefined))?.shutdown();
  }

  async forceFlush(): Promise<void> {
    await (await this.loaded.catch(() => undefined))?.forceFlush?.();
  }
}
