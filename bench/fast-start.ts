/**
 * Fast start (issue 22): whole-process timings, each side spawned N times
 * alternating, medians; plain node on the ES module build (bundled here as
 * `npm run build` does), not through tsx.
 * - process start to first stage recorded (import + start() with OTLP traces,
 *   metrics and log records + one stage) against a bare NodeSDK with the same
 *   exporters doing the same (import + start + one span): target ≤ 1.1×; and
 *   the same with the logs signal off on both sides (`logs: false` against a
 *   NodeSDK without a log exporter), the comparison before log records existed;
 * - `import('stagetrace')` against `import('@opentelemetry/api')`: target ≤ 1.5×.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.mjs';
import { type BenchResult, median, runBuiltChild } from './lib.js';
import { startSink } from './receiver.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./fast-start-child.mjs', import.meta.url));
/** Inside the repository, so the build resolves the project's node_modules; .bench-tmp is ignored by git. */
const buildDir = join(root, '.bench-tmp', 'fast-start-build');

async function build(): Promise<string> {
  rmSync(buildDir, { recursive: true, force: true });
  await bundle(buildDir);
  return join(buildDir, 'esm', 'index.js');
}

async function runSide(args: string[]): Promise<number> {
  return (await runBuiltChild<{ ms: number }>(child, args, root)).ms;
}

async function alternateRuns(runs: number, a: string[], b: string[]): Promise<{ a: number[]; b: number[] }> {
  const out = { a: [] as number[], b: [] as number[] };
  await runSide(a);
  await runSide(b);
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      out.a.push(await runSide(a));
      out.b.push(await runSide(b));
    } else {
      out.b.push(await runSide(b));
      out.a.push(await runSide(a));
    }
  }
  return out;
}

export async function fastStart(quick: boolean): Promise<BenchResult[]> {
  const built = await build();
  const sink = await startSink();
  const runs = quick ? 2 : 15;
  try {
    const firstStage = async (signals: 'logs' | 'nologs'): Promise<BenchResult> => {
      const first = await alternateRuns(runs, ['ours-first', built, sink.url, signals], ['sdk-first', '-', sink.url, signals]);
      const ratio = median(first.a) / median(first.b);
      return {
        name: signals === 'logs' ? 'fast start: first stage' : 'fast start: logs off',
        measure: signals === 'logs' ? 'start→first stage / bare NodeSDK' : 'same, logs signal off on both sides',
        value: ratio,
        unit: '×',
        target: '≤ 1.1',
        pass: ratio <= 1.1,
        details: { stagetrace_ms: median(first.a), bare_sdk_ms: median(first.b), runs },
      };
    };
    const withLogs = await firstStage('logs');
    const withoutLogs = await firstStage('nologs');
    const imports = await alternateRuns(runs, ['ours-import', built], ['api']);
    const importRatio = median(imports.a) / median(imports.b);
    return [
      withLogs,
      withoutLogs,
      {
        name: 'fast start: import',
        measure: "import('stagetrace') / import(api)",
        value: importRatio,
        unit: '×',
        target: '≤ 1.5',
        pass: importRatio <= 1.5,
        details: { stagetrace_ms: median(imports.a), api_ms: median(imports.b), runs },
      },
    ];
  } finally {
    await sink.close();
    rmSync(buildDir, { recursive: true, force: true });
  }
}
