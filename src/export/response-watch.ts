import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

const RESPONSE_FINISH = 'http.client.response.finish';

/** `scheme://host[:port]/path` of a URL, as {@link requestTarget} gives it for a request; undefined when not a URL. */
export function urlTarget(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return undefined;
  }
}

/** `scheme://host[:port]/path` of an outgoing request, without its query. */
export function requestTarget(request: ClientRequest): string {
  const host = request.getHeader('host');
  return `${request.protocol}//${typeof host === 'string' ? host : request.host}${request.path.split('?')[0]}`;
}

/**
 * Calls `onResponse` with every answer to a request for `url` (scheme, host,
 * port and path; any query), seen on Node's `http.client.response.finish`
 * channel: what the OTLP exporter does not tell (a `Retry-After`, a
 * `partial_success`) is read beside it, and nothing in it is patched.
 */
export class ResponseWatch {
  readonly #target: string | undefined;
  #closed = false;
  readonly #onMessage: (message: unknown) => void;

  constructor(url: string, onResponse: (response: IncomingMessage) => void) {
    this.#target = urlTarget(url);
    this.#onMessage = (message) => {
      const { request, response } = (message ?? {}) as { request?: ClientRequest; response?: IncomingMessage };
      if (request === undefined || response === undefined || requestTarget(request) !== this.#target) return;
      onResponse(response);
    };
    if (this.#target !== undefined) subscribe(RESPONSE_FINISH, this.#onMessage);
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#target !== undefined) unsubscribe(RESPONSE_FINISH, this.#onMessage);
  }
}
