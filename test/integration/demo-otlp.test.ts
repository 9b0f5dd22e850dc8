/**
 * The demo pipeline against a real OTLP/HTTP receiver on loopback: what an
 * operator sees in Jaeger and Grafana — one trace per month with the stages
 * as children, the failed month in ERROR, and the stage, month, host and
 * memory metrics.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeRun, runNodeScript } from '../helpers/run-node.js';
import { OtlpReceiver } from './otlp-receiver.js';

describe('npm run demo with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  let receiver: OtlpReceiver;
  let workDir: string;
  let run: NodeRun;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    workDir = await mkdtemp(join(tmpdir(), 'stagetrace-demo-otlp-'));
    run = await runNodeScript('examples/monthly-pipeline.ts', {
      args: ['--months', '2024-01,2024-02', '--fail-month', '2024-02', '--log-dir', join(workDir, 'logs')],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: '1000', NO_COLOR: '1' },
      timeoutMs: 90_000,
    });
  }, 120_000);

  afterAll(async () => {
    await receiver?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('sends one trace per month, stages as children, the failed month in ERROR', () => {
    expect(run.code, run.stderr).toBe(0);
    const spans = receiver.spans();
    const months = spans.filter((s) => s.name === 'month');
    expect(months.map((m) => m.attributes['stagetrace.month']).sort()).toEqual(['2024-01', '2024-02']);
    expect(new Set(months.map((m) => m.traceId)).size).toBe(2);
    for (const month of months) {
      const children = spans.filter((s) => s.traceId === month.traceId && s.parentSpanId === month.spanId).map((s) => s.name);
      expect(children).toEqual(expect.arrayContaining(['download', 'process', 'validate']));
    }
    const failed = months.find((m) => m.attributes['stagetrace.month'] === '2024-02');
    expect(failed?.statusCode).toBe(2);
    const failedStage = spans.find((s) => s.traceId === failed?.traceId && s.name === 'validate');
    expect(failedStage?.statusCode).toBe(2);
    expect(failedStage?.events.some((e) => e.name === 'exception')).toBe(true);
  });

  it('delivers the stage and month histograms, the counters, host metrics and the memory gauges', () => {
    const names = new Set(receiver.metrics().map((m) => m.name));
    for (const name of [
      'stagetrace.stage.duration',
      'stagetrace.month.duration',
      'stagetrace.stage.executions',
      'stagetrace.log.messages',
      'stagetrace.memory.rss',
      'stagetrace.memory.state',
      'system.cpu.utilization',
      'system.memory.usage',
      'process.memory.usage',
    ]) {
      expect(names, `missing ${name}; received ${[...names].sort().join(', ')}`).toContain(name);
    }
  });
});
