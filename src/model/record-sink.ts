import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from './records.js';

/**
 * Where records go as they happen: the audit files, the console, webhook
 * alerts, a progress display. Calls are synchronous and must not throw; a
 * sink that does I/O buffers it and reports its own failures.
 */
export interface RecordSink {
  onStart(record: ScopeStartRecord): void;
  onEnd(record: ScopeEndRecord): void;
  onMessage(record: MessageRecord): void;
  /** Writes what is buffered. Never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes and releases resources. Idempotent; never rejects. */
  shutdown(): Promise<void>;
}
