import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fstatSync,
  ftruncateSync,
  openSync,
  renameSync,
  rmSync,
  write as writeAsync,
  writeSync,
} from 'node:fs';

/** Writes `data` at the end of the file and returns the bytes written, which may be fewer (a full disk). */
export type WriteFunction = (fd: number, data: string | Uint8Array) => number;

/**
 * Writes `data` at byte `position` off the caller's thread and then calls
 * `done` with the bytes written (which may be fewer) or the error.
 */
export type WriteAtFunction = (
  fd: number,
  data: Uint8Array,
  position: number,
  done: (error: Error | null, written: number) => void,
) => void;

/** Writes `data` at byte `position` now and returns the bytes written. */
export type WriteAtSyncFunction = (fd: number, data: Uint8Array, position: number) => number;

export interface AuditFileOptions {
  /** Rotate before a write would take the file past this many bytes. */
  maxBytes: number;
  /** Rotated generations kept: `name.1` (newest) … `name.N` (oldest). */
  maxFiles: number;
  /** Write each record through to the OS before `append` returns. */
  sync: boolean;
  /** Called on a failed write; the records stay queued and are retried. */
  onError: (error: unknown) => void;
  /** What every record ends with; rotation splits only after it. Default `\n`. */
  recordEnd?: string;
  /** The system call, replaceable so tests can cut writes short. Default `fs.writeSync`. */
  write?: WriteFunction;
  /** Shortens the file to `length` bytes, replaceable so tests can make it fail. Default `fs.ftruncateSync`. */
  truncate?: (fd: number, length: number) => void;
  /** Buffered mode: the write a full queue starts on libuv's thread pool. Default `fs.write` (positional). */
  writeAt?: WriteAtFunction;
  /** Finishes a write still in flight when a flush must be complete now (exit paths). Default `fs.writeSync` (positional). */
  writeAtSync?: WriteAtSyncFunction;
}

/** Records kept for retry while the disk refuses writes, before the oldest are given up (and counted). */
const MAX_RETAINED_CHARS = 16 * 1024 * 1024;
/** A buffered file writes by itself once this much is queued. */
const FLUSH_AT_CHARS = 256 * 1024;
/** Records joined into one flat chunk at a time (see {@link AuditFile.append}). */
const RECORDS_PER_CHUNK = 32;
/** Queued while a write is still in flight, beyond which the records are written synchronously (bounded memory). */
const MAX_QUEUED_WHILE_WRITING = 4 * FLUSH_AT_CHARS;
/** Room beyond one byte a character, so that ASCII chunks are encoded without growing the buffer. */
const ENCODE_SLACK = 64 * 1024;

const writeToFile: WriteFunction = (fd, data) => (typeof data === 'string' ? writeSync(fd, data) : writeSync(fd, data));
const writeAtOnThreadPool: WriteAtFunction = (fd, data, position, done) =>
  writeAsync(fd, data, 0, data.length, position, (error, written) => done(error, written));
const writeAtNow: WriteAtSyncFunction = (fd, data, position) => writeSync(fd, data, 0, data.length, position);

/** A chunk handed to the thread pool, written in place at `offset`; `written` bytes of it are known to be in the file. */
interface InFlight {
  readonly data: Buffer;
  readonly offset: number;
  readonly fd: number;
  written: number;
}

/**
 * The UTF-8 of `chunks` (`chars` characters in all) in one buffer, each
 * chunk encoded in place: joining them into one string first would copy
 * hundreds of kilobytes once more.
 */
function encode(chunks: string[], chars: number): Buffer {
  let buffer = Buffer.allocUnsafeSlow(chars + ENCODE_SLACK);
  let bytes = 0;
  for (const chunk of chunks) {
    const most = bytes + 3 * chunk.length;
    if (most > buffer.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(most, 2 * buffer.length));
      buffer.copy(bigger, 0, 0, bytes);
      buffer = bigger;
    }
    bytes += buffer.write(chunk, bytes);
  }
  return buffer.subarray(0, bytes);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already gone with its folder.
  }
}

