import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attributes as A,
  generateSessionReport,
  getSessionSummary,
  type SessionSummary,
  traceMonth,
  traceStage,
} from '../../../src/index.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';
import { sleep } from '../../helpers/sleep.js';

let session: InMemorySession;

beforeEach(() => {
  session = startInMemory({ sessionId: 'summary-session', serviceName: 'billing', stageThresholds: { default: 600 } });
});

afterEach(async () => {
  await session.close();
});

/** Two months, one failing stage, one slow stage and one stage outside any month: 7 stage runs. */
async function runPipeline(): Promise<void> {
  await traceMonth('2024-01', async () => {
    await traceStage('download', () => sleep(20));
    await traceStage('process', () => sleep(40));
    await traceStage('download', () => sleep(20));
  });
  await traceMonth('2024-02', async () => {
    await traceStage('download', () => sleep(20));
    await traceStage('process', async () => {
      await sleep(5);
      throw new Error('bad input');
    }).catch(() => undefined);
    await traceStage('validate', () => sleep(20), { warnAfterSeconds: 0.001 });
  });
  traceStage('cleanup', () => undefined);
}

describe('getSessionSummary', () => {
  let summary: SessionSummary;

  beforeEach(async () => {
    await runPipeline();
    summary = getSessionSummary();
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    expect(summary.session_id).toBe('summary-session');
    expect(summary.service_name).toBe('billing');
    expect(Number.isNaN(Date.parse(summary.start))).toBe(false);
  });

  it('counts executions, successes and failures per stage', () => {
    expect(Object.keys(summary.stages).sort()).toEqual(['cleanup', 'download', 'process', 'validate']);
    expect(summary.stages.download).toMatchObject({ executions: 3, successes: 3, failures: 0, success_rate: 1, slow_count: 0 });
    expect(summary.stages.process).toMatchObject({ executions: 2, successes: 1, failures: 1, success_rate: 0.5 });
    expect(summary.stages.validate).toMatchObject({ executions: 1, successes: 1, slow_count: 1 });
    expect(summary.stages.cleanup).toMatchObject({ executions: 1, successes: 1 });
    for (const stage of Object.values(summary.stages)) {
      expect(stage.success_rate).toBeGreaterThanOrEqual(0);
      expect(stage.success_rate).toBeLessThanOrEqual(1);
    }
  });

  it('reports total, average, min and max durations that agree with the spans', () => {
    const download = summary.stages.download;
    expect(download).toBeDefined();
    if (!download) return;
    const spanDurations = session.spansNamed('download').map((s) => (s.attributes[A.ATTR_DURATION_US] as number) / 1e6);
    expect(spanDurations).toHaveLength(3);
    const total = spanDurations.reduce((a, b) => a + b, 0);
    expect(download.total_duration_seconds).toBeCloseTo(total, 2);
    expect(download.avg_duration_seconds).toBeCloseTo(total / 3, 2);
    expect(download.min_duration_seconds).toBeCloseTo(Math.min(...spanDurations), 2);
    expect(download.max_duration_seconds).toBeCloseTo(Math.max(...spanDurations), 2);
    expect(download.min_duration_seconds).toBeGreaterThanOrEqual(0.015);
    expect(download.min_duration_seconds).toBeLessThanOrEqual(download.avg_duration_seconds);
    expect(download.avg_duration_seconds).toBeLessThanOrEqual(download.max_duration_seconds);
    expect(summary.stages.process?.max_duration_seconds).toBeGreaterThanOrEqual(0.035);
    // The configured threshold (what the files record too); validate's own warnAfterSeconds counts in its slow_count.
    expect(summary.stages.validate?.threshold_seconds).toBe(600);
    expect(summary.stages.validate?.slow_count).toBe(1);
    expect(summary.stages.download?.threshold_seconds).toBe(600);
  });

  it('reports each month with status, duration, stages and trace id', () => {
    expect(Object.keys(summary.months)).toEqual(['2024-01', '2024-02']);
    const jan = summary.months['2024-01'];
    const feb = summary.months['2024-02'];
    expect(jan).toMatchObject({ status: 'success', stages: 3, failed_stages: 0 });
    expect(feb).toMatchObject({ status: 'success', stages: 3, failed_stages: 1 });
    expect(jan?.duration).toBeGreaterThanOrEqual(0.07);
    expect(jan?.end).not.toBeNull();
    const janSpan = session.spans().find((s) => s.attributes[A.ATTR_MONTH] === '2024-01' && s.attributes[A.ATTR_KIND] === 'month');
    expect(jan?.trace_id).toBe(janSpan?.spanContext().traceId);
  });

  it('reports totals and peak memory', () => {
    expect(summary.totals).toMatchObject({
      stage_executions: 7,
      stage_failures: 1,
      success_rate: 0.857,
      months: 2,
      months_failed: 0,
      open_scopes: 0,
    });
    const spanPeaks = session.spans().map((s) => (s.attributes[A.ATTR_RSS_PEAK_BYTES] as number) / (1024 * 1024));
    expect(summary.peak_memory_mb).toBeGreaterThan(0);
    expect(summary.peak_memory_mb).toBeGreaterThanOrEqual(Math.max(...spanPeaks) - 0.1);
  });

  it('reports a failed month as failed', () => {
    try {
      traceMonth('2024-03', () => {
        throw new Error('no input');
      });
    } catch {
      // expected
    }
    const after = getSessionSummary();
    expect(after.months['2024-03']?.status).toBe('failure');
    expect(after.totals.months_failed).toBe(1);
  });
});

