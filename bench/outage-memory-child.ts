/**
 * Child of outage-memory.ts: DURATION_S seconds of a pipeline producing
 * 1,000 spans a second (a month a second, ten stages every 10 ms, with a
 * log line every 100 stages), its OTLP endpoint from the environment: a
 * closed port (the collector is down the whole time) or a sink that answers.
 * Samples RSS every second and reports the median of the second half (the
 * steady state), the peak, the end, and the forward queue.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ForwardSpanProcessor } from '../src/export/forward-span-processor.js';
import { getSessionSummary, logProgress, shutdown, start, traceMonth, traceStage } from '../src/index.js';

const [logDir, durationArg] = process.argv.slice(2) as [string, string];
const durationMs = Number(durationArg) * 1000;
const MiB = 1024 * 1024;

const components = await start({
  logDir,
  console: false,
  hostMetrics: false,
  handleExit: false,
  // The audit files stay on, capped so ten minutes do not fill the disk.
  maxFileBytes: 32 * MiB,
  maxFiles: 1,
  metricExportIntervalMillis: 60_000,
  shutdownTimeoutMillis: 2000,
  // Only the byte bound limits the queue: the count bound would stop it first otherwise.
  otlp: { maxQueueSpans: 1_000_000 },
});
const forward = components.spanProcessors[0] as ForwardSpanProcessor | undefined;

const rss: number[] = [];
const sampler = setInterval(() => rss.push(process.memoryUsage.rss()), 1000);
const t0 = performance.now();
let spans = 0;
let month = 0;
while (performance.now() - t0 < durationMs) {
  month++;
  const monthStart = performance.now();
  await traceMonth(`2024-${String((month % 12) + 1).padStart(2, '0')}`, async () => {
    for (let tick = 0; tick < 100; tick++) {
      for (let i = 0; i < 10; i++) {
        traceStage(`stage_${i}`, () => i, { context: { file_key: `s3://bucket/${month}/${tick}/${i}.csv` } });
        spans++;
      }
      if (tick % 10 === 0) logProgress('processed a batch', { context: { tick } });
      // Drift-corrected: tick n starts at monthStart + 10 n ms.
      const wait = monthStart + (tick + 1) * 10 - performance.now();
      if (wait > 0) await sleep(wait);
    }
  });
  spans++;
}
clearInterval(sampler);
const elapsedS = (performance.now() - t0) / 1000;
const summary = getSessionSummary();
const secondHalf = rss.slice(Math.floor(rss.length / 2)).sort((a, b) => a - b);
const result = {
  spansPerSecond: spans / elapsedS,
  // Steady state: the median of the second half, once the queue is full and the heap has settled.
  rssMedian: secondHalf[Math.floor(secondHalf.length / 2)] ?? 0,
  rssPeak: Math.max(...rss),
  rssEnd: rss.at(-1) ?? 0,
  queuedSpans: forward?.queuedSpans ?? 0,
  queuedBytes: forward?.queuedBytes ?? 0,
  dropped: summary.otlp.dropped_spans,
};
await shutdown();
console.log(JSON.stringify(result));
