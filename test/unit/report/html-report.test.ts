/**
 * The HTML report as markup, in-process: what each section shows for a
 * session's files, and that user data never becomes markup.
 * test/e2e/browser/html-report.test.ts opens the page in Chromium.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_LOG_FILE } from '../../../src/model/audit-schema.js';
import type { ErrorDetail } from '../../../src/report/error-details.js';
import { htmlReportFromFiles } from '../../../src/report/html-from-files.js';
import { escapeHtml, renderHtmlReport } from '../../../src/report/html-report.js';
import type { Timeline } from '../../../src/report/session-timeline.js';
import { summarizeAuditLog } from '../../../src/report/summarize-audit-log.js';
import { errorBlock } from '../../../src/sinks/audit/audit-records.js';
import { writeRecords } from '../../helpers/audit-jsonl.js';
import { end, errorInfo, memoryMessage, message, ref, start, T0 } from '../../helpers/records.js';
import { monthlySession, writeMonthlySession } from '../../helpers/session-files.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 100;

let work: string;
let n = 0;
const freshDir = () => mkdtempSync(join(work, `case-${++n}-`));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stagetrace-html-unit-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Bar {
  cls: string;
  left: string;
  width: string;
  tip: string;
  label: string;
}

/** The timeline's bars as the page draws them, in page order. */
function bars(html: string): Bar[] {
  const found: Bar[] = [];
  for (const m of html.matchAll(
    /<div class="(bar [^"]*)" style="left:([\d.]+)%;width:([\d.]+)%" tabindex="0" data-tip="([^"]*)"><span>([^<]*)<\/span><\/div>/g,
  ))
    found.push({ cls: m[1] as string, left: m[2] as string, width: m[3] as string, tip: m[4] as string, label: m[5] as string });
  return found;
}

const section = (html: string, id: string) => {
  const from = html.indexOf(`<section id="${id}">`);
  return from === -1 ? '' : html.slice(from, html.indexOf('</section>', from) + '</section>'.length);
};

