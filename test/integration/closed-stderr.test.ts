/**
 * A pipeline whose stderr reader goes away (`job 2>&1 | head -1`): writing
 * the next console line fails with EPIPE. The process must end, as Node ends
 * it, and never spin: a second fatal error while stagetrace was already
 * ending once came back to its own listener forever, at full CPU.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cleanEnv, REPO_ROOT } from '../helpers/run-node.js';

const FIXTURE = join(REPO_ROOT, 'test/integration/fixtures/progress-run.ts');
const TSX = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

describe('a closed stderr', () => {
  it('ends the process promptly instead of spinning', async () => {
    const child = spawn(process.execPath, ['--import', TSX, FIXTURE], {
      cwd: REPO_ROOT,
      env: { ...cleanEnv(process.env), STAGETRACE_LOG_DIR: 'false', STAGETRACE_HOST_METRICS: 'false', ROW_DELAY_MS: '20' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Read the first line, then go away like `head -1`.
    await new Promise<void>((resolve) => child.stderr?.once('data', () => resolve()));
    child.stderr?.destroy();
    const started = Date.now();
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
    expect(exit.signal, 'killed after 20 s: the process spun instead of ending').not.toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 40_000);
});