/** A write that failed after `completedChars` characters of its text were in the file, ending at a record boundary. */
class WriteFailure extends Error {
  constructor(
    readonly failure: unknown,
    readonly completedChars: number,
  ) {
    super('audit write failed');
  }
}

/** Characters of the text whose UTF-8 is `encoded`, in its first `bytes` bytes; `bytes` must end a record (ASCII). */
function charsIn(encoded: Buffer, bytes: number): number {
  return encoded.subarray(0, bytes).toString('utf8').length;
}

function countRecords(text: string, end: string): number {
  let count = 0;
  for (let at = text.indexOf(end); at !== -1; at = text.indexOf(end, at + end.length)) count++;
  // A record without its end (not expected) still counts.
  return text.length > 0 && !text.endsWith(end) ? count + 1 : count;
}

/**
 * One append-only audit file with size-based rotation.
 *
 * Records are whole strings and are never split: rotation happens between
 * records, and a write that the disk cuts short (ENOSPC, EIO) is undone back
 * to the last whole record, so the file always continues at a record
 * boundary and a retry writes each record exactly once.
 *
 * Buffered mode hands a full queue (256 KiB) to libuv's thread pool, so the
 * `write` system call (more CPU than the pipeline's own work on a slow page
 * cache) runs beside the pipeline: one write in flight per file, at the
 * byte offset where the file ends, and the next chunk queued behind it. A
 * write counts as done when its callback runs or when the file has grown
 * past it (a loop that never yields runs no callbacks). Everything else —
 * flushes by interval, at a month's end, on exit, with rotation — is
 * synchronous, as pino's file destination is: an exit handler flushes
 * without an event loop. A synchronous flush with a write still in flight
 * writes that chunk's bytes again at the same offsets first: a late
 * completion of the first write then puts the same bytes in the same
 * places, so every record is in the file exactly once whichever lands
 * last. Sync mode writes each record before `append` returns.
 */
export class AuditFile {
  readonly path: string;
  readonly #options: AuditFileOptions;
  readonly #write: WriteFunction;
  readonly #truncate: (fd: number, length: number) => void;
  readonly #writeAt: WriteAtFunction;
  readonly #writeAtSync: WriteAtSyncFunction;
  /** Opened for appending: every synchronous write. */
  #fd: number | undefined;
  /** The same file opened for positional writes (buffered mode): the thread pool's writes. */
  #atFd: number | undefined;
  #size = 0;
  /** The newest records, as built (V8 rope strings). */
  #recent: string[] = [];
  /** Older records, joined into flat chunks. */
  #chunks: string[] = [];
  #queuedChars = 0;
  /**
   * The rest of a record cut short by a failed write that could not be undone
   * (the file could not be truncated): written first, so the record is completed.
   */
  #tornRest: Uint8Array | undefined;
  /** The write on the thread pool that must be in the file before anything after it is written. */
  #inFlight: InFlight | undefined;
  /** Thread-pool writes per descriptor whose callback has not run: a descriptor is closed only after them. */
  readonly #busy = new Map<number, number>();
  /** Descriptors given up while busy, closed by their last callback (never reused by another file meanwhile). */
  readonly #retired = new Set<number>();
  /** Waiting for the write in flight to complete. */
  #waiters: (() => void)[] = [];
  /** Failed writes so far (reported through onError). */
  #failures = 0;
  #lost = 0;
  #closed = false;
  readonly #recordEnd: string;
  readonly #recordEndBytes: Buffer;

  constructor(path: string, options: AuditFileOptions) {
    this.path = path;
    this.#options = options;
    this.#write = options.write ?? writeToFile;
    this.#truncate = options.truncate ?? ftruncateSync;
    this.#writeAt = options.writeAt ?? writeAtOnThreadPool;
    this.#writeAtSync = options.writeAtSync ?? writeAtNow;
    this.#recordEnd = options.recordEnd ?? '\n';
    this.#recordEndBytes = Buffer.from(this.#recordEnd);
  }

  /** Records that could not be written: given up after the disk refused them for too long, or still queued at close. */
  get lost(): number {
    return this.#lost;
  }

