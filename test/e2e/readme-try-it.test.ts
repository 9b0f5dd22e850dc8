/**
 * The README's "Try it" block, verbatim, in a fresh clone: each command runs
 * as the README writes it and exits as its comment says (0 unless it says
 * "exits N"). `npm test` and `npm run test:e2e` are the suites themselves
 * (the second would run this test again), so they are checked to be the
 * package's scripts rather than run. An end-to-end test because a clone and
 * its `npm ci` take minutes; it clones the commit checked out (a copy of the
 * tree where there is no .git, as in CI's OpenTelemetry JS 3.x copy).
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeCommands, readmeText } from '../helpers/readme.js';
import { cleanEnv, REPO_ROOT } from '../helpers/run-node.js';

const run = promisify(execFile);
const SUITES = ['npm test', 'npm run test:e2e'];
const commands = readmeCommands(readmeText(), 'Try it');

/** The environment of a user's shell: none of the variables npm and vitest set for this run. */
function shellEnv(): NodeJS.ProcessEnv {
  const env = cleanEnv(process.env);
  for (const key of Object.keys(env)) {
    const lower = key.toLowerCase();
    if ((lower.startsWith('npm_') && !lower.startsWith('npm_config_')) || key === 'INIT_CWD') delete env[key];
  }
  // Offline where npm's cache allows: the same packages, without the wait.
  return { ...env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
}

let workDir: string;
let clone: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'stagetrace-try-it-'));
  clone = join(workDir, 'stagetrace');
  if (existsSync(join(REPO_ROOT, '.git'))) {
    execFileSync('git', ['clone', '--quiet', REPO_ROOT, clone]);
  } else {
    const skip = new Set(['node_modules', 'dist', 'logs', 'coverage', '.git']);
    cpSync(REPO_ROOT, clone, { recursive: true, filter: (src) => !skip.has(src.slice(REPO_ROOT.length).split('/')[0] ?? '') });
  }
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("the README's Try it block in a fresh clone", () => {
  it('lists the suites last, as scripts of the package', () => {
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(commands.slice(-2).map((c) => c.command)).toEqual(SUITES);
    expect(scripts.test).toBeDefined();
    expect(scripts['test:e2e']).toBeDefined();
  });

  it('runs every other command verbatim, each exiting as the README says', async () => {
    const outputs: string[] = [];
    for (const { command, comment } of commands) {
      if (SUITES.includes(command)) continue;
      const expected = Number(/\bexits (\d+)/.exec(comment)?.[1] ?? 0);
      let code = 0;
      let output = '';
      try {
        const r = await run('bash', ['-c', command], { cwd: clone, env: shellEnv(), timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
        output = r.stdout + r.stderr;
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        code = typeof e.code === 'number' ? e.code : -1;
        output = (e.stdout ?? '') + (e.stderr ?? '');
      }
      expect(code, `\`${command}\` in a fresh clone:\n${output.slice(-4000)}`).toBe(expected);
      outputs.push(output);
    }
    // What the comments promise: the report, the HTML page and the flagged month.
    expect(outputs.join('\n')).toMatch(/Session \S+ \(demo-monthly-pipeline\)/);
    expect(readFileSync(join(clone, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/i);
    expect(outputs.at(-1)).toContain('2024-04');
  }, 1_200_000);
});