describe('the HTML report of a session’s files', () => {
  let html: string;

  beforeAll(async () => {
    const dir = freshDir();
    writeMonthlySession(dir, 'nightly', T0, {
      '2024-01': { download: 1, process: 3 },
      '2024-02': { download: 2, process: -1 },
    });
    html = await htmlReportFromFiles(dir);
  });

  it('heads the page with the session, service, times and counts', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<title>stagetrace · nightly</title>');
    expect(html).toContain(
      '<p class="sub">nightly-etl · 2025-01-06T09:00:00.000Z → 2025-01-06T09:00:07.000Z · 7.00 s · 2 months, 4 stage executions</p>',
    );
    // Nothing is loaded from elsewhere.
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('answers at the top: the bottleneck, the failed month with its stage and error, memory against its thresholds', () => {
    const answers = html.slice(
      html.indexOf('<section class="answers">'),
      html.indexOf('</section>', html.indexOf('<section class="answers">')),
    );
    expect(answers).toMatch(/<h2>Bottleneck<\/h2><p><b>process<\/b> — largest share of time: /);
    expect(answers).toContain(
      '<div class="answer bad"><h2>Failed months</h2><p><b>2024-02</b>: process failed after 1.00 s (month ran 3.00 s) — RangeError: process broke</p></div>',
    );
    expect(answers).toContain(
      '<div class="answer"><h2>Memory</h2><p>peak 100.0 MB, mean 100.0 MB; warning 700.0 MB, critical 900.0 MB; no threshold crossed</p></div>',
    );
  });

  it('draws a row per month and a bar per stage execution, on one scale for the whole session', () => {
    const timeline = section(html, 'timeline');
    expect(timeline.match(/<div class="row">/g)).toHaveLength(2);
    expect(timeline).toContain('<div class="label">2024-01 <span class="status success">success</span></div>');
    expect(timeline).toContain('<div class="label">2024-02 <span class="status failure">failure</span></div>');
    // The session (7 s) spans the track; ticks mark quarters of it.
    expect([...timeline.matchAll(/<span style="left:([\d.]+)%">([^<]+)<\/span>/g)].map((m) => `${m[1]} ${m[2]}`)).toEqual([
      '0.000 0 s',
      '25.000 1.75 s',
      '50.000 3.50 s',
      '75.000 5.25 s',
      '100.000 7.00 s',
    ]);
    // The second month starts where the first ended (4 s of 7 s), its bars after it.
    expect(timeline).toContain('<div class="track"><div class="extent" style="left:57.143%;width:42.857%"></div>');
    expect(bars(timeline).map(({ cls, left, width, label }) => `${label} ${cls} ${left} ${width}`)).toEqual([
      'download bar success 0.000 14.286',
      'process bar success 14.286 42.857',
      'download bar success 57.143 28.571',
      'process bar failure 85.714 14.286',
    ]);
    expect(bars(timeline)[3]?.tip).toBe('process · 2024-02\n1.00 s · failure\nRangeError: process broke');
    expect(timeline).not.toContain('not drawn');
  });

  it('tabulates the stages and the months', () => {
    const stages = section(html, 'stages');
    expect(stages.match(/<tr><th scope="row">/g)).toHaveLength(2);
    expect(stages).toContain('<tr><th scope="row">process</th><td>2</td><td>1</td><td>1</td><td>50.0%</td>');
    expect(stages).toContain('<p class="note">Percentiles within 1.0% of the exact value. cpu: CPU time of the process');
    const months = section(html, 'months');
    expect(months).toMatch(
      /<tr><th scope="row">2024-02<\/th><td class="status failure">failure<\/td><td>3\.00 s<\/td><td>download \(66\.7%\)<\/td><td>2<\/td><td>1<\/td><td class="text">process \(1\.00 s\): RangeError: process broke<\/td><td><span class="mono">[0-9a-f]{32}<\/span><\/td><\/tr>/,
    );
    expect(section(html, 'bottlenecks')).toMatch(/^<section id="bottlenecks"><h2>Bottlenecks<\/h2><ol><li><b>process<\/b><ul><li>/);
  });

  it('says so when error_details.log holds no error of the session', () => {
    expect(section(html, 'errors')).toBe('<section id="errors"><h2>Errors</h2><p class="note">No errors.</p></section>');
  });
});

describe('memory in the HTML report', () => {
  /** A month whose stage's RSS climbs from 100 to `peakMb` and crosses the warning threshold. */
  function climbingSession(dir: string, warningMb: number, criticalMb: number, peakMb: number): void {
    const records = monthlySession('mem', T0, {}, { warningMb, criticalMb, ended: false });
    const m = ref('month', 'month', '2024-01', undefined, 'mem');
    const s = ref('stage', 'load', '2024-01', m, 'mem');
    records.push(start(m, T0 + 1000), start(s, T0 + 1000));
    for (let i = 1; i <= 10; i++)
      records.push(message(T0 + 1000 + i * 100, `row ${i}`, { scope: s, rssMb: 100 + ((peakMb - 100) * i) / 10 }));
    records.push(
      memoryMessage(
        T0 + 1950,
        'Memory warning',
        { level: 'warning', direction: 'up', rssMb: peakMb, thresholdMb: warningMb },
        { level: 'WARNING', scope: s },
      ),
      end(s, T0 + 1000, 1, { rssEndMb: peakMb, rssPeakMb: peakMb }),
      end(m, T0 + 1000, 1, { rssEndMb: peakMb }),
    );
    writeRecords(dir, 'mem', records);
  }

  it('draws RSS over time with the thresholds near it and the crossings marked', async () => {
    const dir = freshDir();
    climbingSession(dir, 150, 180, 160);
    const memory = section(await htmlReportFromFiles(dir), 'memory');
    const points = /<polyline class="rss" points="([^"]+)"\/>/.exec(memory)?.[1]?.split(' ') ?? [];
    // The session's start, the month's and stage's starts, ten readings, the crossing, the two ends.
    expect(points.length).toBe(16);
    expect(points[0]).toMatch(/^0\.0,/);
    expect(points.at(-1)).toMatch(/^1000\.0,/);
    // With thresholds drawn the axis starts at 0 and reaches past the critical one.
    expect(memory).toContain('<text class="axis-label" x="2" y="216">0.0 MB</text>');
    expect(memory).toContain('<text class="axis-label" x="2" y="0">198.0 MB</text>');
    expect(memory).toMatch(
      /<line class="threshold warning" x1="0" x2="1000" y1="[\d.]+" y2="[\d.]+"\/><text [^>]*>warning 150\.0 MB<\/text>/,
    );
    expect(memory).toMatch(/<line class="threshold critical" [^>]*\/><text [^>]*>critical 180\.0 MB<\/text>/);
    expect(memory).toMatch(
      /<circle class="crossing warning" [^>]*><title>2025-01-06T09:00:01\.950Z reached warning: RSS 160\.0 MB in load<\/title><\/circle>/,
    );
    expect(memory).not.toContain('Thresholds above the chart');
  });

  it('spans the readings and names the thresholds far above them instead of flattening the line', async () => {
    const dir = freshDir();
    climbingSession(dir, 4000, 6000, 160);
    const memory = section(await htmlReportFromFiles(dir), 'memory');
    expect(memory).not.toContain('<line class="threshold');
    expect(memory).toContain('<text class="axis-label" x="2" y="216">90.0 MB</text>');
    expect(memory).toContain('<p class="note">Thresholds above the chart: warning 4000.0 MB, critical 6000.0 MB.</p>');
  });
});

