/**
 * A real full filesystem: a small tmpfs mounted by the test, filled while a
 * pipeline writes its audit files, then freed. Writes cut short by the full
 * disk must leave every file at a record boundary: no glued line, no
 * duplicate, and every record written once space is back.
 *
 * Mounting needs root (the test fails saying so otherwise).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forceFlush, getSessionSummary, logProgress, shutdown, start, traceMonth, traceStage } from '../../../src/index.js';
import { AuditFile } from '../../../src/sinks/audit/audit-file.js';
import { captureStderr } from '../../helpers/capture-stderr.js';
import { ERRORS, HUMAN, PERFORMANCE, readJsonl, readText, STRUCTURED } from './audit-support.js';

const PAD = 'x'.repeat(700);
/** One message per index, recognisable whole: a glued or cut line cannot look like one. */
const message = (i: number) => `msg-${i}-${PAD}-end`;
const WHOLE = /msg-(\d+)-x{700}-end/g;

/** Mounts a tmpfs of `size` on a fresh folder; unmount with the returned function. */
function mountTmpfs(size: string): { dir: string; unmount: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'stagetrace-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const why = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    throw new Error(
      `The full-disk test mounts a small tmpfs and needs root (mount -t tmpfs -o size=${size} tmpfs DIR failed: ${why}). ` +
        'Run the test suite as root (CI does), or in a container allowed to mount.',
    );
  }
  return {
    dir,
    unmount() {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Takes every free block of the filesystem holding `path`. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 0x2e);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

/** Every index whose message appears whole in the text, in order; fails on a line holding a cut or glued message. */
function wholeMessages(text: string, file: string): number[] {
  const found: number[] = [];
  text.split('\n').forEach((line, n) => {
    if (!line.includes('msg-')) return;
    const whole = [...line.matchAll(WHOLE)];
    const starts = line.split('msg-').length - 1;
    if (whole.length !== 1 || starts !== 1) throw new Error(`${file}:${n + 1} holds a cut or glued record: ${line.slice(0, 120)}…`);
    found.push(Number(whole[0]?.[1]));
  });
  return found;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('a full disk mid-run (real tmpfs)', () => {
  for (const durability of ['buffered', 'sync'] as const) {
    it(`${durability}: files stay at record boundaries while full, and hold every record once after space is freed`, async () => {
      const disk = mountTmpfs('96k');
      const capture = captureStderr();
      try {
        const logDir = join(disk.dir, 'logs');
        await start({ logDir, durability, console: false, handleExit: false, hostMetrics: false });
        let next = 0;
        const log = (count: number) => {
          for (let k = 0; k < count; k++) logProgress(message(next++));
        };
        // Some records first, so the files end inside a partly used page: the next write is cut short, then fails.
        await traceMonth('2024-01', () => traceStage('warm-up', () => log(4)));
        await forceFlush();
        fill(join(disk.dir, 'filler'));

        await traceMonth('2024-02', async () => {
          for (let s = 0; s < 6; s++) traceStage(`stage-${s}`, () => log(5));
        });
        await forceFlush();
        const during = getSessionSummary();
        expect(during.audit.write_errors).toBeGreaterThan(0);
        // While the disk is full, every file ends at a record boundary.
        for (const name of [HUMAN, STRUCTURED, PERFORMANCE]) {
          const text = readText(join(logDir, name));
          expect(text === '' || text.endsWith('\n'), `${name} ends mid-record while the disk is full`).toBe(true);
          readJsonl(join(logDir, STRUCTURED));
        }

        rmSync(join(disk.dir, 'filler'));
        await traceMonth('2024-03', () => traceStage('after', () => log(3)));
        await shutdown();

        const structured = readJsonl(join(logDir, STRUCTURED));
        const messages = structured.map((r) => r.message).filter((m): m is string => typeof m === 'string' && m.startsWith('msg-'));
        expect(messages).toEqual(range(0, next).map(message));
        expect(wholeMessages(readText(join(logDir, HUMAN)), HUMAN)).toEqual(range(0, next));
        const performance = readJsonl(join(logDir, PERFORMANCE));
        expect(performance.filter((r) => r.stage === 'stage-3')).toHaveLength(1);
        expect(new Set(performance.map((r) => JSON.stringify(r))).size).toBe(performance.length);
        readText(join(logDir, ERRORS)); // present or empty; nothing failed in the pipeline itself
        // Said once per file, however many writes failed.
        const said = capture.lines().filter((l) => l.includes(STRUCTURED));
        expect(said).toHaveLength(1);
      } finally {
        capture.restore();
        await shutdown();
        disk.unmount();
      }
    }, 60_000);
  }

  it('records that never fit are counted as lost, and the file still ends at a record boundary', () => {
    const disk = mountTmpfs('64k');
    try {
      const errors: unknown[] = [];
      let shortWrites = 0;
      for (const sync of [false, true]) {
        const dir = join(disk.dir, sync ? 'sync' : 'buffered');
        mkdirSync(dir);
        const path = join(dir, 'records.jsonl');
        // The real system call, watched: the disk itself must cut a write short for this test to mean anything.
        const write = (fd: number, data: string | Uint8Array) => {
          const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
          const written = typeof data === 'string' ? writeSync(fd, data) : writeSync(fd, data);
          if (written < bytes) shortWrites++;
          return written;
        };
        const file = new AuditFile(path, { maxBytes: 1 << 30, maxFiles: 2, sync, write, onError: (e) => errors.push(e) });
        file.open();
        for (let i = 0; i < 3; i++) file.append(`${JSON.stringify({ m: message(i) })}\n`);
        file.flush();
        fill(join(dir, 'filler'));
        for (let i = 3; i < 40; i++) file.append(`${JSON.stringify({ m: message(i) })}\n`);
        file.close(); // the disk is still full: what is queued cannot be written
        const written = readJsonl(path).map((r) => r.m);
        expect(written).toEqual(range(0, written.length).map(message));
        expect(written.length).toBeGreaterThanOrEqual(3);
        expect(written.length + file.lost).toBe(40);
        expect(file.lost).toBeGreaterThan(0);
        rmSync(join(dir, 'filler'));
      }
      expect(errors.length).toBeGreaterThan(0);
      expect(String(errors[0])).toMatch(/ENOSPC/);
      expect(shortWrites).toBeGreaterThanOrEqual(2);
      expect(readdirSync(disk.dir).sort()).toEqual(['buffered', 'sync']);
    } finally {
      disk.unmount();
    }
  });
});
