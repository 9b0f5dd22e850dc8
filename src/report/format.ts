import type { ErrorCause, MonthSummary, StageSummary } from '../stats/session-summary.js';

/** Shared formatting of the reports (text, CSV, HTML, comparisons). */

/** A duration for people, with its unit: `0 s`, `340 µs`, `3.25 ms`, `453 ms`, `1.71 s`, `12 min 05 s`, `2 h 03 min`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds === 0) return '0 s';
  if (seconds < 1e-3) return `${Math.round(seconds * 1e6)} µs`;
  if (seconds < 1) {
    const ms = seconds * 1000;
    return `${ms.toFixed(ms < 10 ? 2 : ms < 100 ? 1 : 0)} ms`;
  }
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  if (seconds < 3600) {
    const whole = Math.round(seconds);
    return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  }
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A 0..1 share as a percentage with one decimal: `95.7%`. */
export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** The columns of the stage table, after the stage's name: the same in the text and the HTML report. */
export const STAGE_COLUMNS = [
  'runs',
  'ok',
  'failed',
  'success',
  'p50',
  'p95',
  'p99',
  'mean',
  'min',
  'max',
  'total',
  'share',
  'slow',
  'peak MB',
  'heap MB',
  'cpu',
  'overlap',
];

/** What the stage table's CPU and memory columns measure. */
export const STAGE_TABLE_NOTE =
  "cpu: CPU time of the process while the stage ran, over its duration (100% = one core busy throughout); peak and heap MB: the highest RSS and V8 heap sampled while it ran (every memory.intervalMs, 1 s by default); overlap: runs during which another stage or month ran, so that their figures are the whole process's.";

/** A stage's cells under {@link STAGE_COLUMNS}: one word each, so that scripts can split the text table on spaces. */
export function stageCells(st: StageSummary): string[] {
  return [
    String(st.executions),
    String(st.successes),
    String(st.failures + st.interrupted),
    formatPercent(st.success_rate),
    formatDuration(st.p50_duration_seconds),
    formatDuration(st.p95_duration_seconds),
    formatDuration(st.p99_duration_seconds),
    formatDuration(st.avg_duration_seconds),
    formatDuration(st.min_duration_seconds),
    formatDuration(st.max_duration_seconds),
    formatDuration(st.total_duration_seconds),
    formatPercent(st.share_of_time),
    String(st.slow_count),
    st.peak_memory_mb.toFixed(1),
    st.peak_heap_mb === null ? '-' : st.peak_heap_mb.toFixed(1),
    st.cpu_share === null ? '-' : formatPercent(st.cpu_share),
    String(st.overlapped_executions),
  ];
}

/** Megabytes with one decimal: `123.4 MB`. */
export function formatMb(mb: number): string {
  return `${mb.toFixed(1)} MB`;
}

/** Rows as aligned columns: the first left-aligned, the others right-aligned. */
export function alignColumns(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => [...(row[i] ?? '')].length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = (widths[i] ?? 0) - [...cell].length;
        return i === 0 ? cell + ' '.repeat(pad) : ' '.repeat(pad) + cell;
      })
      .join('  ')
      .trimEnd(),
  );
}

/** A `cause` chain in words, outermost first: `caused by RangeError: negative price; caused by TypeError: not a number`. */
export function causeChainText(causes: readonly ErrorCause[]): string {
  return causes.map((c) => `caused by ${c.type}: ${c.message}`).join('; ');
}

/** An error with its cause chain: `ValidationError: row 17 rejected (caused by RangeError: negative price)`. */
export function errorText(error: { type: string; message: string; causes: readonly ErrorCause[] }): string {
  const causes = causeChainText(error.causes);
  return `${error.type}: ${error.message}${causes === '' ? '' : ` (${causes})`}`;
}

/** Earlier failed attempts shown in a line; the rest are counted. */
const ATTEMPTS_SHOWN = 3;
const TIMES = ['never', 'once', 'twice'];

/**
 * What happened to a month the pipeline started more than once, or
 * undefined for a month run once: `failed once (download: FetchError: HTTP
 * 503), succeeded on retry`.
 */
export function retryText(m: MonthSummary): string | undefined {
  if (m.attempts <= 1) return undefined;
  const failed = m.failed_attempts;
  const earlier = m.attempts - 1;
  const shown = failed
    .slice(0, ATTEMPTS_SHOWN)
    .map((a) => `${a.stage === null ? '' : `${a.stage}: `}${errorText(a)}`)
    .join('; ');
  const more = failed.length > ATTEMPTS_SHOWN ? `; ${failed.length - ATTEMPTS_SHOWN} more` : '';
  const head =
    failed.length === 0
      ? `started ${m.attempts} times`
      : `failed ${TIMES[failed.length] ?? `${failed.length} times`}${earlier > failed.length ? ` of ${earlier} earlier attempts` : ''} (${shown}${more})`;
  if (failed.length === 0 && m.status === 'success') return `started ${m.attempts} times, each attempt ended without failing`;
  const outcome =
    m.status === 'success'
      ? earlier === 1
        ? 'succeeded on retry'
        : `succeeded on attempt ${m.attempts}`
      : m.status === 'running'
        ? `attempt ${m.attempts} running`
        : `attempt ${m.attempts} ${m.status === 'interrupted' ? 'interrupted' : 'failed'} too`;
  return `${head}, ${outcome}`;
}
