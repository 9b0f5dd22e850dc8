/**
 * The packed tarball, installed the way the README says into a fresh project
 * of the OpenTelemetry JS line this checkout runs on (2.x with the
 * repository's own package set, 3.x in the copy CI makes with .ci/otel-3's):
 * one @opentelemetry/api and no nested SDK in the tree; an ES module and a
 * CommonJS consumer export months and stages through their own NodeSDK to an
 * in-memory exporter and a loopback OTLP receiver, with their instrumented
 * HTTP request as a child of the stage; start() alone works; an api of the
 * other line is refused clearly.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SDK_LINES } from '../../src/setup/sdk-line.js';
import { documentedExports, readmeText } from '../helpers/readme.js';
import { OtlpReceiver, type ReceivedSpan } from '../integration/otlp-receiver.js';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The line under test: the OpenTelemetry set this checkout develops with. */
const DEV = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> })
  .devDependencies;
const dev = (name: string): string => {
  const version = DEV[`@opentelemetry/${name}`];
  if (version === undefined) throw new Error(`package.json has no devDependency @opentelemetry/${name}`);
  return version;
};
const MAJOR: 2 | 3 = dev('api').startsWith('1.9.') ? 2 : 3;
const OTHER: 2 | 3 = MAJOR === 2 ? 3 : 2;
const OTHER_API = /@opentelemetry\/api@(\S+)/.exec(SDK_LINES[OTHER].install)?.[1] as string;
/** The README's install line for this line; the consumers add the HTTP instrumentation of the same release. */
const INSTALL = ['--save-exact', '--prefer-dedupe', ...SDK_LINES[MAJOR].install.split(' ')];
const HTTP_INSTRUMENTATION = `@opentelemetry/instrumentation-http@${dev('sdk-node')}`;

/**
 * The environment for child npm and node processes: without the variables
 * `npm test` sets for the repository (they would point a nested npm at it),
 * vitest's own, and any that would configure stagetrace or OpenTelemetry.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
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
  return { ...env, ...extra };
}

async function exec(
  file: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { cwd, env: childEnv(env), timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}: ${e.message}\nstdout:\n${e.stdout ?? ''}\nstderr:\n${e.stderr ?? ''}`);
  }
}

/** Runs a script expected to fail; resolves with its output and exit code. */
async function execFailing(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env: childEnv(), timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as Error & { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function npmInstall(project: string, args: string[]): Promise<void> {
  await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true }, null, 2)}\n`);
  await exec(NPM, ['install', ...args, '--prefer-offline', '--no-audit', '--no-fund'], project, 300_000);
}

/** Every installed copy of each @opentelemetry package, by walking node_modules. */
function installedCopies(project: string): Map<string, string[]> {
  const copies = new Map<string, string[]>();
  const walk = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const names = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
      for (const name of names) {
        const dir = join(modules, name);
        if (name.startsWith('@opentelemetry/')) copies.set(name, [...(copies.get(name) ?? []), dir.slice(project.length + 1)]);
        walk(join(dir, 'node_modules'));
      }
    }
  };
  walk(join(project, 'node_modules'));
  return copies;
}

// ---- consumers -------------------------------------------------------------

/** start() alone: stagetrace's own NodeSDK, exporting to the receiver. */
const START_SESSION = `
  await start({ logDir: false, console: false, hostMetrics: false, otlp: { endpoint: process.env.OTLP_URL } });
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

/** The kind of each export by name, through import and through require. */
const API_KINDS = `import * as esm from 'stagetrace';
import { createRequire } from 'node:module';
const cjs = createRequire(import.meta.url)('stagetrace');
const kind = (value) =>
  typeof value !== 'function' ? typeof value
  : /^class\\b/.test(Function.prototype.toString.call(value)) ? (value.prototype instanceof Error ? 'error class' : 'class')
  : 'function';
const names = JSON.parse(process.argv[2]);
console.log(JSON.stringify(Object.fromEntries(names.map((n) => [n, { esm: kind(esm[n]), cjs: kind(cjs[n]) }]))));
`;

