import { formatSeconds } from '../model/human-format.js';
import type { SessionSummary } from '../stats/session-summary.js';

const pct = (rate: number) => `${(rate * 100).toFixed(1)}%`;

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** The session summary as readable text: totals, a stage table and a month table. */
export function formatSessionReport(summary: SessionSummary): string {
  const t = summary.totals;
  const lines = [
    `Session ${summary.session_id} (${summary.service_name})`,
    `  ${summary.start} → ${summary.end ?? 'running'}, ${formatSeconds(summary.duration_seconds)} s`,
    `  ${t.stage_executions} stage executions, ${t.stage_failures} failed, success rate ${pct(t.success_rate)}`,
    `  ${t.months} months, ${t.months_failed} failed; peak memory ${summary.peak_memory_mb.toFixed(1)} MB`,
  ];
  if (summary.otlp.dropped_spans > 0 || summary.otlp.export_errors > 0 || summary.audit.write_errors > 0) {
    lines.push(
      `  telemetry: ${summary.otlp.dropped_spans} spans not forwarded over OTLP, ${summary.otlp.export_errors} OTLP export errors, ${summary.audit.write_errors} audit write errors`,
    );
  }
  const stageNames = Object.keys(summary.stages);
  if (stageNames.length > 0) {
    lines.push('', 'Stages');
    const rows = [['stage', 'runs', 'ok', 'failed', 'success', 'avg s', 'min s', 'max s', 'total s', 'slow']];
    for (const name of stageNames) {
      const s = summary.stages[name];
      if (!s) continue;
      rows.push([
        name,
        String(s.executions),
        String(s.successes),
        String(s.failures + s.interrupted),
        pct(s.success_rate),
        formatSeconds(s.avg_duration_seconds),
        formatSeconds(s.min_duration_seconds),
        formatSeconds(s.max_duration_seconds),
        formatSeconds(s.total_duration_seconds),
        String(s.slow_count),
      ]);
    }
    lines.push(...table(rows).map((row) => `  ${row}`));
  }
  const months = Object.keys(summary.months);
  if (months.length > 0) {
    lines.push('', 'Months');
    const rows = [['month', 'status', 'duration s', 'stages', 'failed', 'trace id']];
    for (const month of months) {
      const m = summary.months[month];
      if (!m) continue;
      rows.push([month, m.status, formatSeconds(m.duration), String(m.stages), String(m.failed_stages), m.trace_id]);
    }
    lines.push(...table(rows).map((row) => `  ${row}`));
  }
  return `${lines.join('\n')}\n`;
}
