import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScopeEndRecord, ScopeStartRecord } from '../../../src/model/records.js';
import { NO_TELEMETRY_PROBLEMS } from '../../../src/model/telemetry-counts.js';
import { IntervalUnion } from '../../../src/stats/interval-union.js';
import { SessionStats } from '../../../src/stats/session-stats.js';
import { buildSessionSummary, type LiveFacts } from '../../../src/stats/session-summary.js';
import { end, MB, ref, start, T0 } from '../../helpers/records.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;

/** The union's length by brute force: sort, merge, add up. */
function unionLength(intervals: [number, number][]): number {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let lo = Number.NaN;
  let hi = Number.NaN;
  for (const [a, b] of sorted) {
    if (Number.isNaN(lo) || a > hi) {
      if (!Number.isNaN(lo)) total += hi - lo;
      lo = a;
      hi = b;
    } else hi = Math.max(hi, b);
  }
  return Number.isNaN(lo) ? total : total + hi - lo;
}

const facts: LiveFacts = {
  sessionId: 's',
  serviceName: 'etl',
  nowMs: T0,
  openScopes: 0,
  currentRssBytes: 10 * MB,
  telemetry: NO_TELEMETRY_PROBLEMS,
};

/** Stage executions of parallel months: start offset and duration in ms (fractions included), month, name. */
const execution = fc.record({
  startMs: fc.oneof(fc.integer({ min: 0, max: 60_000 }), fc.double({ min: 0, max: 60_000, noNaN: true })),
  durationMs: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.double({ min: 0, max: 20_000, noNaN: true })),
  month: fc.constantFrom('2024-01', '2024-02', '2024-03'),
  name: fc.constantFrom('download', 'process', 'upload'),
});

describe('wall-clock time of stages (union of intervals)', () => {
  it('IntervalUnion: the length of the union, whatever the order and overlap of the intervals', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 3_000 })), { maxLength: 60 }), (raw) => {
        const intervals = raw.map(([a, d]) => [a, a + d] as [number, number]);
        const union = new IntervalUnion();
        for (const [a, b] of intervals) union.add(a, b);
        expect(union.totalMicros).toBe(unionLength(intervals));
      }),
      { numRuns: runs },
    );
  });

  it('IntervalUnion: past its bound, folds the oldest intervals and never counts time twice', () => {
    const union = new IntervalUnion();
    const intervals: [number, number][] = [];
    const n = IntervalUnion.MAX_OPEN_INTERVALS * 3;
    for (let i = 0; i < n; i++) {
      intervals.push([i * 10, i * 10 + 5]);
      union.add(i * 10, i * 10 + 5);
    }
    expect(union.totalMicros).toBe(n * 5);
    // A stage that was open all along ends: the folded part is counted once, what is still open merges exactly.
    union.add(0, n * 10);
    intervals.push([0, n * 10]);
    expect(union.totalMicros).toBeLessThanOrEqual(unionLength(intervals));
    expect(union.totalMicros).toBeGreaterThanOrEqual(n * 5);
  });

  it('SessionStats: each stage and all stages together count overlapping executions once, fed in time order as a session feeds them', () => {
    fc.assert(
      fc.property(fc.array(execution, { minLength: 1, maxLength: 40 }), (executions) => {
        const events: { at: number; order: number; record: ScopeStartRecord | ScopeEndRecord }[] = [];
        const perStage = new Map<string, [number, number][]>();
        const all: [number, number][] = [];
        executions.forEach((x, i) => {
          const r = ref('stage', x.name, x.month);
          const at = T0 + x.startMs;
          const e = end(r, at, Math.round(x.durationMs * 1000) / 1e6);
          events.push({ at, order: 2 * i, record: start(r, at) }, { at: e.endMs, order: 2 * i + 1, record: e });
          // The interval as the files hold it: start and end in whole ms.
          const interval: [number, number] = [Math.floor(at) * 1000, Math.floor(e.endMs) * 1000];
          all.push(interval);
          perStage.set(x.name, [...(perStage.get(x.name) ?? []), interval]);
        });
        events.sort((a, b) => a.at - b.at || a.order - b.order);
        const stats = new SessionStats(T0);
        for (const { record } of events) {
          if (record.type === 'start') stats.onStart(record);
          else stats.onEnd(record);
        }
        expect(stats.stageWallClockMicros).toBe(unionLength(all));
        const summary = buildSessionSummary(stats, facts);
        for (const [name, intervals] of perStage) {
          expect(stats.stages.get(name)?.wallClockMicros).toBe(unionLength(intervals));
          expect(summary.stages[name]?.wall_clock_seconds).toBe(unionLength(intervals) / 1e6);
        }
        // Shares are of the wall-clock time: none above 1, however much the stages overlap.
        for (const s of Object.values(summary.stages)) expect(s.share_of_time).toBeLessThanOrEqual(1);
        // At whole-ms precision an execution's interval is its duration to within 1 ms.
        expect(stats.stageIntervalMicros).toBe(all.reduce((sum, [a, b]) => sum + b - a, 0));
        expect(stats.stageWallClockMicros).toBeLessThanOrEqual(stats.stageIntervalMicros);
        expect(summary.totals.stage_wall_clock_seconds).toBeLessThanOrEqual(
          summary.totals.stage_seconds + executions.length * 0.001 + 1e-9,
        );
      }),
      { numRuns: runs },
    );
  });
});
