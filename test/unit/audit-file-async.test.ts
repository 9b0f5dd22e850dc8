/**
 * AuditFile in buffered mode hands a full queue (256 KiB) to libuv's thread
 * pool. Real files throughout; the thread pool's write is replaced where a
 * test must decide when (or whether) it lands, and then it performs the
 * same real positional write later. Whatever the order in which the pool's
 * writes and the synchronous exit paths run, the file must end with every
 * record exactly once, in order, and at a record boundary after a failure.
 */
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditFile, type AuditFileOptions, type WriteAtFunction } from '../../src/sinks/audit/audit-file.js';

const root = mkdtempSync(join(tmpdir(), 'stagetrace-audit-file-async-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let fileCount = 0;
const freshPath = () => join(root, `f${fileCount++}`, 'records.jsonl');

const record = (i: number, pad = 200) => `${JSON.stringify({ i, text: `record ${i} ${'é'.repeat(pad >> 2)}${'x'.repeat(pad)}` })}\n`;
const records = (from: number, to: number, pad?: number) => Array.from({ length: to - from }, (_, k) => record(from + k, pad));
/** Enough records for several thread-pool writes (each about 256 KiB). */
const MANY = 3000;

function openFile(path: string, options: Partial<AuditFileOptions> = {}): { file: AuditFile; errors: unknown[] } {
  const errors: unknown[] = [];
  mkdirSync(join(path, '..'), { recursive: true });
  const file = new AuditFile(path, { maxBytes: 1 << 30, maxFiles: 3, sync: false, onError: (e) => errors.push(e), ...options });
  file.open();
  return { file, errors };
}
const read = (path: string) => readFileSync(path, 'utf8');
function allGenerations(path: string): string {
  const dir = join(path, '..');
  const base = 'records.jsonl';
  const generation = (name: string) => (name === base ? 0 : Number(name.slice(base.length + 1)));
  const names = readdirSync(dir).filter((name) => name.startsWith(base));
  return names
    .sort((a, b) => generation(b) - generation(a))
    .map((name) => readFileSync(join(dir, name), 'utf8'))
    .join('');
}
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

interface Held {
  fd: number;
  data: Uint8Array;
  position: number;
  done: (error: Error | null, written: number) => void;
}

/** Thread-pool writes that wait until the test lands them: the real positional write, then the callback on a later turn. */
function heldWrites() {
  const held: Held[] = [];
  const writeAt: WriteAtFunction = (fd, data, position, done) => {
    held.push({ fd, data, position, done });
  };
  /** Lands `bytes` (default all) of a held write; the callback follows unless `callback` is false. */
  const land = (write: Held, bytes = write.data.length, callback = true) => {
    const written = writeSync(write.fd, write.data, 0, bytes, write.position);
    if (callback) setImmediate(() => write.done(null, written));
    return written;
  };
  return { held, writeAt, land };
}

describe('AuditFile: writes on the thread pool', () => {
  it('a full queue reaches the file without a synchronous flush, in order, each record once', async () => {
    const path = freshPath();
    const { file, errors } = openFile(path);
    const all = records(0, MANY);
    for (const r of all) file.append(r);
    await file.writesDone();
    const landed = read(path);
    expect(landed.length).toBeGreaterThan(256 * 1024);
    expect(all.join('').startsWith(landed)).toBe(true);
    file.close();
    expect(read(path)).toBe(all.join(''));
    expect(errors).toEqual([]);
    expect(file.lost).toBe(0);
  });

  it('in a loop that never yields, the next chunk goes as soon as the file holds the one before (no callback needed)', () => {
    const path = freshPath();
    const { held, writeAt, land } = heldWrites();
    // The pool writes at once; its callbacks could only run after this synchronous test.
    const { file } = openFile(path, {
      writeAt: (fd, data, position, done) => {
        writeAt(fd, data, position, done);
        land(held[held.length - 1] as Held, data.length, false);
      },
    });
    const all = records(0, MANY);
    for (const r of all) file.append(r);
    expect(held.length).toBeGreaterThan(1);
    file.close();
    expect(read(path)).toBe(all.join(''));
  });

  for (const landedBefore of ['none', 'half'] as const) {
    it(`exit path: a synchronous flush with a pool write in flight (${landedBefore} of it landed) writes it; landing late changes nothing`, async () => {
      const path = freshPath();
      const { held, writeAt, land } = heldWrites();
      const { file } = openFile(path, { writeAt });
      const all = records(0, MANY);
      for (const r of all) file.append(r);
      expect(held).toHaveLength(1); // one write in flight, the rest queued behind it
      const first = held[0] as Held;
      if (landedBefore === 'half') land(first, first.data.length >> 1, false);
      file.flush(); // what exit handlers do
      expect(read(path)).toBe(all.join(''));
      // The pool's write runs after all (the process went on): the same bytes at the same places.
      land(first);
      await nextTurn();
      await nextTurn();
      expect(read(path)).toBe(all.join(''));
      const more = records(MANY, MANY + 10);
      for (const r of more) file.append(r);
      file.close();
      expect(read(path)).toBe([...all, ...more].join(''));
      expect(file.lost).toBe(0);
    });
  }

  it('close with a write in flight: everything is written, and the descriptor stays open for the late write (not reused by another file)', async () => {
    const path = freshPath();
    const { held, writeAt, land } = heldWrites();
    const { file } = openFile(path, { writeAt });
    const all = records(0, MANY);
    for (const r of all) file.append(r);
    file.close();
    expect(read(path)).toBe(all.join(''));
    const first = held[0] as Held;
    const other = join(root, `other-${fileCount++}`);
    const otherFd = openSync(other, 'w');
    try {
      expect(otherFd).not.toBe(first.fd);
      land(first);
      await nextTurn();
      await nextTurn();
    } finally {
      closeSync(otherFd);
    }
    expect(statSync(other).size).toBe(0);
    expect(read(path)).toBe(all.join(''));
  });

  it('writesDone() resolves only once the write in flight is in the file', async () => {
    const path = freshPath();
    const { held, writeAt, land } = heldWrites();
    const { file } = openFile(path, { writeAt });
    for (const r of records(0, MANY)) file.append(r);
    let done = false;
    const waiting = file.writesDone().then(() => {
      done = true;
    });
    await nextTurn();
    await nextTurn();
    expect(done).toBe(false);
    const first = held[0] as Held;
    land(first);
    await waiting;
    expect(Buffer.byteLength(read(path))).toBe(first.data.length);
    file.close();
  });

  it('a pool write cut short goes on in place', async () => {
    const path = freshPath();
    let calls = 0;
    const { file, errors } = openFile(path, {
      writeAt: (fd, data, position, done) => {
        const bytes = calls++ === 0 ? 100 : data.length;
        const written = writeSync(fd, data, 0, bytes, position);
        setImmediate(() => done(null, written));
      },
    });
    const all = records(0, MANY);
    for (const r of all) file.append(r);
    await file.writesDone();
    expect(calls).toBeGreaterThanOrEqual(2);
    file.close();
    expect(read(path)).toBe(all.join(''));
    expect(errors).toEqual([]);
  });

  it('a pool write refused after part of it landed: the file goes back to a record boundary, and the records are written once later', async () => {
    const path = freshPath();
    let calls = 0;
    const { file, errors } = openFile(path, {
      writeAt: (fd, data, position, done) => {
        if (calls++ === 0) {
          writeSync(fd, data, 0, 1500, position); // into some record, then the disk is full
          setImmediate(() => done(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), 0));
          return;
        }
        const written = writeSync(fd, data, 0, data.length, position);
        setImmediate(() => done(null, written));
      },
    });
    const all = records(0, MANY);
    for (const r of all) file.append(r);
    await file.writesDone();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/ENOSPC/);
    const during = read(path);
    expect(during === '' || during.endsWith('\n')).toBe(true);
    expect(all.join('').startsWith(during)).toBe(true);
    file.close();
    expect(read(path)).toBe(all.join(''));
    expect(file.lost).toBe(0);
  });

  it('rotation happens between pool writes: every generation within maxBytes, every record once', async () => {
    const path = freshPath();
    const maxBytes = 700 * 1024;
    const { file, errors } = openFile(path, { maxBytes, maxFiles: 50 });
    const all = records(0, 4 * MANY);
    for (let batch = 0; batch < 4; batch++) {
      for (const r of all.slice(batch * MANY, (batch + 1) * MANY)) file.append(r);
      await file.writesDone();
    }
    file.close();
    expect(allGenerations(path)).toBe(all.join(''));
    const dir = join(path, '..');
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(maxBytes);
    expect(readdirSync(dir).length).toBeGreaterThan(2);
    expect(errors).toEqual([]);
  });

  it('another process appending to the same file: its lines stay whole, and the file goes on by appending', async () => {
    const path = freshPath();
    const { file } = openFile(path);
    const first = records(0, MANY);
    for (const r of first) file.append(r);
    await file.writesDone();
    file.flush();
    const foreign = `${JSON.stringify({ from: 'another writer' })}\n`;
    appendFileSync(path, foreign);
    const second = records(MANY, 2 * MANY);
    for (const r of second) file.append(r);
    await file.writesDone();
    file.close();
    expect(read(path)).toBe([...first, foreign, ...second].join(''));
  });
});

