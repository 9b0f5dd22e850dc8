import { BYTES_PER_MB } from '../model/units.js';

/** Reads smaller than this finish before a bar would be worth drawing. */
export const PROGRESS_MIN_BYTES = 8 * BYTES_PER_MB;
const REDRAW_MS = 100;
const WIDTH = 30;

/**
 * A progress bar on a terminal while the audit files are read: one line,
 * redrawn in place at most ten times a second, erased when done. Draws
 * nothing when the stream is not a terminal or the read is small.
 */
export class ReadProgress {
  readonly #stream: NodeJS.WriteStream;
  readonly #now: () => number;
  #lastDraw = 0;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream, now: () => number = Date.now) {
    this.#stream = stream;
    this.#now = now;
  }

  update(bytesRead: number, totalBytes: number): void {
    if (!this.#stream.isTTY || totalBytes < PROGRESS_MIN_BYTES) return;
    const now = this.#now();
    if (this.#drawn && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    const share = Math.min(1, bytesRead / totalBytes);
    const full = Math.round(share * WIDTH);
    const mb = (n: number) => (n / BYTES_PER_MB).toFixed(0);
    this.#stream.write(
      `\r\x1b[Kreading audit files [${'#'.repeat(full)}${'.'.repeat(WIDTH - full)}] ${(share * 100).toFixed(0).padStart(3)}%  ${mb(bytesRead)} of ${mb(totalBytes)} MB`,
    );
    this.#drawn = true;
  }

  /** Erases the bar, so what follows starts on a clean line. */
  done(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[K');
    this.#drawn = false;
  }
}
