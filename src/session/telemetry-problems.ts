import { diag } from '@opentelemetry/api';
import { epochNowMs } from '../model/clock.js';
import { formatHumanLine } from '../model/human-format.js';
import { NO_TELEMETRY_PROBLEMS, type TelemetryCounts } from '../model/telemetry-counts.js';

export type { TelemetryCounts } from '../model/telemetry-counts.js';

export type TelemetryProblemKind = keyof TelemetryCounts;

/**
 * The one channel for stagetrace's own problems: an audit write that
 * failed, spans the collector never got, an alert that could not be posted,
 * a fault of our own. Each is counted (the session summary shows the
 * counts), said once per key on stderr — also with the console off, since
 * a silent audit trail is worse than a noisy one — written to the audit
 * files as a WARNING, and handed to `diag`.
 *
 * When `OTEL_LOG_LEVEL` is set, OpenTelemetry's diag logger prints to the
 * console already, so the line goes to `diag` alone and is not printed twice.
 */
export class TelemetryProblems {
  readonly #counts: TelemetryCounts = { ...NO_TELEMETRY_PROBLEMS, internalErrors: 0 };
  readonly #said = new Set<string>();
  readonly #write: (line: string) => void;
  readonly #diagPrints: boolean;
  #record: ((text: string, atMs: number) => void) | undefined;

  constructor(options: { write?: (line: string) => void; env?: Record<string, string | undefined> } = {}) {
    this.#write = options.write ?? writeStderr;
    const level = (options.env ?? process.env).OTEL_LOG_LEVEL?.trim().toUpperCase();
    this.#diagPrints = level !== undefined && level !== '' && level !== 'NONE';
  }

  /**
   * Counts `count` problems of `kind`; says `text` the first time `key` is
   * seen (the key tells kinds of the same counter apart, e.g. two files).
   * Never throws.
   */
  add(kind: TelemetryProblemKind, key: string, text: string, count = 1): void {
    this.#counts[kind] += count;
    this.sayOnce(key, text);
  }

  /** Counts `count` problems of `kind` without saying anything (a retry already said once). */
  count(kind: TelemetryProblemKind, count = 1): void {
    this.#counts[kind] += count;
  }

  /** The counts so far, a copy: they change only through {@link problem} and {@link count}. */
  get counts(): Readonly<TelemetryCounts> {
    return { ...this.#counts };
  }

  /** A fault inside stagetrace: counted and said once per `what`. */
  internalError(what: string, error: unknown): void {
    const detail = error instanceof Error ? error.message : String(error);
    this.add('internalErrors', `internal:${what}`, `internal error while ${what}: ${detail} (further errors of this kind are not shown)`);
  }

  /** Where notices are also recorded (the audit files); set once the files are open. */
  recordTo(record: (text: string, atMs: number) => void): void {
    this.#record = record;
  }

  /** Says `text` once per key without counting it (advice, such as an SDK that was never started). */
  sayOnce(key: string, text: string): void {
    if (this.#said.has(key)) return;
    this.#said.add(key);
    // Errors built elsewhere may carry the prefix already.
    const line = `stagetrace: ${text.startsWith('stagetrace: ') ? text.slice(12) : text}`;
    const atMs = epochNowMs();
    try {
      diag.warn(line);
      if (!this.#diagPrints) this.#write(formatHumanLine(atMs, 'WARNING', undefined, line));
      this.#record?.(line, atMs);
    } catch {
      // Nothing left to tell.
    }
  }

  /** True once `key` has been said. */
  hasSaid(key: string): boolean {
    return this.#said.has(key);
  }
}

function writeStderr(line: string): void {
  process.stderr.write(line);
}
