import { escapeForLine } from '../model/human-format.js';
import type { RecordSink } from '../model/record-sink.js';
import type { ScopeEndRecord, ScopeRef, ScopeStartRecord } from '../model/records.js';

/** Where the display writes: a terminal, or anything else (CI logs, files, cron mail). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressDisplayOptions {
  /** Usually `process.stderr`. */
  stream: ProgressStream;
  /** Draw a status line in place (default: `stream.isTTY`); otherwise write plain lines. */
  tty?: boolean;
  /** Months the run will process, when known: shown as "month 3 of 12". */
  totalMonths?: number;
  /** Plain mode: at most one line this often (default 15 s). */
  plainIntervalMs?: number;
  /** TTY mode: the status line is redrawn at most this often, and every second for the clock (default 100 ms). */
  redrawMs?: number;
  /** Epoch ms; for tests. */
  now?: () => number;
}

interface OpenScope {
  ref: ScopeRef;
  startMs: number;
  done: number | undefined;
  total: number | undefined;
}

const BAR_WIDTH = 20;

/**
 * A live status line for long runs: the current month and stage, elapsed
 * time, months done (of the total when known) and, for a stage that reports
 * `progress(done, total)`, a bar and an ETA.
 *
 * On a terminal it is one line redrawn in place (`\r`, erase line), cut to
 * the terminal's width, with a clock that ticks every second on an unref'd
 * timer. Elsewhere it writes a plain line at most every `plainIntervalMs`,
 * only when something happened, so logs stay readable.
 *
 * Other output to the same stream must clear the line first and redraw it
 * after: {@link suspend} and {@link resume}.
 */
export class ProgressDisplay implements RecordSink {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #plainIntervalMs: number;
  readonly #redrawMs: number;
  #totalMonths: number | undefined;
  readonly #open = new Map<string, OpenScope>();
  #monthsDone = 0;
  #firstStartMs: number | undefined;
  #lastDrawMs = Number.NEGATIVE_INFINITY;
  #lastPlainMs = Number.NEGATIVE_INFINITY;
  #shown = false;
  #suspended = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  /** A redraw held back by the rate limit, so the latest state is drawn soon after a burst. */
  #trailing: NodeJS.Timeout | undefined;

  constructor(options: ProgressDisplayOptions) {
    this.#stream = options.stream;
    this.#tty = options.tty ?? options.stream.isTTY === true;
    this.#now = options.now ?? Date.now;
    this.#plainIntervalMs = options.plainIntervalMs ?? 15_000;
    this.#redrawMs = options.redrawMs ?? 100;
    this.#totalMonths = options.totalMonths;
  }

  /** Sets the number of months the run will process, once known. */
  setTotalMonths(total: number | undefined): void {
    this.#totalMonths = total;
  }

