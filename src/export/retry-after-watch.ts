import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

const RESPONSE_FINISH = 'http.client.response.finish';

/**
 * The latest `Retry-After` the collector sent on the traces URL. The OTLP
 * exporter honours it only while it fits in its own export timeout and then
 * reports a plain failure; the forward reads it here so that its next try
 * waits as long as the collector asked.
 *
 * Responses are seen on Node's `http.client.response.finish` channel,
 * matched by the request's URL; nothing in the exporter is patched.
 */
export class RetryAfterWatch {
  readonly #target: string | undefined;
  #latest: { atMs: number; waitMs: number } | undefined;
  #closed = false;

  readonly #onResponse = (message: unknown) => {
    const { request, response } = (message ?? {}) as { request?: ClientRequest; response?: IncomingMessage };
    if (request === undefined || response === undefined || targetOf(request) !== this.#target) return;
    const status = response.statusCode ?? 0;
    if (status !== 429 && status !== 503) return;
    const waitMs = parseRetryAfter(response.headers['retry-after'], Date.now());
    if (waitMs !== undefined) this.#latest = { atMs: Date.now(), waitMs };
  };

  constructor(
    url: string,
    private readonly now: () => number = Date.now,
  ) {
    try {
      const u = new URL(url);
      this.#target = `${u.protocol}//${u.host}${u.pathname}`;
    } catch {
      this.#target = undefined;
    }
    if (this.#target !== undefined) subscribe(RESPONSE_FINISH, this.#onResponse);
  }

  /** What the collector asked for in a response seen at or after `sinceMs`, less the time gone since; undefined if nothing. */
  retryAfterSince(sinceMs: number): number | undefined {
    const latest = this.#latest;
    if (latest === undefined || latest.atMs < sinceMs) return undefined;
    return Math.max(0, latest.waitMs - (this.now() - latest.atMs));
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#target !== undefined) unsubscribe(RESPONSE_FINISH, this.#onResponse);
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

function targetOf(request: ClientRequest): string {
  const host = request.getHeader('host');
  return `${request.protocol}//${typeof host === 'string' ? host : request.host}${request.path.split('?')[0]}`;
}
