/**
 * Stages in worker threads, two designs side by side, each in a fresh
 * process: every worker with its own session (start() in the worker, its own
 * audit folder), or workers posting each stage over a MessagePort to the main
 * thread's session. Measured: RSS per worker beyond a bare worker, and
 * stages per second with 4 workers. Chooses nothing by itself: the numbers
 * are in BENCHMARKS.md with the choice.
 */
import { fileURLToPath } from 'node:url';
import { type BenchResult, runChild } from './lib.js';

const child = fileURLToPath(new URL('./worker-designs-child.ts', import.meta.url));
const MB = 1024 * 1024;
const WORKERS = 4;

interface Run {
  design: string;
  rssReady: number;
  stagesPerSecond: number;
}

export async function workerDesigns(quick: boolean): Promise<BenchResult[]> {
  const stages = quick ? 200 : 20_000;
  const run = (design: string) => runChild<Run>(child, [design, String(stages)], {}, ['--expose-gc']);
  const bare = await run('bare');
  const own = await run('own-session');
  const port = await run('port');
  const perWorker = (r: Run) => (r.rssReady - bare.rssReady) / WORKERS / MB;
  return [
    {
      name: 'workers: own session',
      measure: 'RSS per worker beyond a bare worker; stages/s with 4 workers',
      value: perWorker(own),
      unit: 'MB',
      target: 'recorded',
      pass: true,
      details: { stages_per_second: Math.round(own.stagesPerSecond), bare_stages_per_second: Math.round(bare.stagesPerSecond) },
    },
    {
      name: 'workers: MessagePort',
      measure: 'RSS per worker beyond a bare worker; stages/s with 4 workers',
      value: perWorker(port),
      unit: 'MB',
      target: 'recorded',
      pass: true,
      details: { stages_per_second: Math.round(port.stagesPerSecond), bare_stages_per_second: Math.round(bare.stagesPerSecond) },
    },
  ];
}