  onStart(record: ScopeStartRecord): void {
    if (this.#closed) return;
    this.#firstStartMs ??= record.startMs;
    this.#open.set(record.scope.spanId, { ref: record.scope, startMs: record.startMs, done: undefined, total: undefined });
    if (this.#tty && this.#timer === undefined) {
      this.#timer = setInterval(() => this.#draw(true), 1000);
      this.#timer.unref();
    }
    this.#update(false);
  }

  onEnd(record: ScopeEndRecord): void {
    if (this.#closed) return;
    this.#open.delete(record.scope.spanId);
    if (record.scope.kind === 'month') this.#monthsDone++;
    this.#update(record.scope.kind === 'month');
  }

  /** A stage (or month) reported how far it got; `total` undefined when unknown. */
  onProgress(scope: ScopeRef, done: number, total: number | undefined): void {
    if (this.#closed) return;
    const open = this.#open.get(scope.spanId);
    if (open === undefined) return;
    open.done = done;
    open.total = total;
    this.#update(false);
  }

  /** Messages go to the console, which suspends the line around them. */
  onMessage(): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.close();
  }

  /** Clears the status line before other output to the stream. */
  suspend(): void {
    if (this.#tty && this.#shown) this.#stream.write('\r\x1b[K');
    this.#shown = false;
    this.#suspended = true;
  }

  /** Draws the status line again after other output. */
  resume(): void {
    this.#suspended = false;
    if (this.#tty) this.#draw(true);
  }

  /** Erases the status line and stops the clock. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#trailing !== undefined) clearTimeout(this.#trailing);
    this.#timer = undefined;
    this.#trailing = undefined;
    if (this.#tty && this.#shown) this.#stream.write('\r\x1b[K');
    this.#shown = false;
  }

  /** A closed stream (a pipe whose reader went away) takes no more lines. */
  #writable(): boolean {
    return (this.#stream as { destroyed?: boolean }).destroyed !== true;
  }

  /** The status text as it stands, without terminal codes. */
  statusText(): string {
    const now = this.#now();
    let month: OpenScope | undefined;
    let stage: OpenScope | undefined;
    for (const scope of this.#open.values()) {
      if (scope.ref.kind === 'month') month = scope;
      else stage = scope; // the latest started: the innermost in a sequential run
    }
    const parts: string[] = [];
    if (month?.ref.month !== undefined) parts.push(month.ref.month);
    if (stage !== undefined) {
      let text = escapeForLine(stage.ref.name);
      if (stage.done !== undefined) text += ` ${progressText(stage, now)}`;
      else text += ` ${formatClock(now - stage.startMs)}`;
      parts.push(text);
    } else if (month?.done !== undefined) parts.push(progressText(month, now));
    const monthNo = this.#monthsDone + (month ? 1 : 0);
    if (this.#totalMonths !== undefined) parts.push(`month ${Math.min(monthNo, this.#totalMonths)} of ${this.#totalMonths}`);
    else if (this.#monthsDone > 0) parts.push(`${this.#monthsDone} month${this.#monthsDone === 1 ? '' : 's'} done`);
    parts.push(`elapsed ${formatClock(now - (this.#firstStartMs ?? now))}`);
    return parts.join(' · ');
  }

  #update(important: boolean): void {
    if (this.#tty) this.#draw(false);
    else this.#plain(important);
  }

  #draw(force: boolean): void {
    if (this.#closed || this.#suspended) return;
    const now = this.#now();
    if (!force && now - this.#lastDrawMs < this.#redrawMs) {
      if (this.#trailing === undefined) {
        this.#trailing = setTimeout(
          () => {
            this.#trailing = undefined;
            this.#draw(true);
          },
          this.#redrawMs - (now - this.#lastDrawMs),
        );
        this.#trailing.unref();
      }
      return;
    }
    if (this.#trailing !== undefined) clearTimeout(this.#trailing);
    this.#trailing = undefined;
    this.#lastDrawMs = now;
    const width = Math.max(20, (this.#stream.columns ?? 80) - 1);
    let text = this.statusText();
    if ([...text].length > width) text = `${[...text].slice(0, width - 1).join('')}…`;
    if (!this.#writable()) return;
    this.#stream.write(`\r\x1b[K${text}`);
    this.#shown = true;
  }

  #plain(important: boolean): void {
    const now = this.#now();
    if (!important && now - this.#lastPlainMs < this.#plainIntervalMs) return;
    this.#lastPlainMs = now;
    if (!this.#writable()) return;
    this.#stream.write(`[progress] ${this.statusText()}\n`);
  }
}

function progressText(scope: OpenScope, now: number): string {
  const done = scope.done ?? 0;
  const total = scope.total;
  if (total === undefined || total <= 0) return `${formatCount(done)} done, ${formatClock(now - scope.startMs)}`;
  const share = Math.max(0, Math.min(1, done / total));
  const full = Math.round(share * BAR_WIDTH);
  const elapsed = now - scope.startMs;
  const eta = done > 0 && done < total ? ` · ETA ${formatClock(((total - done) * elapsed) / done)}` : '';
  return `[${'#'.repeat(full)}${'.'.repeat(BAR_WIDTH - full)}] ${Math.floor(share * 100)}% ${formatCount(done)}/${formatCount(total)}${eta}`;
}

const formatCount = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(1));

/** `0:07`, `12:05`, `1:02:09`. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
