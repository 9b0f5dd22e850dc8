/**
 * A FIFO (or a socket, or a device) at an audit file name. Opening a FIFO
 * waits for the other end: for writing, start() would hold the pipeline in
 * open() until some reader appeared; for reading, `stagetrace report` would
 * wait for a writer for ever. Both refuse it at once, naming it. Real
 * processes, bounded: the failure this guards against is a process that
 * never returns from a system call.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runNodeScript } from '../../helpers/run-node.js';
import { STRUCTURED, tempDir } from './audit-support.js';

const FIXTURE = 'test/integration/audit/fixtures/start-in-folder.ts';
const CLI = join(REPO_ROOT, 'src', 'cli', 'stagetrace.ts');
const root = tempDir('special-files');
afterAll(() => root.remove());

let n = 0;
/** A log folder whose structured file name is a FIFO nobody has open. */
function folderWithFifo(): { dir: string; fifo: string } {
  n++;
  const dir = join(root.dir, `logs-${n}`);
  mkdirSync(dir);
  const fifo = join(dir, STRUCTURED);
  const made = spawnSync('mkfifo', ['-m', '0600', fifo]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  return { dir, fifo };
}

describe('a FIFO at an audit file name', () => {
  it('start() fails at once naming it and how to fix it; the FIFO is left as it was', async () => {
    const { dir, fifo } = folderWithFifo();
    const run = await runNodeScript(FIXTURE, { env: { STAGETRACE_LOG_DIR: dir }, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `start failed: stagetrace: cannot write audit files in logDir ${JSON.stringify(dir)}: a FIFO, socket or block device where an audit file belongs`,
    );
    expect(run.stdout).toContain(`EFTYPE: not a regular file (a FIFO, socket or block device), not opened, open '${fifo}'`);
    expect(run.stdout).toContain('To fix: remove it, so that stagetrace creates the file itself, or choose another folder');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  }, 60_000);

  it('requireLogDir: false: said once, the pipeline runs to its end', async () => {
    const { dir, fifo } = folderWithFifo();
    const run = await runNodeScript(FIXTURE, { env: { STAGETRACE_LOG_DIR: dir, REQUIRE_LOG_DIR: 'false' }, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^done$/m);
    expect(run.stderr.split('\n').filter((line) => line.includes('EFTYPE'))).toHaveLength(1);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  }, 60_000);

  it('stagetrace report and sessions refuse it at once with exit 3, naming the file', async () => {
    const { dir, fifo } = folderWithFifo();
    for (const command of ['report', 'sessions']) {
      const run = await runNodeScript(CLI, { args: [command, dir], timeoutMs: 30_000 });
      expect(run.code, `${command}: ${run.stderr}`).toBe(3);
      expect(run.stderr.trim()).toBe(
        `stagetrace: cannot read ${fifo}: it is not a regular file (a FIFO, socket or device), so it is not read`,
      );
    }
  }, 60_000);
});
