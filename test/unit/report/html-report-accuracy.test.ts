/**
 * What the HTML report's timeline, memory chart and answers say about
 * parallel, failed, short and retried stages, and its links to Jaeger.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../../../src/model/records.js';
import { NO_TELEMETRY_PROBLEMS } from '../../../src/model/telemetry-counts.js';
import { escapeHtml, MAX_STAGE_MARKERS, renderHtmlReport, SHORT_BAR_PERCENT } from '../../../src/report/html-report.js';
import { TimelineCollector } from '../../../src/report/session-timeline.js';
import { SessionStats } from '../../../src/stats/session-stats.js';
import { buildSessionSummary, type LiveFacts } from '../../../src/stats/session-summary.js';
import { end, errorInfo, MB, ref, start, T0 } from '../../helpers/records.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 100;

type AnyRecord = ScopeStartRecord | ScopeEndRecord | MessageRecord;

const facts: LiveFacts = {
  sessionId: 'html',
  serviceName: 'etl',
  nowMs: T0,
  openScopes: 0,
  currentRssBytes: 100 * MB,
  telemetry: NO_TELEMETRY_PROBLEMS,
};

/** The page for records given in time order, as the offline report builds it. */
function page(records: AnyRecord[], jaegerUrl?: string): string {
  const stats = new SessionStats(T0);
  const timeline = new TimelineCollector();
  for (const r of records) {
    if (r.type === 'start') stats.onStart(r);
    else if (r.type === 'end') stats.onEnd(r);
    else stats.onMessage(r);
    timeline.onRecord(r);
  }
  stats.end(stats.lastRecordMs ?? T0);
  return renderHtmlReport({ summary: buildSessionSummary(stats, facts), timeline: timeline.result(), errors: [], jaegerUrl });
}

const section = (html: string, id: string) => {
  const from = html.indexOf(`<section id="${id}">`);
  return from === -1 ? '' : html.slice(from, html.indexOf('</section>', from) + '</section>'.length);
};

/** A month of one stage, `offsetMs` after T0: start and end records. */
function monthOf(month: string, offsetMs: number, stage: string, ms: number, failed = false): AnyRecord[] {
  const m = ref('month', 'month', month);
  const r = ref('stage', stage, month, m);
  const at = T0 + offsetMs;
  const error = failed ? errorInfo('RangeError', `${stage} broke`) : undefined;
  const outcome = failed ? 'failure' : 'success';
  return [start(m, at), start(r, at), end(r, at, ms / 1000, { outcome, error }), end(m, at, ms / 1000, { outcome, error })];
}

