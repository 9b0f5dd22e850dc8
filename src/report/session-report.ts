import { escapeForLine } from '../model/human-format.js';
import { plural } from '../model/plural.js';
import type { SessionSummary } from '../stats/session-summary.js';
import {
  alignColumns,
  errorText,
  formatDuration,
  formatMb,
  formatPercent,
  retryText,
  STAGE_COLUMNS,
  STAGE_TABLE_NOTE,
  stageCells,
} from './format.js';

/** Names, months, ids, messages and contexts come from the files: one line each, no terminal escapes. */
const safe = escapeForLine;

/**
 * The session summary as readable text. The top answers the questions people
 * ask after a run at a glance — which stage is the bottleneck and why, which
 * month failed, in which stage and with what error, and how memory compares
 * with its thresholds — then come the stage and month tables.
 */
export function formatSessionReport(summary: SessionSummary): string {
  const lines: string[] = [];
  lines.push(...header(summary), '', ...bottlenecks(summary), '', ...failedMonths(summary));
  const retried = retriedMonths(summary);
  if (retried.length > 0) lines.push(...retried);
  lines.push('', ...memory(summary));
  const telemetry = telemetryLine(summary);
  if (telemetry) lines.push('', telemetry);
  const stages = stageTable(summary);
  if (stages.length > 0) lines.push('', 'Stages', ...stages.map((row) => `  ${row}`), `  ${STAGE_TABLE_NOTE}`);
  const months = monthTable(summary);
  if (months.length > 0) lines.push('', 'Months', ...months.map((row) => `  ${row}`));
  return `${lines.join('\n')}\n`;
}

function header(s: SessionSummary): string[] {
  const t = s.totals;
  const span =
    s.end === null
      ? `${s.start} → running, ${formatDuration(s.duration_seconds)} so far`
      : `${s.start} → ${s.end}, ${formatDuration(s.duration_seconds)}`;
  const succeeded = t.months - t.months_failed;
  const retried = t.months_retried > 0 ? ` (${t.months_retried} retried)` : '';
  const open = t.open_scopes > 0 ? ` · ${plural(t.open_scopes, 'month or stage', 'months or stages')} open` : '';
  return [
    `Session ${safe(s.session_id)} (${safe(s.service_name)})`,
    `  ${span}`,
    `  ${plural(t.months, 'month')}: ${succeeded} succeeded, ${t.months_failed} failed${retried} · ${plural(t.stage_executions, 'stage execution')}, ${t.stage_failures} failed (${formatPercent(t.success_rate)} success)${open}`,
  ];
}

function bottlenecks(s: SessionSummary): string[] {
  const [first, ...rest] = s.bottlenecks;
  if (first === undefined) return [Object.keys(s.stages).length === 0 ? 'Bottleneck: none (no stage ran)' : 'Bottleneck: none found'];
  const out = [`Bottleneck: ${safe(first.stage)} — ${first.reasons.map((r) => r.text).join('; ')}`];
  rest.forEach((b, i) => {
    out.push(`  ${i + 2}. ${safe(b.stage)} — ${b.reasons.map((r) => r.text).join('; ')}`);
  });
  return out;
}

function failedMonths(s: SessionSummary): string[] {
  const failed = Object.entries(s.months).filter(([, m]) => m.status === 'failure' || m.status === 'interrupted');
  if (failed.length === 0) {
    return [Object.keys(s.months).length === 0 ? 'Failed months: none (no month ran)' : 'Failed months: none'];
  }
  const out = [`Failed months: ${failed.length}`];
  for (const [month, m] of failed) {
    const verb = m.status === 'interrupted' ? 'interrupted' : 'failed';
    const e = m.error;
    // A stage's failure is timed by the stage itself; the month's duration follows for context.
    const where =
      e?.stage != null
        ? `${safe(e.stage)} ${verb} after ${formatDuration(e.stage_seconds ?? m.duration)} (month ran ${formatDuration(m.duration)})`
        : `month ${verb} after ${formatDuration(m.duration)}`;
    const why = e ? ` — ${safe(errorText(e))}` : '';
    const retry = retryText(m);
    out.push(`  ${safe(month)}: ${where}${why}${retry === undefined ? '' : `; ${safe(retry)}`}`);
  }
  return out;
}

