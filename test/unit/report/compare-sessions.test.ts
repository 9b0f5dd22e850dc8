import { describe, expect, it } from 'vitest';
import { NO_TELEMETRY_PROBLEMS } from '../../../src/model/telemetry-counts.js';
import { compareSessions, formatComparison } from '../../../src/report/compare-sessions.js';
import { SessionStats } from '../../../src/stats/session-stats.js';
import { buildSessionSummary, type LiveFacts, type SessionSummary } from '../../../src/stats/session-summary.js';
import { end, errorInfo, MB, ref, start, T0 } from '../../helpers/records.js';

const facts = (sessionId: string): LiveFacts => ({
  sessionId,
  serviceName: 'etl',
  nowMs: T0,
  openScopes: 0,
  currentRssBytes: 100 * MB,
  telemetry: NO_TELEMETRY_PROBLEMS,
});

/** One session: per month, each stage's seconds; a negative number is a failure of that length. */
function session(id: string, months: Record<string, Record<string, number>>): SessionSummary {
  const stats = new SessionStats(T0);
  let t = T0;
  for (const [month, stages] of Object.entries(months)) {
    const m = ref('month', 'month', month);
    stats.onStart(start(m, t));
    const monthStart = t;
    let failed = false;
    for (const [name, seconds] of Object.entries(stages)) {
      const s = ref('stage', name, month, m);
      stats.onStart(start(s, t));
      stats.onEnd(end(s, t, Math.abs(seconds), seconds < 0 ? { outcome: 'failure', error: errorInfo('Error', `${name} broke`) } : {}));
      failed ||= seconds < 0;
      t += Math.abs(seconds) * 1000;
    }
    stats.onEnd(end(m, monthStart, (t - monthStart) / 1000, failed ? { outcome: 'failure', error: errorInfo('Error', 'broke') } : {}));
  }
  stats.end(t);
  return buildSessionSummary(stats, facts(id));
}

describe('compareSessions', () => {
  const base = session('base', { '2024-01': { a: 1, b: 2 }, '2024-02': { a: 1, b: 2 }, '2024-03': { a: 1, b: 2 } });

  it('finds nothing between equal sessions', () => {
    const c = compareSessions(base, session('same', { '2024-01': { a: 1, b: 2 }, '2024-02': { a: 1, b: 2 }, '2024-03': { a: 1, b: 2 } }));
    expect(c.regressions).toEqual([]);
    expect(formatComparison(c)).toContain('\nRegressions: none\n');
  });

  it('flags a month that got slower past the threshold, naming the stage that grew', () => {
    const c = compareSessions(base, session('slow', { '2024-01': { a: 1, b: 2 }, '2024-02': { a: 1, b: 4 }, '2024-03': { a: 1, b: 2.1 } }));
    expect(c.months.find((m) => m.month === '2024-02')?.duration).toEqual({ base: 3, current: 5, change_percent: 66.7, regression: true });
    expect(c.months.find((m) => m.month === '2024-03')?.duration.regression).toBe(false); // +3.3%: under 20%
    expect(c.regressions).toEqual([
      { kind: 'month_duration', stage: 'b', month: '2024-02', text: 'month 2024-02: 3.00 s → 5.00 s (+66.7%), mostly b (2.00 s → 4.00 s)' },
    ]);
  });

  it('flags slower stage percentiles, a lower success rate and a month that now fails', () => {
    const worse = session('worse', { '2024-01': { a: 3, b: 2 }, '2024-02': { a: 3, b: -2 }, '2024-03': { a: 3, b: 2 } });
    const c = compareSessions(base, worse, { thresholdPercent: 50 });
    expect(c.regressions.map((r) => r.kind)).toEqual([
      'stage_p50',
      'stage_p95',
      'stage_success_rate',
      'month_duration',
      'month_duration',
      'month_status',
      'month_duration',
    ]);
    expect(c.regressions.find((r) => r.kind === 'month_status')?.text).toBe('month 2024-02: success → failure, b failed: Error: b broke');
    expect(formatComparison(c)).toMatch(/\n {2}a +1\.00 s +3\.00 s +\+200\.0% ◀/);
  });

  it('ignores growth under the minimum change however large in percent', () => {
    const tiny = session('tiny-base', { '2024-01': { a: 0.001 } });
    const c = compareSessions(tiny, session('tiny', { '2024-01': { a: 0.004 } }), { minChangeSeconds: 0.05 });
    expect(c.stages[0]?.p50).toMatchObject({ change_percent: 300, regression: false });
    expect(c.regressions).toEqual([]);
  });

  it('lists stages and months found in only one of the two', () => {
    const c = compareSessions(base, session('other', { '2024-03': { a: 1, c: 1 }, '2024-04': { a: 1 } }));
    expect(c.only_in_base).toEqual({ stages: ['b'], months: ['2024-01', '2024-02'] });
    expect(c.only_in_current).toEqual({ stages: ['c'], months: ['2024-04'] });
    expect(formatComparison(c)).toContain('Only in the base: 2 months (2024-01, 2024-02)');
  });

  it('lists a stage named like an object property (toString, constructor) that only one session has', () => {
    const c = compareSessions(session('one', { '2024-01': { toString: 1, constructor: 1 } }), session('two', { '2024-01': { a: 1 } }));
    expect(c.only_in_base.stages).toEqual(['toString', 'constructor']);
    expect(c.only_in_current.stages).toEqual(['a']);
  });
});