describe('the HTML report in the corners', () => {
  it('says what did not happen in a session that ran nothing', async () => {
    const dir = freshDir();
    writeMonthlySession(dir, 'idle', T0, {});
    const html = await htmlReportFromFiles(dir);
    expect(html).toContain('<h2>Bottleneck</h2><p>none (no stage ran)</p>');
    expect(html).toContain('<h2>Failed months</h2><p>none</p>');
    expect(html).toContain('<p class="note">No month or stage ran.</p>');
    expect(html).toContain('<section id="stages"><h2>Stages</h2><p class="note">No stage ran.</p></section>');
    expect(html).not.toContain('<section id="months">');
    expect(html).toContain('<section id="bottlenecks"><h2>Bottlenecks</h2><p class="note">None found.</p></section>');
    expect(html).toContain('0 months, 0 stage executions');
  });

  it('puts stages run outside any month on a row of their own, and shows a session still running', async () => {
    const dir = freshDir();
    const records = monthlySession('live', T0, { '2024-01': { a: 1 } }, { ended: false, openMonth: '2024-02' });
    const loose = ref('stage', 'cleanup', undefined, undefined, 'live');
    records.push(start(loose, T0 + 1000), end(loose, T0 + 1000, 0.5, { context: { 'stagetrace.context.files': 3 } }));
    writeRecords(dir, 'live', records);
    const html = await htmlReportFromFiles(dir);
    expect(html).toContain(' → running · ');
    const timeline = section(html, 'timeline');
    expect(timeline).toContain('<div class="label">2024-02 <span class="status running">running</span></div>');
    expect(timeline).toContain('<div class="label">no month </div>');
    expect(bars(timeline).at(-1)).toMatchObject({ label: 'cleanup', tip: 'cleanup\n500 ms · success\nfiles: 3' });
  });

  it('renders the session’s errors, the first three open, and counts those left out', async () => {
    const dir = freshDir();
    writeMonthlySession(dir, 'broken', T0, { '2024-01': { a: -1 } });
    const block = (i: number, sessionId: string, month?: string, stage?: string) =>
      errorBlock({
        atMs: T0 + i,
        sessionId,
        month,
        stage,
        message: `failed ${i}`,
        errorType: 'RangeError',
        errorMessage: `bad row ${i}`,
        stack: `RangeError: bad row ${i}\n    at load (etl.ts:${i}:1)`,
        attributes: { 'stagetrace.context.row': i },
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
      });
    appendFileSync(join(dir, ERROR_LOG_FILE), block(0, 'other-session', '2024-01', 'a'));
    for (let i = 1; i <= 4; i++)
      appendFileSync(join(dir, ERROR_LOG_FILE), block(i, 'broken', i === 4 ? undefined : '2024-01', i === 4 ? undefined : 'a'));
    const errors = section(await htmlReportFromFiles(dir), 'errors');
    expect(errors.match(/<details open>/g)).toHaveLength(3);
    expect(errors.match(/<details>/g)).toHaveLength(1);
    expect(errors).not.toContain('bad row 0');
    expect(errors).toMatch(
      /<summary><span class="time">[\d: .-]{23}<\/span> 2024-01 · a — <b>RangeError<\/b>: bad row 1<\/summary>\n<pre>RangeError: bad row 1\n {4}at load \(etl\.ts:1:1\)<\/pre><p class="ctx">context \{&#34;row&#34;:1\} · trace <span class="mono">a{32}<\/span><\/p><\/details>/,
    );
    expect(errors).toContain('</span> session — <b>RangeError</b>: bad row 4</summary>');
    expect(errors).not.toContain('more in error_details.log');

    const summary = await summarizeAuditLog(dir);
    const timeline: Timeline = { months: [], bars: [], barsLeftOut: 0, memory: [], firstMs: 0, lastMs: 0 };
    const detail: ErrorDetail = {
      time: '2025-01-06 09:00:00.000',
      month: null,
      stage: null,
      message: null,
      type: 'Error',
      errorMessage: 'x',
      stack: 'Error: x',
      context: '{}',
      traceId: null,
      spanId: null,
    };
    const page = renderHtmlReport({ summary, timeline, errors: [detail], moreErrors: 250 });
    expect(section(page, 'errors')).toContain('<p class="ctx">context {}</p></details><p class="note">250 more in error_details.log.</p>');
    expect(section(page, 'memory')).toBe('<section id="memory"><h2>Memory</h2><p class="note">No memory readings.</p></section>');
    const crowded = renderHtmlReport({ summary, timeline: { ...timeline, barsLeftOut: 7 }, errors: [] });
    expect(crowded).toContain('<p class="note">7 later stage executions are not drawn; the tables count them all.</p>');
  });
});

describe('user data in the HTML report', () => {
  it('escapes text for elements and attribute values, and unescapes back to it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const escaped = escapeHtml(text);
        expect(escaped).not.toMatch(/[<>"']/);
        expect(escaped.replace(/&(?!#\d+;)/g, '')).toBe(escaped);
        expect(escaped.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))).toBe(text);
      }),
      { numRuns: runs * 5 },
    );
  });

  it('never turns a stage name, a context value or an error message into markup', async () => {
    const markup = fc.string({ maxLength: 12 }).map((s) => `<i data-x="1">${s}'"&`);
    await fc.assert(
      fc.asyncProperty(markup, markup, markup, async (stage, value, error) => {
        const dir = freshDir();
        const m = ref('month', 'month', '2024-01', undefined, 'hostile');
        const s = ref('stage', stage, '2024-01', m, 'hostile');
        const failure = { outcome: 'failure' as const, error: errorInfo('Error', error), context: { 'stagetrace.context.note': value } };
        writeRecords(dir, 'hostile', [start(m, T0), start(s, T0), end(s, T0, 1, failure), end(m, T0, 1, failure)]);
        appendFileSync(
          join(dir, ERROR_LOG_FILE),
          errorBlock({
            atMs: T0,
            sessionId: 'hostile',
            month: '2024-01',
            stage,
            message: error,
            errorType: 'Error',
            errorMessage: error,
            stack: `Error: ${error}`,
            attributes: { 'stagetrace.context.note': value },
            traceId: undefined,
            spanId: undefined,
          }),
        );
        const html = await htmlReportFromFiles(dir);
        expect(html).not.toContain('<i ');
        expect(html.match(/<script>/g)).toHaveLength(1);
        expect(html).toContain(`<span>${escapeHtml(stage)}</span>`);
        expect(html).toContain(`<th scope="row">${escapeHtml(stage)}</th>`);
        expect(html).toContain(escapeHtml(`note: ${value}`));
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: Math.max(10, runs / 4) },
    );
  });
});
