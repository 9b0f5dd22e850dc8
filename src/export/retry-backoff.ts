/**
 * How long the forward waits before trying a failed collector again:
 * exponential from `initialMillis`, doubling to `maxMillis`, with jitter
 * (half fixed, half random) so that many pipelines that lost the same
 * collector do not come back in step. A `Retry-After` the collector sent
 * is honoured when it asks for longer, up to {@link MAX_RETRY_AFTER_MILLIS}.
 */
export interface BackoffOptions {
  /** First wait. Default 1000. */
  initialMillis?: number;
  /** Longest wait. Default 30000. */
  maxMillis?: number;
  /** A number in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/** A collector asking for more than this is tried again after this anyway: the queue is filling meanwhile. */
export const MAX_RETRY_AFTER_MILLIS = 5 * 60_000;

export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #random: () => number;
  #failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initial = options.initialMillis ?? 1000;
    this.#max = Math.max(this.#initial, options.maxMillis ?? 30_000);
    this.#random = options.random ?? Math.random;
  }

  /** Consecutive failures since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /** Counts one more failure and returns the wait before the next try. */
  next(retryAfterMillis?: number): number {
    this.#failures++;
    const ceiling = Math.min(this.#max, this.#initial * 2 ** Math.min(this.#failures - 1, 30));
    const wait = ceiling / 2 + (this.#random() * ceiling) / 2;
    const asked = retryAfterMillis === undefined ? 0 : Math.min(MAX_RETRY_AFTER_MILLIS, retryAfterMillis);
    return Math.round(Math.max(wait, asked));
  }

  reset(): void {
    this.#failures = 0;
  }
}

/**
 * Failures that another try cannot fix: the collector answered with a 4xx
 * other than 408 (timeout) and 429 (too many requests) — it read the request
 * and refused it. Everything else (refused or reset connections, timeouts,
 * 5xx, the exporter giving up its own retries) is worth retrying.
 *
 * Recognised by shape (the OTLP exporters' `OTLPExporterError` carries the
 * HTTP status in `code`), so no exporter internals are imported.
 */
export function isPermanentFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (name !== 'OTLPExporterError' || typeof code !== 'number') return false;
  return code >= 400 && code < 500 && code !== 408 && code !== 429;
}
