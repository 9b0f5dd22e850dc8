/**
 * A bottleneck's reasons say why its time goes: computing (CPU share at
 * 80 % or more), waiting on I/O, network or locks (below 50 %), or both;
 * process-wide when other stages ran beside it; nothing said when the files
 * do not hold the figures or the stage is too short to tell.
 */
import { describe, expect, it } from 'vitest';
import { NO_TELEMETRY_PROBLEMS } from '../../../src/model/telemetry-counts.js';
import { SessionStats } from '../../../src/stats/session-stats.js';
import { type BottleneckReason, buildSessionSummary, type LiveFacts, type SessionSummary } from '../../../src/stats/session-summary.js';
import { type EndOptions, end, MB, ref, start, T0 } from '../../helpers/records.js';

const facts: LiveFacts = {
  sessionId: 'cpu',
  serviceName: 'etl',
  nowMs: T0,
  openScopes: 0,
  currentRssBytes: 100 * MB,
  telemetry: NO_TELEMETRY_PROBLEMS,
};

/** One month running `stage` once for `seconds`, with `o`'s CPU and overlap; and a 1 s `other` stage after it. */
function summaryOf(seconds: number, o: EndOptions, runs = 1): SessionSummary {
  const stats = new SessionStats(T0);
  let at = T0;
  for (let i = 0; i < runs; i++) {
    const m = ref('month', 'month', `2024-0${i + 1}`);
    stats.onStart(start(m, at));
    const s = ref('stage', 'transform', m.month, m);
    stats.onStart(start(s, at));
    stats.onEnd(end(s, at, seconds, o));
    const other = ref('stage', 'other', m.month, m);
    stats.onStart(start(other, at + seconds * 1000));
    stats.onEnd(end(other, at + seconds * 1000, 1, { cpuSeconds: 0.5 }));
    stats.onEnd(end(m, at, seconds + 1));
    at += (seconds + 1) * 1000;
  }
  stats.end(at);
  return buildSessionSummary(stats, facts);
}

const cpuReason = (s: SessionSummary, stage = 'transform'): BottleneckReason | undefined =>
  s.bottlenecks.find((b) => b.stage === stage)?.reasons.find((r) => ['cpu_bound', 'waiting', 'cpu_and_waiting'].includes(r.kind));

describe('why a bottleneck takes its time', () => {
  it('calls a stage that kept a core busy CPU-bound, right after its share of time', () => {
    const s = summaryOf(4, { cpuSeconds: 3.6 }, 2);
    expect(s.stages.transform).toMatchObject({ cpu_seconds: 7.2, cpu_share: 0.9, overlapped_executions: 0 });
    const top = s.bottlenecks[0];
    expect(top?.stage).toBe('transform');
    expect(top?.reasons.map((r) => r.kind).slice(0, 2)).toEqual(['share_of_time', 'cpu_bound']);
    expect(top?.reasons[1]).toEqual({
      kind: 'cpu_bound',
      text: 'CPU-bound: the process computed throughout (7.20 s of CPU in 8.00 s, 90.0%)',
      cpu_share: 0.9,
      cpu_seconds: 7.2,
      stage_seconds: 8,
      overlapped_executions: 0,
      executions: 2,
    });
  });

  it('calls a stage that hardly used the CPU waiting, and one between the two both', () => {
    expect(cpuReason(summaryOf(4, { cpuSeconds: 0.4 }))).toMatchObject({
      kind: 'waiting',
      text: 'waiting, not computing: 0.40 s of CPU in 4.00 s, 10.0%; the rest is I/O, network or locks',
    });
    expect(cpuReason(summaryOf(4, { cpuSeconds: 2.6 }))).toMatchObject({ kind: 'cpu_and_waiting', cpu_share: 0.65 });
    // The thresholds themselves.
    expect(cpuReason(summaryOf(4, { cpuSeconds: 3.2 }))?.kind).toBe('cpu_bound');
    expect(cpuReason(summaryOf(4, { cpuSeconds: 2 }))?.kind).toBe('cpu_and_waiting');
    expect(cpuReason(summaryOf(4, { cpuSeconds: 1.996 }))?.kind).toBe('waiting');
  });

  it('says the figure is process-wide when other stages or months ran beside the stage', () => {
    const reason = cpuReason(summaryOf(4, { cpuSeconds: 7, overlapped: true }, 2));
    expect(reason).toMatchObject({ kind: 'cpu_bound', cpu_share: 1.75, overlapped_executions: 2 });
    expect(reason?.text).toBe(
      'CPU-bound: the process computed throughout (14.0 s of CPU in 8.00 s, 175.0%); process-wide: other stages or months ran at the same time in 2 of 2 runs, and their CPU is in it',
    );
  });

  it('says nothing of CPU for files written before it was recorded, nor for stages too short to tell', () => {
    const old = summaryOf(4, {});
    expect(old.stages.transform).toMatchObject({ cpu_seconds: null, cpu_share: null, peak_heap_mb: null });
    expect(old.bottlenecks[0]?.stage).toBe('transform');
    expect(cpuReason(old)).toBeUndefined();
    // 20 ms runs: each boundary's reading may be 0.5 ms behind, too much to call it either way.
    const short = summaryOf(0.02, { cpuSeconds: 0.02 }, 3);
    expect(short.stages.transform?.cpu_share).toBe(1);
    expect(cpuReason(short)).toBeUndefined();
  });

  it('judges only stages that are bottlenecks for another reason', () => {
    const s = summaryOf(4, { cpuSeconds: 3.6 });
    // `other` has 20 % of the time, under the 25 % that would make it one.
    expect(s.stages.other?.cpu_share).toBe(0.5);
    expect(s.bottlenecks.map((b) => b.stage)).toEqual(['transform']);
  });
});
