/**
 * Child of loop-delay.ts: an idle-ish pipeline (stages that wait on timers)
 * for a fixed time, with the event loop's delay measured by
 * `perf_hooks.monitorEventLoopDelay`. With `telemetry`, stagetrace runs with
 * every default on (audit files, memory sampler, host and runtime metrics)
 * and exports to the sink, collecting metrics every `intervalMs`; with
 * `bare`, the same pipeline runs without it. Prints delay percentiles in ms.
 *
 * Args: `telemetry` or `bare`, sink URL, log folder, seconds, metric interval in ms.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { shutdown, start, traceMonth, traceStage } from '../src/index.js';

const [mode, url, logDir, secondsArg, intervalArg] = process.argv.slice(2) as [string, string, string, string, string];
const telemetry = mode === 'telemetry';
const seconds = Number(secondsArg);
if (telemetry) {
  await start({ otlp: { endpoint: url }, logDir, console: false, handleExit: false, metricExportIntervalMillis: Number(intervalArg) });
}
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
const until = performance.now() + seconds * 1000;
let month = 0;
let stages = 0;
while (performance.now() < until) {
  const name = `2024-${String((month++ % 12) + 1).padStart(2, '0')}`;
  const body = async () => {
    for (let i = 0; i < 20 && performance.now() < until; i++) {
      stages++;
      if (telemetry) await traceStage('wait', () => wait(20), { context: { i } });
      else await wait(20);
    }
  };
  if (telemetry) await traceMonth(name, body);
  else await body();
}
histogram.disable();
if (telemetry) await shutdown();
const ms = (ns: number) => ns / 1e6;
console.log(
  JSON.stringify({
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    mean: ms(histogram.mean),
    stages,
  }),
);
