import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeForLine } from '../../../src/model/human-format.js';
import { NO_TELEMETRY_PROBLEMS } from '../../../src/model/telemetry-counts.js';
import { formatDuration } from '../../../src/report/format.js';
import { formatSessionReport } from '../../../src/report/session-report.js';
import { SessionStats } from '../../../src/stats/session-stats.js';
import { buildSessionSummary, type LiveFacts } from '../../../src/stats/session-summary.js';
import { end, errorInfo, MB, memoryMessage, ref, start, T0 } from '../../helpers/records.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 100;

const facts: LiveFacts = {
  sessionId: 'nightly-1',
  serviceName: 'billing',
  nowMs: T0 + 60_000,
  openScopes: 0,
  currentRssBytes: 100 * MB,
  telemetry: NO_TELEMETRY_PROBLEMS,
  memoryThresholds: { warningBytes: 1000 * MB, criticalBytes: 1500 * MB },
};

/** One failed month: download (8 s) then validate fails after 250 ms. */
function oneFailedMonth(stageName = 'validate'): SessionStats {
  const stats = new SessionStats(T0);
  const m = ref('month', 'month', '2024-03');
  stats.onStart(start(m, T0));
  const dl = ref('stage', 'download', '2024-03', m);
  stats.onStart(start(dl, T0 + 1));
  stats.onMessage(
    memoryMessage(
      T0 + 2000,
      'Memory warning',
      { level: 'warning', direction: 'up', rssMb: 1010, thresholdMb: 1000 },
      { level: 'WARNING', scope: dl },
    ),
  );
  stats.onEnd(end(dl, T0 + 1, 8, { rssPeakMb: 1010 }));
  const v = ref('stage', stageName, '2024-03', m);
  stats.onStart(start(v, T0 + 8002));
  stats.onEnd(end(v, T0 + 8002, 0.25, { outcome: 'failure', error: errorInfo('RangeError', 'negative price on line 17') }));
  stats.onEnd(end(m, T0, 8.3, { outcome: 'failure', error: errorInfo('RangeError', 'negative price on line 17') }));
  return stats;
}

