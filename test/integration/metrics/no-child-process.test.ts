import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNodeScript } from '../../helpers/run-node.js';
import { OtlpReceiver } from '../otlp-receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/spawn-watch.ts', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('telemetry never blocks the pipeline on a child process', () => {
  let receiver: OtlpReceiver;
  let workDir: string;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    workDir = await mkdtemp(join(tmpdir(), 'stagetrace-no-spawn-'));
  });

  afterAll(async () => {
    await receiver?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('starts no child process across a run with every default on, OTLP and Prometheus, and still reports network figures', async () => {
    const run = await runNodeScript(FIXTURE, {
      cwd: workDir,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, PROMETHEUS_PORT: String(await freePort()), STAGETRACE_CONSOLE: 'false' },
      timeoutMs: 90_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const line = run.stdout.split('\n').find((l) => l.startsWith('CHILD_PROCESS_CALLS '));
    expect(line, run.stdout).toBeDefined();
    expect(JSON.parse(line?.slice('CHILD_PROCESS_CALLS '.length) ?? 'null')).toEqual([]);
    // Several collections ran, host metrics among them.
    const names = new Set(receiver.metrics().map((m) => m.name));
    expect(names).toContain('system.cpu.time');
    expect(names).toContain('nodejs.eventloop.delay.p99');
    expect(receiver.metricRequests().length).toBeGreaterThan(2);
    if (process.platform === 'linux') {
      const io = receiver.metrics().find((m) => m.name === 'system.network.io');
      expect(io?.type).toBe('sum');
      for (const point of io?.dataPoints ?? []) expect(['receive', 'transmit']).toContain(point.attributes['network.io.direction']);
    }
  }, 120_000);
});
