import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

const REQUEST_START = 'http.client.request.start';

/**
 * The OTLP exporters' HTTP requests in flight, so that once shutdown() has
 * given up on a collector that never answers, they stop holding the process
 * open (otherwise it lives on until the exporter's own timeout, 10 s by
 * default, and its retries).
 *
 * Requests are recognised on Node's `http.client.request.start` channel by
 * their target URL; the exporters' agents, and any TLS settings they take
 * from `OTEL_EXPORTER_OTLP_*` variables, stay untouched.
 */
export class OtlpConnections {
  private readonly targets: Set<string>;
  private readonly inFlight = new Set<ClientRequest>();
  private released = false;

  private readonly onRequest = (message: unknown) => {
    const request = (message as { request?: ClientRequest } | undefined)?.request;
    if (request === undefined || !this.targets.has(targetOf(request))) return;
    this.inFlight.add(request);
    request.once('close', () => this.inFlight.delete(request));
  };

  constructor(urls: readonly string[]) {
    this.targets = new Set();
    for (const url of urls) {
      try {
        const u = new URL(url);
        this.targets.add(`${u.protocol}//${u.host}${u.pathname}`);
      } catch {
        // Not a URL: nothing will be sent there.
      }
    }
    if (this.targets.size > 0) subscribe(REQUEST_START, this.onRequest);
  }

  /** Lets the requests still waiting end with the process instead of keeping it alive. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.targets.size > 0) unsubscribe(REQUEST_START, this.onRequest);
    for (const request of this.inFlight) {
      if (request.socket) request.socket.unref();
      else request.once('socket', (socket) => socket.unref());
    }
    this.inFlight.clear();
  }
}

function targetOf(request: ClientRequest): string {
  const host = request.getHeader('host');
  return `${request.protocol}//${typeof host === 'string' ? host : request.host}${request.path.split('?')[0]}`;
}
