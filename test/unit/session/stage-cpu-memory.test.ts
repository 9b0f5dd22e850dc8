/**
 * A stage's CPU and memory figures describe the stage: the CPU time the
 * process used between its start and end (not the sampler's last second),
 * the heap peak while it ran, and a mark on stages that shared the process
 * with another stage or month, whose figures are then process-wide.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getSessionSummary, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

let dir: string;
let session: InMemorySession | undefined;

afterEach(async () => {
  await session?.close();
  session = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function open(): void {
  dir = mkdtempSync(join(tmpdir(), 'stagetrace-cpu-'));
  session = startInMemory({ logDir: dir, durability: 'sync' });
}

/** The performance lines of stages, by stage name. */
function performance(): Map<string, Record<string, unknown>> {
  const lines = readFileSync(join(dir, 'performance_metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return new Map(lines.filter((r) => r.record_type === 'stage').map((r) => [r.stage as string, r]));
}

/** Keeps one core busy until the process has used `ms` more of CPU, however the machine schedules it. */
function burnCpu(ms: number): void {
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const until = cpu() + ms;
  let x = 0;
  while (cpu() < until) for (let i = 0; i < 1000; i++) x += Math.sqrt(i);
  if (x < 0) throw new Error('unreachable');
}

/** Blocks the thread on a lock no one releases, for `ms` of wall time, using no CPU. */
function waitOnLock(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe("a stage's own CPU time", () => {
  it('is the CPU the process used while the stage ran: a computing stage has it, a waiting one does not', async () => {
    open();
    traceMonth('2024-01', () => {
      traceStage('compute', () => burnCpu(80));
      traceStage('wait', () => waitOnLock(120));
    });
    await session?.close();
    const perf = performance();
    type Figures = { cpu_seconds: number; cpu_share: number; duration_seconds: number; cpu_percent: number };
    const compute = perf.get('compute') as Figures;
    const wait = perf.get('wait') as Figures;
    expect(compute.cpu_seconds).toBeGreaterThanOrEqual(0.08);
    expect(compute.cpu_share).toBeCloseTo(compute.cpu_seconds / compute.duration_seconds, 2);
    expect(wait.duration_seconds).toBeGreaterThanOrEqual(0.12);
    // Other threads of the process (GC, the SDK) may take a little; a lock wait takes none of the stage's.
    expect(wait.cpu_seconds).toBeLessThan(0.03);
    expect(wait.cpu_share).toBeLessThan(0.25);
    // The sampler's process-wide figure is kept under its old name; the two stages no longer share one number.
    expect(typeof compute.cpu_percent).toBe('number');
    expect(compute.cpu_seconds).not.toBe(wait.cpu_seconds);
  });

  it('reaches the summary, per stage, with the verdict on the bottleneck', async () => {
    open();
    traceMonth('2024-01', () => {
      traceStage('compute', () => burnCpu(150));
      traceStage('wait', () => waitOnLock(40));
    });
    const s = getSessionSummary();
    expect(s.stages.compute?.cpu_seconds).toBeGreaterThanOrEqual(0.15);
    expect(s.stages.wait?.cpu_share).toBeLessThan(0.5);
    const top = s.bottlenecks[0];
    expect(top?.stage).toBe('compute');
    // Whether it is CPU-bound depends on how the machine scheduled it; that the reason says which, with its share, does not.
    const cpu = top?.reasons.find((r) => r.kind === 'cpu_bound' || r.kind === 'waiting' || r.kind === 'cpu_and_waiting');
    expect(cpu).toMatchObject({ cpu_share: s.stages.compute?.cpu_share, executions: 1, overlapped_executions: 0 });
  });
});

describe('overlapping stages', () => {
  it('marks stages that ran at the same time as another, and only those', async () => {
    open();
    await traceMonth('2024-01', async () => {
      await traceStage('alone', () => undefined);
      // A parent and the stage inside it do not overlap: the parent's figures include its child by design.
      await traceStage('parent', () => traceStage('child', () => undefined));
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      await Promise.all([traceStage('left', () => gate), traceStage('right', async () => release())]);
      const handle = startStage('after');
      handle.end();
    });
    await session?.close();
    const perf = performance();
    const overlapped = Object.fromEntries([...perf].map(([name, r]) => [name, r.overlapped]));
    expect(overlapped).toEqual({ alone: false, child: false, parent: false, left: true, right: true, after: false });
    expect(getSessionSummary().stages.left?.overlapped_executions).toBe(1);
  });

  it('marks stages of months that run in parallel, and the months', async () => {
    open();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await Promise.all([
      traceMonth('2024-01', () => traceStage('load', () => gate)),
      traceMonth('2024-02', () => traceStage('load', async () => release())),
    ]);
    await traceMonth('2024-03', () => traceStage('load', () => undefined));
    await session?.close();
    const lines = readFileSync(join(dir, 'performance_metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const marks = lines.map((r) => `${r.month} ${r.stage} ${r.overlapped}`).sort();
    expect(marks).toEqual([
      '2024-01 load true',
      '2024-01 month_processing true',
      '2024-02 load true',
      '2024-02 month_processing true',
      '2024-03 load false',
      '2024-03 month_processing false',
    ]);
  });
});

describe('heap at the start, the end and the peak', () => {
  it('writes the heap peak, never below the heap at either end', async () => {
    open();
    traceMonth('2024-01', () => {
      traceStage('alloc', () => Array.from({ length: 200_000 }, (_, i) => ({ i })).length);
    });
    await session?.close();
    const r = performance().get('alloc') as { heap_peak_mb: number; heap_used_mb: number; heap_delta_mb: number };
    expect(r.heap_peak_mb).toBeGreaterThanOrEqual(r.heap_used_mb);
    expect(r.heap_peak_mb).toBeGreaterThanOrEqual(r.heap_used_mb - r.heap_delta_mb);
  });
});
