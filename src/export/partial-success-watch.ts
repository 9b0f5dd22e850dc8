import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { MAX_RESPONSE_BYTES, type PartialSuccess, parsePartialSuccess } from './partial-success.js';

const RESPONSE_FINISH = 'http.client.response.finish';

/**
 * The `partial_success` of the collector's latest 2xx answer on the traces
 * URL. The OTLP exporter reads that answer only to log it and reports the
 * export as a success; the forward and replay read it here, right in the
 * export's callback, so that spans a collector refused are not recorded as
 * delivered.
 *
 * Responses are seen on Node's `http.client.response.finish` channel,
 * matched by the request's URL; the body is read alongside the exporter
 * (a second `data` listener), nothing in it is patched. Each answer's body
 * ends before the exporter's own `end` handler runs, and the exporter calls
 * back in the microtasks after it, so {@link take} in that callback sees
 * the answer of that very export.
 */
export class PartialSuccessWatch {
  readonly #target: string | undefined;
  #latest: PartialSuccess | undefined;
  #closed = false;

  readonly #onResponse = (message: unknown) => {
    const { request, response } = (message ?? {}) as { request?: ClientRequest; response?: IncomingMessage };
    if (request === undefined || response === undefined || targetOf(request) !== this.#target) return;
    this.#latest = undefined;
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) return;
    const encoding = response.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return;
    const chunks: Buffer[] = [];
    let bytes = 0;
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_RESPONSE_BYTES) chunks.push(chunk);
    });
    response.on('end', () => {
      if (bytes <= MAX_RESPONSE_BYTES) this.#latest = parsePartialSuccess(Buffer.concat(chunks), response.headers['content-type']);
    });
  };

  constructor(url: string) {
    try {
      const u = new URL(url);
      this.#target = `${u.protocol}//${u.host}${u.pathname}`;
    } catch {
      this.#target = undefined;
    }
    if (this.#target !== undefined) subscribe(RESPONSE_FINISH, this.#onResponse);
  }

  /** The partial success of the latest answer, if it rejected spans; each answer is taken once. */
  take(): PartialSuccess | undefined {
    const latest = this.#latest;
    this.#latest = undefined;
    return latest;
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#target !== undefined) unsubscribe(RESPONSE_FINISH, this.#onResponse);
  }
}

function targetOf(request: ClientRequest): string {
  const host = request.getHeader('host');
  return `${request.protocol}//${typeof host === 'string' ? host : request.host}${request.path.split('?')[0]}`;
}