  /** Opens (creating with mode 0640) and learns the current size. Throws on failure: start() reports it. */
  open(): void {
    const fd = openSync(this.path, 'a', 0o640);
    try {
      fchmodSync(fd, 0o640);
    } catch {
      // A file owned by someone else keeps its mode; writing still works.
    }
    this.#fd = fd;
    const stat = fstatSync(fd);
    this.#size = stat.size;
    this.#retireAtFd();
    if (this.#options.sync) return;
    try {
      const atFd = openSync(this.path, constants.O_WRONLY);
      // Replaced between the two opens: write this file synchronously only.
      if (fstatSync(atFd).ino === stat.ino) this.#atFd = atFd;
      else closeSync(atFd);
    } catch {
      // Writes stay synchronous.
    }
  }

  /**
   * Queues a record (sync mode: writes it now). Never throws.
   *
   * Every few records are joined into one flat chunk at once: a template
   * string is a tree of small V8 objects, and hundreds of them kept until a
   * flush cost more in garbage collection and flattening than building them
   * did (measured: 5 µs against 0.8 µs per record).
   */
  append(record: string): void {
    if (this.#closed) return;
    this.#recent.push(record);
    this.#queuedChars += record.length;
    if (this.#options.sync) {
      this.flush();
      return;
    }
    if (this.#recent.length >= RECORDS_PER_CHUNK) {
      this.#chunks.push(this.#recent.join(''));
      this.#recent.length = 0;
      if (this.#queuedChars >= FLUSH_AT_CHARS) this.#flushInBackground();
    }
  }

  /**
   * Hands everything queued to the thread pool, unless a write is still in
   * flight (then it stays queued, up to a bound). Rotation, a record still
   * to be completed and a file opened for appending only go the synchronous way.
   */
  #flushInBackground(): void {
    const atFd = this.#atFd;
    if (atFd === undefined || this.#fd === undefined || this.#tornRest !== undefined) {
      this.flush();
      return;
    }
    try {
      const inFlight = this.#inFlight;
      if (inFlight !== undefined) {
        if (fstatSync(inFlight.fd).size < inFlight.offset + inFlight.data.length) {
          if (this.#queuedChars >= MAX_QUEUED_WHILE_WRITING) this.flush();
          return;
        }
        // In the file already; its callback, when it runs, only releases the descriptor.
        this.#inFlight = undefined;
      }
      const offset = fstatSync(atFd).size;
      if (offset !== this.#size) {
        // Someone else writes or truncated this file too: positional writes
        // could overwrite their records, appending cannot.
        this.#retireAtFd();
        this.flush();
        return;
      }
      this.#joinRecent();
      const data = encode(this.#chunks, this.#queuedChars);
      if (offset + data.length > this.#options.maxBytes) {
        this.flush(); // rotates, between writes
        return;
      }
      this.#chunks = [];
      this.#queuedChars = 0;
      const chunk: InFlight = { data, offset, fd: atFd, written: 0 };
      this.#inFlight = chunk;
      this.#size = offset + data.length;
      this.#submit(chunk);
    } catch (error) {
      this.#failed(error);
    }
  }

  #submit(chunk: InFlight): void {
    const fd = chunk.fd;
    this.#busy.set(fd, (this.#busy.get(fd) ?? 0) + 1);
    try {
      this.#writeAt(fd, chunk.data.subarray(chunk.written), chunk.offset + chunk.written, (error, written) =>
        this.#completed(chunk, error, written),
      );
    } catch (error) {
      this.#completed(chunk, error, 0);
    }
  }

  /** A thread-pool write's callback. Never throws. */
  #completed(chunk: InFlight, error: unknown, written: number): void {
    try {
      const left = (this.#busy.get(chunk.fd) ?? 1) - 1;
      if (left > 0) this.#busy.set(chunk.fd, left);
      else {
        this.#busy.delete(chunk.fd);
        if (this.#retired.delete(chunk.fd)) closeQuietly(chunk.fd);
      }
      // Finished by a synchronous flush, seen in the file, or given up with a removed folder.
      if (this.#inFlight !== chunk) return;
      if (!error && written > 0) {
        chunk.written += written;
        if (chunk.written < chunk.data.length)
          this.#submit(chunk); // cut short: the rest, in place
        else this.#inFlight = undefined;
        return;
      }
      this.#inFlight = undefined;
      this.#undoFailedChunk(chunk, error ?? new Error(`write returned ${written} for ${chunk.data.length - chunk.written} bytes`));
    } catch (failure) {
      this.#failed(failure);
    } finally {
      this.#wake();
    }
  }

  /**
   * A thread-pool write failed with nothing else in flight: the file goes
   * back to the end of the last whole record it got, and the rest of the
   * chunk is queued in front, as after a synchronous write.
   */
  #undoFailedChunk(chunk: InFlight, error: unknown): void {
    let landed = chunk.written;
    try {
      landed = Math.min(chunk.data.length, Math.max(landed, fstatSync(chunk.fd).size - chunk.offset));
    } catch {
      // Count what the callbacks said.
    }
    this.#size = chunk.offset;
    const done = landed > 0 ? this.#undoTornRecord(chunk.fd, chunk.data, landed) : 0;
    const rest = chunk.data.toString('utf8').slice(done);
    if (rest !== '') this.#requeue([rest]);
    this.#failed(error);
  }

  /**
   * Makes the write in flight complete now: it may be in the file already
   * (the file is long enough); otherwise its bytes are written again at the
   * same offsets, which the thread pool's write, landing late or halfway,
   * cannot change. Returns false if that failed: the chunk stays in flight
   * and nothing after it is written.
   */
  #settle(): boolean {
    const chunk = this.#inFlight;
    if (chunk === undefined) return true;
    try {
      if (fstatSync(chunk.fd).size < chunk.offset + chunk.data.length) {
        let at = chunk.written;
        while (at < chunk.data.length) {
          const more = this.#writeAtSync(chunk.fd, chunk.data.subarray(at), chunk.offset + at);
          if (!(more > 0)) throw new Error(`write returned ${more} for ${chunk.data.length - at} bytes`);
          at += more;
          chunk.written = Math.max(chunk.written, at);
        }
      }
      this.#inFlight = undefined;
      this.#wake();
      return true;
    } catch (error) {
      this.#failed(error);
      return false;
    }
  }

  /**
   * Resolves once no write is in flight: the thread pool's writes of the
   * records queued so far are in the file (or failed and are queued again).
   * What is still queued is written by the next flush.
   */
  async writesDone(): Promise<void> {
    const failures = this.#failures;
    while (this.#inFlight !== undefined && this.#failures === failures) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #failed(error: unknown): void {
    this.#failures++;
    this.#options.onError(error);
  }

  #joinRecent(): void {
    if (this.#recent.length > 0) {
      this.#chunks.push(this.#recent.length === 1 ? (this.#recent[0] as string) : this.#recent.join(''));
      this.#recent.length = 0;
    }
  }

  /** Closes the positional descriptor now, or after the callbacks of the writes still using it. */
  #retireAtFd(): void {
    const atFd = this.#atFd;
    if (atFd === undefined) return;
    this.#atFd = undefined;
    if (this.#busy.has(atFd)) this.#retired.add(atFd);
    else closeQuietly(atFd);
  }

  /**
   * Writes everything queued, and a write still in flight, before it
   * returns: exit paths rely on it. Never throws; on failure keeps the
   * unwritten records for the next flush.
   */
  flush(): void {
    if (this.#closed) return;
    if (this.#queuedChars === 0 && this.#tornRest === undefined) {
      this.#settle();
      return;
    }
    if (this.#fd === undefined) {
      try {
        this.open(); // After a failed rotation: try again.
      } catch (error) {
        this.#failed(error);
        return;
      }
    }
    if (!this.#settle()) return;
    this.#joinRecent();
    // One write per chunk rather than one joined string: joining hundreds of
    // kilobytes allocates a large string per flush and cost four times more.
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#queuedChars = 0;
    let i = 0;
    try {
      this.#finishTornRecord();
      for (; i < chunks.length; i++) {
        const chunk = chunks[i] as string;
        const bytes = Buffer.byteLength(chunk);
        // A chunk holds many records: into an empty file too it goes whole only if it fits
        // (writeRotating still puts a single record larger than maxBytes whole into an empty file).
        if (this.#size + bytes <= this.#options.maxBytes) {
          this.#writeRecords(chunk, bytes);
        } else {
          this.#writeRotating(chunk);
        }
      }
    } catch (error) {
      const unwritten = chunks.slice(i);
      const done = error instanceof WriteFailure ? error.completedChars : 0;
      if (done > 0) unwritten[0] = (unwritten[0] as string).slice(done);
      this.#requeue(unwritten.filter((chunk) => chunk !== ''));
      this.#failed(error instanceof WriteFailure ? error.failure : error);
    }
  }

  /** Completes a record that a failed write cut and that could not be undone. */
  #finishTornRecord(): void {
    let rest = this.#tornRest;
    if (rest === undefined) return;
    try {
      while (rest.length > 0) {
        const written = this.#write(this.#fd as number, rest);
        if (!(written > 0)) throw new Error(`write returned ${written} for ${rest.length} bytes`);
        this.#size += written;
        rest = rest.subarray(written);
      }
      this.#tornRest = undefined;
    } catch (error) {
      this.#tornRest = rest;
      throw new WriteFailure(error, 0);
    }
  }

  /** Fills the file up to the limit record by record, rotates, and goes on. */
  #writeRotating(text: string): void {
    const end = this.#recordEnd;
    let start = 0;
    try {
      while (start < text.length) {
        // The largest run of whole records that fits what is left of this file.
        let cut = start;
        let bytes = 0;
        while (cut < text.length) {
          const next = text.indexOf(end, cut);
          const recordEnd = next === -1 ? text.length : next + end.length;
          const recordBytes = Buffer.byteLength(text.slice(cut, recordEnd));
          if (this.#size + bytes + recordBytes > this.#options.maxBytes && this.#size + bytes > 0) break;
          bytes += recordBytes;
          cut = recordEnd;
        }
        if (cut === start) {
          this.#rotate();
          continue;
        }
        this.#writeRecords(text.slice(start, cut), bytes);
        start = cut;
        if (start < text.length) this.#rotate();
      }
    } catch (error) {
      if (error instanceof WriteFailure) throw new WriteFailure(error.failure, start + error.completedChars);
      throw new WriteFailure(error, start);
    }
  }

  /**
   * Writes whole records (the string directly: no intermediate Buffer). A
   * short write goes on from where it stopped; a write that fails after part
   * of the text is in the file undoes the part of the last record that made
   * it, so the file ends at a record boundary, and says how much is in.
   */
  #writeRecords(text: string, bytes: number): void {
    const fd = this.#fd as number;
    let written = 0;
    let encoded: Buffer | undefined;
    try {
      written = this.#write(fd, text);
      if (written >= bytes) {
        this.#size += bytes;
        return;
      }
      encoded = Buffer.from(text);
      while (written < encoded.length) {
        const more = this.#write(fd, encoded.subarray(written));
        if (!(more > 0)) throw new Error(`write returned ${more} for ${encoded.length - written} bytes`);
        written += more;
      }
      this.#size += bytes;
    } catch (error) {
      if (!(written > 0)) throw new WriteFailure(error, 0);
      throw new WriteFailure(error, this.#undoTornRecord(fd, encoded ?? Buffer.from(text), written));
    }
  }

  /**
   * After `written` bytes of `encoded` reached the file and the write failed:
   * truncates the file back to the end of the last whole record and returns
   * how many characters of the text are in the file. If the file cannot be
   * truncated, the rest of the cut record is kept to be written first.
   */
  #undoTornRecord(fd: number, encoded: Buffer, written: number): number {
    const endBytes = this.#recordEndBytes;
    const whole = this.#wholeRecordsIn(encoded, written);
    if (written > whole) {
      try {
        this.#truncate(fd, fstatSync(fd).size - (written - whole));
      } catch {
        // Cannot undo: finish the cut record on the next flush instead.
        const nextEnd = encoded.indexOf(endBytes, written);
        const recordEnd = nextEnd === -1 ? encoded.length : nextEnd + endBytes.length;
        this.#tornRest = Uint8Array.prototype.slice.call(encoded, written, recordEnd);
        this.#size += written;
        return charsIn(encoded, recordEnd);
      }
    }
    this.#size += whole;
    return charsIn(encoded, whole);
  }

  /** Puts unwritten chunks back in front of the queue; beyond the retention cap the oldest records are counted and dropped. */
  #requeue(unwritten: string[]): void {
    this.#chunks = unwritten.concat(this.#chunks);
    for (const chunk of unwritten) this.#queuedChars += chunk.length;
    if (this.#queuedChars <= MAX_RETAINED_CHARS) return;
    const all = this.#chunks.join('');
    let drop = 0;
    while (all.length - drop > MAX_RETAINED_CHARS) {
      const next = all.indexOf(this.#recordEnd, drop);
      drop = next === -1 ? all.length : next + this.#recordEnd.length;
      this.#lost++;
    }
    const kept = all.slice(drop);
    this.#chunks = kept === '' ? [] : [kept];
    this.#queuedChars = kept.length;
  }

  /** name → name.1 → name.2 …; the oldest beyond maxFiles is removed. */
  #rotate(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#retireAtFd();
    const { maxFiles } = this.#options;
    rmSync(`${this.path}.${maxFiles}`, { force: true });
    for (let i = maxFiles - 1; i >= 1; i--) {
      const from = `${this.path}.${i}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${i + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
    this.open();
  }

  /**
   * Opens the path again, as a new file: after the folder was removed or
   * replaced, the old descriptor writes to a file nobody can read. A record
   * cut short in the old file cannot be completed in the new one: it is
   * counted as lost. Throws if the path cannot be opened; the next flush
   * then tries again.
   */
  reopen(): void {
    if (this.#closed) return;
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // Gone with its folder.
      }
      this.#fd = undefined;
    }
    this.#retireAtFd();
    const inFlight = this.#inFlight;
    if (inFlight !== undefined) {
      // On its way into a file nobody can read: written again into the new one.
      this.#inFlight = undefined;
      this.#requeue([inFlight.data.toString('utf8')]);
      this.#wake();
    }
    if (this.#tornRest !== undefined) {
      this.#tornRest = undefined;
      this.#lost++;
    }
    this.open();
  }

  /** Flushes and closes; records that still cannot be written are counted in {@link lost}. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    for (const chunk of this.#chunks) this.#lost += countRecords(chunk, this.#recordEnd);
    for (const record of this.#recent) this.#lost += countRecords(record, this.#recordEnd);
    if (this.#tornRest !== undefined) this.#lost++;
    const inFlight = this.#inFlight;
    if (inFlight !== undefined) {
      // Could not be finished here: what its callbacks did not confirm may still land, or not.
      const unconfirmed = inFlight.data.subarray(this.#wholeRecordsIn(inFlight.data, inFlight.written));
      this.#lost += countRecords(unconfirmed.toString('utf8'), this.#recordEnd);
      this.#inFlight = undefined;
    }
    this.#recent = [];
    this.#chunks = [];
    this.#queuedChars = 0;
    this.#tornRest = undefined;
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // Already gone.
      }
    }
    this.#fd = undefined;
    this.#retireAtFd();
    this.#wake();
  }

  /** Bytes of `encoded` up to the end of the last whole record in its first `bytes` bytes. */
  #wholeRecordsIn(encoded: Buffer, bytes: number): number {
    const endBytes = this.#recordEndBytes;
    const lastEnd = bytes >= endBytes.length ? encoded.lastIndexOf(endBytes, bytes - endBytes.length) : -1;
    return lastEnd === -1 ? 0 : lastEnd + endBytes.length;
  }
}
