import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNodeScript } from '../../helpers/run-node.js';
import { OtlpReceiver } from '../otlp-receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/one-short-stage.ts', import.meta.url));

describe('metrics of a short batch job', () => {
  let receiver: OtlpReceiver;
  let workDir: string;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    workDir = await mkdtemp(join(tmpdir(), 'stagetrace-metrics-exit-'));
  });

  afterAll(async () => {
    await receiver?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('reach the collector at shutdown although the export period never elapsed', async () => {
    const run = await runNodeScript(FIXTURE, {
      cwd: workDir,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_METRIC_EXPORT_INTERVAL: '60000',
        OTEL_SERVICE_NAME: 'short-job',
        STAGETRACE_LOG_DIR: 'off',
        STAGETRACE_CONSOLE: 'false',
      },
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const duration = receiver.metrics().find((m) => m.name === 'stagetrace.stage.duration');
    expect(
      duration,
      `metrics received: ${receiver
        .metrics()
        .map((m) => m.name)
        .join(', ')}`,
    ).toBeDefined();
    expect(duration?.unit).toBe('s');
    expect(duration?.type).toBe('histogram');
    expect(duration?.resource['service.name']).toBe('short-job');
    const point = duration?.dataPoints.find((p) => p.attributes['stagetrace.stage.name'] === 'only-stage');
    expect(point?.attributes['stagetrace.outcome']).toBe('success');
    expect(Number(point?.count)).toBe(1);
    // The memory gauges were registered and exported too.
    expect(receiver.metrics().some((m) => m.name === 'stagetrace.memory.rss' && m.unit === 'By')).toBe(true);
  });
});
