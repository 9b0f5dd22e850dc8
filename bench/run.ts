/**
 * `npm run bench`: every comparison of BENCHMARKS.md, each side by side in
 * one run, printed beside its target. `--quick` runs tiny iteration counts
 * (the test suite uses it so the harness cannot rot); `--only name,name`
 * picks benchmarks.
 */
import { cpus, totalmem } from 'node:os';
import { burst } from './burst.js';
import { collectorDown } from './collector-down.js';
import { exportedStage } from './exported-stage.js';
import { fastStart } from './fast-start.js';
import type { BenchResult } from './lib.js';
import { loggingThroughput } from './logging-throughput.js';
import { loopDelay } from './loop-delay.js';
import { memoryFlatness } from './memory-flatness.js';
import { outageMemory } from './outage-memory.js';
import { redaction } from './redaction.js';
import { reportThroughput } from './report-throughput.js';
import { samplerCost } from './sampler-cost.js';
import { serializers } from './serializers.js';
import { sketchMemory } from './sketch-memory.js';
import { stageOverhead } from './stage-overhead.js';
import { workerDesigns } from './worker-designs.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;

const suites: [string, (quick: boolean) => Promise<BenchResult[]>][] = [
  ['stage', stageOverhead],
  ['exported', exportedStage],
  ['loop-delay', loopDelay],
  ['logging', loggingThroughput],
  ['memory', memoryFlatness],
  ['burst', burst],
  ['down', collectorDown],
  ['sampler', samplerCost],
  ['redaction', redaction],
  ['serializers', serializers],
  ['report', reportThroughput],
  ['sketch', sketchMemory],
  ['workers', workerDesigns],
  ['outage', outageMemory],
  ['fast-start', fastStart],
];

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `stagetrace bench${quick ? ' (quick)' : ''} — Node ${process.version}, ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${new Date().toISOString()}`,
);
const started = performance.now();
const all: BenchResult[] = [];
let failed = false;
// Sequential on purpose: benchmarks must not compete for the two cores.
for (const [key, suite] of suites) {
  if (only && !only.has(key)) continue;
  const t = performance.now();
  try {
    const results = await suite(quick);
    for (const r of results) {
      all.push(r);
      const details = Object.entries(r.details)
        .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(2)) : v}`)
        .join(' ');
      console.log(
        `${r.pass ? 'PASS' : 'MISS'}  ${r.name.padEnd(26)} ${r.measure.padEnd(40)} ${r.value.toFixed(3).padStart(10)} ${r.unit.padEnd(12)} target ${r.target.padEnd(8)} ${details}`,
      );
    }
  } catch (error) {
    failed = true;
    console.log(`ERROR ${key}: ${(error as Error).stack}`);
  }
  console.log(`      (${key}: ${((performance.now() - t) / 1000).toFixed(1)} s)`);
}
console.log(
  `bench finished in ${((performance.now() - started) / 1000).toFixed(1)} s; ${all.filter((r) => r.pass).length}/${all.length} targets met`,
);
console.log(`BENCH_JSON ${JSON.stringify(all)}`);
// A missed target is a finding for BENCHMARKS.md, not a crash; a benchmark that could not run is.
process.exitCode = failed ? 1 : 0;