/** Months that failed and then succeeded on a retry: the failures the month's status no longer shows. */
function retriedMonths(s: SessionSummary): string[] {
  const retried = Object.entries(s.months).filter(([, m]) => m.attempts > 1 && m.status !== 'failure' && m.status !== 'interrupted');
  if (retried.length === 0) return [];
  return [`Retried months: ${retried.length}`, ...retried.map(([month, m]) => `  ${month}: ${safe(retryText(m) ?? '')}`)];
}

function memory(s: SessionSummary): string[] {
  const m = s.memory;
  let line = `Memory: peak ${formatMb(m.peak_mb)}, mean ${formatMb(m.mean_mb)}`;
  if (m.warning_threshold_mb !== null && m.critical_threshold_mb !== null) {
    const of = m.warning_threshold_mb > 0 ? ` (peak at ${formatPercent(m.peak_mb / m.warning_threshold_mb)} of warning)` : '';
    line += `; thresholds: warning ${formatMb(m.warning_threshold_mb)}, critical ${formatMb(m.critical_threshold_mb)}${of}`;
  }
  if (m.crossings_total === 0) return [`${line}; no threshold crossed`];
  const out = [`${line}; ${plural(m.crossings_total, 'threshold crossing')}:`];
  for (const c of m.crossings) {
    const where = c.stage ? ` in ${safe(c.stage)}${c.month ? ` (${safe(c.month)})` : ''}` : c.month ? ` in month ${safe(c.month)}` : '';
    const what = c.direction === 'up' ? `reached ${safe(c.level)}` : `back to ${safe(c.level)}`;
    out.push(`  ${c.at}  ${what}: RSS ${formatMb(c.rss_mb)}, threshold ${formatMb(c.threshold_mb)}${where}`);
  }
  if (m.crossings.length < m.crossings_total) out.push(`  … and ${m.crossings_total - m.crossings.length} more`);
  return out;
}

function telemetryLine(s: SessionSummary): string | undefined {
  const problems: string[] = [];
  if (s.otlp.dropped_spans > 0) problems.push(`${plural(s.otlp.dropped_spans, 'span')} not forwarded over OTLP`);
  if (s.otlp.dropped_log_records > 0) problems.push(`${plural(s.otlp.dropped_log_records, 'log record')} not forwarded over OTLP`);
  if (s.otlp.export_errors > 0) problems.push(plural(s.otlp.export_errors, 'OTLP export error'));
  if (s.audit.write_errors > 0) problems.push(plural(s.audit.write_errors, 'audit write error'));
  if (s.audit.lost_records > 0) problems.push(`${plural(s.audit.lost_records, 'audit record')} lost`);
  if (s.alerts.failures > 0) problems.push(`${plural(s.alerts.failures, 'alert')} not delivered`);
  return problems.length === 0 ? undefined : `Telemetry: ${problems.join(', ')}`;
}

function stageTable(s: SessionSummary): string[] {
  const names = Object.keys(s.stages);
  if (names.length === 0) return [];
  const rows = [['stage', ...STAGE_COLUMNS]];
  for (const name of names) {
    const st = s.stages[name];
    if (st) rows.push([safe(name), ...stageCells(st)]);
  }
  return alignColumns(rows);
}

function monthTable(s: SessionSummary): string[] {
  const months = Object.keys(s.months);
  if (months.length === 0) return [];
  const rows = [['month', 'status', 'duration', 'dominant stage', 'stages', 'failed', 'trace id']];
  for (const month of months) {
    const m = s.months[month];
    if (!m) continue;
    const dominant = m.dominant_stage ? `${safe(m.dominant_stage.name)} ${formatPercent(m.dominant_stage.share_of_month)}` : '-';
    rows.push([safe(month), m.status, formatDuration(m.duration), dominant, String(m.stages), String(m.failed_stages), safe(m.trace_id)]);
  }
  return alignColumns(rows);
}
