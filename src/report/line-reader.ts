import { constants } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';

/** Not defined on Windows, which has no FIFOs to wait on. */
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

import { StringDecoder } from 'node:string_decoder';

/**
 * Bytes read per system call. Large enough that the per-chunk await is noise
 * next to parsing; small enough that a chunk's lines die young: with 1 MiB
 * chunks they outlived the young generation and peak RSS rose by 50 MB.
 */
const CHUNK_BYTES = 64 * 1024;

/**
 * The longest line kept, in characters. The session writes lines of a few
 * kilobytes (messages and stacks are capped); a longer one is damage — a
 * power cut can leave megabytes of NUL bytes without a newline — and is
 * skipped to its end without being held, so memory stays bounded.
 */
export const MAX_LINE_CHARS = 8 * 1024 * 1024;

/**
 * What {@link LineReader.next} returns in place of a line longer than
 * {@link MAX_LINE_CHARS}: a newline, which no real line can hold.
 */
export const OVERLONG_LINE = '\n';

/** A file that could not be read, with the reason in words. */
export class UnreadableFileError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    const code = (cause as { code?: string } | undefined)?.code;
    const reason =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a folder, not a file'
          : code === 'ENOENT'
            ? 'it no longer exists'
            : code === 'EFTYPE'
              ? 'it is not a regular file (a FIFO, socket or device), so it is not read'
              : cause instanceof Error
                ? cause.message
                : String(cause);
    super(`cannot read ${file}: ${reason}`, { cause });
    this.name = 'UnreadableFileError';
  }
}

/** Where a line came from: for notes about lines that are not records. */
export interface LinePosition {
  file: string;
  line: number;
  /** True for the last line of the last file when it has no newline: a write cut short. */
  torn: boolean;
}

/**
 * Reads the lines of several files in order (rotated generations, then the
 * live file), 64 KiB at a time. `next()` is synchronous; `fill()` is the
 * only await, once per chunk — a line-by-line async iterator would await
 * for every line.
 */
export class LineReader {
  readonly #files: readonly string[];
  #fileIndex = -1;
  #handle: FileHandle | undefined;
  readonly #decoder = new StringDecoder('utf8');
  /** Two buffers: the next chunk is read into one while the lines of the other are parsed. */
  readonly #buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  #bufferIndex = 0;
  #nextRead: Promise<number> | undefined;
  #lines: string[] = [];
  #lineIndex = 0;
  /** The part of the last chunks after their last newline; never longer than MAX_LINE_CHARS plus a chunk. */
  #rest = '';
  /** In a line longer than MAX_LINE_CHARS: its bytes are dropped up to the next newline. */
  #overlong = false;
  #lineNo = 0;
  #done = false;
  #bytesRead = 0;
  /** Set when the line just returned was a file's last line without a newline. */
  #lastWasUnterminated = false;
  /** The lines in the buffer end with a file's last line, which had no newline. */
  #unterminatedTail = false;

  constructor(files: readonly string[]) {
    this.#files = files;
    if (files.length === 0) this.#done = true;
  }