const ESM_START = `import * as stagetrace from 'stagetrace';
import { getSessionSummary, shutdown, start, traceMonth, traceStage, VERSION } from 'stagetrace';
const RESOLVED = import.meta.resolve('stagetrace');
${START_SESSION}`;

const CJS_START = `const stagetrace = require('stagetrace');
const { getSessionSummary, shutdown, start, traceMonth, traceStage, VERSION } = stagetrace;
const RESOLVED = require.resolve('stagetrace');
(async () => {
${START_SESSION}
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`;

/**
 * The user's own NodeSDK: stagetrace's processors first, then an in-memory
 * exporter and a batch OTLP exporter to the receiver, and the HTTP
 * instrumentation. The stage makes a real HTTP request to a local server.
 */
const OWN_SDK_SESSION = `
  const st = createStagetrace({ logDir: process.env.LOG_DIR, console: false, hostMetrics: false });
  const memory = new InMemorySpanExporter();
  const inMemory = new SimpleSpanProcessor({ exporter: memory });
  const sdk = new NodeSDK({
    serviceName: 'consumer',
    spanProcessors: [
      ...st.spanProcessors,
      inMemory,
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: process.env.OTLP_URL + '/v1/traces' }) }),
    ],
    metricReaders: st.metricReaders,
    logRecordProcessors: [],
    instrumentations: [new HttpInstrumentation(), ...st.instrumentations],
  });
  sdk.start();
  const http = await loadHttp();
  const server = http.createServer((req, res) => res.end('rows'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = 'http://127.0.0.1:' + server.address().port + '/rows';
  const get = () =>
    new Promise((resolve, reject) => {
      http.get(url, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => resolve(body));
      }).on('error', reject);
    });
  const body = await traceMonth('2024-01', () => traceStage('fetch', () => get()));
  await new Promise((resolve) => server.close(resolve));
  const summary = getSessionSummary();
  await shutdown();
  // Exports wait for the resource's asynchronous attributes (host.id); the
  // in-memory exporter forgets its spans when the SDK shuts down.
  await inMemory.forceFlush();
  const spans = memory.getFinishedSpans().map((s) => ({
    name: s.name,
    kind: s.kind,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId ?? '',
    scope: s.instrumentationScope.name,
  }));
  await sdk.shutdown();
  console.log(JSON.stringify({ resolved: RESOLVED, body, sessionId: st.sessionId, stage: summary.stages.fetch, spans }));
`;

const ESM_OWN_SDK = `import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { createStagetrace, getSessionSummary, shutdown, traceMonth, traceStage } from 'stagetrace';
const RESOLVED = import.meta.resolve('stagetrace');
// Imported after the SDK started, through the loader hook OpenTelemetry documents for ES modules.
const loadHttp = async () => (await import('node:http')).default;
${OWN_SDK_SESSION}`;

const CJS_OWN_SDK = `const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');
const { createStagetrace, getSessionSummary, shutdown, traceMonth, traceStage } = require('stagetrace');
const RESOLVED = require.resolve('stagetrace');
const loadHttp = async () => require('node:http');
(async () => {
${OWN_SDK_SESSION}
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`;

/** OpenTelemetry's loader hook for ES modules, registered before the application loads. */
const REGISTER_HOOK = `import { register } from 'node:module';
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
`;

/** createStagetrace() and start() in a tree whose api is the other line's: each error message, or 'ok'. */
const MISMATCH_SESSION = `
  const outcome = {};
  try {
    createStagetrace({ logDir: false, console: false });
    outcome.createStagetrace = 'ok';
  } catch (err) {
    outcome.createStagetrace = err.message;
  }
  try {
    await start({ logDir: false, console: false, hostMetrics: false });
    outcome.start = 'ok';
  } catch (err) {
    outcome.start = err.message;
  }
  console.log(JSON.stringify(outcome));
`;

