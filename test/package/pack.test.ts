import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * The environment for child npm and node processes: without the variables
 * `npm test` sets for the repository (they would point a nested npm at it),
 * vitest's own, and any that would configure stagetrace or OpenTelemetry.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_') && (!lower.startsWith('npm_config_') || lower === 'npm_config_local_prefix')) continue;
    if (
      key === 'INIT_CWD' ||
      key === 'NODE_OPTIONS' ||
      key.startsWith('VITEST') ||
      key.startsWith('OTEL_') ||
      key.startsWith('STAGETRACE_')
    ) {
      continue;
    }
    env[key] = value;
  }
  return env;
}

async function exec(file: string, args: string[], cwd: string, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}: ${e.message}\nstdout:\n${e.stdout ?? ''}\nstderr:\n${e.stderr ?? ''}`);
  }
}

/** What each consumer script prints: how it resolved the package and what a session recorded. */
interface ConsumerReport {
  resolved: string;
  version: string;
  exports: string[];
  stage: { executions: number; successes: number; failures: number };
  month: { status: string; stages: number; trace_id: string };
  totals: { stage_executions: number; months: number };
}

const SESSION = `
  await start({ logDir: false, console: false });
  const rows = await traceMonth('2024-01', () => traceStage('download', async () => 3));
  const summary = getSessionSummary();
  await shutdown();
  console.log(JSON.stringify({
    resolved: RESOLVED,
    version: VERSION,
    exports: Object.keys(stagetrace).sort(),
    rows,
    stage: summary.stages.download,
    month: summary.months['2024-01'],
    totals: summary.totals,
  }));
