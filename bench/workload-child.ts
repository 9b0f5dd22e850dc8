/**
 * Child of collector-down.ts: a demo-like workload (months of stages doing
 * a little real work) with the OTLP endpoint from the environment. Reports
 * stages per second and peak RSS.
 */
import { createHash } from 'node:crypto';
import { forceFlush, logProgress, shutdown, start, traceMonth, traceStage } from '../src/index.js';

const [logDir, stagesArg] = process.argv.slice(2) as [string, string];
const stagesPerMonth = Number(stagesArg);
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 100);
await start({
  logDir,
  console: false,
  hostMetrics: false,
  handleExit: false,
  shutdownTimeoutMillis: 2000,
  metricExportIntervalMillis: 1000,
});
const data = Buffer.alloc(4096, 7);
const t = performance.now();
for (const month of ['2024-01', '2024-02', '2024-03', '2024-04']) {
  await traceMonth(month, async () => {
    for (let i = 0; i < stagesPerMonth; i++) {
      await traceStage(['download', 'process', 'validate', 'upload'][i % 4] as string, async (stage) => {
        const digest = createHash('sha256').update(data).digest('hex');
        stage.addContext({ digest: digest.slice(0, 8), i });
        if (i % 50 === 0) logProgress('progress', { context: { i } });
        await new Promise((r) => setImmediate(r));
      });
    }
  });
}
// The pipeline's own time: flushing to a collector that is down would only
// measure the exporter's timeout, which shutdown() bounds separately.
const seconds = (performance.now() - t) / 1000;
await forceFlush();
peakRss = Math.max(peakRss, process.memoryUsage.rss());
clearInterval(sampler);
await shutdown();
console.log(JSON.stringify({ stagesPerSecond: (stagesPerMonth * 4) / seconds, peakRss }));
