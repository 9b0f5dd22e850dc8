/** Child of sampler-cost.ts: idles for D seconds with or without the memory observer, reports CPU used. */
import { createStagetrace, shutdown } from '../src/index.js';
import { currentBundle } from '../src/setup/start.js';

const [mode, secondsArg] = process.argv.slice(2) as [string, string];
const seconds = Number(secondsArg);
if (mode === 'observer') createStagetrace({ logDir: false, console: false, hostMetrics: false, memory: { intervalMs: 1000 } });
// Time spent in each sample (reading memory, thresholds, listeners): the
// observer's own work, measured directly, since a process's CPU time at this
// scale is dominated by the runtime's own background activity.
let sampledNanos = 0n;
let samples = 0;
if (mode === 'observer') {
  const sampler = currentBundle()?.memory;
  if (!sampler) throw new Error('stagetrace did not start');
  const sampleNow = sampler.sampleNow.bind(sampler);
  sampler.sampleNow = () => {
    const t = process.hrtime.bigint();
    const sample = sampleNow();
    sampledNanos += process.hrtime.bigint() - t;
    samples++;
    return sample;
  };
}
// The same 1 Hz wake-up with nothing to do: what any timer costs, apart from the observer's work.
if (mode === 'timer') setInterval(() => undefined, 1000).unref();
// Let start-up settle before measuring.
await new Promise((r) => setTimeout(r, 500));
const before = process.cpuUsage();
await new Promise((r) => setTimeout(r, seconds * 1000));
const used = process.cpuUsage(before);
if (mode === 'observer') await shutdown();
console.log(JSON.stringify({ cpuMicros: used.user + used.system, sampledMicros: Number(sampledNanos) / 1000, samples }));