  /** Every line has been returned. */
  get done(): boolean {
    return this.#done && this.#lineIndex >= this.#lines.length;
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** The next line, or undefined when the buffer is empty: then `await fill()` (unless {@link done}). */
  next(): string | undefined {
    if (this.#lineIndex < this.#lines.length) {
      this.#lineNo++;
      const line = this.#lines[this.#lineIndex++] as string;
      this.#lastWasUnterminated = this.#lineIndex === this.#lines.length && this.#unterminatedTail;
      return line;
    }
    return undefined;
  }

  /** The line `next()` returned last was the unterminated end of the last file: a write cut short. */
  get lastLineTorn(): boolean {
    return this.#lastWasUnterminated && this.#fileIndex === this.#files.length - 1 && this.#done;
  }

  /** The position of the line `next()` returned last. */
  position(): LinePosition {
    return { file: this.#files[Math.max(0, this.#fileIndex)] ?? '', line: this.#lineNo, torn: this.lastLineTorn };
  }

  /** Reads the next chunk into the buffer. */
  async fill(): Promise<void> {
    this.#lines = [];
    this.#lineIndex = 0;
    this.#unterminatedTail = false;
    while (this.#lines.length === 0 && !this.#done) {
      if (this.#handle === undefined) await this.#openNext();
      if (this.#done || this.#handle === undefined) break;
      const file = this.#files[this.#fileIndex] as string;
      const buffer = this.#buffers[this.#bufferIndex] as Buffer;
      let bytes: number;
      try {
        bytes = await (this.#nextRead ?? this.#read(buffer));
        this.#nextRead = undefined;
        // Start reading the next chunk now; it arrives while these lines are parsed.
        if (bytes > 0) {
          this.#bufferIndex ^= 1;
          this.#nextRead = this.#read(this.#buffers[this.#bufferIndex] as Buffer);
          // A failed read ahead is reported when its chunk is awaited, not as an unhandled rejection.
          this.#nextRead.catch(() => undefined);
        }
      } catch (error) {
        this.#nextRead = undefined;
        await this.close();
        throw new UnreadableFileError(file, error);
      }
      if (bytes === 0) {
        // End of this file: its unterminated last line, if any, is a line of its own.
        const tail = this.#overlong ? OVERLONG_LINE : this.#rest + this.#decoder.end();
        this.#rest = '';
        this.#overlong = false;
        await this.#handle.close();
        this.#handle = undefined;
        if (this.#fileIndex === this.#files.length - 1) this.#done = true;
        if (tail !== '') {
          this.#lines = [tail];
          this.#unterminatedTail = true;
        }
        continue;
      }
      this.#bytesRead += bytes;
      this.#split(buffer.subarray(0, bytes));
    }
  }

  /**
   * Splits a chunk into lines. Only the new chunk is searched for a newline
   * and the pending part is joined once, when its line ends: searching the
   * pending part again for every chunk made a long line quadratic.
   */
  #split(chunk: Buffer): void {
    let bytes = chunk;
    let overlongEnded = false;
    if (this.#overlong) {
      // A newline byte is never part of a multi-byte character: the chunk can be cut there undecoded.
      const newline = bytes.indexOf(10);
      if (newline === -1) return;
      overlongEnded = true;
      this.#overlong = false;
      bytes = bytes.subarray(newline + 1);
    }
    const text = this.#decoder.write(bytes);
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline === -1) {
      this.#rest += text;
      if (this.#rest.length > MAX_LINE_CHARS) {
        this.#rest = '';
        this.#overlong = true;
        this.#decoder.end(); // drops a partial character: the line is skipped anyway
      }
      if (overlongEnded) this.#lines = [OVERLONG_LINE];
      return;
    }
    const lines = (this.#rest + text.slice(0, lastNewline)).split('\n');
    this.#rest = text.slice(lastNewline + 1);
    this.#lines = overlongEnded ? [OVERLONG_LINE, ...lines] : lines;
  }

  async #read(buffer: Buffer): Promise<number> {
    const handle = this.#handle as FileHandle;
    const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
    return bytesRead;
  }

  async #openNext(): Promise<void> {
    this.#fileIndex++;
    this.#lineNo = 0;
    if (this.#fileIndex >= this.#files.length) {
      this.#done = true;
      return;
    }
    const file = this.#files[this.#fileIndex] as string;
    try {
      this.#handle = await openRegularFile(file);
    } catch (error) {
      throw new UnreadableFileError(file, error);
    }
  }

  /** Every line, for a consumer that awaits per line anyway (an async generator); closes the reader at the end. */
  async *lines(): AsyncGenerator<string> {
    try {
      for (;;) {
        const line = this.next();
        if (line !== undefined) {
          yield line;
          continue;
        }
        if (this.done) return;
        await this.fill();
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.#done = true;
    this.#lines = [];
    const handle = this.#handle;
    this.#handle = undefined;
    await this.#nextRead?.catch(() => undefined);
    this.#nextRead = undefined;
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Opens an audit file for reading, refusing (code `EFTYPE`) anything but a
 * regular file. Non-blocking: opening a FIFO for reading would otherwise
 * wait for a writer, for ever; a regular file ignores the flag.
 */
export async function openRegularFile(file: string): Promise<FileHandle> {
  const handle = await open(file, constants.O_RDONLY | O_NONBLOCK);
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    const code = stats.isDirectory() ? 'EISDIR' : 'EFTYPE';
    throw Object.assign(new Error(`${code}: not a regular file: ${file}`), { code });
  }
  return handle;
}

/** Total size of the files, for progress; files that vanish count as empty. */
export async function totalBytes(files: readonly string[]): Promise<number> {
  let total = 0;
  for (const file of files)
    total += await stat(file).then(
      (s) => (s.isFile() ? s.size : 0),
      () => 0,
    );
  return total;
}

/**
 * Every line of the reader, in order, then the reader closed: the read loop
 * of the readers, with one await per chunk. `visit` returns a promise only
 * when it has to wait (for another file's lines, say); `afterChunk` runs
 * after each chunk is read (progress).
 */
export async function forEachLine(
  reader: LineReader,
  visit: (line: string) => void | Promise<void>,
  afterChunk?: () => void,
): Promise<void> {
  try {
    for (;;) {
      const line = reader.next();
      if (line !== undefined) {
        const wait = visit(line);
        if (wait) await wait;
        continue;
      }
      if (reader.done) return;
      await reader.fill();
      afterChunk?.();
    }
  } finally {
    await reader.close();
  }
}
