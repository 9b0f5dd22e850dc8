import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';

/** Writes `data` at the end of the file and returns the bytes written, which may be fewer (a full disk). */
export type WriteFunction = (fd: number, data: string | Uint8Array) => number;

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
}

/** Records kept for retry while the disk refuses writes, before the oldest are given up (and counted). */
const MAX_RETAINED_CHARS = 16 * 1024 * 1024;
/** A buffered file writes by itself once this much is queued. */
const FLUSH_AT_CHARS = 256 * 1024;
/** Records joined into one flat chunk at a time (see {@link AuditFile.append}). */
const RECORDS_PER_CHUNK = 32;

const writeToFile: WriteFunction = (fd, data) => (typeof data === 'string' ? writeSync(fd, data) : writeSync(fd, data));

/** Room beyond one byte a character, so that ASCII chunks are encoded without growing the buffer. */
const ENCODE_SLACK = 64 * 1024;
/** Encoding buffers are sized in these steps, so that flushes of slightly different sizes reuse one. */
const ENCODING_STEP = 256 * 1024;
/** The largest encoding buffer kept between flushes. */
const KEPT_ENCODING_BYTES = 1024 * 1024;
/**
 * One buffer that every file's flush encodes into: a flush writes it before
 * returning, so it is free again when the next one starts.
 */
let encoding: Buffer | undefined;

/**
 * The UTF-8 of `chunks` (`chars` characters in all), each chunk encoded in
 * place. The result is valid until the next call.
 */
function encode(chunks: string[], chars: number): Buffer {
  const wanted = chars + ENCODE_SLACK;
  let buffer =
    encoding !== undefined && encoding.length >= wanted
      ? encoding
      : Buffer.allocUnsafeSlow(Math.ceil(wanted / ENCODING_STEP) * ENCODING_STEP);
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
  if (buffer.length <= KEPT_ENCODING_BYTES) encoding = buffer;
  return buffer.subarray(0, bytes);
}

/** Not defined on Windows, where open() does not follow symbolic links to files by itself either. */
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/**
 * Opening a FIFO for writing waits for a reader, which would hold the whole
 * pipeline in open(): non-blocking, it fails at once instead (ENXIO). A
 * regular file ignores the flag.
 */
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const APPEND = constants.O_WRONLY | constants.O_APPEND | O_NOFOLLOW;

/**
 * Opens `path` for appending, creating it if it is missing, without
 * following a symbolic link at its end: appending through a link planted at
 * a file's name would write into (and, as root, could change the mode of)
 * whatever it points to. Says whether this call created the file, so that
 * only a file of ours gets its mode set. Throws `ELOOP` for a link and
 * `EFTYPE` for a FIFO, a socket or a block device, never waiting on it.
 */
