import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** Spans taken from the queue for one export, with their estimated bytes. */
export interface SpanBatch {
  readonly spans: ReadableSpan[];
  readonly sizes: number[];
}

/**
 * The spans waiting to be forwarded, oldest first, bounded both in count and
 * in estimated bytes. The rule when it is full: the newest span is refused
 * (the caller counts it), so what waits is always the oldest unsent part of
 * the run, in order, and a batch that failed goes back in front of it.
 *
 * Batches taken for an export still count against the bounds until they
 * are released (sent or given up) or put back: the bound is on every span
 * the forward holds, in flight or not.
 */
export class SpanQueue {
  #spans: ReadableSpan[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;
  #heldSpans = 0;
  #heldBytes = 0;

  constructor(
    readonly maxSpans: number,
    readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.#spans.length - this.#head;
  }

  /** Estimated bytes of the spans waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Estimated bytes of the spans waiting and of those taken and not yet released. */
  get heldBytes(): number {
    return this.#bytes + this.#heldBytes;
  }

  /** Adds a span at the end; false (and nothing added) when either bound would be passed. */
  push(span: ReadableSpan, size: number): boolean {
    if (this.length + this.#heldSpans >= this.maxSpans || this.#bytes + this.#heldBytes + size > this.maxBytes) return false;
    this.#spans.push(span);
    this.#sizes.push(size);
    this.#bytes += size;
    return true;
  }

  /** Takes up to `count` of the oldest spans. */
  take(count: number): SpanBatch {
    const end = Math.min(this.#spans.length, this.#head + count);
    const spans = this.#spans.slice(this.#head, end);
    const sizes = this.#sizes.slice(this.#head, end);
    for (const size of sizes) {
      this.#bytes -= size;
      this.#heldBytes += size;
    }
    this.#heldSpans += spans.length;
    this.#head = end;
    this.#compact();
    return { spans, sizes };
  }

  /** A taken batch is gone (sent, or given up): it no longer counts against the bounds. */
  release(batch: SpanBatch): void {
    this.#heldSpans -= batch.spans.length;
    for (const size of batch.sizes) this.#heldBytes -= size;
  }

  /**
   * Puts a batch that could not be sent back in front, in its order. If
   * spans queued meanwhile leave no room for it, the newest are removed to
   * make room — the same rule as {@link push} — and returned for counting.
   */
  putBack(batch: SpanBatch): ReadableSpan[] {
    this.release(batch);
    const spans = batch.spans.concat(this.#spans.slice(this.#head));
    const sizes = batch.sizes.concat(this.#sizes.slice(this.#head));
    let bytes = this.#bytes;
    for (const size of batch.sizes) bytes += size;
    const removed: ReadableSpan[] = [];
    while (spans.length > 0 && (spans.length + this.#heldSpans > this.maxSpans || bytes + this.#heldBytes > this.maxBytes)) {
      removed.push(spans.pop() as ReadableSpan);
      bytes -= sizes.pop() as number;
    }
    this.#spans = spans;
    this.#sizes = sizes;
    this.#head = 0;
    this.#bytes = bytes;
    return removed;
  }

  /** Removes and returns every span waiting. */
  clear(): ReadableSpan[] {
    const rest = this.#spans.slice(this.#head);
    this.#spans = [];
    this.#sizes = [];
    this.#head = 0;
    this.#bytes = 0;
    return rest;
  }

  /** Drops the taken part of the arrays once it outweighs what still waits. */
  #compact(): void {
    if (this.#head === this.#spans.length) {
      this.#spans = [];
      this.#sizes = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#spans.length) {
      this.#spans = this.#spans.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
  }
}
