/**
 * The `partial_success` of an OTLP trace export response: the collector
 * answered 200 but refused `rejectedSpans` of the request's spans. OTLP/HTTP
 * JSON carries it as `{"partialSuccess": {"rejectedSpans", "errorMessage"}}`,
 * OTLP/HTTP protobuf as field 1 of `ExportTraceServiceResponse`
 * (`rejected_spans` = 1, `error_message` = 2). The OpenTelemetry exporters
 * only log it through `diag` and report the export as a success. A logs
 * export answers the same way (`rejectedLogRecords`, `rejected_log_records`
 * = 1): read here as `rejectedSpans`, the count of items refused.
 */
export interface PartialSuccess {
  rejectedSpans: number;
  /** As the collector wrote it: untrusted text, to be redacted and bounded before it is shown. */
  errorMessage: string;
}

/**
 * A batch the collector answered with a partial success: `rejectedSpans`
 * of its `batchSpans` were refused (at most the batch). Which ones, OTLP
 * does not say. `message` names neither the collector's text nor the URL:
 * the listener shows `errorMessage` redacted and bounded.
 */
export class PartialRejection extends Error {
  override readonly name = 'PartialRejection';
  readonly rejectedSpans: number;
  readonly errorMessage: string;
  constructor(
    partial: PartialSuccess,
    readonly batchSpans: number,
  ) {
    const rejected = Math.min(partial.rejectedSpans, batchSpans);
    super(`the collector answered 200 but rejected ${rejected} of ${batchSpans} spans (partial_success)`);
    this.rejectedSpans = rejected;
    this.errorMessage = partial.errorMessage;
  }
}

/** Longest response body read for it; an OTLP answer is a few bytes. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The partial success in a 2xx response body, or undefined when the body
 * holds none, rejects no span, or cannot be read (a malformed body is no
 * reason to doubt a 200). Never throws.
 */
export function parsePartialSuccess(body: Uint8Array, contentType: string | undefined): PartialSuccess | undefined {
  if (body.length === 0 || body.length > MAX_RESPONSE_BYTES) return undefined;
  try {
    const found = (contentType ?? '').toLowerCase().includes('json') ? fromJson(body) : fromProtobuf(body);
    return found !== undefined && found.rejectedSpans > 0 ? found : undefined;
  } catch {
    return undefined;
  }
}

function fromJson(body: Uint8Array): PartialSuccess | undefined {
  const parsed: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const partial = (parsed as Record<string, unknown>).partialSuccess ?? (parsed as Record<string, unknown>).partial_success;
  if (typeof partial !== 'object' || partial === null) return undefined;
  const p = partial as Record<string, unknown>;
  const rejected = Number(p.rejectedSpans ?? p.rejected_spans ?? p.rejectedLogRecords ?? p.rejected_log_records ?? 0);
  const message = p.errorMessage ?? p.error_message;
  return {
    rejectedSpans: Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0,
    errorMessage: typeof message === 'string' ? message : '',
  };
}

/** A minimal protobuf reader: varints, lengths, and skipping what is not asked for. */
class Reader {
  #at = 0;
  constructor(readonly bytes: Uint8Array) {}
  get done(): boolean {
    return this.#at >= this.bytes.length;
  }
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.#byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Error('varint too long');
  }
  bytesField(): Uint8Array {
    const length = this.varint();
    const end = this.#at + length;
    if (end > this.bytes.length) throw new Error('field runs past the body');
    const out = this.bytes.subarray(this.#at, end);
    this.#at = end;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.#advance(8);
    else if (wireType === 2) this.bytesField();
    else if (wireType === 5) this.#advance(4);
    else throw new Error(`wire type ${wireType}`);
  }
  #advance(n: number): void {
    if (this.#at + n > this.bytes.length) throw new Error('field runs past the body');
    this.#at += n;
  }
  #byte(): number {
    if (this.#at >= this.bytes.length) throw new Error('body ends inside a varint');
    return this.bytes[this.#at++] as number;
  }
}

function fromProtobuf(body: Uint8Array): PartialSuccess | undefined {
  const outer = new Reader(body);
  let found: PartialSuccess | undefined;
  while (!outer.done) {
    const tag = outer.varint();
    if (tag >>> 3 !== 1 || (tag & 7) !== 2) {
      outer.skip(tag & 7);
      continue;
    }
    const inner = new Reader(outer.bytesField());
    const partial: PartialSuccess = { rejectedSpans: 0, errorMessage: '' };
    while (!inner.done) {
      const t = inner.varint();
      if (t >>> 3 === 1 && (t & 7) === 0) partial.rejectedSpans = inner.varint();
      else if (t >>> 3 === 2 && (t & 7) === 2) partial.errorMessage = Buffer.from(inner.bytesField()).toString('utf8');
      else inner.skip(t & 7);
    }
    found = partial;
  }
  if (found !== undefined && !Number.isSafeInteger(found.rejectedSpans)) found.rejectedSpans = 0;
  return found;
}
