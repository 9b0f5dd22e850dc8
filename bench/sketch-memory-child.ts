/**
 * Feeds SessionStats stage ends (10 stage names × 12 months, durations
 * spread log-uniformly from 1 ms to 1 h) and reports the heap after GC at a
 * checkpoint and at the end. Run with --expose-gc. Prints { heapAtCheckpoint, heapAtEnd, buckets }.
 */
import type { ScopeEndRecord, ScopeRef } from '../src/model/records.js';
import { SessionStats } from '../src/stats/session-stats.js';

const [total, checkpoint] = process.argv.slice(2).map(Number) as [number, number];
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const MB = 1024 * 1024;
const stats = new SessionStats(Date.now());
const refs: ScopeRef[] = [];
for (let m = 0; m < 12; m++) {
  const month = `2024-${String(m + 1).padStart(2, '0')}`;
  const monthRef: ScopeRef = {
    kind: 'month',
    name: 'month',
    month,
    sessionId: 's',
    runId: 's',
    traceId: 't',
    spanId: `m${m}`,
    parentSpanId: undefined,
  };
  stats.onStart({ type: 'start', scope: monthRef, startMs: Date.now(), context: {}, rssBytes: 100 * MB, heapUsedBytes: 0 });
  for (let s = 0; s < 10; s++)
    refs.push({
      kind: 'stage',
      name: `stage-${s}`,
      month,
      sessionId: 's',
      runId: 's',
      traceId: 't',
      spanId: `s${m}-${s}`,
      parentSpanId: 'x',
    });
}
let seed = 7;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
let heapAtCheckpoint = 0;
const t0 = Date.now();
for (let i = 1; i <= total; i++) {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  const durationS = 0.001 * 3_600_000 ** (seed / 2 ** 32);
  const record: ScopeEndRecord = {
    type: 'end',
    scope: refs[i % refs.length] as ScopeRef,
    startMs: t0,
    endMs: t0 + durationS * 1000,
    durationS,
    outcome: i % 97 === 0 ? 'failure' : 'success',
    slow: i % 13 === 0,
    thresholdS: 300,
    rssStartBytes: 100 * MB,
    rssEndBytes: (100 + (seed % 500) / 10) * MB,
    rssPeakBytes: (100 + (seed % 700) / 10) * MB,
    heapStartBytes: 0,
    heapEndBytes: 0,
    cpuPercent: 0,
    error: undefined,
    reason: undefined,
    context: {},
  };
  stats.onEnd(record);
  if (i === checkpoint) heapAtCheckpoint = heap();
}
const heapAtEnd = heap();
let buckets = 0;
for (const stage of stats.stages.values()) buckets += stage.durations.bucketCount;
console.log(
  JSON.stringify({ heapAtCheckpoint, heapAtEnd, buckets, executions: [...stats.stages.values()].reduce((n, s) => n + s.executions, 0) }),
);
