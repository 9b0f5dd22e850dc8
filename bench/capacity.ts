/**
 * Capacity of the collector tier, measured against the real binaries
 * (scripts/install-stack-tools.sh): our collector build with the shipped
 * configurations, Jaeger on Badger, on loopback.
 *
 *   npm run bench:capacity [-- --seconds=N] [-- --quick]
 *
 * 1. One stagetrace process: stage spans/s it forwards over OTLP/HTTP with
 *    protobuf and with JSON, offered at rising rates until its queue drops.
 * 2. One collector (collector-config.yaml) fed by N processes: spans/s taken,
 *    and the collector's CPU and peak RSS.
 * 3. The same through two agents and a gateway (deploy/otelcol/*.yaml).
 *
 * Not part of `npm run bench`: it needs the stack's binaries, as the
 * end-to-end suite does.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { type RunningStack, startStack } from '../test/e2e/support/stack.js';
import { findStackTools } from '../test/e2e/support/stack-tools.js';
import { runChild, tempDir } from './lib.js';

interface ChildResult {
  offered: number;
  delivered: number;
  dropped: number;
  elapsed: number;
  cpuPercent: number;
}

const secondsArg = process.argv.find((a) => a.startsWith('--seconds='));
/** `--quick`: one short step of each kind, so the end-to-end suite can show the harness still runs (its numbers mean nothing). */
const QUICK = process.argv.includes('--quick');
const SECONDS = secondsArg ? Number(secondsArg.slice('--seconds='.length)) : QUICK ? 1 : 8;
const RATES = QUICK ? [500] : [1_000, 2_000, 3_000, 4_000, 6_000, 10_000];
const COLLECTOR_PROCESSES = QUICK ? [2] : [1, 2, 4, 8];
const GATEWAY_PROCESSES = QUICK ? [2] : [2, 4, 8];
const CHILD = join(import.meta.dirname, 'capacity-child.ts');
const TICKS = 100;
/** Stage spans/s per process in the N-process runs: well under what one process forwards. */
const PER_PROCESS = 1_000;

/** Resident set and CPU seconds so far of a process, from /proc. */
function usage(pid: number): { rssMb: number; cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime: fields 14 and 15 of stat, 12 and 13 after the name.
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS;
  return { rssMb: rssKb / 1024, cpuS };
}

/** Samples the peak RSS of the given processes while `work` runs; returns it with their CPU use over the run. */
async function watch<T>(pids: Record<string, number>, work: () => Promise<T>) {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, usage(pid)]));
  const peak: Record<string, number> = Object.fromEntries(Object.keys(pids).map((name) => [name, 0]));
  const t0 = performance.now();
  const timer = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) peak[name] = Math.max(peak[name] as number, usage(pid).rssMb);
  }, 200);
  try {
    const result = await work();
    const wall = (performance.now() - t0) / 1000;
    const load = Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [
        name,
        {
          cpuPercent: Math.round(((usage(pid).cpuS - (before[name]?.cpuS ?? 0)) / wall) * 100),
          peakRssMb: Math.round(peak[name] as number),
        },
      ]),
    );
    return { result, load };
  } finally {
    clearInterval(timer);
  }
}

function runProcesses(urls: string[], protocol: string, rate: number, seconds: number): Promise<ChildResult[]> {
  return Promise.all(
    urls.map(async (url) => {
      const dir = tempDir('capacity');
      try {
        return await runChild<ChildResult>(CHILD, [url, protocol, String(rate), String(seconds), dir.path]);
      } finally {
        dir.remove();
      }
    }),
  );
}

const pidsOf = (stack: RunningStack, prefix: string) =>
  Object.fromEntries(
    stack.services.filter((s) => s.name.startsWith(prefix) && s.exitInfo === undefined).map((s) => [s.name, s.pid as number]),
  );

const total = (results: ChildResult[]) => {
  const delivered = results.reduce((n, r) => n + r.delivered, 0);
  const dropped = results.reduce((n, r) => n + r.dropped, 0);
  const elapsed = Math.max(...results.map((r) => r.elapsed));
  return { deliveredPerS: Math.round(delivered / elapsed), dropped, processCpuPercent: results.map((r) => r.cpuPercent) };
};

const tools = findStackTools();
const work = tempDir('capacity-stack');
// Other jobs on the machine take CPU from every process here: the load average goes beside the numbers.
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(
  `capacity: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${load()}`,
);
try {
  // 1 and 2: the single collector.
  for (const dir of ['single', 'gateway']) mkdirSync(join(work.path, dir));
  let stack = await startStack(tools, join(work.path, 'single'), { prometheus: false });
  try {
    for (const protocol of ['http/protobuf', 'http/json']) {
      for (const rate of RATES) {
        const [r] = (await runProcesses([stack.otlpHttpUrl], protocol, rate, SECONDS)) as [ChildResult];
        console.log(
          JSON.stringify({
            bench: 'one process',
            protocol,
            offeredPerS: rate,
            deliveredPerS: Math.round(r.delivered / r.elapsed),
            dropped: r.dropped,
            processCpuPercent: r.cpuPercent,
          }),
        );
        if (r.dropped > 0) break;
      }
    }
    // A rate each process sustains, so that what is measured is the collector's cost per span.
    for (const n of COLLECTOR_PROCESSES) {
      const rate = PER_PROCESS;
      const { result, load } = await watch({ ...pidsOf(stack, 'otelcol'), ...pidsOf(stack, 'jaeger') }, () =>
        runProcesses(Array(n).fill(stack.otlpHttpUrl), 'http/protobuf', rate, SECONDS),
      );
      console.log(JSON.stringify({ bench: 'one collector', processes: n, offeredPerS: n * rate, ...total(result), load }));
    }
  } finally {
    await stack.stop();
  }

  // 3: two agents and a gateway.
  stack = await startStack(tools, join(work.path, 'gateway'), { prometheus: false, topology: 'gateway' });
  try {
    for (const n of GATEWAY_PROCESSES) {
      const rate = PER_PROCESS;
      const urls = Array.from({ length: n }, (_, i) => stack.agentUrls[i % 2] as string);
      const { result, load } = await watch({ ...pidsOf(stack, 'otelcol'), ...pidsOf(stack, 'jaeger') }, () =>
        runProcesses(urls, 'http/protobuf', rate, SECONDS),
      );
      console.log(JSON.stringify({ bench: 'agents and gateway', processes: n, offeredPerS: n * rate, ...total(result), load }));
    }
  } finally {
    await stack.stop();
  }
} finally {
  work.remove();
  console.log(`capacity: done, load average ${load()}`);
}
