import { MAX_RESPONSE_BYTES, type PartialSuccess, parsePartialSuccess } from './partial-success.js';
import { ResponseWatch } from './response-watch.js';

/**
 * The `partial_success` of the collector's latest 2xx answer on the traces
 * URL. The OTLP exporter reads that answer only to log it and reports the
 * export as a success; the forward and replay read it here, right in the
 * export's callback, so that spans a collector refused are not recorded as
 * delivered.
 *
 * Responses are read by a {@link ResponseWatch}; the body alongside the exporter
 * (a second `data` listener), nothing in it is patched. Each answer's body
 * ends before the exporter's own `end` handler runs, and the exporter calls
 * back in the microtasks after it, so {@link take} in that callback sees
 * the answer of that very export.
 */
export class PartialSuccessWatch {
  readonly #watch: ResponseWatch;
  #latest: PartialSuccess | undefined;

  constructor(url: string) {
    this.#watch = new ResponseWatch(url, (response) => {
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
    });
  }

  /** The partial success of the latest answer, if it rejected spans; each answer is taken once. */
  take(): PartialSuccess | undefined {
    const latest = this.#latest;
    this.#latest = undefined;
    return latest;
  }

  /** Idempotent. */
  close(): void {
    this.#watch.close();
  }
}
