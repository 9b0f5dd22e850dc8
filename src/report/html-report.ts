import type { SessionSummary } from '../stats/session-summary.js';
import type { ErrorDetail } from './error-details.js';
import { errorText, formatDuration, formatMb, formatPercent, retryText, STAGE_COLUMNS, STAGE_TABLE_NOTE, stageCells } from './format.js';
import type { Timeline, TimelineBar } from './session-timeline.js';

export interface HtmlReportInput {
  summary: SessionSummary;
  timeline: Timeline;
  errors: ErrorDetail[];
  /** Error blocks of the session beyond those in `errors`. */
  moreErrors?: number;
  /** Jaeger's base URL, checked by `jaegerUrlOf`: trace ids link to `<base>/trace/<id>`. */
  jaegerUrl?: string;
}

/** A bar narrower than this share of the track cannot show its name: it gets a marker (and, failed, a label). */
export const SHORT_BAR_PERCENT = 2;
/** Stage starts marked under the memory chart at most; failed stages are always marked. */
export const MAX_STAGE_MARKERS = 500;

/** Everything from the files is user data: escaped for text and for attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const e = escapeHtml;
const pct = (n: number) => `${(Math.round(n * 1000) / 1000).toFixed(3)}%`;

/**
 * The session as one self-contained HTML page: a timeline with a row per
 * month and a bar per stage execution (hover or focus shows its duration and
 * context), memory over time against the thresholds, the stage statistics,
 * the bottlenecks and the errors with their tracebacks. No network access:
 * styles and the few lines of script are inline, and the page's content
 * security policy forbids loading anything.
 */
