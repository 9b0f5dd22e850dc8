/** Child of sampler-cost.ts: idles for D seconds with or without the memory observer, reports CPU used. */
import { createStagetrace, shutdown } from '../src/index.js';

const [mode, secondsArg] = process.argv.slice(2) as [string, string];
const seconds = Number(secondsArg);
if (mode === 'observer') createStagetrace({ logDir: false, console: false, hostMetrics: false, memory: { intervalMs: 1000 } });
// Let start-up settle before measuring.
await new Promise((r) => setTimeout(r, 500));
const before = process.cpuUsage();
await new Promise((r) => setTimeout(r, seconds * 1000));
const used = process.cpuUsage(before);
if (mode === 'observer') await shutdown();
console.log(JSON.stringify({ cpuMicros: used.user + used.system }));