describe('getSessionSummary while a month runs', () => {
  it('shows the month as running and the open scopes', async () => {
    let release: () => void = () => undefined;
    const running = traceMonth('2024-05', () => new Promise<void>((resolve) => (release = resolve)));
    await sleep(5);
    const during = getSessionSummary();
    expect(during.months['2024-05']?.status).toBe('running');
    expect(during.months['2024-05']?.end).toBeNull();
    expect(during.totals.open_scopes).toBe(1);
    release();
    await running;
    expect(getSessionSummary().months['2024-05']?.status).toBe('success');
  });

  it('is well-formed before anything ran', () => {
    const empty = getSessionSummary();
    expect(empty.stages).toEqual({});
    expect(empty.months).toEqual({});
    expect(empty.totals.success_rate).toBe(1);
    expect(empty.totals.stage_executions).toBe(0);
  });
});

describe('generateSessionReport', () => {
  it('names every stage and month', async () => {
    await runPipeline();
    const report = generateSessionReport();
    expect(typeof report).toBe('string');
    for (const text of ['summary-session', 'download', 'process', 'validate', 'cleanup', '2024-01', '2024-02']) {
      expect(report).toContain(text);
    }
    const processRow = report.split('\n').find((line) => line.trim().startsWith('process '));
    expect(processRow).toMatch(/50\.0%/);
  });
});

describe('getSessionSummary with names that are also Object.prototype keys', () => {
  it('keeps stages named __proto__, constructor or toString as their own entries, in the session and in each month', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    traceMonth('2024-01', () => {
      for (const name of names) traceStage(name, () => undefined);
    });
    const summary = getSessionSummary();
    expect(Object.keys(summary.stages).sort()).toEqual([...names].sort());
    for (const name of names) {
      expect(Object.hasOwn(summary.stages, name), name).toBe(true);
      expect(summary.stages[name]?.executions, name).toBe(1);
    }
    expect(Object.getPrototypeOf(summary.stages)).toBe(Object.prototype);
    expect(Object.keys(summary.months['2024-01']?.stage_seconds ?? {}).sort()).toEqual([...names].sort());
    // The JSON a report writes holds them too.
    expect(Object.keys(JSON.parse(JSON.stringify(summary)).stages).sort()).toEqual([...names].sort());
  });
});
