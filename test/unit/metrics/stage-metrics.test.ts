import { DataPointType, type HistogramMetricData, type MetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logProgress, shutdown, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { DURATION_BUCKETS_S } from '../../../src/metrics/stage-metrics.js';
import { currentBundle } from '../../../src/setup/start.js';
import { busyWait, sleep } from '../../helpers/sleep.js';
import { type MetricsSession, metric, startMetricsSession } from './metrics-session.js';

const bundle = () => {
  const started = currentBundle();
  if (!started) throw new Error('stagetrace is not started');
  return started;
};

let session: MetricsSession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

function points(m: MetricData) {
  return m.dataPoints as { attributes: Record<string, unknown>; value: unknown }[];
}

function pointWith(m: MetricData, attributes: Record<string, unknown>) {
  const found = points(m).find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
  if (!found)
    throw new Error(
      `${m.descriptor.name}: no point with ${JSON.stringify(attributes)}; have ${JSON.stringify(points(m).map((p) => p.attributes))}`,
    );
  return found;
}

async function runPipeline(): Promise<void> {
  await traceMonth('2024-03', async () => {
    await traceStage('download', () => sleep(30));
    await traceStage('download', () => sleep(30));
    traceStage('validate', () => busyWait(1200), { warnAfterSeconds: 1 });
    logProgress('halfway', { level: 'warning' });
    await traceStage('process', async () => {
      throw new Error('bad row');
    }).catch(() => undefined);
  });
}

describe('stage and month metrics', () => {
  it('records stage durations in seconds with the advisory buckets, by stage name and outcome', async () => {
    session = startMetricsSession();
    await runPipeline();
    const all = await session.collect();
    const duration = metric(all, 'stagetrace.stage.duration') as HistogramMetricData;
    expect(duration.descriptor.unit).toBe('s');
    expect(duration.dataPointType).toBe(DataPointType.HISTOGRAM);
    const download = pointWith(duration, { 'stagetrace.stage.name': 'download', 'stagetrace.outcome': 'success' });
    const value = download.value as { count: number; sum: number; buckets: { boundaries: number[] } };
    expect(value.count).toBe(2);
    expect(value.sum).toBeGreaterThan(0.04);
    expect(value.sum).toBeLessThan(30);
    expect(value.buckets.boundaries).toEqual(DURATION_BUCKETS_S);
    expect(DURATION_BUCKETS_S[0]).toBe(0.01);
    expect(DURATION_BUCKETS_S.at(-1)).toBe(6 * 3600);
    // Stage metrics carry no month: it would multiply the series by every month ever run.
    for (const p of points(duration)) {
      const keys = ['stagetrace.outcome', 'stagetrace.stage.name'];
      if (p.attributes['stagetrace.outcome'] !== 'success') keys.unshift('error.type');
      expect(Object.keys(p.attributes).sort()).toEqual(keys);
    }
  });

  it('puts error.type on the failure series of both duration histograms: the class name, or interrupted', async () => {
    session = startMetricsSession();
    class ChecksumError extends Error {
      override name = 'ChecksumError';
    }
    expect(() =>
      traceMonth('2024-07', () =>
        traceStage('validate', () => {
          throw new ChecksumError('crc');
        }),
      ),
    ).toThrow('crc');
    // A stage still open when stagetrace shuts down.
    traceMonth('2024-08', () => {
      startStage('upload');
    });
    await shutdown();
    const all = await session.collect();
    const stage = metric(all, 'stagetrace.stage.duration');
    expect(pointWith(stage, { 'stagetrace.stage.name': 'validate', 'stagetrace.outcome': 'failure' }).attributes['error.type']).toBe(
      'ChecksumError',
    );
    expect(pointWith(stage, { 'stagetrace.stage.name': 'upload', 'stagetrace.outcome': 'interrupted' }).attributes['error.type']).toBe(
      'interrupted',
    );
    const month = metric(all, 'stagetrace.month.duration');
    expect(pointWith(month, { 'stagetrace.month': '2024-07' }).attributes['error.type']).toBe('ChecksumError');
    // The span carries the same value.
    expect(session.spanNamed('validate').attributes['error.type']).toBe('ChecksumError');
    expect(session.spanNamed('upload').attributes['error.type']).toBe('interrupted');
  });

  it('counts active months and stages while they run, by month and by stage name, and back to zero when they end', async () => {
    session = startMetricsSession();
    const s = session;
    let during: Map<string, MetricData> | undefined;
    await traceMonth('2024-09', async () => {
      await traceStage('download', () => undefined);
      await traceStage('process', async () => {
        during = await s.collect();
      });
    });
    if (during === undefined) throw new Error('no collection during the stage');
    const stagesNow = metric(during, 'stagetrace.stage.active');
    expect(stagesNow.descriptor.unit).toBe('{stage}');
    expect(pointWith(stagesNow, { 'stagetrace.stage.name': 'process' }).value).toBe(1);
    expect(pointWith(stagesNow, { 'stagetrace.stage.name': 'download' }).value).toBe(0);
    expect(pointWith(metric(during, 'stagetrace.month.active'), { 'stagetrace.month': '2024-09' }).value).toBe(1);
    const after = await s.collect();
    for (const p of points(metric(after, 'stagetrace.stage.active'))) expect(p.value).toBe(0);
    expect(pointWith(metric(after, 'stagetrace.month.active'), { 'stagetrace.month': '2024-09' }).value).toBe(0);
  });

  it('says for how long the running month and the running stage have run, and 0 for stages that ended', async () => {
    session = startMetricsSession();
    const s = session;
    let during: Map<string, MetricData> | undefined;
    let bounds = { atLeastS: 0, atMostS: 0 };
    const monthFrom = performance.now();
    await traceMonth('2024-10', async () => {
      await traceStage('download', () => undefined);
      const stageFrom = performance.now();
      await traceStage('process', async () => {
        const bodyFrom = performance.now();
        busyWait(25);
        const collectFrom = performance.now();
        during = await s.collect();
        // The stage began before its body and was read after collectFrom; 1 ms for the epoch clock's rounding.
        bounds = { atLeastS: (collectFrom - bodyFrom) / 1000 - 0.001, atMostS: (performance.now() - stageFrom) / 1000 + 0.001 };
      });
    });
    const monthAtMostS = (performance.now() - monthFrom) / 1000 + 0.001;
    if (during === undefined) throw new Error('no collection during the stage');
    const stages = metric(during, 'stagetrace.stage.active.duration');
    expect(stages.descriptor.unit).toBe('s');
    expect(pointWith(stages, { 'stagetrace.stage.name': 'download' }).value).toBe(0);
    const running = pointWith(stages, { 'stagetrace.stage.name': 'process' }).value as number;
    expect(running).toBeGreaterThanOrEqual(bounds.atLeastS);
    expect(running).toBeLessThanOrEqual(bounds.atMostS);
    const month = pointWith(metric(during, 'stagetrace.month.active.duration'), { 'stagetrace.month': '2024-10' }).value as number;
    expect(month).toBeGreaterThanOrEqual(running);
    expect(month).toBeLessThanOrEqual(monthAtMostS);
    const after = await s.collect();
    for (const name of ['stagetrace.stage.active.duration', 'stagetrace.month.active.duration']) {
      for (const p of points(metric(after, name))) expect(p.value, name).toBe(0);
    }
  });

  it('counts executions by outcome, slow stages and log messages by level', async () => {
    session = startMetricsSession();
    await runPipeline();
    const all = await session.collect();
    const executions = metric(all, 'stagetrace.stage.executions');
    expect(executions.descriptor.unit).toBe('{execution}');
    expect(pointWith(executions, { 'stagetrace.stage.name': 'download', 'stagetrace.outcome': 'success' }).value).toBe(2);
    expect(pointWith(executions, { 'stagetrace.stage.name': 'process', 'stagetrace.outcome': 'failure' }).value).toBe(1);
    const slow = metric(all, 'stagetrace.stage.slow');
    expect(points(slow)).toEqual([expect.objectContaining({ attributes: { 'stagetrace.stage.name': 'validate' }, value: 1 })]);
    const messages = metric(all, 'stagetrace.log.messages');
    expect(messages.descriptor.unit).toBe('{message}');
    expect(pointWith(messages, { 'log.level': 'WARNING' }).value).toBeGreaterThanOrEqual(1);
    // Only logged messages count: the stages' own start, end and failure lines (INFO, ERROR) do not.
    expect(points(messages).map((p) => p.attributes['log.level'])).not.toContain('INFO');
    expect(points(messages).map((p) => p.attributes['log.level'])).not.toContain('ERROR');
  });

  it('counts the messages the files hold: none below logLevel, and not the session start record', async () => {
    session = startMetricsSession({ logLevel: 'WARNING' });
    traceMonth('2024-05', () => {
      logProgress('quiet', { level: 'info' });
      logProgress('debugging', { level: 'debug' });
      logProgress('careful', { level: 'warning' });
      logProgress('broken', { level: 'error' });
    });
    const messages = metric(await session.collect(), 'stagetrace.log.messages');
    const byLevel = Object.fromEntries(points(messages).map((p) => [p.attributes['log.level'], p.value]));
    expect(byLevel).toEqual({ WARNING: 1, ERROR: 1 });
  });

  it('records month durations with the month and outcome', async () => {
    session = startMetricsSession();
    await runPipeline();
    expect(() =>
      traceMonth('2024-04', () => {
        throw new Error('no input');
      }),
    ).toThrow('no input');
    const all = await session.collect();
    const month = metric(all, 'stagetrace.month.duration') as HistogramMetricData;
    expect(month.descriptor.unit).toBe('s');
    const march = pointWith(month, { 'stagetrace.month': '2024-03', 'stagetrace.outcome': 'success' });
    expect((march.value as { count: number; sum: number }).count).toBe(1);
    expect((march.value as { sum: number }).sum).toBeGreaterThan(1);
    expect(pointWith(month, { 'stagetrace.month': '2024-04', 'stagetrace.outcome': 'failure' })).toBeDefined();
  });

  it('keeps counting executions cumulatively across collections, and past 1999 series in one overflow series, as the SDK cardinality limit does, without losing any', async () => {
    session = startMetricsSession();
    traceStage('download', () => undefined);
    const first = metric(await session.collect(), 'stagetrace.stage.executions');
    expect(pointWith(first, { 'stagetrace.stage.name': 'download', 'stagetrace.outcome': 'success' }).value).toBe(1);
    for (let i = 0; i < 2100; i++) traceStage(`file-${i}`, () => undefined);
    traceStage('download', () => undefined);
    const executions = metric(await session.collect(), 'stagetrace.stage.executions');
    expect(pointWith(executions, { 'stagetrace.stage.name': 'download', 'stagetrace.outcome': 'success' }).value).toBe(2);
    const overflow = pointWith(executions, { 'otel.metric.overflow': true });
    expect(overflow.value).toBe(2102 - 2 - 1998);
    expect(points(executions)).toHaveLength(2000);
    expect(points(executions).reduce((sum, p) => sum + Number(p.value), 0)).toBe(2102);
  });

  it('counts spans dropped before OTLP by reason', async () => {
    session = startMetricsSession();
    bundle().metrics.droppedSpans(3, 'queue_full');
    bundle().metrics.droppedSpans(2, 'queue_full');
    const all = await session.collect();
    const dropped = metric(all, 'stagetrace.otlp.dropped_spans');
    expect(dropped.descriptor.unit).toBe('{span}');
    expect(pointWith(dropped, { 'stagetrace.drop.reason': 'queue_full' }).value).toBe(5);
  });
});

describe('memory gauges', () => {
  it('report the last sample with units, plus the state and the thresholds', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    session = startMetricsSession({ memory: { intervalMs: 50, warningMb: 50_000, criticalMb: 60_000 } });
    vi.advanceTimersByTime(120);
    vi.useRealTimers();
    const all = await session.collect();
    const bytes = [
      'stagetrace.memory.rss',
      'stagetrace.memory.heap.used',
      'stagetrace.memory.heap.total',
      'stagetrace.memory.external',
      'stagetrace.memory.array_buffers',
    ];
    for (const name of bytes) {
      const m = metric(all, name);
      expect(m.descriptor.unit, name).toBe('By');
      expect(m.dataPointType).toBe(DataPointType.GAUGE);
      expect(points(m)[0]?.value as number, name).toBeGreaterThan(0);
    }
    const rss = points(metric(all, 'stagetrace.memory.rss'))[0]?.value as number;
    expect(Math.abs(rss - process.memoryUsage.rss())).toBeLessThan(512 * 1024 * 1024);
    const system = points(metric(all, 'stagetrace.system.memory.utilization'))[0]?.value as number;
    expect(system).toBeGreaterThan(0);
    expect(system).toBeLessThanOrEqual(1);
    expect(points(metric(all, 'stagetrace.process.cpu.utilization'))[0]?.value as number).toBeGreaterThanOrEqual(0);
    const state = metric(all, 'stagetrace.memory.state');
    // '{state}', not '1': Prometheus turns unit '1' into a `_ratio` suffix.
    expect(state.descriptor.unit).toBe('{state}');
    expect(points(state)[0]?.value).toBe(0);
    const thresholds = metric(all, 'stagetrace.memory.threshold');
    expect(pointWith(thresholds, { 'memory.threshold.level': 'warning' }).value).toBe(50_000 * 1024 * 1024);
    expect(pointWith(thresholds, { 'memory.threshold.level': 'critical' }).value).toBe(60_000 * 1024 * 1024);
    // RSS is ours, not host metrics' process.memory.usage, so the two never clash.
    expect(all.has('process.memory.usage')).toBe(false);
  });

  it('are reported even when the SDK is started after stagetrace and no stage has ended', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    session = startMetricsSession({ memory: { intervalMs: 30 } });
    vi.advanceTimersByTime(150);
    vi.useRealTimers();
    const all = await session.collect();
    expect(all.has('stagetrace.memory.rss')).toBe(true);
  });
});

