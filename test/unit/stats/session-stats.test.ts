import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_TELEMETRY_PROBLEMS } from '../../../src/model/telemetry-counts.js';
import { MAX_MONTHS, MAX_STAGE_NAMES, OVERFLOW_NAME } from '../../../src/stats/cardinality.js';
import { DurationSketch } from '../../../src/stats/duration-sketch.js';
import { SessionStats } from '../../../src/stats/session-stats.js';
import { buildSessionSummary, type LiveFacts, type SessionSummary } from '../../../src/stats/session-summary.js';
import { end, errorInfo, MB, memoryMessage, message, ref, sessionEnded, sessionStarted, start, T0 } from '../../helpers/records.js';

const facts = (over: Partial<LiveFacts> = {}): LiveFacts => ({
  sessionId: 'test-session',
  serviceName: 'billing',
  nowMs: T0 + 3_600_000,
  openScopes: 0,
  currentRssBytes: 50 * MB,
  telemetry: NO_TELEMETRY_PROBLEMS,
  ...over,
});

/** Runs stages in sequence inside one month; returns the month's end time. */
function runMonth(
  stats: SessionStats,
  month: string,
  at: number,
  stages: {
    name: string;
    seconds: number;
    outcome?: 'success' | 'failure' | 'interrupted';
    slow?: boolean;
    peakMb?: number;
    error?: string;
  }[],
  monthOutcome: 'success' | 'failure' | 'interrupted' = 'success',
): number {
  const m = ref('month', 'month', month);
  stats.onStart(start(m, at));
  let t = at + 1;
  for (const s of stages) {
    const r = ref('stage', s.name, month, m);
    stats.onStart(start(r, t));
    stats.onEnd(
      end(r, t, s.seconds, {
        outcome: s.outcome,
        slow: s.slow,
        rssPeakMb: s.peakMb,
        error: s.error ? errorInfo('Error', s.error) : undefined,
      }),
    );
    t += s.seconds * 1000 + 1;
  }
  const duration = (t - at) / 1000;
  stats.onEnd(
    end(m, at, duration, { outcome: monthOutcome, error: monthOutcome === 'failure' ? errorInfo('Error', 'month broke') : undefined }),
  );
  return t;
}