const ESM_MISMATCH = `import { createStagetrace, start } from 'stagetrace';
${MISMATCH_SESSION}`;

const CJS_MISMATCH = `const { createStagetrace, start } = require('stagetrace');
(async () => {
${MISMATCH_SESSION}
})();
`;

// Each file uses the declarations in ways that only compile when they resolve:
// were 'stagetrace' typed as any, the @ts-expect-error lines would be unused errors.
// The components go into the user's own NodeSDK of this line, as the README shows.
const TYPED_USE = `
async function main(): Promise<number> {
  const st = createStagetrace({ logDir: false });
  const sdk = new NodeSDK({ spanProcessors: [...st.spanProcessors], metricReaders: st.metricReaders, instrumentations: st.instrumentations });
  sdk.start();
  await shutdown();
  await sdk.shutdown();
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

const ESM_TYPES = `import { NodeSDK } from '@opentelemetry/sdk-node';
import { createStagetrace, getSessionSummary, type MonthHandle, type SessionSummary, shutdown, type StageHandle, start, traceMonth, traceStage, VERSION } from 'stagetrace';
${TYPED_USE}`;

const CJS_TYPES = `import stagetrace = require('stagetrace');
import sdkNode = require('@opentelemetry/sdk-node');
const { NodeSDK } = sdkNode;
const { createStagetrace, getSessionSummary, shutdown, start, traceMonth, traceStage, VERSION } = stagetrace;
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

interface StartReport {
  resolved: string;
  version: string;
  exports: string[];
  rows: number;
  stage: { executions: number; successes: number; failures: number };
  month: { status: string; stages: number; trace_id: string };
  totals: { stage_executions: number; months: number };
}

interface ReportedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  scope: string;
}

interface OwnSdkReport {
  resolved: string;
  body: string;
  sessionId: string;
  stage: { executions: number; successes: number };
  spans: ReportedSpan[];
}

