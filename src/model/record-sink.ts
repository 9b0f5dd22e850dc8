import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from './records.js';

/**
 * Where records go as they happen: the statistics, the metrics, the audit
 * files, the console, webhook alerts, a progress display — each reached
 * through the session's one fan-out. Calls are synchronous and should not
 * throw (the fan-out isolates a sink that does); a sink that does I/O
 * buffers it and reports its own failures.
 */
export interface RecordSink {
  onStart(record: ScopeStartRecord): void;
  onEnd(record: ScopeEndRecord): void;
  onMessage(record: MessageRecord): void;
  /** Writes what is buffered. Never rejects. Sinks that hold nothing leave it out. */
  forceFlush?(): Promise<void>;
  /** Flushes and releases resources. Idempotent; never rejects. Sinks that hold nothing leave it out. */
  shutdown?(): Promise<void>;
}
