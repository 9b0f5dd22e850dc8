import { ResponseWatch } from './response-watch.js';

/**
 * The latest `Retry-After` the collector sent on the traces URL. The OTLP
 * exporter honours it only while it fits in its own export timeout and then
 * reports a plain failure; the forward reads it here so that its next try
 * waits as long as the collector asked.
 *
 * Responses are read by a {@link ResponseWatch}; nothing in the exporter is patched.
 */
export class RetryAfterWatch {
  readonly #watch: ResponseWatch;
  #latest: { atMs: number; waitMs: number } | undefined;

  constructor(
    url: string,
    private readonly now: () => number = Date.now,
  ) {
    this.#watch = new ResponseWatch(url, (response) => {
      const status = response.statusCode ?? 0;
      if (status !== 429 && status !== 503) return;
      const waitMs = parseRetryAfter(response.headers['retry-after'], Date.now());
      if (waitMs !== undefined) this.#latest = { atMs: Date.now(), waitMs };
    });
  }

  /** What the collector asked for in a response seen at or after `sinceMs`, less the time gone since; undefined if nothing. */
  retryAfterSince(sinceMs: number): number | undefined {
    const latest = this.#latest;
    if (latest === undefined || latest.atMs < sinceMs) return undefined;
    return Math.max(0, latest.waitMs - (this.now() - latest.atMs));
  }

  /** Idempotent. */
  close(): void {
    this.#watch.close();
  }
}

/**
 * `Retry-After` as milliseconds: delay-seconds (`120`) or an HTTP date.
 * Undefined when absent or unreadable. Parsed without regular expressions.
 */
export function parseRetryAfter(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === '' || value.length > 64) return undefined;
  let digits = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) {
      digits = false;
      break;
    }
  }
  if (digits) return Number(value) * 1000;
  // HTTP dates end in GMT (RFC 9110); anything else that Date.parse might take (`-5`, a year) is not one.
  if (!value.endsWith('GMT')) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