function openForAppend(path: string): { fd: number; created: boolean } {
  for (let attempt = 0; ; attempt++) {
    try {
      return { fd: openSync(path, APPEND | constants.O_CREAT | constants.O_EXCL, 0o640), created: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let fd: number;
    try {
      fd = openSync(path, APPEND | O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Removed between the two calls: create it after all (once more at most).
      if (code === 'ENOENT' && attempt === 0) continue;
      if (code === 'ELOOP' && isLink(path)) throw linkRefused(path);
      if (code === 'ENXIO') throw notRegularRefused(path);
      throw error;
    }
    // A character device (/dev/null, /dev/full) is written like a file; a block device would be a disk written raw.
    const stats = fstatSync(fd);
    if (!stats.isFile() && !stats.isCharacterDevice()) {
      closeSync(fd);
      throw notRegularRefused(path);
    }
    return { fd, created: false };
  }
}

/** ELOOP also means a loop of links in the folder's path: only a link at the name itself is named as one. */
function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function notRegularRefused(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EFTYPE: not a regular file (a FIFO, socket or block device), not opened, open '${path}'`), {
    code: 'EFTYPE',
    syscall: 'open',
    path,
  });
}

function linkRefused(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ELOOP: a symbolic link, not followed (remove it and stagetrace creates the file), open '${path}'`), {
    code: 'ELOOP',
    syscall: 'open',
    path,
  });
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
 * boundary and a retry writes each record exactly once. Writes use
 * `writeSync` from a flush (not from the caller's hot path in buffered
 * mode): a record is in the OS — and survives the process being killed — as
 * soon as a flush returns, and an exit handler can flush without waiting on
 * an event loop that may be gone. pino's file destination makes the same choice.
 */
export class AuditFile {
  readonly path: string;
  readonly #options: AuditFileOptions;
  readonly #write: WriteFunction;
  readonly #truncate: (fd: number, length: number) => void;
  #fd: number | undefined;
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
  #lost = 0;
  #closed = false;
  readonly #recordEnd: string;
  readonly #recordEndBytes: Buffer;

  constructor(path: string, options: AuditFileOptions) {
    this.path = path;
    this.#options = options;
    this.#write = options.write ?? writeToFile;
    this.#truncate = options.truncate ?? ftruncateSync;
    this.#recordEnd = options.recordEnd ?? '\n';
    this.#recordEndBytes = Buffer.from(this.#recordEnd);
  }

  /** Records that could not be written: given up after the disk refused them for too long, or still queued at close. */
  get lost(): number {
    return this.#lost;
  }

  /**
   * Opens (creating with mode 0640) and learns the current size. Never
   * through a symbolic link: a link at the file's name is refused with
   * `ELOOP` (see {@link openForAppend}). Throws on failure: start() reports it.
   */
  open(): void {
    const { fd, created } = openForAppend(this.path);
    if (created) {
      try {
        // The umask may have taken bits away, or left more than 0640.
        fchmodSync(fd, 0o640);
      } catch {
        // Writing still works.
      }
    }
    this.#fd = fd;
    this.#size = fstatSync(fd).size;
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
      if (this.#queuedChars >= FLUSH_AT_CHARS) this.flush();
    }
  }

  /** Writes everything queued. Never throws; on failure keeps the unwritten records for the next flush. */
  flush(): void {
    if ((this.#queuedChars === 0 && this.#tornRest === undefined) || this.#closed) return;
    if (this.#fd === undefined) {
      try {
        this.open(); // After a failed rotation: try again.
      } catch (error) {
        this.#options.onError(error);
        return;
      }
    }
    if (this.#recent.length > 0) {
      this.#chunks.push(this.#recent.length === 1 ? (this.#recent[0] as string) : this.#recent.join(''));
      this.#recent.length = 0;
    }
    // Never one joined string: joining hundreds of kilobytes allocates a
    // large string per flush and cost four times more.
    const chunks = this.#chunks;
    const chars = this.#queuedChars;
    this.#chunks = [];
    this.#queuedChars = 0;
    let i = 0;
    try {
      this.#finishTornRecord();
      if (chunks.length > 1) {
        // The chunks encoded into one reused buffer, one write: a write call
        // per chunk cost twice as much (each encodes into a buffer of its own).
        const data = encode(chunks, chars);
        if (this.#size + data.length <= this.#options.maxBytes) {
          try {
            this.#writeEncoded(data);
            return;
          } catch (error) {
            if (!(error instanceof WriteFailure)) throw error;
            const rest = chunks.join('').slice(error.completedChars);
            this.#requeue(rest === '' ? [] : [rest]);
            this.#options.onError(error.failure);
            return;
          }
        }
      }
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
      this.#options.onError(error instanceof WriteFailure ? error.failure : error);
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

  /** As {@link #writeRecords}, for whole records already encoded. */
  #writeEncoded(data: Buffer): void {
    const fd = this.#fd as number;
    let written = 0;
    try {
      while (written < data.length) {
        const more = this.#write(fd, written === 0 ? data : data.subarray(written));
        if (!(more > 0)) throw new Error(`write returned ${more} for ${data.length - written} bytes`);
        written += more;
      }
      this.#size += data.length;
    } catch (error) {
      if (!(written > 0)) throw new WriteFailure(error, 0);
      throw new WriteFailure(error, this.#undoTornRecord(fd, data, written));
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
    const lastEnd = written >= endBytes.length ? encoded.lastIndexOf(endBytes, written - endBytes.length) : -1;
    const whole = lastEnd === -1 ? 0 : lastEnd + endBytes.length;
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
  }
}
