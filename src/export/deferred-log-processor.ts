import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { type Deferred, track } from '../model/deferred.js';

/**
 * A log record processor whose package loads on construction. Records
 * emitted before it has loaded are kept, up to `maxPending` (the oldest go
 * first past it), and handed over once it has; a package that cannot load
 * drops them.
 */
export class DeferredLogRecordProcessor implements LogRecordProcessor, Deferred {
  #real: LogRecordProcessor | undefined;
  #pending: [ReadWriteLogRecord, Context | undefined][] = [];
  readonly #maxPending: number;
  readonly loaded: Promise<LogRecordProcessor>;

  constructor(load: () => Promise<LogRecordProcessor>, maxPending: number) {
    this.#maxPending = maxPending;
    this.loaded = track(load(), (real) => {
      this.#real = real;
      const pending = this.#pending;
      this.#pending = [];
      for (const [record, context] of pending) real.onEmit(record, context);
    });
    this.loaded.catch(() => {
      this.#pending = [];
    });
  }

  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    if (this.#real !== undefined) {
      this.#real.onEmit(record, context);
      return;
    }
    if (this.#pending.length >= this.#maxPending) this.#pending.shift();
    this.#pending.push([record, context]);
  }

  async forceFlush(): Promise<void> {
    await (await this.loaded.catch(() => undefined))?.forceFlush();
  }

  async shutdown(): Promise<void> {
    await (await this.loaded.catch(() => undefined))?.shutdown();
  }
}
