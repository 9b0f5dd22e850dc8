/**
 * With their own NodeSDK, users opt into stagetrace's exit handling with
 * `handleExit: true`: a SIGTERM mid-stage still ends the stage and month as
 * interrupted in the files, and the process still dies by SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { cleanEnv, REPO_ROOT } from '../helpers/run-node.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/own-sdk-sigterm.ts', import.meta.url));

it('createStagetrace({ handleExit: true }) ends open scopes as interrupted on SIGTERM and re-raises it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stagetrace-own-exit-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: REPO_ROOT,
      env: { ...cleanEnv(process.env), LOG_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child never reached its stage\n${stderr}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('in stage')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    expect(signal, stderr).toBe('SIGTERM');
    expect(code).toBeNull();
    const ends = readFileSync(join(dir, 'structured_processing.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { stage: string; stage_event: string | null; outcome?: string; error_message?: string })
      .filter((r) => r.stage_event === 'end');
    expect(ends.map((r) => [r.stage, r.outcome])).toEqual([
      ['download', 'interrupted'],
      ['month_processing', 'interrupted'],
    ]);
    expect(ends[0]?.error_message).toMatch(/SIGTERM/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
