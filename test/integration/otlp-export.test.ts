import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createStagetrace,
  forceFlush,
  type StagetraceComponents,
  type StagetraceOptions,
  shutdown,
  traceMonth,
  traceStage,
} from '../../src/index.js';
import { resetGlobals } from '../helpers/in-memory-sdk.js';
import { type NodeRun, runNodeScript } from '../helpers/run-node.js';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/two-months.ts', import.meta.url));

/** Counts outgoing TCP connection attempts made in this process while active. */
function countConnections(): { count(): number; restore(): void } {
  const original = Socket.prototype.connect;
  let count = 0;
  Socket.prototype.connect = function connect(this: Socket, ...args: unknown[]) {
    count++;
    return (original as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  return {
    count: () => count,
    restore() {
      Socket.prototype.connect = original;
    },
  };
}

/** A month with two stages through a user-owned NodeSDK, flushed and shut down. */
async function runMonthThroughOwnSdk(options: StagetraceOptions): Promise<StagetraceComponents> {
  const st = createStagetrace({ logDir: false, console: false, hostMetrics: false, ...options });
  const sdk = new NodeSDK({
    spanProcessors: [...st.spanProcessors],
    metricReaders: [...st.metricReaders],
    logRecordProcessors: [],
    instrumentations: [...st.instrumentations],
    autoDetectResources: false,
  });
  sdk.start();
  try {
    await traceMonth('2024-01', async () => {
      await traceStage('download', async () => undefined);
      traceStage('process', () => undefined);
    });
    await forceFlush();
  } finally {
    await shutdown();
    await sdk.shutdown();
    resetGlobals();
  }
  return st;
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
    const janStages = stages
      .filter((s) => s.attributes['stagetrace.month'] === '2024-01')
      .map((s) => s.name)
      .sort();
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

  it('names the run: service.instance.id is the session id, on spans and metrics alike', () => {
    const sessionId = spans.find((s) => s.attributes['stagetrace.kind'] === 'month')?.attributes['stagetrace.session.id'];
    expect(sessionId).toMatch(/^\d{8}_\d{6}_[0-9a-f]{6}$/);
    for (const span of spans) expect(span.resource['service.instance.id']).toBe(sessionId);
    const metrics = receiver.metrics();
    expect(metrics.length).toBeGreaterThan(0);
    for (const metric of metrics) expect(metric.resource['service.instance.id']).toBe(sessionId);
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

describe('service.instance.id', () => {
  it('is taken from OTEL_RESOURCE_ATTRIBUTES when set there', async () => {
    const receiver = await OtlpReceiver.start();
    const workDir = await mkdtemp(join(tmpdir(), 'stagetrace-instance-'));
    try {
      const result = await runNodeScript(FIXTURE, {
        cwd: workDir,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=worker-7',
          STAGETRACE_LOG_DIR: 'false',
          STAGETRACE_CONSOLE: 'false',
        },
        timeoutMs: 90_000,
      });
      expect(result.code, result.stderr).toBe(0);
      const instances = new Set(receiver.spans().map((s) => s.resource['service.instance.id']));
      expect([...instances]).toEqual(['worker-7']);
    } finally {
      await receiver.close();
      await rm(workDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('without an OTLP endpoint', () => {
  afterEach(async () => {
    await shutdown();
    resetGlobals();
  });

  it('creates no metric reader', () => {
    const st = createStagetrace({ logDir: false, console: false, otlp: {} });
    // Lengths, not toEqual: a failing diff of SDK objects is unreadable.
    expect(st.metricReaders.length).toBe(0);
  });

  it('makes no connection while a month runs, flushes and shuts down', async () => {
    const connections = countConnections();
    try {
      await runMonthThroughOwnSdk({});
      expect(connections.count()).toBe(0);
    } finally {
      connections.restore();
    }
  });

  it('does connect once an endpoint is set (so the check above can see connections)', async () => {
    const receiver = await OtlpReceiver.start();
    const connections = countConnections();
    try {
      const st = await runMonthThroughOwnSdk({ otlp: { endpoint: receiver.url } });
      expect(st.metricReaders).toHaveLength(1);
      expect(connections.count()).toBeGreaterThan(0);
      expect(
        receiver
          .spans()
          .map((s) => s.name)
          .sort(),
      ).toEqual(['download', 'month', 'process']);
    } finally {
      connections.restore();
      await receiver.close();
    }
  });

  it.each([
    [undefined, 'application/x-protobuf'],
    ['http/protobuf', 'application/x-protobuf'],
    ['http/json', 'application/json'],
  ] as const)('sends traces and metrics with protocol %s as %s, and the collector gets the same spans', async (protocol, contentType) => {
    const receiver = await OtlpReceiver.start();
    try {
      await runMonthThroughOwnSdk({ otlp: { endpoint: receiver.url, ...(protocol ? { protocol } : {}) } });
      const paths = new Set(receiver.requests.map((r) => r.path));
      expect([...paths].sort()).toEqual(['/v1/metrics', '/v1/traces']);
      for (const request of receiver.requests) expect(request.headers['content-type'], request.path).toContain(contentType);
      const spans = receiver.spans();
      expect(spans.map((s) => s.name).sort()).toEqual(['download', 'month', 'process']);
      const download = spans.find((s) => s.name === 'download');
      expect(download?.attributes['stagetrace.stage.name']).toBe('download');
      expect(download?.parentSpanId).toBe(spans.find((s) => s.name === 'month')?.spanId);
      expect(receiver.metrics().some((m) => m.name === 'stagetrace.stage.duration' && m.type === 'histogram')).toBe(true);
    } finally {
      await receiver.close();
    }
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
