/**
 * The progress option end to end: on a real terminal (a tmux pane) start()
 * draws the status line by itself, with the bar and ETA of stage.progress();
 * on a pipe it writes plain lines.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runNodeScript } from '../../helpers/run-node.js';

const FIXTURE = join(REPO_ROOT, 'test/integration/fixtures/progress-run.ts');
const TSX = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const ENV = 'STAGETRACE_TOTAL_MONTHS=2 STAGETRACE_CONSOLE=false STAGETRACE_LOG_DIR=false STAGETRACE_HOST_METRICS=false';

describe('the progress line', () => {
  it('is drawn on a terminal by start() alone, with the bar and ETA of stage.progress()', async () => {
    if (spawnSync('tmux', ['-V']).status !== 0) {
      throw new Error('tmux is not installed: apt-get update && apt-get install -y --no-install-recommends tmux');
    }
    const socket = `stagetrace-progress-${process.pid}`;
    const command = `env ${ENV} ROW_DELAY_MS=300 ${process.execPath} --import ${TSX} ${FIXTURE}; sleep 30`;
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'p', '-x', '120', '-y', '5', command], {
      cwd: REPO_ROOT,
    });
    try {
      const deadline = Date.now() + 30_000;
      let screen = '';
      while (Date.now() < deadline) {
        screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', 'p'], { encoding: 'utf8' });
        if (/load \[#+\.*\] \d+% [\d,]+\/1,000 · ETA \d+:\d\d · month 1 of 2 · elapsed \d+:\d\d/.test(screen)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(screen).toMatch(/^2024-01 · load \[#+\.*\] \d+% [\d,]+\/1,000 · ETA \d+:\d\d · month 1 of 2 · elapsed \d+:\d\d\s*$/m);
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    }
  }, 60_000);

  it('is plain text on a pipe when turned on', async () => {
    const run = await runNodeScript(FIXTURE, {
      env: {
        STAGETRACE_PROGRESS: 'true',
        STAGETRACE_TOTAL_MONTHS: '2',
        STAGETRACE_CONSOLE: 'false',
        STAGETRACE_LOG_DIR: 'false',
        STAGETRACE_HOST_METRICS: 'false',
      },
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('[progress]'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/month 1 of 2/);
    expect(run.stderr).not.toContain('\x1b');
  }, 40_000);

  it('is off on a pipe by default', async () => {
    const run = await runNodeScript(FIXTURE, {
      env: { STAGETRACE_CONSOLE: 'false', STAGETRACE_LOG_DIR: 'false', STAGETRACE_HOST_METRICS: 'false' },
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('[progress]');
  }, 40_000);
});
