/**
 * An audit file name that already exists as a symbolic link (planted by
 * another user, or left by a deploy script) is never written through: as
 * root, following it would append to and chmod whatever it points to.
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { logProgress, shutdown, start, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { HUMAN, readJsonl, STRUCTURED, tempDir } from './audit-support.js';

const root = tempDir('symlinked');
afterAll(() => root.remove());
let capture: StderrCapture | undefined;
afterEach(async () => {
  capture?.restore();
  capture = undefined;
  await shutdown();
});

let n = 0;
/** A log folder whose structured file name is a link to a file that is not ours, and a check that it is untouched. */
function folderWithLink(): { dir: string; link: string; target: string; untouched: () => void } {
  n++;
  const target = join(root.dir, `system-file-${n}`);
  writeFileSync(target, 'root:x:0:0\n');
  chmodSync(target, 0o600);
  const dir = join(root.dir, `logs-${n}`);
  mkdirSync(dir);
  const link = join(dir, STRUCTURED);
  symlinkSync(target, link);
  return {
    dir,
    link,
    target,
    untouched: () => {
      expect(readFileSync(target, 'utf8')).toBe('root:x:0:0\n');
      expect(statSync(target).mode & 0o777).toBe(0o600);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
    },
  };
}

describe('a symbolic link at an audit file name', () => {
  it('start() fails naming the link and how to fix it; the file it points to is neither written nor chmodded', async () => {
    const { dir, link, untouched } = folderWithLink();
    await expect(start({ logDir: dir, console: false, handleExit: false, hostMetrics: false })).rejects.toThrow(
      `stagetrace: cannot write audit files in logDir ${JSON.stringify(dir)}: a symbolic link where an audit file belongs ` +
        `(writing through it would write into whatever it points to): ELOOP: a symbolic link, not followed (remove it and ` +
        `stagetrace creates the file), open '${link}'. To fix: remove the link, so that stagetrace creates the file itself, ` +
        'or choose another folder (option logDir / STAGETRACE_LOG_DIR), or set requireLogDir: false to run on without files.',
    );
    untouched();
  });

  it('requireLogDir: false: said once, the pipeline runs on, nothing reaches the link', async () => {
    const { dir, untouched } = folderWithLink();
    capture = captureStderr();
    await start({ logDir: dir, console: false, handleExit: false, hostMetrics: false, requireLogDir: false });
    await traceMonth('2024-08', () => traceStage('download', () => logProgress('still running')));
    await shutdown();
    const notices = capture.lines().filter((line) => line.includes('symbolic link'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/WARNING.*ELOOP.*Running on without audit files/);
    untouched();
  });

  it('once the link is removed, start() creates a regular file of its own in its place', async () => {
    const { dir, link, target } = folderWithLink();
    await expect(start({ logDir: dir, console: false, handleExit: false, hostMetrics: false })).rejects.toThrow(/ELOOP/);
    rmSync(link);
    await start({ logDir: dir, console: false, handleExit: false, hostMetrics: false, durability: 'sync' });
    logProgress('written');
    await shutdown();
    expect(lstatSync(link).isFile()).toBe(true);
    expect(statSync(link).mode & 0o777).toBe(0o640);
    expect(readJsonl(link).some((r) => r.message === 'written')).toBe(true);
    expect(readFileSync(join(dir, HUMAN), 'utf8')).toContain('written');
    expect(readFileSync(target, 'utf8')).toBe('root:x:0:0\n');
  });
});