`;

const ESM_CONSUMER = `import * as stagetrace from 'stagetrace';
import { getSessionSummary, shutdown, start, traceMonth, traceStage, VERSION } from 'stagetrace';
const RESOLVED = import.meta.resolve('stagetrace');
${SESSION}`;

const CJS_CONSUMER = `const stagetrace = require('stagetrace');
const { getSessionSummary, shutdown, start, traceMonth, traceStage, VERSION } = stagetrace;
const RESOLVED = require.resolve('stagetrace');
(async () => {
${SESSION}
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`;

// Each file uses the declarations in ways that only compile when they resolve:
// were 'stagetrace' typed as any, the @ts-expect-error lines would be unused errors.
const TYPED_USE = `
async function main(): Promise<number> {
  await start({ logDir: false, console: false, logLevel: 'INFO' });
  const rows: number = await traceMonth('2024-01', (month: MonthHandle) => {
    const kind: 'month' = month.kind;
    return traceStage('download', async (stage: StageHandle) => (stage.kind === 'stage' && kind === 'month' ? 3 : 0));
  });
  const summary: SessionSummary = getSessionSummary();
  const executions: number = summary.totals.stage_executions;
  const version: string = VERSION;
  // @ts-expect-error a stage name must be a string
  traceStage(42, () => 1);
  // @ts-expect-error start() takes no such option
  await start({ logDirectory: 'logs' });
  await shutdown();
  return rows + executions + version.length;
}
void main;
`;

const ESM_TYPES = `import { getSessionSummary, type MonthHandle, type SessionSummary, shutdown, type StageHandle, start, traceMonth, traceStage, VERSION } from 'stagetrace';
${TYPED_USE}`;

const CJS_TYPES = `import stagetrace = require('stagetrace');
const { getSessionSummary, shutdown, start, traceMonth, traceStage, VERSION } = stagetrace;
type MonthHandle = stagetrace.MonthHandle;
type StageHandle = stagetrace.StageHandle;
type SessionSummary = stagetrace.SessionSummary;
${TYPED_USE}`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    strict: true,
    noEmit: true,
    // Like any Node.js project, the consumer has @types/node (OpenTelemetry's
    // declarations need it); the repository's copy saves an install.
    typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
    types: ['node'],
    // Check the shipped declarations themselves, not only their use.
    skipLibCheck: false,
  },
  files: ['esm-types.mts', 'cjs-types.cts'],
};

describe('the packed tarball', () => {
  let workDir: string;
  let project: string;
  let installed: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'stagetrace-pack-'));
    const packDir = join(workDir, 'pack');
    project = join(workDir, 'consumer');
    await mkdir(packDir);
    await mkdir(project);
    // `npm pack` runs the prepack build, as publishing does.
    await exec(NPM, ['pack', '--pack-destination', packDir], REPO_ROOT, 180_000);
    const tarballs = (await readdir(packDir)).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true }, null, 2)}\n`);
    await exec(NPM, ['install', join(packDir, tarballs[0] as string), '--prefer-offline', '--no-audit', '--no-fund'], project, 240_000);
    installed = join(project, 'node_modules', 'stagetrace');
    await writeFile(join(project, 'esm.mjs'), ESM_CONSUMER);
    await writeFile(join(project, 'cjs.cjs'), CJS_CONSUMER);
    await writeFile(join(project, 'esm-types.mts'), ESM_TYPES);
    await writeFile(join(project, 'cjs-types.cts'), CJS_TYPES);
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
  }, 420_000);

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('ships both builds with their declarations, and no sources or tests', async () => {
    for (const file of ['dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts']) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    expect(JSON.parse(await readFile(join(installed, 'dist/cjs/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    for (const dir of ['src', 'test', 'examples', 'bench', 'scripts']) {
      expect(existsSync(join(installed, dir)), dir).toBe(false);
    }
  });

  const expectSession = (report: ConsumerReport & { rows: number }, build: 'esm' | 'cjs') => {
    expect(report.resolved.replaceAll('\\', '/')).toMatch(new RegExp(`node_modules/stagetrace/dist/${build}/index\\.js$`));
    expect(report.exports).toEqual(expect.arrayContaining(['traceMonth', 'traceStage', 'startStage', 'logProgress', 'start', 'shutdown']));
    expect(report.rows).toBe(3);
    expect(report.stage).toMatchObject({ executions: 1, successes: 1, failures: 0 });
    expect(report.month).toMatchObject({ status: 'success', stages: 1 });
    expect(report.month.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(report.month.trace_id).not.toBe('0'.repeat(32));
    expect(report.totals).toMatchObject({ stage_executions: 1, months: 1 });
  };

  it('works through import from an ES module', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await exec(process.execPath, ['esm.mjs'], project, 60_000);
    const report = JSON.parse(stdout.trim()) as ConsumerReport & { rows: number };
    expectSession(report, 'esm');
    expect(report.version).toBe(pkg.version);
  }, 90_000);

  it('works through require from CommonJS', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await exec(process.execPath, ['cjs.cjs'], project, 60_000);
    const report = JSON.parse(stdout.trim()) as ConsumerReport & { rows: number };
    expectSession(report, 'cjs');
    expect(report.version).toBe(pkg.version);
  }, 90_000);

  it('installs the stagetrace command, whose replay answers --help and a missing folder', async () => {
    const bin = join(project, 'node_modules', '.bin', 'stagetrace');
    const { stdout } = await exec(bin, ['replay', '--help'], project, 60_000);
    expect(stdout).toMatch(/^Usage: stagetrace replay <logDir> \[--session ID\] \[--endpoint URL\]/);
    const missing = await run(bin, ['replay', 'no-such-folder'], { cwd: project, env: childEnv() }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(missing?.code).toBe(3);
    expect(missing?.stderr).toBe('stagetrace: replay: folder "no-such-folder" does not exist.\n');
  }, 90_000);

  it('gives TypeScript users types for both import and require (moduleResolution NodeNext)', async () => {
    // tsc exits non-zero and lists the errors when a declaration does not resolve.
    const { stdout } = await exec(process.execPath, [TSC, '-p', 'tsconfig.json', '--listFiles'], project, 120_000);
    expect(stdout).not.toMatch(/error TS/);
    const files = stdout.split('\n').map((f) => f.trim().replaceAll('\\', '/'));
    // import resolved to the ESM declarations, require to the CommonJS ones.
    expect(files).toContainEqual(expect.stringMatching(/node_modules\/stagetrace\/dist\/esm\/index\.d\.ts$/));
    expect(files).toContainEqual(expect.stringMatching(/node_modules\/stagetrace\/dist\/cjs\/index\.d\.ts$/));
  }, 150_000);
});
