/**
 * The BullMQ example's producer where it needs no Redis: `--in-process` runs
 * the months' stages in one process (the run the queue's merged report is
 * compared with in test/e2e/bullmq), and bad options stop it before anything
 * connects. The queue itself is tested against a real redis-server in
 * test/e2e/bullmq/months-on-workers.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeAuditLog } from '../../src/index.js';
import { type NodeRun, runNodeScript } from '../helpers/run-node.js';

const PRODUCER = 'examples/parallel-months/bullmq/producer.ts';
const TIMEOUT_MS = 60_000;

describe('npm run example:bullmq -- --in-process', () => {
  let scratch: string;
  let run: NodeRun;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'stagetrace-bullmq-producer-'));
    run = await runNodeScript(PRODUCER, {
      args: ['--in-process', '--months', '2024-01,2024-02,2024-03', '--fail-month', '2024-02', '--log-dir', scratch],
      // A Redis that is not there: the in-process run never connects.
      env: { NO_COLOR: '1', REDIS_URL: 'redis://127.0.0.1:1' },
      timeoutMs: TIMEOUT_MS,
    });
  }, TIMEOUT_MS);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('runs every month in this process, fails only the requested one, and names its report command', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Failed months: 2024-02\n');
    expect(run.stdout).toContain(`npm run stagetrace -- report ${join(scratch, 'in-process')}\n`);
  });

  it("records the four stages of each month in that month, the failed month's ending in validate", async () => {
    const summary = await summarizeAuditLog(join(scratch, 'in-process'));
    expect(Object.keys(summary.months).sort()).toEqual(['2024-01', '2024-02', '2024-03']);
    expect(summary.months['2024-01']?.stages).toBe(4);
    expect(summary.months['2024-02']?.status).toBe('failure');
    expect(summary.months['2024-02']?.error?.stage).toBe('validate');
    expect(summary.stages.load?.executions).toBe(2);
  });
});

describe('the producer refuses bad options before connecting anywhere', () => {
  it.each([
    [['--workers', '40'], '--workers 40: expected a whole number from 0 to 32.'],
    [['--months', '3', '--fail-month', '2024-07'], '--fail-month "2024-07" is not one of the months to run'],
  ])('%j', async (args, message) => {
    const run = await runNodeScript(PRODUCER, { args, env: { REDIS_URL: 'redis://127.0.0.1:1' }, timeoutMs: TIMEOUT_MS });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: npm run example:bullmq');
  });
});
