/**
 * AuditFile with writes cut short through its `write` seam (the same short
 * write then ENOSPC that a full disk gives; test/integration/audit/full-disk.test.ts
 * does it on a real full filesystem). After any failed write the file must
 * end at a record boundary, and once writes succeed it must hold every
 * record exactly once, in order.
 */
import {
  chmodSync,
  existsSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditFile, type AuditFileOptions } from '../../../../src/sinks/audit/audit-file.js';

const root = mkdtempSync(join(tmpdir(), 'stagetrace-audit-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let fileCount = 0;
const freshPath = () => join(root, `f${fileCount++}`, 'records.jsonl');

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** What one write call does: everything, only the first `bytes` bytes, or nothing and throw. */
type Step = { kind: 'ok' } | { kind: 'short'; bytes: number } | { kind: 'fail' };

/** A write function that follows `steps` call by call, then writes normally; it writes to the real file. */
function scripted(steps: Step[]) {
  const calls = { count: 0, short: 0, failed: 0 };
  const write = (fd: number, data: string | Uint8Array): number => {
    const step = steps[calls.count++] ?? { kind: 'ok' };
    if (step.kind === 'fail') {
      calls.failed++;
      throw enospc();
    }
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (step.kind === 'short' && step.bytes < bytes.length) {
      calls.short++;
      return step.bytes === 0 ? 0 : writeSync(fd, bytes.subarray(0, step.bytes));
    }
    return writeSync(fd, bytes);
  };
  return { write, calls };
}

function openFile(path: string, options: Partial<AuditFileOptions>): { file: AuditFile; errors: unknown[] } {
  const errors: unknown[] = [];
  mkdirSync(join(path, '..'), { recursive: true });
  const file = new AuditFile(path, { maxBytes: 1 << 30, maxFiles: 3, sync: false, onError: (e) => errors.push(e), ...options });
  file.open();
  return { file, errors };
}

const read = (path: string) => readFileSync(path, 'utf8');
/** Every generation of the file, oldest first, as one byte string. */
function allGenerations(path: string): Buffer {
  const dir = join(path, '..');
  const base = 'records.jsonl';
  const generation = (name: string) => (name === base ? 0 : Number(name.slice(base.length + 1)));
  const names = readdirSync(dir).filter((name) => name.startsWith(base));
  return Buffer.concat(names.sort((a, b) => generation(b) - generation(a)).map((name) => readFileSync(join(dir, name))));
}
const record = (i: number, pad = 40) => `${JSON.stringify({ i, text: `record ${i} ${'é'.repeat(pad)}` })}\n`;
const records = (from: number, to: number, pad?: number) => Array.from({ length: to - from }, (_, k) => record(from + k, pad));

describe('AuditFile: a write cut short and then refused', () => {
  for (const sync of [false, true]) {
    const mode = sync ? 'sync' : 'buffered';

    it(`${mode}: the file ends at a record boundary after the failure, and holds each record once after recovery`, () => {
      const path = freshPath();
      // The first write gets only some bytes in (buffered: into the second record; sync: into the first), the next is refused.
      const { write, calls } = scripted([{ kind: 'short', bytes: sync ? 50 : 150 }, { kind: 'fail' }]);
      const { file, errors } = openFile(path, { sync, write });
      const first = records(0, 5);
      for (const r of first) file.append(r);
      file.flush();
      expect(calls.short).toBe(1);
      expect(calls.failed).toBe(1);
      expect(errors).toHaveLength(1);
      const during = read(path);
      expect(during === '' || during.endsWith('\n')).toBe(true);
      expect(first.join('').startsWith(during)).toBe(true);

      const second = records(5, 8);
      for (const r of second) file.append(r);
      file.close();
      expect(read(path)).toBe([...first, ...second].join(''));
      expect(file.lost).toBe(0);
    });

    it(`${mode}: a cut inside a multi-byte character is undone whole`, () => {
      const path = freshPath();
      const text = record(0, 200);
      const insideE = Buffer.from(text).indexOf(Buffer.from('é')) + 1; // between the two bytes of é
      const { write } = scripted([{ kind: 'short', bytes: insideE }, { kind: 'fail' }]);
      const { file } = openFile(path, { sync, write });
      file.append(text);
      if (!sync) file.flush();
      expect(read(path)).toBe('');
      file.append(record(1));
      file.close();
      expect(read(path)).toBe(text + record(1));
    });

    it(`${mode}: when the file cannot be truncated, the cut record is completed before anything else`, () => {
      const path = freshPath();
      const { write } = scripted([{ kind: 'short', bytes: 100 }, { kind: 'fail' }, { kind: 'fail' }]);
      const { file, errors } = openFile(path, {
        sync,
        write,
        truncate: () => {
          throw Object.assign(new Error('EINVAL: invalid argument, ftruncate'), { code: 'EINVAL' });
        },
      });
      const first = records(0, 4);
      for (const r of first) file.append(r);
      file.flush(); // short, then refused; cannot undo
      file.flush(); // the completion is refused too
      expect(errors.length).toBeGreaterThanOrEqual(1);
      for (const r of records(4, 6)) file.append(r);
      file.close();
      expect(read(path)).toBe(records(0, 6).join(''));
    });
  }

  it('buffered: a flush of several chunks cut short in the middle of one of them continues at a record boundary, each record once', () => {
    const path = freshPath();
    const all = records(0, 100);
    const cut = Buffer.byteLength(all.slice(0, 70).join('')) + 30; // inside record 70, in the third chunk of 32
    const { write, calls } = scripted([{ kind: 'short', bytes: cut }, { kind: 'fail' }]);
    const { file, errors } = openFile(path, { write });
    for (const r of all) file.append(r);
    file.flush();
    expect(calls.short).toBe(1);
    expect(errors).toHaveLength(1);
    expect(read(path)).toBe(all.slice(0, 70).join(''));
    file.close();
    expect(read(path)).toBe(all.join(''));
    expect(file.lost).toBe(0);
  });

  it('rotation: a write refused in the middle of rotating files duplicates nothing across generations', () => {
    const path = freshPath();
    const { write } = scripted([{ kind: 'ok' }, { kind: 'short', bytes: 60 }, { kind: 'fail' }]);
    const { file } = openFile(path, { maxBytes: 600, maxFiles: 10, write });
    const all = records(0, 30);
    for (const r of all) file.append(r);
    file.flush();
    file.flush();
    file.close();
    const text = allGenerations(path).toString('utf8');
    expect(text).toBe(all.join(''));
  });

  it('records still queued when the file is closed on a refusing disk are counted as lost', () => {
    const path = freshPath();
    const { write } = scripted(Array.from({ length: 100 }, () => ({ kind: 'fail' }) as Step));
    const { file, errors } = openFile(path, { write });
    for (const r of records(0, 70)) file.append(r); // two chunks of 32 and 6 recent records
    file.close();
    expect(read(path)).toBe('');
    expect(file.lost).toBe(70);
    expect(errors).toHaveLength(1);
  });

  it('records given up beyond the retention cap are counted, the rest written once', () => {
    const path = freshPath();
    const { write } = scripted(Array.from({ length: 12 }, () => ({ kind: 'fail' }) as Step));
    const { file } = openFile(path, { write });
    const big = (i: number) => `${JSON.stringify({ i, pad: 'p'.repeat(2 << 20) })}\n`;
    for (let i = 0; i < 10; i++) {
      file.append(big(i));
      file.flush();
    }
    // 16 MiB are kept for retry: the oldest records beyond it are given up and counted.
    expect(file.lost).toBeGreaterThan(0);
    const lost = file.lost;
    const kept = read(path);
    expect(kept).toBe('');
    // The refusals end (past the 12 scripted calls): everything kept is written once.
    for (let k = 0; k < 3; k++) file.flush();
    file.close();
    const lines = read(path)
      .split('\n')
      .filter((line) => line !== '');
    expect(lines.map((line) => JSON.parse(line).i)).toEqual(Array.from({ length: 10 - lost }, (_, k) => lost + k));
    expect(file.lost).toBe(lost);
  });
});

describe('AuditFile: property — any schedule of short and refused writes', () => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: 'ok' } as Step) },
    { weight: 2, arbitrary: fc.nat({ max: 400 }).map((bytes) => ({ kind: 'short', bytes }) as Step) },
    { weight: 2, arbitrary: fc.constant({ kind: 'fail' } as Step) },
  );
  const line = fc.string({ unit: 'grapheme', maxLength: 120 }).map((text) => `${JSON.stringify({ text })}\n`);

  it('leaves the file at a record boundary after every flush, and every record exactly once at the end', () => {
    fc.assert(
      fc.property(
        // Up to 100 records a flush: several chunks of 32, written as one buffer.
        fc.array(fc.array(line, { minLength: 1, maxLength: 100 }), { minLength: 1, maxLength: 4 }),
        fc.array(step, { maxLength: 30 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(300, 2000, 1 << 30),
        (batches, steps, sync, truncateWorks, maxBytes) => {
          const path = freshPath();
          const { write } = scripted(steps);
          const truncate = truncateWorks
            ? ftruncateSync
            : () => {
                throw new Error('EINVAL');
              };
          const { file } = openFile(path, { sync, write, truncate, maxBytes, maxFiles: 100 });
          const appended: string[] = [];
          for (const batch of batches) {
            for (const r of batch) {
              file.append(r);
              appended.push(r);
            }
            file.flush();
            const now = allGenerations(path);
            const expected = Buffer.from(appended.join(''));
            // Whole records only, in order, nothing twice (a record whose undo failed may be part-written until completed).
            if (truncateWorks) expect(now.length === 0 || now[now.length - 1] === 0x0a).toBe(true);
            expect(expected.subarray(0, now.length).equals(now)).toBe(true);
          }
          for (let k = 0; k < 40; k++) file.flush(); // past the scripted steps every write succeeds
          file.close();
          expect(allGenerations(path).equals(Buffer.from(appended.join('')))).toBe(true);
          expect(file.lost).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('AuditFile: symbolic links and modes', () => {
  /** A file that is not ours (think /etc/shadow), with its own content and mode. */
  function someoneElsesFile(): { path: string; before: () => void } {
    const path = join(root, `theirs-${fileCount++}`);
    writeFileSync(path, 'their content\n', { mode: 0o600 });
    chmodSync(path, 0o600);
    return {
      path,
      before: () => {
        expect(readFileSync(path, 'utf8')).toBe('their content\n');
        expect(statSync(path).mode & 0o777).toBe(0o600);
      },
    };
  }

  it('a symbolic link at the file name is refused with ELOOP: its target is neither written nor changed in mode', () => {
    const target = someoneElsesFile();
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    symlinkSync(target.path, path);
    const file = new AuditFile(path, { maxBytes: 1 << 30, maxFiles: 3, sync: true, onError: () => undefined });
    expect(() => file.open()).toThrow(
      expect.objectContaining({
        code: 'ELOOP',
        message: `ELOOP: a symbolic link, not followed (remove it and stagetrace creates the file), open '${path}'`,
      }),
    );
    file.append('ours\n');
    file.close();
    target.before();
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
  });

  it('a dangling link is refused too: nothing is created where it points', () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    const nowhere = join(root, `nowhere-${fileCount++}`);
    symlinkSync(nowhere, path);
    const file = new AuditFile(path, { maxBytes: 1 << 30, maxFiles: 3, sync: true, onError: () => undefined });
    expect(() => file.open()).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    expect(existsSync(nowhere)).toBe(false);
  });

  it('a link planted while the session runs: that file says so, keeps its records, and writes them once the link is gone', () => {
    const target = someoneElsesFile();
    const path = freshPath();
    const { file, errors } = openFile(path, { sync: true });
    file.append('one\n');
    rmSync(path);
    symlinkSync(target.path, path);
    expect(() => file.reopen()).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    file.append('two\n');
    expect(errors).toEqual([expect.objectContaining({ code: 'ELOOP' })]);
    target.before();
    rmSync(path);
    file.append('three\n');
    file.close();
    expect(lstatSync(path).isFile()).toBe(true);
    expect(read(path)).toBe('two\nthree\n');
    expect(file.lost).toBe(0);
    target.before();
  });

  it('an existing file keeps its mode; a file it creates gets 0640', () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'earlier\n');
    chmodSync(path, 0o644);
    const existing = new AuditFile(path, { maxBytes: 1 << 30, maxFiles: 3, sync: true, onError: () => undefined });
    existing.open();
    existing.append('later\n');
    existing.close();
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(read(path)).toBe('earlier\nlater\n');
    const { file } = openFile(freshPath(), { sync: true });
    file.append('new\n');
    file.close();
    expect(statSync(file.path).mode & 0o777).toBe(0o640);
  });
});
