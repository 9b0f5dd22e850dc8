import type { SessionSummary } from '../stats/session-summary.js';
import { causeChainText, retryText } from './format.js';

const COLUMNS = [
  'kind',
  'name',
  'status',
  'executions',
  'successes',
  'failures',
  'interrupted',
  'success_rate',
  'total_seconds',
  'mean_seconds',
  'min_seconds',
  'max_seconds',
  'p50_seconds',
  'p95_seconds',
  'p99_seconds',
  'share_of_time',
  'slow_count',
  'threshold_seconds',
  'peak_memory_mb',
  'dominant_stage',
  'error_stage',
  'error_type',
  'error_message',
  'start',
  'end',
  'trace_id',
  // Added after trace_id, so that scripts reading the columns by position are not disturbed.
  'wall_clock_seconds',
  'bottleneck_rank',
  'bottleneck_reasons',
  'error_stage_seconds',
  'error_causes',
  'attempts',
  'failed_attempts',
  'rss_growth_mb',
  'peak_heap_mb',
  'cpu_seconds',
  'cpu_share',
  'overlapped_executions',
] as const;

type Row = Partial<Record<(typeof COLUMNS)[number], string | number | null>>;

/**
 * A CSV field. Text that a spreadsheet would run as a formula (`=`, `+`,
 * `-`, `@`, tab, CR) is prefixed with `'`: names and messages are user data.
 */
function field(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The summary as one CSV table: a row per stage, then a row per month (`kind` tells them apart). */
export function formatSessionCsv(summary: SessionSummary): string {
  const rows: Row[] = [];
  for (const [name, s] of Object.entries(summary.stages)) {
    const rank = summary.bottlenecks.findIndex((b) => b.stage === name);
    const bottleneck = summary.bottlenecks[rank];
    rows.push({
      kind: 'stage',
      name,
      executions: s.executions,
      successes: s.successes,
      failures: s.failures,
      interrupted: s.interrupted,
      success_rate: s.success_rate,
      total_seconds: s.total_duration_seconds,
      mean_seconds: s.avg_duration_seconds,
      min_seconds: s.min_duration_seconds,
      max_seconds: s.max_duration_seconds,
      p50_seconds: s.p50_duration_seconds,
      p95_seconds: s.p95_duration_seconds,
      p99_seconds: s.p99_duration_seconds,
      share_of_time: s.share_of_time,
      slow_count: s.slow_count,
      threshold_seconds: s.threshold_seconds,
      peak_memory_mb: s.peak_memory_mb,
      wall_clock_seconds: s.wall_clock_seconds,
      bottleneck_rank: bottleneck === undefined ? null : rank + 1,
      // The reasons as the text report words them.
      bottleneck_reasons: bottleneck === undefined ? null : bottleneck.reasons.map((r) => r.text).join('; '),
      rss_growth_mb: s.rss_growth_mb,
      peak_heap_mb: s.peak_heap_mb,
      cpu_seconds: s.cpu_seconds,
      cpu_share: s.cpu_share,
      overlapped_executions: s.overlapped_executions,
    });
  }
  for (const [month, m] of Object.entries(summary.months)) {
    rows.push({
      kind: 'month',
      name: month,
      status: m.status,
      executions: m.stages,
      failures: m.failed_stages,
      total_seconds: m.duration,
      dominant_stage: m.dominant_stage?.name ?? null,
      error_stage: m.error?.stage ?? null,
      error_type: m.error?.type ?? null,
      error_message: m.error?.message ?? null,
      start: m.start,
      end: m.end,
      trace_id: m.trace_id,
      error_stage_seconds: m.error?.stage_seconds ?? null,
      error_causes: m.error && m.error.causes.length > 0 ? causeChainText(m.error.causes) : null,
      attempts: m.attempts,
      failed_attempts: retryText(m) ?? null,
    });
  }
  const lines = [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((c) => field(row[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