describe(`the packed tarball in a fresh OpenTelemetry JS ${MAJOR}.x project (${SDK_LINES[MAJOR].install})`, () => {
  let workDir: string;
  let tarball: string;
  let project: string;
  let installed: string;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    workDir = await mkdtemp(join(tmpdir(), 'stagetrace-pack-'));
    const packDir = join(workDir, 'pack');
    project = join(workDir, 'consumer');
    await mkdir(packDir);
    await mkdir(project);
    // `npm pack` runs the prepack build, as publishing does.
    await exec(NPM, ['pack', '--pack-destination', packDir], REPO_ROOT, 180_000);
    const tarballs = (await readdir(packDir)).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    tarball = join(packDir, tarballs[0] as string);
    await npmInstall(project, [...INSTALL, tarball, HTTP_INSTRUMENTATION]);
    installed = join(project, 'node_modules', 'stagetrace');
    const files: Record<string, string> = {
      'api-kinds.mjs': API_KINDS,
      'start.mjs': ESM_START,
      'start.cjs': CJS_START,
      'own-sdk.mjs': ESM_OWN_SDK,
      'own-sdk.cjs': CJS_OWN_SDK,
      'register-hook.mjs': REGISTER_HOOK,
      'esm-types.mts': ESM_TYPES,
      'cjs-types.cts': CJS_TYPES,
      'tsconfig.json': JSON.stringify(CONSUMER_TSCONFIG, null, 2),
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(project, name), text);
  }, 480_000);

  afterAll(async () => {
    await receiver?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('ships both builds with their declarations and the LICENSE, and no sources or tests', async () => {
    for (const file of ['dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'LICENSE']) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    const license = await readFile(join(installed, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { license: string };
    expect(manifest.license).toBe('Apache-2.0');
    expect(JSON.parse(await readFile(join(installed, 'dist/cjs/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    for (const dir of ['src', 'test', 'examples', 'bench', 'scripts', '.ci']) {
      expect(existsSync(join(installed, dir)), dir).toBe(false);
    }
  });

  it('leaves one @opentelemetry/api in the tree, and npm ls finds nothing missing or invalid', async () => {
    const { stdout } = await exec(NPM, ['ls', '@opentelemetry/api', '--all', '--json'], project, 60_000);
    const versions = new Set<string>();
    const visit = (deps: Record<string, { version?: string; dependencies?: Record<string, unknown> }> | undefined) => {
      for (const [name, node] of Object.entries(deps ?? {})) {
        if (name === '@opentelemetry/api' && node.version) versions.add(node.version);
        visit(node.dependencies as typeof deps);
      }
    };
    visit((JSON.parse(stdout) as { dependencies?: Record<string, { version?: string }> }).dependencies);
    expect([...versions]).toEqual([dev('api')]);
    expect(installedCopies(project).get('@opentelemetry/api')).toEqual(['node_modules/@opentelemetry/api']);
    // Exits non-zero on a missing or invalid (peer) dependency anywhere in the tree.
    await exec(NPM, ['ls', '--all'], project, 60_000);
  }, 90_000);

  it('nests no second SDK: one copy of every OpenTelemetry package, nothing under stagetrace', () => {
    const copies = installedCopies(project);
    expect(copies.get('@opentelemetry/sdk-node')).toEqual(['node_modules/@opentelemetry/sdk-node']);
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    // The contrib host and runtime instrumentations pin their own minor of the
    // instrumentation base class (3.x: 0.300 beside sdk-node's 0.301).
    const duplicated = [...copies].filter(([name, dirs]) => dirs.length > 1 && name !== '@opentelemetry/instrumentation');
    expect(duplicated).toEqual([]);
    for (const dir of copies.get('@opentelemetry/instrumentation') ?? []) {
      expect(dir).toMatch(
        /^node_modules\/@opentelemetry\/(instrumentation|instrumentation-(host-metrics|runtime-node)\/node_modules\/@opentelemetry\/instrumentation)$/,
      );
    }
    // The peers are the user's line.
    for (const name of ['api', 'core', 'sdk-trace', 'sdk-metrics', 'resources', 'sdk-node']) {
      expect(copies.has(`@opentelemetry/${name}`), name).toBe(true);
    }
  });

  const expectStart = (report: StartReport, build: 'esm' | 'cjs', version: string) => {
    expect(report.resolved.replaceAll('\\', '/')).toMatch(new RegExp(`node_modules/stagetrace/dist/${build}/index\\.js$`));
    expect(report.exports).toEqual(expect.arrayContaining(['traceMonth', 'traceStage', 'startStage', 'logProgress', 'start', 'shutdown']));
    expect(report.version).toBe(version);
    expect(report.rows).toBe(3);
    expect(report.stage).toMatchObject({ executions: 1, successes: 1, failures: 0 });
    expect(report.month).toMatchObject({ status: 'success', stages: 1 });
    expect(report.month.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(report.month.trace_id).not.toBe('0'.repeat(32));
    expect(report.totals).toMatchObject({ stage_executions: 1, months: 1 });
    // stagetrace's own NodeSDK exported the month and its stage.
    const trace = receiver.spans().filter((s) => s.traceId === report.month.trace_id);
    const month = trace.find((s) => s.name === 'month');
    expect(trace.find((s) => s.name === 'download')?.parentSpanId).toBe(month?.spanId);
  };

  for (const build of ['esm', 'cjs'] as const) {
    it(`start() alone works through ${build === 'esm' ? 'import from an ES module' : 'require from CommonJS'}`, async () => {
      const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
      const { stdout } = await exec(process.execPath, [`start.${build === 'esm' ? 'mjs' : 'cjs'}`], project, 60_000, {
        OTLP_URL: receiver.url,
      });
      expectStart(JSON.parse(stdout.trim()) as StartReport, build, pkg.version);
    }, 90_000);
  }

  it("exports every name of the README's API table, of the documented kind, through import and require", async () => {
    const documented = documentedExports(readmeText());
    expect(documented.map((d) => d.name)).toEqual(expect.arrayContaining(['start', 'summarizeAuditLog', 'AuditLogError', 'ReplayError']));
    const { stdout } = await exec(process.execPath, ['api-kinds.mjs', JSON.stringify(documented.map((d) => d.name))], project, 60_000);
    const kinds = JSON.parse(stdout) as Record<string, { esm: string; cjs: string }>;
    const expected = Object.fromEntries(
      documented.map(({ name, kind }) => {
        const k = kind === 'class' ? 'error class' : 'function';
        return [name, { esm: k, cjs: k }];
      }),
    );
    expect(kinds).toEqual(expected);
  }, 90_000);

  it('installs the stagetrace command (package.json bin)', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const bin = join(project, 'node_modules', '.bin', 'stagetrace');
    expect((await exec(bin, ['--version'], project, 60_000)).stdout).toBe(`${pkg.version}\n`);
    const help = await exec(bin, ['report', '--help'], project, 60_000);
    expect(help.stdout).toMatch(/^Usage: stagetrace report <logDir>/);
    expect(help.stdout).toContain('Exit codes:');
  }, 90_000);

  for (const build of ['esm', 'cjs'] as const) {
    it(`with the user's own NodeSDK (${build}): months, stages and the user's HTTP spans reach both exporters in one trace, and the audit files`, async () => {
      const logDir = join(workDir, `logs-${build}`);
      const args = build === 'esm' ? ['--import', './register-hook.mjs', 'own-sdk.mjs'] : ['own-sdk.cjs'];
      const { stdout } = await exec(process.execPath, args, project, 60_000, { OTLP_URL: receiver.url, LOG_DIR: logDir });
      const report = JSON.parse(stdout.trim()) as OwnSdkReport;
      // The loader hook marks the modules it wraps with a query (?iitm=true).
      expect(report.resolved.replaceAll('\\', '/')).toMatch(new RegExp(`node_modules/stagetrace/dist/${build}/index\\.js(\\?.*)?$`));
      expect(report.body).toBe('rows');
      expect(report.stage).toMatchObject({ executions: 1, successes: 1 });

      // In the user's in-memory exporter: month → stage → the user's HTTP client span → its server span.
      const named = (name: string, spans: ReportedSpan[]) => spans.filter((s) => s.name === name);
      const [month] = named('month', report.spans);
      const [stage] = named('fetch', report.spans);
      const client = report.spans.find((s) => s.kind === 2 && s.scope === '@opentelemetry/instrumentation-http');
      const server = report.spans.find((s) => s.kind === 1 && s.scope === '@opentelemetry/instrumentation-http');
      expect(month?.parentSpanId).toBe('');
      expect(month?.scope).toBe('stagetrace');
      expect(stage?.parentSpanId).toBe(month?.spanId);
      expect(client?.parentSpanId, 'the HTTP request made inside the stage is its child').toBe(stage?.spanId);
      expect(server?.parentSpanId).toBe(client?.spanId);
      const traceId = month?.traceId as string;
      expect(new Set(report.spans.map((s) => s.traceId))).toEqual(new Set([traceId]));

      // The same spans, with the same parents, at the OTLP receiver.
      const received = () => receiver.spans().filter((s: ReceivedSpan) => s.traceId === traceId);
      await receiver.waitFor(() => received().length >= report.spans.length, 30_000, `the ${build} consumer's trace`);
      const parents = (spans: { spanId: string; parentSpanId: string }[]) =>
        Object.fromEntries(spans.map((s) => [s.spanId, s.parentSpanId]));
      expect(parents(received())).toEqual(parents(report.spans));
      expect(received().find((s) => s.name === 'fetch')?.resource['service.name']).toBe('consumer');

      // The audit files hold the month and the stage, with the trace they belong to.
      const structured = (await readFile(join(logDir, 'structured_processing.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const events = structured
        .filter((r) => r.record_type !== 'message')
        .map((r) => [r.record_type, r.stage, r.stage_event, r.trace_id, r.session_id]);
      expect(events).toEqual([
        ['month', 'month_processing', 'start', traceId, report.sessionId],
        ['stage', 'fetch', 'start', traceId, report.sessionId],
        ['stage', 'fetch', 'end', traceId, report.sessionId],
        ['month', 'month_processing', 'end', traceId, report.sessionId],
      ]);
      const performance = (await readFile(join(logDir, 'performance_metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(performance.map((r) => [r.stage, r.success, r.trace_id])).toEqual([
        ['fetch', true, traceId],
        ['month_processing', true, traceId],
      ]);
    }, 90_000);
  }

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

  it('gives TypeScript users types for import and require that fit their own NodeSDK (moduleResolution NodeNext)', async () => {
    // tsc exits non-zero and lists the errors when a declaration does not resolve or does not fit.
    const { stdout } = await exec(process.execPath, [TSC, '-p', 'tsconfig.json', '--listFiles'], project, 120_000);
    expect(stdout).not.toMatch(/error TS/);
    const files = stdout.split('\n').map((f) => f.trim().replaceAll('\\', '/'));
    // import resolved to the ESM declarations, require to the CommonJS ones.
    expect(files).toContainEqual(expect.stringMatching(/node_modules\/stagetrace\/dist\/esm\/index\.d\.ts$/));
    expect(files).toContainEqual(expect.stringMatching(/node_modules\/stagetrace\/dist\/cjs\/index\.d\.ts$/));
  }, 150_000);

  describe(`installed with npm's --legacy-peer-deps beside @opentelemetry/api ${OTHER_API} (the ${OTHER}.x line's)`, () => {
    let mismatched: string;

    beforeAll(async () => {
      mismatched = join(workDir, 'mismatched');
      await mkdir(mismatched);
      // npm then checks no peer ranges: the tree holds what is named here.
      await npmInstall(mismatched, [
        '--legacy-peer-deps',
        tarball,
        `@opentelemetry/api@${OTHER_API}`,
        `@opentelemetry/sdk-node@${dev('sdk-node')}`,
        `@opentelemetry/instrumentation-host-metrics@${dev('instrumentation-host-metrics')}`,
        `@opentelemetry/instrumentation-runtime-node@${dev('instrumentation-runtime-node')}`,
      ]);
      await writeFile(join(mismatched, 'mismatch.mjs'), ESM_MISMATCH);
      await writeFile(join(mismatched, 'mismatch.cjs'), CJS_MISMATCH);
    }, 330_000);

    const sdkVersion = () => `OpenTelemetry JS ${MAJOR === 2 ? '2.' : '3.'}`;

    for (const file of ['mismatch.cjs', 'mismatch.mjs']) {
      it(`createStagetrace() and start() refuse it, naming the line and the install line (${file})`, async () => {
        const result = await execFailing(process.execPath, [file], mismatched);
        // Also an ES module on the 3.x line: stagetrace imports no SDK module before its check (Node would
        // refuse such a module beside api 1.9 before any code ran, as it refuses the user's own import of sdk-node).
        expect(result.stderr).toBe('');
        const outcome = JSON.parse(result.stdout.trim()) as { createStagetrace: string; start: string };
        for (const message of [outcome.createStagetrace, outcome.start]) {
          expect(message).toContain(sdkVersion());
          expect(message).toContain(`npm install --save-exact ${SDK_LINES[MAJOR].install}`);
        }
      }, 90_000);
    }

    it('without any @opentelemetry/api, fails at import naming the missing package', async () => {
      await rm(join(mismatched, 'node_modules', '@opentelemetry', 'api'), { recursive: true, force: true });
      for (const file of ['mismatch.cjs', 'mismatch.mjs']) {
        const result = await execFailing(process.execPath, [file], mismatched);
        expect(result.code, file).not.toBe(0);
        expect(result.stderr, file).toMatch(/Cannot find (module|package) '@opentelemetry\/api'/);
      }
    }, 90_000);
  });
});
