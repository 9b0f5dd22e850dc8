/**
 * Child of capacity.ts: one stagetrace process offering stage spans to a
 * real collector at a fixed rate for a fixed time (one month span a second,
 * audit files on, as a pipeline runs), then shutting down. Prints what it
 * offered, what the collector took and what the forward dropped (from the
 * delivery journal and the session summary), and its own CPU use.
 *
 * Args: OTLP base URL, protocol, stage spans per second, seconds, log folder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getSessionSummary, shutdown, start, traceMonth, traceStage } from '../src/index.js';

const [url, protocol, rateArg, secondsArg, logDir] = process.argv.slice(2) as [
  string,
  'http/json' | 'http/protobuf',
  string,
  string,
  string,
];
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const TICK_MS = 20;

await start({
  serviceName: 'capacity-bench',
  otlp: { endpoint: url, protocol },
  logDir,
  console: false,
  hostMetrics: false,
  handleExit: false,
  metricExportIntervalMillis: 600_000,
});

const t0 = performance.now();
const cpu0 = process.cpuUsage();
let offered = 0;
for (let s = 0; s < seconds; s++) {
  await traceMonth(`${2000 + Math.floor(s / 12)}-${String((s % 12) + 1).padStart(2, '0')}`, async () => {
    const secondEnd = t0 + (s + 1) * 1000;
    while (performance.now() < secondEnd) {
      // Catch up to the rate by the clock, so a slow tick does not lower it.
      const due = Math.min(rate * seconds, Math.floor(((performance.now() - t0) / 1000) * rate));
      for (; offered < due; offered++) traceStage('work', () => undefined);
      await sleep(TICK_MS);
    }
  });
}
const elapsed = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuPercent = Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100);
const dropped = getSessionSummary().otlp.dropped_spans;
await shutdown();
const end = readFileSync(join(logDir, 'otlp_delivery.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.includes('"session_end"'))
  .map((l) => JSON.parse(l) as { delivered_spans: number })[0];
process.stdout.write(
  `${JSON.stringify({ offered: offered + seconds, delivered: end?.delivered_spans ?? 0, dropped, elapsed, cpuPercent })}\n`,
);