describe('AuditFile: property — pool writes landing at any time, cut short or refused, with synchronous flushes between', () => {
  type Outcome = { kind: 'ok' } | { kind: 'short'; fraction: number } | { kind: 'fail'; fraction: number } | { kind: 'late' };
  const outcome: fc.Arbitrary<Outcome> = fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: 'ok' } as Outcome) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 0.99, noNaN: true }).map((fraction) => ({ kind: 'short', fraction }) as Outcome) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 0.99, noNaN: true }).map((fraction) => ({ kind: 'fail', fraction }) as Outcome) },
    { weight: 2, arbitrary: fc.constant({ kind: 'late' } as Outcome) },
  );

  it('ends with every record exactly once, whatever lands when', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ count: fc.integer({ min: 1, max: 2500 }), after: fc.constantFrom('await', 'flush', 'nothing') }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(outcome, { maxLength: 12 }),
        fc.constantFrom(400 * 1024, 1 << 30),
        async (batches, outcomes, maxBytes) => {
          const path = freshPath();
          const late: Held[] = [];
          let calls = 0;
          const writeAt: WriteAtFunction = (fd, data, position, done) => {
            const step = outcomes[calls++] ?? { kind: 'ok' };
            if (step.kind === 'late') {
              late.push({ fd, data, position, done });
              return;
            }
            const bytes = step.kind === 'ok' ? data.length : Math.floor(data.length * step.fraction);
            const written = bytes > 0 ? writeSync(fd, data, 0, bytes, position) : 0;
            const error = step.kind === 'fail' ? Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }) : null;
            setImmediate(() => done(error, error ? 0 : written));
          };
          const { file } = openFile(path, { writeAt, maxBytes, maxFiles: 100 });
          const appended: string[] = [];
          let next = 0;
          for (const batch of batches) {
            for (const r of records(next, next + batch.count, 40)) {
              file.append(r);
              appended.push(r);
            }
            next += batch.count;
            if (batch.after === 'flush') file.flush();
            if (batch.after === 'await') {
              // Lands some of the late writes first, as a busy pool would.
              for (const write of late.splice(0, 1)) {
                writeSync(write.fd, write.data, 0, write.data.length, write.position);
                setImmediate(() => write.done(null, write.data.length));
              }
              await file.writesDone();
            }
            const now = allGenerations(path);
            const expected = appended.join('');
            // A prefix of the records, in order, nothing twice (the tail of a write in flight may be partial).
            expect(expected.startsWith(now.slice(0, now.lastIndexOf('\n') + 1))).toBe(true);
          }
          file.close();
          expect(allGenerations(path)).toBe(appended.join(''));
          // The late writes land after all: nothing changes.
          for (const write of late.splice(0)) {
            writeSync(write.fd, write.data, 0, write.data.length, write.position);
            write.done(null, write.data.length);
          }
          expect(allGenerations(path)).toBe(appended.join(''));
          expect(file.lost).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
