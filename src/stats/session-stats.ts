import { LEVEL_RANK } from '../model/levels.js';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../model/records.js';

/** Running totals for one stage name. Plain numbers: updated on every stage end. */
export interface StageTotals {
  executions: number;
  successes: number;
  failures: number;
  interrupted: number;
  totalDurationS: number;
  minDurationS: number;
  maxDurationS: number;
  slowCount: number;
  /** The slow threshold of the latest execution. */
  thresholdS: number;
  /** Every duration, for percentiles (bounded: see {@link MAX_DURATIONS_KEPT}). */
  durations: number[];
  /** Every how many executions a duration is kept (doubles as the sample thins). */
  keepEvery: number;
}

export interface MonthTotals {
  month: string;
  status: 'running' | 'success' | 'failure' | 'interrupted';
  startedAtMs: number;
  endedAtMs: number | undefined;
  durationS: number | undefined;
  stages: number;
  failedStages: number;
  traceId: string;
}

/** Durations kept per stage name for percentiles; older ones are thinned, not dropped at random. */
export const MAX_DURATIONS_KEPT = 10_000;

/**
 * Accumulates what the session summary reports, as stages and months end.
 * Cost per stage: one Map lookup and a few additions.
 */
export class SessionStats {
  readonly startedAtMs: number;
  endedAtMs: number | undefined;
  readonly stages = new Map<string, StageTotals>();
  readonly months = new Map<string, MonthTotals>();
  peakRssBytes = 0;
  messagesByLevel = [0, 0, 0, 0, 0];

  constructor(startedAtMs: number) {
    this.startedAtMs = startedAtMs;
  }

  onStart(r: ScopeStartRecord): void {
    if (r.scope.kind !== 'month') return;
    const key = r.scope.month as string;
    this.months.set(key, {
      month: key,
      status: 'running',
      startedAtMs: r.startMs,
      endedAtMs: undefined,
      durationS: undefined,
      stages: 0,
      failedStages: 0,
      traceId: r.scope.traceId,
    });
  }

  onMessage(r: MessageRecord): void {
    const rank = LEVEL_RANK[r.level];
    this.messagesByLevel[rank] = (this.messagesByLevel[rank] ?? 0) + 1;
  }

  end(atMs: number): void {
    this.endedAtMs ??= atMs;
  }

  onEnd(r: ScopeEndRecord): void {
    const scope = r.scope;
    if (r.rssPeakBytes > this.peakRssBytes) this.peakRssBytes = r.rssPeakBytes;
    if (scope.kind === 'month') {
      const totals = this.months.get(scope.month as string);
      if (totals) {
        totals.status = r.outcome;
        totals.endedAtMs = r.endMs;
        totals.durationS = r.durationS;
      }
      return;
    }
    let totals = this.stages.get(scope.name);
    if (totals === undefined) {
      totals = {
        executions: 0,
        successes: 0,
        failures: 0,
        interrupted: 0,
        totalDurationS: 0,
        minDurationS: Number.POSITIVE_INFINITY,
        maxDurationS: 0,
        slowCount: 0,
        thresholdS: r.thresholdS ?? 0,
        durations: [],
        keepEvery: 1,
      };
      this.stages.set(scope.name, totals);
    }
    const d = r.durationS;
    totals.executions++;
    if (r.outcome === 'success') totals.successes++;
    else if (r.outcome === 'interrupted') totals.interrupted++;
    else totals.failures++;
    totals.totalDurationS += d;
    if (d < totals.minDurationS) totals.minDurationS = d;
    if (d > totals.maxDurationS) totals.maxDurationS = d;
    if (r.slow) totals.slowCount++;
    if (r.thresholdS !== undefined) totals.thresholdS = r.thresholdS;
    keepDuration(totals, d);
    if (scope.month !== undefined) {
      const month = this.months.get(scope.month);
      if (month) {
        month.stages++;
        if (r.outcome !== 'success') month.failedStages++;
      }
    }
  }
}

/**
 * Keeps a bounded, evenly thinned sample: when full, every second kept value
 * goes and from then on only every second new one is kept. The sample stays
 * spread over the whole run, so percentiles stay honest.
 */
function keepDuration(totals: StageTotals, d: number): void {
  if (totals.executions % totals.keepEvery !== 0) return;
  const durations = totals.durations;
  durations.push(d);
  if (durations.length > MAX_DURATIONS_KEPT) {
    let j = 0;
    for (let i = 1; i < durations.length; i += 2) durations[j++] = durations[i] as number;
    durations.length = j;
    totals.keepEvery *= 2;
  }
}
