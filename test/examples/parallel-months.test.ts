/**
 * The parallel-months examples as the README runs them (`npm run
 * example:threads`, `npm run example:children`): each exits 0 and prints the
 * merged report of its run — every month, with the stages that ran in pool
 * threads or child processes counted in it — and every record of every
 * folder carries one run id.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeRun, runNodeScript } from '../helpers/run-node.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'stagetrace-parallel-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function runIds(dir: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith('structured_processing.jsonl')) continue;
    for (const line of (await readFile(join(dir, entry), 'utf8')).split('\n').filter(Boolean)) {
      ids.add((JSON.parse(line) as { run_id: string }).run_id);
    }
  }
  return ids;
}

const run = (script: string, logDir: string): Promise<NodeRun> =>
  runNodeScript(`examples/parallel-months/${script}`, { env: { NO_COLOR: '1', PARALLEL_LOG_DIR: logDir }, timeoutMs: 120_000 });

describe('examples/parallel-months', () => {
  it('worker-threads.ts: six months, each parse stage in a pool thread, one report and one run id', async () => {
    const logDir = join(scratch, 'threads');
    const result = await run('worker-threads.ts', logDir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/6 months: 6 succeeded, 0 failed · 18 stage executions, 0 failed/);
    expect(result.stdout).toMatch(/^ {2}parse +6 +6 +0 /m);
    expect((await runIds(logDir)).size).toBe(1);
  }, 150_000);

  it('child-processes.ts: four months, each aggregate stage in a child process, one report and one run id', async () => {
    const logDir = join(scratch, 'children');
    const result = await run('child-processes.ts', logDir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/4 months: 4 succeeded, 0 failed · 12 stage executions, 0 failed/);
    expect(result.stdout).toMatch(/^ {2}aggregate +4 +4 +0 /m);
    expect((await runIds(logDir)).size).toBe(1);
  }, 150_000);
});