export function renderHtmlReport(input: HtmlReportInput): string {
  const s = input.summary;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stagetrace · ${e(s.session_id)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Session <span class="id">${e(s.session_id)}</span></h1>
<p class="sub">${e(s.service_name)} · ${e(s.start)} → ${s.end === null ? 'running' : e(s.end)} · ${e(formatDuration(s.duration_seconds))} · ${s.totals.months} month${s.totals.months === 1 ? '' : 's'}, ${s.totals.stage_executions} stage execution${s.totals.stage_executions === 1 ? '' : 's'}</p>
</header>
${answers(s)}
${timelineSection(input.timeline, s)}
${memorySection(input.timeline, s)}
${stagesSection(s)}
${monthsSection(s, traceLink(input.jaegerUrl))}
${bottlenecksSection(s)}
${errorsSection(input.errors, input.moreErrors ?? 0, traceLink(input.jaegerUrl))}
<div id="tip" role="tooltip" hidden></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function answers(s: SessionSummary): string {
  const top = s.bottlenecks[0];
  const bottleneck = top
    ? `<b>${e(top.stage)}</b> — ${e(top.reasons.map((r) => r.text).join('; '))}`
    : Object.keys(s.stages).length === 0
      ? 'none (no stage ran)'
      : 'none found';
  const failed = Object.entries(s.months).filter(([, m]) => m.status === 'failure' || m.status === 'interrupted');
  const retried = Object.entries(s.months).filter(([, m]) => m.attempts > 1 && m.status !== 'failure' && m.status !== 'interrupted');
  const failedLines = failed.map(([month, m]) => {
    const verb = m.status === 'interrupted' ? 'interrupted' : 'failed';
    const err = m.error;
    const where =
      err !== null && err.stage !== null
        ? `${e(err.stage)} ${verb} after ${e(formatDuration(err.stage_seconds ?? m.duration))} (month ran ${e(formatDuration(m.duration))})`
        : `month ${verb} after ${e(formatDuration(m.duration))}`;
    const retry = retryText(m);
    return `<b>${e(month)}</b>: ${where}${err ? ` — ${e(errorText(err))}` : ''}${retry === undefined ? '' : `; ${e(retry)}`}`;
  });
  const retriedLines = retried.map(([month, m]) => `<b>${e(month)}</b>: ${e(retryText(m) ?? '')}`);
  const failedText = [...(failedLines.length === 0 ? ['none'] : failedLines), ...retriedLines].join('<br>');
  const mem = s.memory;
  const thresholds =
    mem.warning_threshold_mb !== null && mem.critical_threshold_mb !== null
      ? `; warning ${e(formatMb(mem.warning_threshold_mb))}, critical ${e(formatMb(mem.critical_threshold_mb))}`
      : '';
  const crossings =
    mem.crossings_total === 0 ? 'no threshold crossed' : `${mem.crossings_total} threshold crossing${mem.crossings_total === 1 ? '' : 's'}`;
  return `<section class="answers">
<div class="answer"><h2>Bottleneck</h2><p>${bottleneck}</p></div>
<div class="answer${failed.length > 0 ? ' bad' : retried.length > 0 ? ' warn' : ''}"><h2>Failed months</h2><p>${failedText}</p></div>
<div class="answer${mem.crossings_total > 0 ? ' warn' : ''}"><h2>Memory</h2><p>peak ${e(formatMb(mem.peak_mb))}, mean ${e(formatMb(mem.mean_mb))}${thresholds}; ${crossings}</p></div>
</section>`;
}

function barTip(bar: TimelineBar): string {
  const lines = [
    `${bar.stage}${bar.month ? ` · ${bar.month}` : ''}`,
    `${formatDuration(bar.durationS)} · ${bar.outcome}${bar.slow ? ' · slow' : ''}`,
    ...bar.context.map(([k, v]) => `${k}: ${v}`),
  ];
  if (bar.error) lines.push(bar.error);
  return lines.join('\n');
}

interface Row {
  label: string;
  status: string;
  /** The month's extent, ms; undefined for the row of stages outside any month. */
  startMs: number | undefined;
  endMs: number | undefined;
  bars: TimelineBar[];
}

/**
 * One scale for the whole session, from its first record to its last (the
 * memory chart's): months that ran in parallel overlap on the page as they
 * did in time. Each month row shows its extent behind its bars. A bar too
 * narrow for its name gets a marker, and a failed or interrupted one a label
 * with its name and duration beside it.
 */
function timelineSection(t: Timeline, s: SessionSummary): string {
  const rows = new Map<string, Row>();
  for (const m of t.months)
    rows.set(m.month, {
      label: m.month,
      status: s.months[m.month]?.status ?? m.outcome,
      startMs: m.startMs,
      endMs: m.endMs ?? t.lastMs,
      bars: [],
    });
  let loose: Row | undefined;
  for (const bar of t.bars) {
    let row = bar.month === null ? undefined : rows.get(bar.month);
    if (row === undefined) {
      loose ??= { label: 'no month', status: '', startMs: undefined, endMs: undefined, bars: [] };
      row = loose;
    }
    row.bars.push(bar);
  }
  const all = [...rows.values()];
  if (loose) all.push(loose);
  const t0 = t.firstMs;
  const spanMs = Math.max(1, t.lastMs - t.firstMs);
  const at = (ms: number) => ((ms - t0) / spanMs) * 100;
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<span style="left:${pct(f * 100)}">${e(formatDuration((f * spanMs) / 1000))}</span>`)
    .join('');
  const body = all
    .map((row) => {
      const extent =
        row.startMs === undefined || row.endMs === undefined
          ? ''
          : `<div class="extent" style="left:${pct(at(row.startMs))};width:${pct(at(row.endMs) - at(row.startMs))}"></div>`;
      const bars = row.bars
        .map((bar) => {
          const left = at(bar.startMs);
          const width = ((bar.endMs - bar.startMs) / spanMs) * 100;
          const short = width < SHORT_BAR_PERCENT;
          const cls = `bar ${bar.outcome}${bar.slow ? ' slow' : ''}${short ? ' short' : ''}`;
          const drawn = `<div class="${cls}" style="left:${pct(left)};width:${pct(width)}" tabindex="0" data-tip="${e(barTip(bar))}"><span>${e(bar.stage)}</span></div>`;
          if (bar.outcome === 'success' || !short) return drawn;
          // Failed or interrupted and too narrow to read: its name and duration beside it.
          const mark = bar.outcome === 'failure' ? '✕' : '⏸';
          return `${drawn}<span class="flag ${bar.outcome}" style="left:${pct(left + width)}">${mark} ${e(bar.stage)} ${e(formatDuration(bar.durationS))}</span>`;
        })
        .join('');
      const status = row.status ? `<span class="status ${e(row.status)}">${e(row.status)}</span>` : '';
      return `<div class="row"><div class="label">${e(row.label)} ${status}</div><div class="track">${extent}${bars}</div></div>`;
    })
    .join('\n');
  const leftOut =
    t.barsLeftOut > 0 ? `<p class="note">${t.barsLeftOut} later stage executions are not drawn; the tables count them all.</p>` : '';
  return `<section id="timeline"><h2>Timeline</h2>
<p class="legend"><span class="key success"></span>succeeded <span class="key failure"></span>failed <span class="key interrupted"></span>interrupted <span class="key slow"></span>slow (over its threshold) <span class="key extent"></span>month · ▾ too short to show its name · one scale for the session: parallel months overlap · hover a bar for its duration and context</p>
<div class="axis"><div class="label"></div><div class="ticks">${ticks}</div></div>
${body || '<p class="note">No month or stage ran.</p>'}
${leftOut}
</section>`;
}

function memorySection(t: Timeline, s: SessionSummary): string {
  const points = t.memory;
  if (points.length === 0) return '<section id="memory"><h2>Memory</h2><p class="note">No memory readings.</p></section>';
  const W = 1000;
  const H = 220;
  const mem = s.memory;
  const peak = Math.max(mem.peak_mb, ...points.map((p) => p.mb));
  const near = (mb: number | null): mb is number => mb !== null && mb <= peak * 2;
  let top = peak;
  if (near(mem.warning_threshold_mb)) top = Math.max(top, mem.warning_threshold_mb);
  if (near(mem.critical_threshold_mb)) top = Math.max(top, mem.critical_threshold_mb);
  top = top * 1.1 || 1;
  // With the thresholds drawn the axis starts at 0; without them it spans the readings, so their changes show.
  const low =
    near(mem.warning_threshold_mb) || near(mem.critical_threshold_mb) ? 0 : Math.floor(Math.min(...points.map((p) => p.mb)) * 0.9);
  const t0 = t.firstMs;
  const span = Math.max(1, t.lastMs - t.firstMs);
  const x = (ms: number) => ((ms - t0) / span) * W;
  const y = (mb: number) => H - ((mb - low) / (top - low || 1)) * H;
  const line = points.map((p) => `${x(p.atMs).toFixed(1)},${y(p.mb).toFixed(1)}`).join(' ');
  const thresholdLine = (mb: number | null, name: string) =>
    near(mb)
      ? `<line class="threshold ${name}" x1="0" x2="${W}" y1="${y(mb).toFixed(1)}" y2="${y(mb).toFixed(1)}"/><text class="threshold-label" x="${W - 4}" y="${(y(mb) - 4).toFixed(1)}" text-anchor="end">${name} ${e(formatMb(mb))}</text>`
      : '';
  const crossings = mem.crossings
    .map((c) => {
      const at = Date.parse(c.at);
      return `<circle class="crossing ${e(c.level)}" cx="${x(at).toFixed(1)}" cy="${y(c.rss_mb).toFixed(1)}" r="5"><title>${e(`${c.at} ${c.direction === 'up' ? 'reached' : 'back to'} ${c.level}: RSS ${formatMb(c.rss_mb)}${c.stage ? ` in ${c.stage}` : ''}`)}</title></circle>`;
    })
    .join('');
  const markers = memoryMarkers(t, x, H);
  const off = [
    mem.warning_threshold_mb !== null && !near(mem.warning_threshold_mb) ? `warning ${formatMb(mem.warning_threshold_mb)}` : '',
    mem.critical_threshold_mb !== null && !near(mem.critical_threshold_mb) ? `critical ${formatMb(mem.critical_threshold_mb)}` : '',
  ].filter(Boolean);
  const offNote = off.length > 0 ? `<p class="note">Thresholds above the chart: ${e(off.join(', '))}.</p>` : '';
  return `<section id="memory"><h2>Memory (RSS)</h2>
<svg viewBox="0 -12 ${W} ${H + 30}" preserveAspectRatio="none" role="img" aria-label="RSS over the session">
<line class="axis-line" x1="0" x2="${W}" y1="${H}" y2="${H}"/>
<text class="axis-label" x="2" y="${H + 16}">${e(new Date(t0).toISOString())}</text>
<text class="axis-label" x="${W - 2}" y="${H + 16}" text-anchor="end">${e(formatDuration(span / 1000))} later</text>
<text class="axis-label" x="2" y="0">${e(formatMb(top))}</text>
<text class="axis-label" x="2" y="${H - 4}">${e(formatMb(low))}</text>
${thresholdLine(mem.warning_threshold_mb, 'warning')}${thresholdLine(mem.critical_threshold_mb, 'critical')}
${markers}
<polyline class="rss" points="${line}"/>${crossings}
</svg>
<p class="note">peak ${e(formatMb(mem.peak_mb))}, mean ${e(formatMb(mem.mean_mb))} · dashed lines: month starts · ticks along the bottom: stage starts (red: failed); hover for names</p>${offNote}
</section>`;
}

/**
 * Where months and stages began, on the memory chart's time axis: a line
 * and the month's name for each month, a tick for each stage start (the
 * first {@link MAX_STAGE_MARKERS}) and a red one for each failed stage.
 */
function memoryMarkers(t: Timeline, x: (ms: number) => number, H: number): string {
  // A month's name is written only where it does not run into the one before; its line is always drawn.
  let labelledUntil = Number.NEGATIVE_INFINITY;
  const months = t.months
    .map((m) => {
      const at = x(m.startMs);
      const label = at >= labelledUntil ? `<text class="month-label" x="${(at + 3).toFixed(1)}" y="11">${e(m.month)}</text>` : '';
      if (label !== '') labelledUntil = at + MONTH_LABEL_WIDTH;
      return `<line class="month-mark" x1="${at.toFixed(1)}" x2="${at.toFixed(1)}" y1="0" y2="${H}"><title>${e(`month ${m.month} started`)}</title></line>${label}`;
    })
    .join('');
  let drawn = 0;
  const stages = t.bars
    .map((bar) => {
      const failed = bar.outcome !== 'success';
      if (!failed && drawn >= MAX_STAGE_MARKERS) return '';
      drawn++;
      const at = x(bar.startMs).toFixed(1);
      const what = `${bar.stage}${bar.month ? ` · ${bar.month}` : ''} started${failed ? ` (${bar.outcome}${bar.error ? `: ${bar.error}` : ''})` : ''}`;
      return `<line class="stage-mark${failed ? ` ${bar.outcome}` : ''}" x1="${at}" x2="${at}" y1="${H - (failed ? 14 : 6)}" y2="${H}"><title>${e(what)}</title></line>`;
    })
    .join('');
  return months + stages;
}

/** Room a month's name takes on the memory chart, in its 1000 units of width. */
const MONTH_LABEL_WIDTH = 70;

/** Markup of a trace id: a link to it in Jaeger when a base URL was given. */
type TraceLink = (traceId: string) => string;

function traceLink(jaegerUrl: string | undefined): TraceLink {
  return (traceId) => {
    const id = e(traceId);
    // An all-zero id means no SDK gave the span one: there is nothing in Jaeger to link to.
    if (jaegerUrl === undefined || !/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) return `<span class="mono">${id}</span>`;
    return `<a class="mono" href="${e(`${jaegerUrl}/trace/${traceId}`)}" rel="noreferrer noopener" target="_blank">${id}</a>`;
  };
}

function stagesSection(s: SessionSummary): string {
  const names = Object.keys(s.stages);
  if (names.length === 0) return '<section id="stages"><h2>Stages</h2><p class="note">No stage ran.</p></section>';
  const head = ['stage', ...STAGE_COLUMNS];
  const rows = names.map((name) => {
    const st = s.stages[name];
    if (!st) return '';
    const cells = stageCells(st);
    return `<tr><th scope="row">${e(name)}</th>${cells.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`;
  });
  return `<section id="stages"><h2>Stages</h2><table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="note">Percentiles within ${formatPercent(s.percentile_relative_error)} of the exact value. ${e(STAGE_TABLE_NOTE)}</p></section>`;
}

function monthsSection(s: SessionSummary, link: TraceLink): string {
  const months = Object.entries(s.months);
  if (months.length === 0) return '';
  const rows = months.map(([month, m]) => {
    const dominant = m.dominant_stage ? `${m.dominant_stage.name} (${formatPercent(m.dominant_stage.share_of_month)})` : '-';
    const err = m.error;
    const error = err ? `${err.stage !== null ? `${err.stage} (${formatDuration(err.stage_seconds ?? 0)}): ` : ''}${errorText(err)}` : '';
    const retry = retryText(m);
    const text = [error, retry === undefined ? '' : `${retry}`].filter(Boolean).join(' · ');
    return `<tr><th scope="row">${e(month)}</th><td class="status ${e(m.status)}">${e(m.status)}</td><td>${e(formatDuration(m.duration))}</td><td>${e(dominant)}</td><td>${m.stages}</td><td>${m.failed_stages}</td><td class="text">${e(text)}</td><td>${link(m.trace_id)}</td></tr>`;
  });
  return `<section id="months"><h2>Months</h2><table><thead><tr><th>month</th><th>status</th><th>duration</th><th>dominant stage</th><th>stages</th><th>failed</th><th>error</th><th>trace id</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function bottlenecksSection(s: SessionSummary): string {
  if (s.bottlenecks.length === 0) return '<section id="bottlenecks"><h2>Bottlenecks</h2><p class="note">None found.</p></section>';
  const items = s.bottlenecks.map((b) => `<li><b>${e(b.stage)}</b><ul>${b.reasons.map((r) => `<li>${e(r.text)}</li>`).join('')}</ul></li>`);
  return `<section id="bottlenecks"><h2>Bottlenecks</h2><ol>${items.join('')}</ol></section>`;
}

function errorsSection(errors: ErrorDetail[], more: number, link: TraceLink): string {
  if (errors.length === 0) return '<section id="errors"><h2>Errors</h2><p class="note">No errors.</p></section>';
  const items = errors.map(
    (
      x,
      i,
    ) => `<details${i < 3 ? ' open' : ''}><summary><span class="time">${e(x.time)}</span> ${e([x.month, x.stage].filter(Boolean).join(' · ') || 'session')} — <b>${e(x.type)}</b>: ${e(x.errorMessage)}</summary>
<pre>${e(x.stack)}</pre><p class="ctx">context ${e(x.context)}${x.traceId ? ` · trace ${link(x.traceId)}` : ''}</p></details>`,
  );
  const moreNote = more > 0 ? `<p class="note">${more} more in error_details.log.</p>` : '';
  return `<section id="errors"><h2>Errors</h2>${items.join('\n')}${moreNote}</section>`;
}

const STYLE = `
:root{--ok:#2f855a;--bad:#c53030;--int:#c05621;--slow:#d69e2e;--ink:#1a202c;--mute:#718096;--line:#e2e8f0;--bg:#fff}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:var(--bg);margin:0;padding:20px 28px;max-width:1280px}
h1{font-size:22px;margin:0}h2{font-size:15px;margin:22px 0 8px;text-transform:uppercase;letter-spacing:.04em;color:#4a5568}
.id,.mono{font-family:ui-monospace,Menlo,Consolas,monospace}.sub{color:var(--mute);margin:4px 0 0}
.answers{display:grid;grid-template-columns:repeat(3,1fr);gap:12px;margin-top:16px}
.answer{border:1px solid var(--line);border-left:4px solid var(--ok);border-radius:6px;padding:8px 12px}.answer h2{margin:0 0 4px}.answer p{margin:0}
.answer.bad{border-left-color:var(--bad)}.answer.warn{border-left-color:var(--slow)}
.row,.axis{display:grid;grid-template-columns:150px 1fr;align-items:center}
.row{height:28px;border-bottom:1px solid var(--line)}
.label{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding-right:6px}
.track{position:relative;height:20px;background:#f7fafc}
.ticks{position:relative;height:18px;margin-right:4px;font-size:11px;color:var(--mute)}.ticks span{position:absolute;white-space:nowrap;transform:translateX(-50%)}.ticks span:first-child{transform:none}.ticks span:last-child{transform:translateX(-100%)}
.bar{position:absolute;top:2px;height:16px;min-width:2px;border-radius:2px;background:var(--ok);overflow:hidden;cursor:default;outline-offset:1px}
.bar span{display:block;font-size:10px;color:#fff;padding:0 3px;white-space:nowrap;line-height:16px}
.bar.failure{background:var(--bad)}.bar.interrupted{background:var(--int)}
.bar.slow{box-shadow:inset 0 -4px 0 var(--slow)}
.bar.short{overflow:visible;min-width:3px}.bar.short span{display:none}
.bar.short::after{content:"";position:absolute;left:50%;top:-5px;transform:translateX(-50%);border:4px solid transparent;border-bottom:0;border-top:5px solid var(--ink)}
.bar.short.failure::after{border-top-color:var(--bad)}.bar.short.interrupted::after{border-top-color:var(--int)}
.flag{position:absolute;top:2px;margin-left:3px;padding:0 3px;border-radius:2px;background:rgba(255,255,255,.9);font-size:10px;line-height:16px;white-space:nowrap;font-weight:600;z-index:3;pointer-events:none}
.flag.failure{color:var(--bad)}.flag.interrupted{color:var(--int)}
.extent{position:absolute;top:0;bottom:0;background:#cbd5e0;border-radius:2px}
.key.extent{background:#cbd5e0}
.bar:hover,.bar:focus{filter:brightness(1.2);z-index:2}
.status{font-size:11px;padding:0 4px;border-radius:3px;color:#fff;background:var(--ok)}
td.status{background:none;color:var(--ok)}.status.failure{background:var(--bad)}td.status.failure{background:none;color:var(--bad)}
.status.interrupted,.status.running{background:var(--int)}td.status.interrupted,td.status.running{background:none;color:var(--int)}
.legend{font-size:12px;color:var(--mute)}.key{display:inline-block;width:12px;height:10px;margin:0 4px 0 10px;background:var(--ok)}
.key.failure{background:var(--bad)}.key.interrupted{background:var(--int)}.key.slow{background:var(--slow)}
#tip{position:fixed;z-index:10;max-width:420px;background:#1a202c;color:#fff;font-size:12px;padding:6px 8px;border-radius:4px;white-space:pre-line;pointer-events:none}
svg{width:100%;height:240px;border:1px solid var(--line);border-radius:4px}
.rss{fill:none;stroke:#3182ce;stroke-width:2;vector-effect:non-scaling-stroke}
.threshold{stroke-dasharray:8 6;stroke-width:1.5;vector-effect:non-scaling-stroke}.threshold.warning{stroke:var(--slow)}.threshold.critical{stroke:var(--bad)}
.threshold-label,.axis-label{font-size:12px;fill:var(--mute)}.axis-line{stroke:var(--line)}
.month-mark{stroke:#a0aec0;stroke-dasharray:3 4;vector-effect:non-scaling-stroke}.month-label{font-size:11px;fill:var(--mute)}
.stage-mark{stroke:#4a5568;stroke-width:1;vector-effect:non-scaling-stroke}.stage-mark.failure{stroke:var(--bad);stroke-width:2}.stage-mark.interrupted{stroke:var(--int);stroke-width:2}
.crossing{fill:var(--slow)}.crossing.critical{fill:var(--bad)}.crossing.ok{fill:var(--ok)}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td.text{text-align:left}td.text{white-space:normal}thead th{color:var(--mute);font-weight:600}
pre{background:#f7fafc;border:1px solid var(--line);padding:8px;overflow:auto;font-size:12px}
details{margin:6px 0}summary{cursor:pointer}.time{color:var(--mute)}.ctx{color:var(--mute);font-size:12px;margin:0}
.note{color:var(--mute);font-size:12px}
`;

// Shows a bar's details on hover or keyboard focus; text only (textContent), never markup.
const SCRIPT = `
(function () {
  var tip = document.getElementById('tip');
  function show(event) {
    var bar = event.target.closest && event.target.closest('.bar');
    if (!bar) return;
    tip.textContent = bar.getAttribute('data-tip');
    tip.hidden = false;
    var r = bar.getBoundingClientRect();
    var left = Math.min(r.left, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = Math.max(4, left) + 'px';
    tip.style.top = (r.bottom + 6 + tip.offsetHeight > window.innerHeight ? r.top - tip.offsetHeight - 6 : r.bottom + 6) + 'px';
  }
  function hide(event) {
    if (event.target.closest && event.target.closest('.bar')) tip.hidden = true;
  }
  document.addEventListener('mouseover', show);
  document.addEventListener('focusin', show);
  document.addEventListener('mouseout', hide);
  document.addEventListener('focusout', hide);
})();
`;
