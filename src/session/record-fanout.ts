import { LEVEL_RANK, type LogLevel } from '../model/levels.js';
import type { RecordSink } from '../model/record-sink.js';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../model/records.js';

export interface RecordFanoutOptions {
  /** Messages below this level reach no sink (the span still gets them as events). */
  minLevel: LogLevel;
  /** Told of a sink that threw; the other sinks still get the record. */
  onError: (what: string, error: unknown) => void;
}

/**
 * The one path from a record to every sink — statistics, metrics, audit
 * files, console, alerts, progress — in the order they were added (the
 * analogue of OpenTelemetry's `MultiSpanProcessor`). It owns the two rules
 * every sink shares: the level filter, so the summary counts what the files
 * hold, and error isolation, so one failing sink never costs another its
 * record or the pipeline its stage.
 */
export class RecordFanout implements RecordSink {
  readonly #sinks: RecordSink[] = [];
  readonly #minRank: number;
  readonly #onError: RecordFanoutOptions['onError'];
  #shutdown: Promise<void> | undefined;

  constructor(options: RecordFanoutOptions) {
    this.#minRank = LEVEL_RANK[options.minLevel];
    this.#onError = options.onError;
  }

  add(sink: RecordSink): void {
    this.#sinks.push(sink);
  }

  /** Whether a message of `level` reaches the sinks; lets the session skip building a record nobody takes. */
  accepts(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.#minRank;
  }

  onStart(record: ScopeStartRecord): void {
    for (const sink of this.#sinks) {
      try {
        sink.onStart(record);
      } catch (error) {
        this.#onError('writing a start record', error);
      }
    }
  }

  onEnd(record: ScopeEndRecord): void {
    for (const sink of this.#sinks) {
      try {
        sink.onEnd(record);
      } catch (error) {
        this.#onError('writing an end record', error);
      }
    }
  }

  /** A message at or above the minimum level; one below it is dropped here. */
  onMessage(record: MessageRecord): void {
    if (LEVEL_RANK[record.level] < this.#minRank) return;
    this.#deliver(record);
  }

  /**
   * A record of stagetrace's own — the session's start and end markers, a
   * notice about the telemetry itself — delivered whatever the minimum
   * level: a report rebuilt from the files must know what the live session knew.
   */
  onOwnMessage(record: MessageRecord): void {
    this.#deliver(record);
  }

  #deliver(record: MessageRecord): void {
    for (const sink of this.#sinks) {
      try {
        sink.onMessage(record);
      } catch (error) {
        this.#onError('writing a message', error);
      }
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all(
      this.#sinks.map((sink) => (sink.forceFlush?.() ?? Promise.resolve()).catch((error) => this.#onError('flushing', error))),
    );
  }

  /** Shuts every sink down once; later calls return the same promise. */
  shutdown(): Promise<void> {
    this.#shutdown ??= Promise.all(
      this.#sinks.map((sink) => (sink.shutdown?.() ?? Promise.resolve()).catch((error) => this.#onError('shutting down', error))),
    ).then(() => undefined);
    return this.#shutdown;
  }
}