describe('SessionStats and buildSessionSummary', () => {
  it('counts executions by outcome, with exact totals, min and max', () => {
    const stats = new SessionStats(T0);
    runMonth(stats, '2024-01', T0, [
      { name: 'download', seconds: 2 },
      { name: 'process', seconds: 0.5, outcome: 'failure', error: 'bad row' },
    ]);
    runMonth(stats, '2024-02', T0 + 10_000, [
      { name: 'download', seconds: 4 },
      { name: 'process', seconds: 1.5, outcome: 'interrupted' },
    ]);
    const s = buildSessionSummary(stats, facts());
    expect(s.stages.download).toMatchObject({
      executions: 2,
      successes: 2,
      failures: 0,
      interrupted: 0,
      success_rate: 1,
      total_duration_seconds: 6,
      avg_duration_seconds: 3,
      min_duration_seconds: 2,
      max_duration_seconds: 4,
    });
    expect(s.stages.process).toMatchObject({ executions: 2, successes: 0, failures: 1, interrupted: 1, success_rate: 0 });
    expect(s.totals).toMatchObject({ stage_executions: 4, stage_failures: 2, success_rate: 0.5, months: 2, months_failed: 0 });
    expect(s.stages.download?.share_of_time).toBe(0.75);
    expect(s.percentile_relative_error).toBe(DurationSketch.RELATIVE_ERROR);
  });

  it('reports p50, p95 and p99 within the stated relative error', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50_000_000 }), { minLength: 1, maxLength: 300 }), (micros) => {
        const stats = new SessionStats(T0);
        for (const us of micros) {
          const r = ref('stage', 'work', undefined);
          stats.onEnd(end(r, T0, us / 1e6));
        }
        const work = buildSessionSummary(stats, facts()).stages.work;
        const sorted = micros.map((us) => us / 1e6).sort((a, b) => a - b);
        for (const [q, got] of [
          [0.5, work?.p50_duration_seconds],
          [0.95, work?.p95_duration_seconds],
          [0.99, work?.p99_duration_seconds],
        ] as const) {
          const exact = sorted[Math.floor(q * (sorted.length - 1))] as number;
          // The sketch's error plus the summary's rounding to the microsecond.
          expect(Math.abs((got as number) - exact)).toBeLessThanOrEqual(exact * DurationSketch.RELATIVE_ERROR + 1e-6);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps durations to the microsecond, as the files write them', () => {
    const stats = new SessionStats(T0);
    stats.onEnd(end(ref('stage', 'tiny', undefined), T0, 0.0003004));
    stats.onEnd(end(ref('stage', 'tiny', undefined), T0, 0.0002996));
    const tiny = buildSessionSummary(stats, facts()).stages.tiny;
    expect(tiny?.total_duration_seconds).toBe(0.0006);
    expect(tiny?.min_duration_seconds).toBe(0.0003);
    expect(tiny?.max_duration_seconds).toBe(0.0003);
  });

  it('shows a month as running until its end, then its status, dominant stage and the error of the stage that failed', () => {
    const stats = new SessionStats(T0);
    const m = ref('month', 'month', '2024-03');
    stats.onStart(start(m, T0));
    const running = buildSessionSummary(stats, facts({ nowMs: T0 + 1500, openScopes: 1 }));
    expect(running.months['2024-03']).toMatchObject({ status: 'running', duration: 1.5, end: null });
    expect(running.end).toBeNull();
    const dl = ref('stage', 'download', '2024-03', m);
    stats.onStart(start(dl, T0 + 1));
    stats.onEnd(end(dl, T0 + 1, 3));
    const v = ref('stage', 'validate', '2024-03', m);
    stats.onStart(start(v, T0 + 3002));
    stats.onEnd(end(v, T0 + 3002, 0.25, { outcome: 'failure', error: errorInfo('RangeError', 'negative price on line 17') }));
    stats.onEnd(end(m, T0, 3.3, { outcome: 'failure', error: errorInfo('RangeError', 'negative price on line 17') }));
    const month = buildSessionSummary(stats, facts()).months['2024-03'];
    expect(month).toMatchObject({
      status: 'failure',
      duration: 3.3,
      stages: 2,
      failed_stages: 1,
      start: new Date(T0).toISOString(),
      end: new Date(T0 + 3300).toISOString(),
      trace_id: m.traceId,
      dominant_stage: { name: 'download', seconds: 3, share_of_month: 0.923 },
      error: { stage: 'validate', type: 'RangeError', message: 'negative price on line 17' },
    });
  });

  it("gives a failed month's failing stage its own duration and the error's cause chain", () => {
    const stats = new SessionStats(T0);
    const m = ref('month', 'month', '2024-03');
    stats.onStart(start(m, T0));
    const dl = ref('stage', 'download', '2024-03', m);
    stats.onStart(start(dl, T0 + 1));
    stats.onEnd(end(dl, T0 + 1, 3.078));
    const v = ref('stage', 'validate', '2024-03', m);
    stats.onStart(start(v, T0 + 3080));
    const error = {
      ...errorInfo('ValidationError', 'row 17 rejected'),
      causes: [
        { type: 'RangeError', message: 'negative price', stack: undefined },
        { type: 'TypeError', message: 'not a number: "x"', stack: 'TypeError: not a number: "x"\n    at parse' },
      ],
    };
    stats.onEnd(end(v, T0 + 3080, 0.021642, { outcome: 'failure', error }));
    stats.onEnd(end(m, T0, 3.102, { outcome: 'failure', error }));
    const month = buildSessionSummary(stats, facts()).months['2024-03'];
    expect(month?.duration).toBe(3.102);
    expect(month?.error).toEqual({
      stage: 'validate',
      stage_seconds: 0.021642,
      type: 'ValidationError',
      message: 'row 17 rejected',
      causes: [
        { type: 'RangeError', message: 'negative price' },
        { type: 'TypeError', message: 'not a number: "x"' },
      ],
    });
  });

  it('keeps why each earlier attempt of a retried month failed, and counts the month as retried, not failed', () => {
    const stats = new SessionStats(T0);
    let at = runMonth(stats, '2024-01', T0, [{ name: 'download', seconds: 0.5, outcome: 'failure', error: 'HTTP 503' }], 'failure');
    at = runMonth(stats, '2024-01', at, [{ name: 'download', seconds: 0.25, outcome: 'failure', error: 'HTTP 502' }], 'failure');
    runMonth(stats, '2024-01', at, [{ name: 'download', seconds: 2 }]);
    const s = buildSessionSummary(stats, facts());
    const month = s.months['2024-01'];
    expect(month).toMatchObject({ status: 'success', error: null, attempts: 3, stages: 3, failed_stages: 2 });
    expect(month?.failed_attempts).toEqual([
      { stage: 'download', type: 'Error', message: 'HTTP 503', causes: [] },
      { stage: 'download', type: 'Error', message: 'HTTP 502', causes: [] },
    ]);
    expect(s.totals).toMatchObject({ months: 1, months_failed: 0, months_retried: 1 });
  });

  it('shows no month as running once the session has ended', () => {
    const stats = new SessionStats(T0);
    const m = ref('month', 'month', '2024-04');
    stats.onStart(start(m, T0));
    stats.end(T0 + 5000);
    const s = buildSessionSummary(stats, facts({ nowMs: T0 + 99_000 }));
    expect(s.months['2024-04']?.status).toBe('interrupted');
    expect(s.totals.months_failed).toBe(1);
    expect(s.end).toBe(new Date(T0).toISOString()); // the last record
    expect(s.duration_seconds).toBe(0);
  });

  it("takes the session's span from its records: first record to last once ended", () => {
    const stats = new SessionStats(T0 - 50);
    stats.onMessage(message(T0 + 0.7, 'hello'));
    runMonth(stats, '2024-01', T0 + 100, [{ name: 'a', seconds: 1 }]);
    stats.end(T0 + 5000);
    const s = buildSessionSummary(stats, facts());
    expect(s.start).toBe(new Date(T0).toISOString());
    expect(s.end).toBe(new Date(T0 + 1102).toISOString());
    expect(s.duration_seconds).toBe(1.102);
  });

  it('lists bottlenecks ranked by share of time, with reasons in words and numbers', () => {
    const stats = new SessionStats(T0);
    let at = T0;
    const months = ['2024-01', '2024-02', '2024-03', '2024-04'];
    const uploadSeconds = [1, 1, 9, 1];
    months.forEach((month, i) => {
      at = runMonth(stats, month, at, [
        { name: 'download', seconds: 10 },
        { name: 'process', seconds: 4, slow: i === 2, peakMb: i === 1 ? 950 : 100 },
        { name: 'upload', seconds: uploadSeconds[i] as number },
      ]);
    });
    const s = buildSessionSummary(
      stats,
      facts({
        memoryThresholds: { warningBytes: 1000 * MB, criticalBytes: 1200 * MB },
        slowThresholds: { defaultSeconds: 3.5, stages: new Map() },
      }),
    );
    expect(s.bottlenecks.map((b) => b.stage)).toEqual(['download', 'process', 'upload']);
    const [download, process, upload] = s.bottlenecks;
    expect(download?.reasons).toEqual([
      expect.objectContaining({ kind: 'share_of_time', share: 0.588, stage_seconds: 40, all_stages_seconds: 68 }),
    ]);
    expect(download?.reasons[0]?.text).toBe('largest share of time: 58.8% of all stage time (40.0 s of 68.0 s)');
    expect(process?.reasons.map((r) => r.kind)).toEqual(['over_threshold', 'memory_near_threshold']);
    expect(process?.reasons[0]?.text).toBe('over its 3.50 s threshold in 1 of 4 runs (25.0%); slowest 4.00 s, 14.3% over');
    expect(process?.reasons[1]?.text).toBe('memory peak 950.0 MB is 95.0% of the warning threshold (1000.0 MB)');
    expect(upload?.reasons).toEqual([
      expect.objectContaining({
        kind: 'variance_between_months',
        months: 4,
        min_month: '2024-01',
        min_month_seconds: 1,
        max_month: '2024-03',
        max_month_seconds: 9,
      }),
      expect.objectContaining({ kind: 'outlier', slowest_seconds: 9, slowest_month: '2024-03' }),
    ]);
    expect(upload?.reasons[0]?.text).toBe(
      'varies between months: 1.00 s in 2024-01 to 9.00 s in 2024-03, over 4 months (coefficient of variation 115.5%)',
    );
    expect(upload?.reasons[1]?.text).toMatch(/^outlier: its slowest run \(2024-03\) took 9\.00 s, 9\.0x its median of 1\.0\d s$/);
  });

  it('calls out a stage after which the process keeps more memory, and says the figure is process-wide when stages overlap', () => {
    const run = (parallel: boolean) => {
      const stats = new SessionStats(T0);
      ['2024-01', '2024-02', '2024-03'].forEach((month, i) => {
        const at = parallel ? T0 : T0 + i * 10_000;
        const m = ref('month', 'month', month);
        stats.onStart(start(m, at));
        const load = ref('stage', 'load', month, m);
        stats.onStart(start(load, at, 100 + i * 80));
        stats.onEnd({ ...end(load, at, 2, { rssEndMb: 180 + i * 80 }), rssStartBytes: (100 + i * 80) * MB });
        const small = ref('stage', 'tidy', month, m);
        stats.onStart(start(small, at + 2000));
        stats.onEnd({ ...end(small, at + 2000, 1, { rssEndMb: 181 + i * 80 }), rssStartBytes: (180 + i * 80) * MB });
        stats.onEnd(end(m, at, 3));
      });
      return buildSessionSummary(stats, facts());
    };
    const sequential = run(false);
    expect(sequential.stages.load?.rss_growth_mb).toBe(240);
    expect(sequential.stages.tidy?.rss_growth_mb).toBe(3);
    const load = sequential.bottlenecks.find((b) => b.stage === 'load');
    expect(load?.reasons.find((r) => r.kind === 'memory_growth')).toEqual({
      kind: 'memory_growth',
      text: 'memory grows: RSS +240.0 MB over its 3 runs (80.0 MB a run)',
      rss_growth_mb: 240,
      executions: 3,
      process_wide: false,
    });
    expect(sequential.bottlenecks.find((b) => b.stage === 'tidy')?.reasons.some((r) => r.kind === 'memory_growth') ?? false).toBe(false);
    const parallel = run(true)
      .bottlenecks.find((b) => b.stage === 'load')
      ?.reasons.find((r) => r.kind === 'memory_growth');
    expect(parallel?.text).toBe(
      'memory grows: RSS +240.0 MB over its 3 runs (80.0 MB a run); a process-wide figure, as stages ran at the same time',
    );
  });

  it('tracks memory: peak, mean at a tenth of a MB, and threshold crossings with time, level and stage', () => {
    const stats = new SessionStats(T0);
    const m = ref('month', 'month', '2024-05');
    stats.onStart(start(m, T0, 100.04));
    const big = ref('stage', 'join', '2024-05', m);
    stats.onStart(start(big, T0 + 1, 100.06));
    stats.onMessage(
      memoryMessage(
        T0 + 500,
        'Memory warning: RSS 1001.2 MB reached the warning threshold of 1000 MB',
        { level: 'warning', direction: 'up', rssMb: 1001.2, thresholdMb: 1000 },
        { level: 'WARNING', scope: big },
      ),
    );
    stats.onEnd(end(big, T0 + 1, 1, { rssEndMb: 300, rssPeakMb: 1234.56 }));
    stats.onEnd(end(m, T0, 1.1, { rssEndMb: 300 }));
    const s = buildSessionSummary(stats, facts({ memoryThresholds: { warningBytes: 1000 * MB, criticalBytes: 2000 * MB } }));
    expect(s.peak_memory_mb).toBe(1234.6);
    expect(s.memory).toMatchObject({ peak_mb: 1234.6, warning_threshold_mb: 1000, critical_threshold_mb: 2000, crossings_total: 1 });
    // (1000 + 1001 + 10012 + 3000 + 3000) / 5 tenths
    expect(s.memory.mean_mb).toBe(360.3);
    expect(s.memory.crossings).toEqual([
      {
        at: new Date(T0 + 500).toISOString(),
        level: 'warning',
        direction: 'up',
        rss_mb: 1001.2,
        threshold_mb: 1000,
        month: '2024-05',
        stage: 'join',
      },
    ]);
    expect(s.stages.join?.peak_memory_mb).toBe(1234.6);
    expect(s.messages_by_level).toEqual({ DEBUG: 0, INFO: 0, WARNING: 1, ERROR: 0, CRITICAL: 0 });
  });

  it("counts the running process's current memory while it runs, and only the records once it has ended", () => {
    const stats = new SessionStats(T0);
    stats.onMessage(message(T0, 'x', { rssMb: 80 }));
    expect(buildSessionSummary(stats, facts({ currentRssBytes: 90 * MB })).peak_memory_mb).toBe(90);
    stats.end(T0 + 1);
    expect(buildSessionSummary(stats, facts({ currentRssBytes: 90 * MB })).peak_memory_mb).toBe(80);
  });

  it("reads the session's service, thresholds and end from its start and end markers", () => {
    const stats = new SessionStats(T0);
    stats.onMessage(
      sessionStarted(T0, {
        serviceName: 'nightly-etl',
        defaultThresholdS: 600,
        stageThresholds: { download: 30 },
        warningMb: 7000,
        criticalMb: 9000,
      }),
    );
    runMonth(stats, '2024-01', T0 + 10, [
      { name: 'download', seconds: 1 },
      { name: 'process', seconds: 1 },
    ]);
    stats.onMessage(
      sessionEnded(T0 + 9000, {
        auditWriteErrors: 1,
        auditLostRecords: 2,
        otlpDroppedSpans: 3,
        otlpDroppedLogRecords: 6,
        otlpExportErrors: 4,
        alertFailures: 5,
      }),
    );
    const s = buildSessionSummary(stats, facts({ serviceName: 'ignored' }));
    expect(s.service_name).toBe('nightly-etl');
    expect(s.stages.download?.threshold_seconds).toBe(30);
    expect(s.stages.process?.threshold_seconds).toBe(600);
    expect(s.memory).toMatchObject({ warning_threshold_mb: 7000, critical_threshold_mb: 9000 });
    expect(s.end).toBe(new Date(T0 + 9000).toISOString());
    expect(stats.telemetryAtEnd).toEqual({
      auditWriteErrors: 1,
      auditLostRecords: 2,
      otlpDroppedSpans: 3,
      otlpDroppedLogRecords: 6,
      otlpExportErrors: 4,
      alertFailures: 5,
    });
  });

  it('builds the same summary whatever order the ends arrive in', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            stage: fc.constantFrom('a', 'b', 'c'),
            month: fc.constantFrom('2024-01', '2024-02'),
            us: fc.integer({ min: 0, max: 9e9 }),
          }),
          {
            maxLength: 60,
          },
        ),
        fc.integer(),
        (runs, seed) => {
          const months = new Map(['2024-01', '2024-02'].map((m) => [m, ref('month', 'month', m)]));
          const records = runs.map((r) =>
            end(ref('stage', r.stage, r.month, months.get(r.month)), T0 + 10, r.us / 1e6, { rssPeakMb: (r.us % 1000) / 10 }),
          );
          const shuffled = [...records].sort(
            (x, y) => ((x.scope.spanId.charCodeAt(15) * seed) % 7) - ((y.scope.spanId.charCodeAt(15) * seed) % 7),
          );
          const summaryOf = (list: typeof records): SessionSummary => {
            const stats = new SessionStats(T0);
            for (const m of months.values()) stats.onStart(start(m, T0));
            for (const r of list) stats.onEnd(r);
            return buildSessionSummary(stats, facts());
          };
          expect(summaryOf(shuffled)).toEqual(summaryOf(records));
        },
      ),
    );
  });
});