describe('runtime metrics', () => {
  it('include event-loop delay and heap spaces when nodejs.runtime is selected', async () => {
    session = startMetricsSession({ hostMetrics: ['nodejs.runtime'] });
    // The instrumentation's package loads when stagetrace is created, not at import: its metrics follow shortly.
    await vi.waitFor(async () => expect((await session?.collect())?.has('v8js.memory.heap.used')).toBe(true), { timeout: 20_000 });
    // A stage that blocks the event loop shows as delay (the histogram starts once the deferred instrumentation is
    // enabled, so the block is repeated until a collection has seen one).
    let all = await session.collect();
    await vi.waitFor(
      async () => {
        busyWait(300);
        await sleep(300);
        all = (await session?.collect()) ?? all;
        expect(points(metric(all, 'nodejs.eventloop.delay.max'))[0]?.value as number).toBeGreaterThan(0.1);
      },
      { timeout: 20_000, interval: 10 },
    );
    const p99 = metric(all, 'nodejs.eventloop.delay.p99');
    expect(p99.descriptor.unit).toBe('s');
    expect(all.has('v8js.memory.heap.used')).toBe(true);
    expect(all.has('system.cpu.time')).toBe(false);
  });

  it('include host metrics for the chosen groups only', async () => {
    session = startMetricsSession({ hostMetrics: ['process.memory'] });
    await vi.waitFor(async () => expect((await session?.collect())?.has('process.memory.usage')).toBe(true), { timeout: 20_000 });
    const all = await session.collect();
    expect(all.has('system.cpu.time')).toBe(false);
    expect(all.has('nodejs.eventloop.delay.p99')).toBe(false);
  });
});
