/**
 * One design of stages in worker threads, measured in a fresh process:
 * `bare` (workers that run the stage body only), `own-session` (each worker
 * calls start() and records its stages itself, audit files in its own
 * folder), `port` (workers post each stage's facts over a MessagePort and the
 * main thread's session records it as a child of the month). Prints the
 * process RSS with 4 workers ready and the stages per second they ran.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

type Design = 'bare' | 'own-session' | 'port';
interface Job {
  design: Design;
  stages: number;
  logDir: string;
}

const here = fileURLToPath(import.meta.url);
/** The stage body: a little CPU work, as parsing a batch would be. */
const work = (i: number) => {
  let x = i;
  for (let k = 0; k < 2000; k++) x = (x * 31 + k) % 1000003;
  return x;
};

if (isMainThread) {
  const design = (process.argv[2] ?? 'bare') as Design;
  const stages = Number(process.argv[3] ?? 20000);
  const workers = 4;
  const logDir = mkdtempSync(join(tmpdir(), 'stagetrace-bench-workers-'));
  const st = await import('../src/index.js');
  await st.start({ logDir: join(logDir, 'main'), console: false, hostMetrics: false, progress: false });
  const tsx = pathToFileURL(join(dirname(here), '../node_modules/tsx/dist/esm/api/index.mjs')).href;
  const self = pathToFileURL(here).href;
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(self)}, ${JSON.stringify(self)}))`;
  const pool = Array.from({ length: workers }, (_, i) => {
    const job: Job = { design, stages, logDir: join(logDir, `worker-${i}`) };
    return new Worker(code, { eval: true, workerData: job });
  });
  const ready = pool.map((w) => new Promise((resolve) => w.once('message', resolve)));
  await Promise.all(ready);
  await new Promise((resolve) => setTimeout(resolve, 500));
  (globalThis as { gc?: () => void }).gc?.();
  const rssReady = process.memoryUsage().rss;
  const started = performance.now();
  await st.traceMonth('2024-01', async () => {
    const carrier = st.getCarrier();
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.on('message', (m: { done?: true; name?: string; startMs?: number; endMs?: number }) => {
              if (m.done) return resolve();
              // The port design: the main session records the worker's stage.
              const stage = st.startStage(m.name as string);
              stage.end();
            });
            w.postMessage(carrier);
          }),
      ),
    );
  });
  const seconds = (performance.now() - started) / 1000;
  for (const w of pool) await w.terminate();
  await st.shutdown();
  rmSync(logDir, { recursive: true, force: true });
  console.log(JSON.stringify({ design, rssReady, stagesPerSecond: (stages * workers) / seconds }));
} else {
  const job = workerData as Job;
  const st = job.design === 'own-session' ? await import('../src/index.js') : undefined;
  if (st) await st.start({ logDir: job.logDir, console: false, hostMetrics: false, progress: false, handleExit: false });
  parentPort?.postMessage('ready');
  parentPort?.once('message', async (carrier) => {
    for (let i = 0; i < job.stages; i++) {
      if (st) st.traceStage('parse', () => work(i), { parent: carrier });
      else if (job.design === 'port') {
        const startMs = Date.now();
        work(i);
        parentPort?.postMessage({ name: 'parse', startMs, endMs: Date.now() });
      } else work(i);
    }
    if (st) await st.shutdown();
    parentPort?.postMessage({ done: true });
  });
}