describe('bounded names', () => {
  it('holds 2,000 stage names and counts the rest under otel.metric.overflow, in the summary and per month; told once', () => {
    const told: string[] = [];
    const stats = new SessionStats(T0, { onOverflow: (kind, limit) => told.push(`${kind} ${limit}`) });
    const names = Array.from({ length: MAX_STAGE_NAMES + 500 }, (_, i) => ({ name: `load ${i}`, seconds: 0.001 }));
    names.push({ name: 'load 0', seconds: 0.001 }); // a name held before the cap keeps its own entry
    runMonth(stats, '2025-01', T0, names);
    expect(stats.stages.size).toBe(MAX_STAGE_NAMES + 1);
    expect(stats.stages.get('load 0')?.executions).toBe(2);
    expect(stats.stages.get(OVERFLOW_NAME)?.executions).toBe(500);
    expect(stats.months.get('2025-01')?.stageMicros.size).toBe(MAX_STAGE_NAMES + 1);
    expect(told).toEqual([`stage ${MAX_STAGE_NAMES}`]);
    const summary = buildSessionSummary(stats, facts());
    expect(summary.stages[OVERFLOW_NAME]?.executions).toBe(500);
  });

  it('holds 10,000 months and counts later months together under otel.metric.overflow', () => {
    const told: string[] = [];
    const stats = new SessionStats(T0, { onOverflow: (kind) => told.push(kind) });
    for (let i = 0; i < MAX_MONTHS + 3; i++)
      runMonth(stats, `m${i}`, T0 + i * 10, [{ name: 'load', seconds: 0.001 }], i === MAX_MONTHS + 2 ? 'failure' : 'success');
    expect(stats.months.size).toBe(MAX_MONTHS + 1);
    expect(stats.months.get(OVERFLOW_NAME)).toMatchObject({ month: OVERFLOW_NAME, stages: 3, status: 'failure' });
    expect(stats.stages.get('load')?.executions).toBe(MAX_MONTHS + 3);
    expect(told).toEqual(['month']);
  });
});
