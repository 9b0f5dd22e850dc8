import { escapeForLine } from '../model/human-format.js';
import { plural } from '../model/plural.js';
import type { SessionSummary } from '../stats/session-summary.js';
import { alignColumns, formatDuration, formatPercent } from './format.js';

export interface CompareOptions {
  /** A duration counts as a regression when it grew by more than this many percent. Default 20. */
  thresholdPercent?: number;
  /** …and by at least this many seconds, so that noise in short stages is not flagged. Default 0.05. */
  minChangeSeconds?: number;
}

export interface DurationChange {
  base: number;
  current: number;
  /** Relative change, percent; null when the base is 0. */
  change_percent: number | null;
  regression: boolean;
}

export interface StageComparison {
  stage: string;
  p50: DurationChange;
  p95: DurationChange;
  success_rate: { base: number; current: number; change_points: number; regression: boolean };
}

export interface MonthComparison {
  month: string;
  duration: DurationChange;
  status: { base: string; current: string; regression: boolean };
  /** The stage whose time in the month grew most, when the month got slower. */
  slower_stage: { stage: string; base: number; current: number } | null;
}

export interface Regression {
  kind: 'stage_p50' | 'stage_p95' | 'stage_success_rate' | 'month_duration' | 'month_status';
  stage: string | null;
  month: string | null;
  /** One line for people. */
  text: string;
}