describe('formatSessionReport', () => {
  it('answers the three questions at the top: the bottleneck, the failed month and why, memory against its thresholds', () => {
    const stats = oneFailedMonth();
    stats.end(T0 + 9000);
    const text = formatSessionReport(buildSessionSummary(stats, facts));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Session nightly-1 (billing)');
    expect(lines[1]).toBe(`  ${new Date(T0).toISOString()} → ${new Date(T0 + 8300).toISOString()}, 8.30 s`);
    expect(lines[2]).toBe('  1 month: 0 succeeded, 1 failed · 2 stage executions, 1 failed (50.0% success)');
    expect(text).toContain(
      '\nBottleneck: download — largest share of time: 97.0% of all stage time (8.00 s of 8.25 s); memory peak 1010.0 MB reached the warning threshold (1000.0 MB)\n',
    );
    expect(text).toContain(
      '\nFailed months: 1\n  2024-03: validate failed after 250 ms (month ran 8.30 s) — RangeError: negative price on line 17\n',
    );
    expect(text).toContain(
      '\nMemory: peak 1010.0 MB, mean 230.0 MB; thresholds: warning 1000.0 MB, critical 1500.0 MB (peak at 101.0% of warning); 1 threshold crossing:\n',
    );
    expect(text).toContain(
      `  ${new Date(T0 + 2000).toISOString()}  reached warning: RSS 1010.0 MB, threshold 1000.0 MB in download (2024-03)\n`,
    );
    expect(text).not.toMatch(/running/);
  });

  it("times a failed stage by its own duration and gives the error's cause chain, whatever the names and messages", () => {
    const text = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 9_000_000 }),
        fc.array(fc.record({ type: text, message: text }), { maxLength: 4 }),
        (stage, micros, causes) => {
          const stats = new SessionStats(T0);
          const m = ref('month', 'month', '2024-05');
          stats.onStart(start(m, T0));
          const r = ref('stage', stage, '2024-05', m);
          stats.onStart(start(r, T0 + 1));
          const error = { ...errorInfo('FetchError', 'HTTP 503'), causes: causes.map((c) => ({ ...c, stack: undefined })) };
          stats.onEnd(end(r, T0 + 1, micros / 1e6, { outcome: 'failure', error }));
          stats.onEnd(end(m, T0, 12.5, { outcome: 'failure', error }));
          stats.end(T0 + 20_000);
          const report = formatSessionReport(buildSessionSummary(stats, facts));
          const line = report.split('\n').find((l) => l.startsWith('  2024-05: ')) ?? '';
          expect(line).toContain(
            `${escapeForLine(stage)} failed after ${formatDuration(micros / 1e6)} (month ran 12.50 s) — FetchError: HTTP 503`,
          );
          for (const c of causes) expect(line).toContain(`caused by ${escapeForLine(c.type)}: ${escapeForLine(c.message)}`);
        },
      ),
      { numRuns: runs },
    );
  });

  it('shows a month that failed and then succeeded on a retry, with why it failed', () => {
    const stats = new SessionStats(T0);
    let at = T0;
    const attempt = (outcome: 'success' | 'failure', text: string) => {
      const m = ref('month', 'month', '2024-01');
      stats.onStart(start(m, at));
      const r = ref('stage', 'download', '2024-01', m);
      stats.onStart(start(r, at + 1));
      const error = outcome === 'failure' ? errorInfo('FetchError', text) : undefined;
      stats.onEnd(end(r, at + 1, 0.5, { outcome, error }));
      stats.onEnd(end(m, at, 0.6, { outcome, error }));
      at += 1000;
    };
    attempt('failure', 'HTTP 503');
    attempt('success', '');
    stats.end(at);
    const text = formatSessionReport(buildSessionSummary(stats, facts));
    expect(text).toContain('  1 month: 1 succeeded, 0 failed (1 retried) · ');
    expect(text).toContain(
      '\nFailed months: none\nRetried months: 1\n  2024-01: failed once (download: FetchError: HTTP 503), succeeded on retry\n',
    );
  });

  it('does not call a month that was run again after succeeding a failure', () => {
    const stats = new SessionStats(T0);
    for (const at of [T0, T0 + 1000]) {
      const m = ref('month', 'month', '2024-01');
      stats.onStart(start(m, at));
      stats.onEnd(end(m, at, 0.5));
    }
    stats.end(T0 + 2000);
    const text = formatSessionReport(buildSessionSummary(stats, facts));
    expect(text).toContain('\nRetried months: 1\n  2024-01: started 2 times, each attempt ended without failing\n');
    expect(text).not.toMatch(/failed once|on retry/);
  });

  it('gives shares on the wall clock when months run in parallel: never more time than the session had', () => {
    const stats = new SessionStats(T0);
    for (const month of ['2024-01', '2024-02', '2024-03']) {
      const m = ref('month', 'month', month);
      stats.onStart(start(m, T0));
      const r = ref('stage', 'download', month, m);
      stats.onStart(start(r, T0));
      stats.onEnd(end(r, T0, 10));
      stats.onEnd(end(m, T0, 10));
    }
    stats.end(T0 + 10_000);
    const summary = buildSessionSummary(stats, facts);
    expect(summary.totals).toMatchObject({ stage_seconds: 30, stage_wall_clock_seconds: 10 });
    expect(summary.stages.download).toMatchObject({ total_duration_seconds: 30, wall_clock_seconds: 10, share_of_time: 1 });
    expect(formatSessionReport(summary)).toContain(
      'Bottleneck: download — largest share of time: 100.0% of the wall-clock time stages ran (10.0 s of 10.0 s; stages overlap, so their durations add up to 30.0 s)',
    );
  });

  it('says "running" only while the session runs', () => {
    const stats = new SessionStats(T0);
    stats.onStart(start(ref('month', 'month', '2024-01'), T0));
    const text = formatSessionReport(buildSessionSummary(stats, { ...facts, openScopes: 1, nowMs: T0 + 2500 }));
    expect(text).toContain('→ running, 2.50 s so far');
    expect(text).toMatch(/2024-01 {2}running/);
    expect(text).toContain('1 month or stage open');
    stats.end(T0 + 3000);
    const after = formatSessionReport(buildSessionSummary(stats, { ...facts, openScopes: 0 }));
    expect(after).not.toMatch(/running/);
    expect(after).toMatch(/2024-01 {2}interrupted/);
  });

  it('gets its plurals right', () => {
    const stats = new SessionStats(T0);
    for (const month of ['2024-01', '2024-02']) {
      const m = ref('month', 'month', month);
      stats.onStart(start(m, T0));
      stats.onEnd(end(m, T0, 1));
    }
    stats.onEnd(end(ref('stage', 'solo', undefined), T0, 1));
    const text = formatSessionReport(buildSessionSummary(stats, facts));
    expect(text).toContain('2 months: 2 succeeded, 0 failed · 1 stage execution, 0 failed (100.0% success)');
    expect(text).toContain('Failed months: none\n');
    expect(text).toContain('no threshold crossed');
    expect(text).not.toMatch(/\b1 (months|stage executions|threshold crossings)\b/);
  });

  it('says what the telemetry itself lost: spans and log records the collector never got, on one line', () => {
    const telemetry = { ...facts.telemetry, otlpDroppedSpans: 2, otlpDroppedLogRecords: 1, otlpExportErrors: 3 };
    const text = formatSessionReport(buildSessionSummary(new SessionStats(T0), { ...facts, telemetry }));
    expect(text).toContain('Telemetry: 2 spans not forwarded over OTLP, 1 log record not forwarded over OTLP, 3 OTLP export errors');
    expect(formatSessionReport(buildSessionSummary(new SessionStats(T0), facts))).not.toContain('Telemetry:');
  });

  it('says so when nothing ran', () => {
    const text = formatSessionReport(buildSessionSummary(new SessionStats(T0), facts));
    expect(text).toContain('Bottleneck: none (no stage ran)');
    expect(text).toContain('Failed months: none (no month ran)');
    expect(text).toContain('0 months: 0 succeeded, 0 failed · 0 stage executions');
  });

  it('keeps every user-given name and message on its line, with no terminal escapes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), (name) => {
        const stats = oneFailedMonth(name);
        stats.end(T0 + 9000);
        const text = formatSessionReport(buildSessionSummary(stats, facts));
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is that none get through.
        expect(text.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
        expect(text.split('\n').filter((l) => l.startsWith('  2024-03: ')).length).toBe(1);
      }),
    );
  });
});

describe('formatDuration', () => {
  it('picks a unit people read at a glance', () => {
    expect([0, 0.00034, 0.00325, 0.0453, 0.453, 1.712, 725, 7380].map(formatDuration)).toEqual([
      '0 s',
      '340 µs',
      '3.25 ms',
      '45.3 ms',
      '453 ms',
      '1.71 s',
      '12 min 05 s',
      '2 h 03 min',
    ]);
  });
});
