import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeRun, runNodeScript } from '../helpers/run-node.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TIMEOUT_MS = 60_000;

type RunResult = NodeRun;

/** Runs the demo as `npm run demo` does, with no collector and no stagetrace/OTel variables. */
function runDemo(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runNodeScript('examples/monthly-pipeline.ts', { args, cwd: REPO, env: { NO_COLOR: '1', ...env }, timeoutMs: TIMEOUT_MS });
}

describe('npm run demo (examples/monthly-pipeline.ts)', () => {
  let scratch: string;
  let run: RunResult;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'stagetrace-demo-test-'));
    // The demo's own TMPDIR, so the test can see that it cleans up after itself.
    const demoTmp = join(scratch, 'tmp');
    await mkdir(demoTmp);
    run = await runDemo(['--months', '2024-01,2024-02,2024-03', '--fail-month', '2024-02', '--log-dir', join(scratch, 'logs')], {
      TMPDIR: demoTmp,
    });
  }, TIMEOUT_MS);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('exits 0 when only the requested month fails, and says which month failed', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Failed months: 2024-02\b/m);
  });

  it('prints the session report with every stage to stdout', () => {
    expect(run.stdout).toContain('Session ');
    expect(run.stdout).toContain('(demo-monthly-pipeline)');
    for (const stage of ['download', 'process', 'validate', 'upload']) {
      expect(run.stdout).toMatch(new RegExp(`^\\s+${stage}\\s+\\d+\\s+\\d+\\s+\\d+\\s`, 'm'));
    }
    // validate failed once (2024-02); upload ran only for the two good months.
    expect(run.stdout).toMatch(/^\s+validate\s+3\s+2\s+1\s/m);
    expect(run.stdout).toMatch(/^\s+upload\s+2\s+2\s+0\s/m);
  });

  it('marks the failed month failed and carries on with the next one', () => {
    expect(run.stdout).toMatch(/^\s+2024-01\s+success\s/m);
    expect(run.stdout).toMatch(/^\s+2024-02\s+failure\s/m);
    expect(run.stdout).toMatch(/^\s+2024-03\s+success\s/m);
  });

  it('writes progress lines in the audit format to stderr', () => {
    const line = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] \[INFO\] \[download\] .+$/m;
    expect(run.stderr).toMatch(line);
    expect(run.stderr).toMatch(/\[INFO\] \[download\] Received \d+ rows/);
    // The failure is logged at ERROR with the validation error's message.
    expect(run.stderr).toMatch(/\[ERROR\] \[validate\] validate failed: Error: 2024-02: .*negative price/);
    expect(run.stderr).toMatch(/\[ERROR\] Month 2024-02 failed; continuing with the next month/);
  });

  it('removes its work folder', async () => {
    const left = (await readdir(join(scratch, 'tmp'))).filter((name) => name.startsWith('stagetrace-demo-'));
    expect(left).toEqual([]);
  });
});

describe('demo command line', () => {
  it(
    'rejects a bad month with exit code 2 and names the value',
    async () => {
      const result = await runDemo(['--months', '2024-13']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('"2024-13"');
      expect(result.stderr).toContain('YYYY-MM');
      expect(result.stdout).toBe('');
    },
    TIMEOUT_MS,
  );

  it(
    'rejects a --fail-month that is not being run, naming it',
    async () => {
      const result = await runDemo(['--months', '2', '--fail-month', '2024-09']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('"2024-09"');
    },
    TIMEOUT_MS,
  );

  it(
    'prints usage for --help and exits 0',
    async () => {
      const result = await runDemo(['--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('--fail-month');
      expect(result.stdout).toContain('--log-dir');
    },
    TIMEOUT_MS,
  );
});