const byTime = (records: AnyRecord[]) =>
  records
    .map((record, i) => ({ record, i, at: record.type === 'start' ? record.startMs : record.type === 'end' ? record.endMs : record.atMs }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.record);

describe('the HTML timeline', () => {
  it('places every bar on one session scale, so parallel months overlap as they ran', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            month: fc.constantFrom('2024-01', '2024-02', '2024-03', '2024-04'),
            offsetMs: fc.integer({ min: 0, max: 50_000 }),
            ms: fc.integer({ min: 1, max: 50_000 }),
          }),
          { minLength: 1, maxLength: 4, selector: (m) => m.month },
        ),
        (months) => {
          const html = page(byTime(months.flatMap((m) => monthOf(m.month, m.offsetMs, 'load', m.ms))));
          const first = Math.min(...months.map((m) => m.offsetMs));
          const last = Math.max(...months.map((m) => m.offsetMs + m.ms));
          const span = last - first;
          const timeline = section(html, 'timeline');
          for (const m of months) {
            const row = timeline.slice(timeline.indexOf(`<div class="label">${m.month} `));
            const left = Number(/<div class="extent" style="left:([\d.]+)%/.exec(row)?.[1]);
            const barLeft = Number(/<div class="bar [^"]*" style="left:([\d.]+)%;width:([\d.]+)%/.exec(row)?.[1]);
            const expected = ((m.offsetMs - first) / span) * 100;
            expect(left).toBeCloseTo(expected, 2);
            expect(barLeft).toBeCloseTo(expected, 2);
          }
        },
      ),
      { numRuns: runs },
    );
  });

  it('labels every failed stage too short to show its name with its name and duration, and marks every short stage', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ name: fc.string({ minLength: 1, maxLength: 12 }), ms: fc.integer({ min: 1, max: 20_000 }), failed: fc.boolean() }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (stages) => {
          const m = ref('month', 'month', '2024-06');
          const records: AnyRecord[] = [start(m, T0)];
          let t = T0;
          for (const s of stages) {
            const r = ref('stage', s.name, '2024-06', m);
            records.push(start(r, t));
            records.push(
              end(r, t, s.ms / 1000, s.failed ? { outcome: 'failure', error: errorInfo('Error', 'no') } : { outcome: 'success' }),
            );
            t += s.ms;
          }
          records.push(end(m, T0, (t - T0) / 1000));
          const timeline = section(page(records), 'timeline');
          const total = t - T0;
          for (const s of stages) {
            const short = (s.ms / total) * 100 < SHORT_BAR_PERCENT;
            const bar = `<span>${escapeHtml(s.name)}</span></div>`;
            expect(timeline).toContain(bar);
            if (short)
              expect(timeline).toMatch(
                new RegExp(`<div class="bar (success|failure) short"[^>]*>${bar.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
              );
            if (short && s.failed) {
              expect(timeline).toContain(`<span class="flag failure"`);
              expect(timeline).toContain(`✕ ${escapeHtml(s.name)} `);
            }
          }
        },
      ),
      { numRuns: runs },
    );
  });

  it('shows a failed 3 ms stage in a 3 s month: marked and labelled, with the stage’s own duration in the answer', () => {
    const m = ref('month', 'month', '2024-02');
    const dl = ref('stage', 'download', '2024-02', m);
    const v = ref('stage', 'validate', '2024-02', m);
    const error = {
      ...errorInfo('ValidationError', 'row 17 rejected'),
      causes: [{ type: 'RangeError', message: 'negative <price>', stack: undefined }],
    };
    const html = page([
      start(m, T0),
      start(dl, T0),
      end(dl, T0, 3),
      start(v, T0 + 3000),
      end(v, T0 + 3000, 0.003, { outcome: 'failure', error }),
      end(m, T0, 3.003, { outcome: 'failure', error }),
    ]);
    expect(section(html, 'timeline')).toContain('<span class="flag failure" style="left:100.000%">✕ validate 3.00 ms</span>');
    expect(html).toContain(
      '<b>2024-02</b>: validate failed after 3.00 ms (month ran 3.00 s) — ValidationError: row 17 rejected (caused by RangeError: negative &#60;price&#62;)',
    );
    expect(section(html, 'months')).toContain(
      '<td class="text">validate (3.00 ms): ValidationError: row 17 rejected (caused by RangeError: negative &#60;price&#62;)</td>',
    );
  });

  it('lists a month that failed and succeeded on a retry among the answers', () => {
    const first = ref('month', 'month', '2024-01');
    const firstStage = ref('stage', 'download', '2024-01', first);
    const second = ref('month', 'month', '2024-01');
    const secondStage = ref('stage', 'download', '2024-01', second);
    const error = errorInfo('FetchError', 'HTTP 503');
    const html = page([
      start(first, T0),
      start(firstStage, T0),
      end(firstStage, T0, 0.2, { outcome: 'failure', error }),
      end(first, T0, 0.2, { outcome: 'failure', error }),
      start(second, T0 + 1000),
      start(secondStage, T0 + 1000),
      end(secondStage, T0 + 1000, 1),
      end(second, T0 + 1000, 1),
    ]);
    expect(html).toContain(
      '<div class="answer warn"><h2>Failed months</h2><p>none<br><b>2024-01</b>: failed once (download: FetchError: HTTP 503), succeeded on retry</p></div>',
    );
  });
});

describe('the HTML memory chart', () => {
  it('marks where each month began, with its name, and each stage start, failed ones apart', () => {
    const html = page(byTime([...monthOf('2024-01', 0, 'load', 4000), ...monthOf('2024-02', 1000, 'load', 2000, true)]));
    const memory = section(html, 'memory');
    expect(memory.match(/<line class="month-mark"/g)).toHaveLength(2);
    expect(memory).toContain('<text class="month-label" x="3.0" y="11">2024-01</text>');
    expect(memory).toContain('<text class="month-label" x="253.0" y="11">2024-02</text>');
    expect(memory.match(/<line class="stage-mark"/g)).toHaveLength(1);
    expect(memory).toMatch(
      /<line class="stage-mark failure" x1="250.0"[^>]*><title>load · 2024-02 started \(failure: RangeError: load broke\)<\/title>/,
    );
  });

  it(`marks at most ${MAX_STAGE_MARKERS} successful stage starts, and every failed one`, () => {
    const m = ref('month', 'month', '2024-01');
    const records: AnyRecord[] = [start(m, T0)];
    for (let i = 0; i < MAX_STAGE_MARKERS + 50; i++) {
      const r = ref('stage', 's', '2024-01', m);
      const failed = i === MAX_STAGE_MARKERS + 10;
      records.push(start(r, T0 + i), end(r, T0 + i, 0.001, failed ? { outcome: 'failure' } : {}));
    }
    records.push(end(m, T0, 1));
    const memory = section(page(records), 'memory');
    expect(memory.match(/<line class="stage-mark"/g)).toHaveLength(MAX_STAGE_MARKERS);
    expect(memory.match(/<line class="stage-mark failure"/g)).toHaveLength(1);
  });
});

describe('trace ids in the HTML report', () => {
  it('link to Jaeger when its URL is given, and stay plain text otherwise', () => {
    const records = monthOf('2024-01', 0, 'load', 10);
    const traceId = (records[0] as ScopeStartRecord).scope.traceId;
    expect(section(page(records), 'months')).toContain(`<td><span class="mono">${traceId}</span></td>`);
    expect(section(page(records, 'https://jaeger.example:16686/jaeger'), 'months')).toContain(
      `<td><a class="mono" href="https://jaeger.example:16686/jaeger/trace/${traceId}" rel="noreferrer noopener" target="_blank">${traceId}</a></td>`,
    );
  });
});
