/**
 * The published JavaScript is bundled (scripts/bundle.mjs: esbuild, ES modules
 * split at the lazy imports, one CommonJS file). What a user of either build
 * relies on, checked on a fresh build under plain node:
 * - the import loads the OpenTelemetry api alone: the lazy `import()`s of the
 *   SDK, exporters and instrumentations still wait for `start()`, in the
 *   CommonJS file too, where they become `require()` on first use;
 * - error_details.log leaves stagetrace's own frames out, though they no
 *   longer sit in one file per module under dist/esm/model/…;
 * - with `node --enable-source-maps`, a stack through stagetrace names its
 *   src/ files;
 * - the `stagetrace` command (package.json `bin`, dist/esm/cli/stagetrace.js)
 *   reads audit files back, through the chunks it loads lazily.
 * The build goes to a folder named dist inside the repository (.test-tmp,
 * ignored by git), so the peers resolve from the project's node_modules.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../../scripts/bundle.mjs';
import { cleanEnv, REPO_ROOT, runNodeScript } from '../helpers/run-node.js';

const run = promisify(execFile);
const FAILURE = join(REPO_ROOT, 'test/integration/fixtures/built-stage-failure.cjs');
let workDir: string;
let dist: string;

beforeAll(async () => {
  mkdirSync(join(REPO_ROOT, '.test-tmp'), { recursive: true });
  workDir = mkdtempSync(join(REPO_ROOT, '.test-tmp', 'built-'));
  dist = join(workDir, 'dist');
  await bundle(dist);
  // As installed: the package's folder holds its package.json.
  writeFileSync(join(workDir, 'package.json'), `${JSON.stringify({ name: 'stagetrace' })}\n`);
}, 180_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

let runs = 0;

async function failingStage(format: 'esm' | 'cjs', sourceMaps: boolean): Promise<{ thrown: string; recorded: string; logDir: string }> {
  runs += 1;
  const logDir = join(workDir, `logs-${runs}`);
  const args = [...(sourceMaps ? ['--enable-source-maps'] : []), FAILURE, format, dist, logDir];
  const { stdout } = await run(process.execPath, args, { cwd: REPO_ROOT, env: cleanEnv(process.env), timeout: 60_000 });
  return { ...(JSON.parse(stdout) as { thrown: string; recorded: string }), logDir };
}

describe.each(['esm', 'cjs'] as const)('the bundled %s build', (format) => {
  it('loads @opentelemetry/api alone at import: no SDK, exporter or instrumentation, no http', async () => {
    const entry = join(dist, format, 'index.js');
    const result = await runNodeScript(join(REPO_ROOT, 'test/integration/fixtures/import-only.ts'), { args: [entry] });
    expect(result.code, result.stderr).toBe(0);
    const { loaded, builtins, decision } = JSON.parse(result.stdout) as { loaded: string[]; builtins: string[]; decision: number };
    expect(loaded.filter((name) => name.startsWith('@opentelemetry/') && name !== '@opentelemetry/api')).toEqual([]);
    expect(builtins).toEqual([]);
    expect(decision).toBe(2);
  });

  it("records a failing stage's stack in error_details.log with the user's frames and none of the build's", async () => {
    const { thrown, recorded } = await failingStage(format, false);
    // The error as thrown into the pipeline is untouched: it passes through the build.
    expect(thrown).toContain(join(dist, format));
    expect(recorded).toContain('failInUserCode');
    expect(recorded).toContain('built-stage-failure.cjs');
    expect(recorded).not.toContain(dist);
    // Other libraries' frames stay.
    expect(recorded).toContain('ContextAPI.with');
  });

  it("names stagetrace's src/ files in a stack under --enable-source-maps, and still leaves them out of the record", async () => {
    const { thrown, recorded } = await failingStage(format, true);
    // The map's sources are relative to the build, here inside the repository: they resolve to its src/.
    expect(thrown).toContain(`traceStage (${join(REPO_ROOT, 'src', 'api', 'stage.ts')}:`);
    expect(thrown).not.toContain(dist);
    expect(recorded).toContain('failInUserCode');
    expect(recorded).not.toContain(join(REPO_ROOT, 'src', 'api'));
  });
});

describe('the bundled stagetrace command', () => {
  it('reports the audit files a bundled build wrote: text, HTML and the session list', async () => {
    const { logDir } = await failingStage('esm', false);
    const cli = join(dist, 'esm', 'cli', 'stagetrace.js');
    const options = { cwd: REPO_ROOT, env: cleanEnv(process.env), timeout: 60_000 };
    const text = await run(process.execPath, [cli, 'report', logDir], options);
    expect(text.stdout).toMatch(/^Session \S+ \(stagetrace\)/);
    expect(text.stdout).toContain('2024-01: process failed after');
    const html = join(workDir, 'report.html');
    await run(process.execPath, [cli, 'report', logDir, '--format', 'html', '--out', html], options);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
    const sessions = await run(process.execPath, [cli, 'sessions', logDir], options);
    expect(sessions.stdout).toMatch(/^1 session in /);
  });
});

describe('an application that bundles stagetrace into its own dist/esm', () => {
  it("keeps the application's frames in error_details.log: its build is not taken for stagetrace's", async () => {
    const app = join(workDir, 'app');
    const main = join(app, 'dist', 'esm', 'main.js');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'pipeline', type: 'module' })}\n`);
    await build({
      absWorkingDir: REPO_ROOT,
      entryPoints: [join(REPO_ROOT, 'test/integration/fixtures/bundled-app.ts')],
      outfile: main,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
    });
    const { stdout } = await run(process.execPath, [main, join(workDir, 'logs-app')], {
      cwd: REPO_ROOT,
      env: cleanEnv(process.env),
      timeout: 60_000,
    });
    const { recorded } = JSON.parse(stdout) as { recorded: string };
    expect(recorded).toContain('at failInAppCode (');
    expect(recorded).toContain(main);
  });
});