export interface SessionComparison {
  base: string;
  current: string;
  threshold_percent: number;
  min_change_seconds: number;
  stages: StageComparison[];
  months: MonthComparison[];
  /** Stages and months in only one of the two sessions. */
  only_in_base: { stages: string[]; months: string[] };
  only_in_current: { stages: string[]; months: string[] };
  regressions: Regression[];
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Per stage (p50, p95, success rate) and per month (duration, status), what
 * changed from `base` to `current`; regressions are durations that grew past
 * the threshold, success rates that fell, and months that no longer succeed.
 */
export function compareSessions(base: SessionSummary, current: SessionSummary, options: CompareOptions = {}): SessionComparison {
  const threshold = options.thresholdPercent ?? 20;
  const minChange = options.minChangeSeconds ?? 0.05;
  const change = (b: number, c: number): DurationChange => {
    const percent = b === 0 ? null : r1(((c - b) / b) * 100);
    const grew = c - b >= minChange && (percent === null || percent > threshold);
    return { base: b, current: c, change_percent: percent, regression: grew };
  };
  const regressions: Regression[] = [];
  const stages: StageComparison[] = [];
  for (const [name, c] of Object.entries(current.stages)) {
    const b = base.stages[name];
    if (b === undefined) continue;
    const row: StageComparison = {
      stage: name,
      p50: change(b.p50_duration_seconds, c.p50_duration_seconds),
      p95: change(b.p95_duration_seconds, c.p95_duration_seconds),
      success_rate: {
        base: b.success_rate,
        current: c.success_rate,
        change_points: r1((c.success_rate - b.success_rate) * 100),
        regression: c.success_rate < b.success_rate,
      },
    };
    stages.push(row);
    const label = escapeForLine(name);
    if (row.p50.regression)
      regressions.push({ kind: 'stage_p50', stage: name, month: null, text: `stage ${label}: p50 ${describe(row.p50)}` });
    if (row.p95.regression)
      regressions.push({ kind: 'stage_p95', stage: name, month: null, text: `stage ${label}: p95 ${describe(row.p95)}` });
    if (row.success_rate.regression) {
      regressions.push({
        kind: 'stage_success_rate',
        stage: name,
        month: null,
        text: `stage ${label}: success rate ${formatPercent(b.success_rate)} → ${formatPercent(c.success_rate)}`,
      });
    }
  }
  const months: MonthComparison[] = [];
  for (const [month, c] of Object.entries(current.months)) {
    const b = base.months[month];
    if (b === undefined) continue;
    const duration = change(b.duration, c.duration);
    let slower: MonthComparison['slower_stage'] = null;
    for (const [stage, seconds] of Object.entries(c.stage_seconds)) {
      const before = b.stage_seconds[stage] ?? 0;
      if (seconds - before > 0 && (slower === null || seconds - before > slower.current - slower.base))
        slower = { stage, base: before, current: seconds };
    }
    const statusRegression = b.status === 'success' && c.status !== 'success';
    const row: MonthComparison = {
      month,
      duration,
      status: { base: b.status, current: c.status, regression: statusRegression },
      slower_stage: duration.regression ? slower : null,
    };
    months.push(row);
    if (duration.regression) {
      const why = slower
        ? `, mostly ${escapeForLine(slower.stage)} (${formatDuration(slower.base)} → ${formatDuration(slower.current)})`
        : '';
      regressions.push({
        kind: 'month_duration',
        stage: slower?.stage ?? null,
        month,
        text: `month ${escapeForLine(month)}: ${describe(duration)}${why}`,
      });
    }
    if (statusRegression) {
      const where = c.error?.stage ? `${escapeForLine(c.error.stage)} ${c.status === 'interrupted' ? 'interrupted' : 'failed'}: ` : '';
      const error = c.error ? `, ${where}${escapeForLine(c.error.type)}: ${escapeForLine(c.error.message)}` : '';
      regressions.push({
        kind: 'month_status',
        stage: c.error?.stage ?? null,
        month,
        text: `month ${escapeForLine(month)}: ${b.status} → ${c.status}${error}`,
      });
    }
  }
  const missing = (a: Record<string, unknown>, b: Record<string, unknown>) => Object.keys(a).filter((k) => !Object.hasOwn(b, k));
  return {
    base: base.session_id,
    current: current.session_id,
    threshold_percent: threshold,
    min_change_seconds: minChange,
    stages,
    months: months.sort((x, y) => (x.month < y.month ? -1 : 1)),
    only_in_base: { stages: missing(base.stages, current.stages), months: missing(base.months, current.months) },
    only_in_current: { stages: missing(current.stages, base.stages), months: missing(current.months, base.months) },
    regressions,
  };
}

function describe(d: DurationChange): string {
  const percent = d.change_percent === null ? '' : ` (${d.change_percent > 0 ? '+' : ''}${d.change_percent}%)`;
  return `${formatDuration(d.base)} → ${formatDuration(d.current)}${percent}`;
}

const mark = (regression: boolean) => (regression ? ' ◀' : '');

/** The comparison as text: regressions first, then the stage and month tables. */
export function formatComparison(c: SessionComparison): string {
  const lines = [
    `Session ${escapeForLine(c.current)} compared with ${escapeForLine(c.base)}`,
    `  a regression: ${c.threshold_percent}% and ${formatDuration(c.min_change_seconds)} slower, a lower success rate, or a month that no longer succeeds`,
    '',
  ];
  if (c.regressions.length === 0) lines.push('Regressions: none');
  else lines.push(`Regressions: ${c.regressions.length}`, ...c.regressions.map((r) => `  ${r.text}`));
  if (c.stages.length > 0) {
    const rows = [['stage', 'p50 base', 'p50 now', 'change', 'p95 base', 'p95 now', 'change', 'success base', 'success now']];
    for (const s of c.stages) {
      rows.push([
        escapeForLine(s.stage),
        formatDuration(s.p50.base),
        formatDuration(s.p50.current),
        `${percentText(s.p50.change_percent)}${mark(s.p50.regression)}`,
        formatDuration(s.p95.base),
        formatDuration(s.p95.current),
        `${percentText(s.p95.change_percent)}${mark(s.p95.regression)}`,
        formatPercent(s.success_rate.base),
        `${formatPercent(s.success_rate.current)}${mark(s.success_rate.regression)}`,
      ]);
    }
    lines.push('', 'Stages', ...alignColumns(rows).map((row) => `  ${row}`));
  }
  if (c.months.length > 0) {
    const rows = [['month', 'base', 'now', 'change', 'status base', 'status now']];
    for (const m of c.months) {
      rows.push([
        escapeForLine(m.month),
        formatDuration(m.duration.base),
        formatDuration(m.duration.current),
        `${percentText(m.duration.change_percent)}${mark(m.duration.regression)}`,
        m.status.base,
        `${m.status.current}${mark(m.status.regression)}`,
      ]);
    }
    lines.push('', 'Months', ...alignColumns(rows).map((row) => `  ${row}`));
  }
  const only = (side: string, o: { stages: string[]; months: string[] }) => {
    if (o.stages.length > 0) lines.push(`Only in ${side}: ${plural(o.stages.length, 'stage')} (${o.stages.map(escapeForLine).join(', ')})`);
    if (o.months.length > 0) lines.push(`Only in ${side}: ${plural(o.months.length, 'month')} (${o.months.map(escapeForLine).join(', ')})`);
  };
  const before = lines.length;
  only('the base', c.only_in_base);
  only('this session', c.only_in_current);
  if (lines.length > before) lines.splice(before, 0, '');
  return `${lines.join('\n')}\n`;
}

function percentText(percent: number | null): string {
  if (percent === null) return 'new';
  return `${percent > 0 ? '+' : ''}${percent.toFixed(1)}%`;
}
