import { closeSync, existsSync, fchmodSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export interface AuditFileOptions {
  /** Rotate before a write would take the file past this many bytes. */
  maxBytes: number;
  /** Rotated generations kept: `name.1` (newest) … `name.N` (oldest). */
  maxFiles: number;
  /** Write each record through to the OS before `append` returns. */
  sync: boolean;
  /** Called on a failed write; the records stay queued and are retried. */
  onError: (error: unknown) => void;
}

/** Records kept for retry while the disk refuses writes, before the oldest are given up (and counted). */
const MAX_RETAINED_CHARS = 16 * 1024 * 1024;
/** A buffered file flushes by itself once this much is queued. */
const FLUSH_AT_CHARS = 256 * 1024;

/**
 * One append-only audit file with size-based rotation.
 *
 * Records are whole strings and are never split: rotation happens between
 * records. Writes use `writeSync` from a flush (not from the caller's hot
 * path in buffered mode): a record is in the OS — and survives the process
 * being killed — as soon as a flush returns, and an exit handler can flush
 * without waiting on an event loop that may be gone. pino's file
 * destination makes the same choice.
 */
export class AuditFile {
  private fd: number | undefined;
  private size = 0;
  private queue: string[] = [];
  private queuedChars = 0;
  /** Records given up after the disk refused them for too long. */
  lost = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly options: AuditFileOptions,
  ) {}

  /** Opens (creating with mode 0640) and learns the current size. Throws on failure: start() reports it. */
  open(): void {
    const fd = openSync(this.path, 'a', 0o640);
    try {
      fchmodSync(fd, 0o640);
    } catch {
      // A file owned by someone else keeps its mode; writing still works.
    }
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  /** Queues a record (sync mode: writes it now). Never throws. */
  append(record: string): void {
    if (this.closed) return;
    this.queue.push(record);
    this.queuedChars += record.length;
    if (this.options.sync || this.queuedChars >= FLUSH_AT_CHARS) this.flush();
  }

  get pendingRecords(): number {
    return this.queue.length;
  }

  /** Writes everything queued. Never throws; on failure keeps the records for the next flush. */
  flush(): void {
    if (this.queue.length === 0 || this.closed) return;
    if (this.fd === undefined) {
      try {
        this.open(); // After a failed rotation: try again.
      } catch (error) {
        this.options.onError(error);
        return;
      }
    }
    const records = this.queue;
    this.queue = [];
    const chars = this.queuedChars;
    this.queuedChars = 0;
    try {
      let text = records.length === 1 ? (records[0] as string) : records.join('');
      let bytes = Buffer.byteLength(text);
      // Everything fits; otherwise the loop below rotates between records (an empty
      // file still takes one record larger than maxBytes whole: records are never split).
      if (this.size + bytes <= this.options.maxBytes) {
        this.writeAll(text, bytes);
        this.size += bytes;
        return;
      }
      // Fill this file up to the limit record by record, rotate, and go on.
      let start = 0;
      while (start < records.length) {
        let end = start;
        bytes = 0;
        while (end < records.length) {
          const b = Buffer.byteLength(records[end] as string);
          if (this.size + bytes + b > this.options.maxBytes && this.size + bytes > 0) break;
          bytes += b;
          end++;
        }
        if (end === start) {
          this.rotate();
          continue;
        }
        text = records.slice(start, end).join('');
        this.writeAll(text, bytes);
        this.size += bytes;
        start = end;
        if (start < records.length) this.rotate();
      }
    } catch (error) {
      this.requeue(records, chars);
      this.options.onError(error);
    }
  }

  /** Writes the string directly (no intermediate Buffer); a short write goes on from where it stopped. */
  private writeAll(text: string, bytes: number): void {
    const written = writeSync(this.fd as number, text);
    if (written >= bytes) return;
    const rest = Buffer.from(text).subarray(written);
    let offset = 0;
    while (offset < rest.length) offset += writeSync(this.fd as number, rest, offset);
  }

  /** Puts records back in front of the queue; beyond the retention cap the oldest are counted and dropped. */
  private requeue(records: string[], chars: number): void {
    this.queue = records.concat(this.queue);
    this.queuedChars += chars;
    while (this.queuedChars > MAX_RETAINED_CHARS && this.queue.length > 0) {
      this.queuedChars -= (this.queue.shift() as string).length;
      this.lost++;
    }
  }

  /** name → name.1 → name.2 …; the oldest beyond maxFiles is removed. */
  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    const { maxFiles } = this.options;
    rmSync(`${this.path}.${maxFiles}`, { force: true });
    for (let i = maxFiles - 1; i >= 1; i--) {
      const from = `${this.path}.${i}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${i + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
    this.open();
  }

  /** Flushes and closes. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.queue = [];
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // Already gone.
      }
    }
    this.fd = undefined;
  }
}
