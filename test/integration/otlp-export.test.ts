import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStagetrace, shutdown } from '../../src/index.js';
import { resetGlobals } from '../helpers/in-memory-sdk.js';
import { type NodeRun, runNodeScript } from '../helpers/run-node.js';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/two-months.ts', import.meta.url));

/** Whatever a span processor forwards to, found by walking its private fields. */
function exportersBehind(processor: unknown): unknown[] {
  const found: unknown[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, depth: number) => {
    if (value === null || typeof value !== 'object' || seen.has(value) || depth > 4) return;
    seen.add(value);
    if (value instanceof OTLPTraceExporterJson || value instanceof OTLPTraceExporterProto) found.push(value);
    for (const key of Object.keys(value)) walk((value as Record<string, unknown>)[key], depth + 1);
  };
  walk(processor, 0);
  return found;
}

describe('OTLP export from a real pipeline process', () => {
  let receiver: OtlpReceiver;
  let workDir: string;
  let run: NodeRun;
  let spans: ReceivedSpan[];

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    workDir = await mkdtemp(join(tmpdir(), 'stagetrace-otlp-'));
    run = await runNodeScript(FIXTURE, {
      cwd: workDir,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        OTEL_SERVICE_NAME: 'billing-monthly',
        STAGETRACE_LOG_DIR: join(workDir, 'logs'),
      },
      timeoutMs: 90_000,
    });
    // shutdown() flushed before the process exited; nothing should still be in flight.
    spans = receiver.spans();
  }, 120_000);

  afterAll(async () => {
    await receiver?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('runs the pipeline to the end', () => {
    expect(run.stderr).not.toMatch(/internal error|ECONNREFUSED|OTLPExporterError/);
    expect(run.code).toBe(0);
  });

  it('sends each month as its own trace with the month span as root', () => {
    const months = spans.filter((s) => s.attributes['stagetrace.kind'] === 'month');
    expect(months.map((m) => m.attributes['stagetrace.month']).sort()).toEqual(['2024-01', '2024-02']);
    const [jan, feb] = ['2024-01', '2024-02'].map((m) => months.find((s) => s.attributes['stagetrace.month'] === m) as ReceivedSpan);
    expect(jan?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(jan?.traceId).not.toBe(feb?.traceId);
    for (const month of [jan, feb]) {
      expect(month?.parentSpanId).toBe('');
      expect(month?.attributes['stagetrace.context.source']).toBe('fixture');
      expect(month?.attributes['stagetrace.session.id']).toEqual(expect.any(String));
    }
  });

  it('sends stages as children of their month span', () => {
    const months = spans.filter((s) => s.attributes['stagetrace.kind'] === 'month');
    const stages = spans.filter((s) => s.attributes['stagetrace.kind'] === 'stage');
    expect(stages).toHaveLength(5); // download, process, validate; download, process
    for (const stage of stages) {
      const month = months.find((m) => m.attributes['stagetrace.month'] === stage.attributes['stagetrace.month']);
      expect(month, `month of ${stage.name}`).toBeDefined();
      expect(stage.traceId).toBe(month?.traceId);
      expect(stage.parentSpanId).toBe(month?.spanId);
      expect(stage.attributes['stagetrace.stage.name']).toBe(stage.name);
    }
    const janStages = stages.filter((s) => s.attributes['stagetrace.month'] === '2024-01').map((s) => s.name).sort();
    expect(janStages).toEqual(['download', 'process', 'validate']);
    const download = stages.find((s) => s.name === 'download' && s.attributes['stagetrace.month'] === '2024-01');
    expect(download?.attributes['stagetrace.context.file_key']).toBe('raw/2024-01.csv');
    expect(download?.events.some((e) => e.name === 'log' && e.attributes['log.message'] === 'Downloaded 3 files')).toBe(true);
  });

  it('marks the failing stage and its month as ERROR with an exception event', () => {
    const failed = spans.find((s) => s.name === 'process' && s.attributes['stagetrace.month'] === '2024-02');
    const feb = spans.find((s) => s.attributes['stagetrace.kind'] === 'month' && s.attributes['stagetrace.month'] === '2024-02');
    for (const span of [failed, feb]) {
      expect(span?.statusCode).toBe(2);
      expect(span?.attributes['stagetrace.outcome']).toBe('failure');
      const exception = span?.events.find((e) => e.name === 'exception');
      expect(exception?.attributes['exception.message']).toBe('corrupt input for 2024-02');
    }
    const okStages = spans.filter((s) => s.attributes['stagetrace.month'] === '2024-01');
    for (const span of okStages) {
      expect(span.statusCode).not.toBe(2);
      expect(span.attributes['stagetrace.outcome']).toBe('success');
    }
  });

  it('names the service from OTEL_SERVICE_NAME', () => {
    expect(spans.length).toBeGreaterThan(0);
    for (const span of spans) expect(span.resource['service.name']).toBe('billing-monthly');
  });

  it('exports the stage duration histogram in seconds per stage name', () => {
    const durations = receiver.metrics().filter((m) => m.name === 'stagetrace.stage.duration');
    expect(durations.length).toBeGreaterThan(0);
    const last = durations[durations.length - 1];
    expect(last?.type).toBe('histogram');
    expect(last?.unit).toBe('s');
    expect(last?.resource['service.name']).toBe('billing-monthly');
    const names = new Set(durations.flatMap((m) => m.dataPoints.map((p) => p.attributes['stagetrace.stage.name'])));
    expect([...names].sort()).toEqual(['download', 'process', 'validate']);
    const failedProcess = last?.dataPoints.find(
      (p) => p.attributes['stagetrace.stage.name'] === 'process' && p.attributes['stagetrace.outcome'] === 'failure',
    );
    expect(Number(failedProcess?.count)).toBe(1);
  });
});

describe('without an OTLP endpoint', () => {
  afterEach(async () => {
    await shutdown();
    resetGlobals();
  });

  it('creates no metric reader and no OTLP span exporter', () => {
    const st = createStagetrace({ logDir: false, console: false, otlp: {} });
    expect(st.metricReaders).toEqual([]);
    expect(st.instrumentations).toEqual([]);
    for (const processor of st.spanProcessors) expect(exportersBehind(processor)).toEqual([]);
  });

  it('does create them when an endpoint is set (so the check above can see them)', () => {
    const st = createStagetrace({ logDir: false, console: false, otlp: { endpoint: 'http://127.0.0.1:9' }, hostMetrics: false });
    expect(st.metricReaders).toHaveLength(1);
    expect(st.spanProcessors.flatMap(exportersBehind).length).toBeGreaterThan(0);
  });

  it('runs a real pipeline process without any connection attempt or error', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'stagetrace-noendpoint-'));
    try {
      const result = await runNodeScript(FIXTURE, {
        cwd: workDir,
        env: { STAGETRACE_LOG_DIR: 'false', STAGETRACE_CONSOLE: 'false', OTEL_LOG_LEVEL: 'debug' },
        timeoutMs: 90_000,
      });
      expect(result.code).toBe(0);
      expect(result.stderr).not.toMatch(/ECONNREFUSED|connect|OTLPExporterError|4318|4317|export failed|internal error/i);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }, 120_000);
});
