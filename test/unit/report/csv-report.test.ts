import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_TELEMETRY_PROBLEMS } from '../../../src/model/telemetry-counts.js';
import { formatSessionCsv } from '../../../src/report/csv-report.js';
import { SessionStats } from '../../../src/stats/session-stats.js';
import { buildSessionSummary, type LiveFacts, type SessionSummary } from '../../../src/stats/session-summary.js';
import { parseCsv } from '../../helpers/csv.js';
import { end, errorInfo, MB, ref, start, T0 } from '../../helpers/records.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;

const HEADER =
  'kind,name,status,executions,successes,failures,interrupted,success_rate,total_seconds,mean_seconds,min_seconds,max_seconds,p50_seconds,p95_seconds,p99_seconds,share_of_time,slow_count,threshold_seconds,peak_memory_mb,dominant_stage,error_stage,error_type,error_message,start,end,trace_id,wall_clock_seconds,bottleneck_rank,bottleneck_reasons,error_stage_seconds,error_causes,attempts,failed_attempts,rss_growth_mb,peak_heap_mb,cpu_seconds,cpu_share,overlapped_executions';

const facts: LiveFacts = {
  sessionId: 'csv',
  serviceName: 'etl',
  nowMs: T0,
  openScopes: 0,
  currentRssBytes: 100 * MB,
  telemetry: NO_TELEMETRY_PROBLEMS,
};

/** One month: a stage of 1 s that succeeds, then `failing` that fails after 3 s with `errorMessage`. */
function summary(failing: string, errorMessage: string): SessionSummary {
  const stats = new SessionStats(T0);
  const m = ref('month', 'month', '2024-01');
  stats.onStart(start(m, T0));
  const ok = ref('stage', 'download', '2024-01', m);
  stats.onStart(start(ok, T0));
  stats.onEnd(end(ok, T0, 1, { rssPeakMb: 120 }));
  const bad = ref('stage', failing, '2024-01', m);
  stats.onStart(start(bad, T0 + 1000));
  stats.onEnd(end(bad, T0 + 1000, 3, { outcome: 'failure', slow: true, thresholdS: 2, error: errorInfo('ValueError', errorMessage) }));
  stats.onEnd(end(m, T0, 4, { outcome: 'failure', error: errorInfo('ValueError', errorMessage) }));
  stats.end(T0 + 4000);
  return buildSessionSummary(stats, facts);
}

describe('formatSessionCsv', () => {
  it('writes a header, a row per stage and a row per month, with CRLF line ends', () => {
    const s = summary('validate', 'negative price');
    const csv = formatSessionCsv(s);
    expect(csv.split('\r\n')).toEqual([
      HEADER,
      `stage,download,,1,1,0,0,1,1,1,1,1,1,1,1,0.25,0,,120,,,,,,,,1,2,large share of time: 25.0% of all stage time (1.00 s of 4.00 s),,,,,0,,,,0`,
      `stage,validate,,1,0,1,0,0,3,3,3,3,3,3,3,0.75,1,,100,,,,,,,,3,1,largest share of time: 75.0% of all stage time (3.00 s of 4.00 s); over its slow threshold in 1 of 1 run (100.0%); slowest 3.00 s,,,,,0,,,,0`,
      `month,2024-01,failure,2,,1,,,4,,,,,,,,,,,validate,validate,ValueError,negative price,${s.months['2024-01']?.start},${s.months['2024-01']?.end},${s.months['2024-01']?.trace_id},,,,3,,1,,,,,,`,
      '',
    ]);
  });

  it('keeps any stage name and error message in its own field, read back as written', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ maxLength: 60 }), (name, message) => {
        fc.pre(name !== 'download');
        const rows = parseCsv(formatSessionCsv(summary(name, message)));
        expect(rows).toHaveLength(4);
        for (const row of rows) expect(row).toHaveLength(38);
        // A spreadsheet would run text starting with = + - @ tab or CR as a formula: such text gets a leading '.
        const asWritten = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);
        const stages = rows.filter((row) => row[0] === 'stage').map((row) => row[1]);
        expect(stages).toHaveLength(2);
        expect(stages).toContain(asWritten(name));
        const month = rows.find((row) => row[0] === 'month');
        expect(month?.[22]).toBe(asWritten(message));
        expect(month?.[20]).toBe(asWritten(name));
      }),
      { numRuns: runs },
    );
  });

  it('defuses formulas in names and messages', () => {
    const rows = parseCsv(formatSessionCsv(summary('=HYPERLINK("http://x","y")', '+1, @SUM(A1)')));
    expect(rows[2]?.[1]).toBe(`'=HYPERLINK("http://x","y")`);
    expect(rows[3]?.[22]).toBe(`'+1, @SUM(A1)`);
  });

  it("gives a month's cause chain and earlier failed attempts, and each stage's bottleneck reasons, in their own fields", () => {
    const stats = new SessionStats(T0);
    let at = T0;
    for (const outcome of ['failure', 'failure'] as const) {
      const m = ref('month', 'month', '2024-02');
      stats.onStart(start(m, at));
      const r = ref('stage', 'load', '2024-02', m);
      stats.onStart(start(r, at));
      const error = {
        ...errorInfo('LoadError', `attempt at ${at}`),
        causes: [{ type: 'FetchError', message: 'HTTP 503, "busy"', stack: undefined }],
      };
      stats.onEnd(end(r, at, 0.125, { outcome, error }));
      stats.onEnd(end(m, at, 0.5, { outcome, error }));
      at += 1000;
    }
    stats.end(at);
    const rows = parseCsv(formatSessionCsv(buildSessionSummary(stats, facts)));
    const header = rows[0] ?? [];
    const month = Object.fromEntries(header.map((h, i) => [h, rows.find((row) => row[0] === 'month')?.[i]]));
    expect(month).toMatchObject({
      status: 'failure',
      error_stage: 'load',
      error_stage_seconds: '0.125',
      error_causes: 'caused by FetchError: HTTP 503, "busy"',
      attempts: '2',
      failed_attempts: `failed once (load: LoadError: attempt at ${T0} (caused by FetchError: HTTP 503, "busy")), attempt 2 failed too`,
    });
    const stage = Object.fromEntries(header.map((h, i) => [h, rows.find((row) => row[0] === 'stage')?.[i]]));
    expect(stage).toMatchObject({ bottleneck_rank: '1', bottleneck_reasons: expect.stringMatching(/^largest share of time: 100\.0%/) });
  });
});
