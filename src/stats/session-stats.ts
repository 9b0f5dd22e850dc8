import type { Scope } from '../session/scope.js';

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
  readonly startedAtMs = Date.now();
  endedAtMs: number | undefined;
  readonly stages = new Map<string, StageTotals>();
  readonly months = new Map<string, MonthTotals>();
  peakRssBytes = 0;
  messagesByLevel = [0, 0, 0, 0, 0];
  otlpDroppedSpans = 0;
  auditWriteErrors = 0;
  otlpExportErrors = 0;

  monthStarted(scope: Scope): void {
    const key = scope.month as string;
    this.months.set(key, {
      month: key,
      status: 'running',
      startedAtMs: scope.startedAtMs,
      endedAtMs: undefined,
      durationS: undefined,
      stages: 0,
      failedStages: 0,
      traceId: scope.span.spanContext().traceId,
    });
  }

  scopeEnded(scope: Scope): void {
    if (scope.peakRssBytes > this.peakRssBytes) this.peakRssBytes = scope.peakRssBytes;
    if (scope.kind === 'month') {
      const totals = this.months.get(scope.month as string);
      if (totals) {
        totals.status = scope.outcome === 'success' ? 'success' : scope.outcome === 'interrupted' ? 'interrupted' : 'failure';
        totals.endedAtMs = scope.endedAtMs;
        totals.durationS = scope.durationS;
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
        durations: [],
        keepEvery: 1,
      };
      this.stages.set(scope.name, totals);
    }
    const d = scope.durationS;
    totals.executions++;
    if (scope.outcome === 'success') totals.successes++;
    else if (scope.outcome === 'interrupted') totals.interrupted++;
    else totals.failures++;
    totals.totalDurationS += d;
    if (d < totals.minDurationS) totals.minDurationS = d;
    if (d > totals.maxDurationS) totals.maxDurationS = d;
    if (scope.slow) totals.slowCount++;
    keepDuration(totals, d);
    if (scope.month !== undefined) {
      const month = this.months.get(scope.month);
      if (month) {
        month.stages++;
        if (scope.outcome !== 'success') month.failedStages++;
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
