import { createServer, get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { traceStage } from '../../../src/index.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { sleep } from '../../helpers/sleep.js';
import { type MetricsSession, startMetricsSession } from '../../unit/metrics/metrics-session.js';
import { closedPort } from './webhook-server.js';

let session: MetricsSession | undefined;
let stderr: StderrCapture | undefined;
afterEach(async () => {
  stderr?.restore();
  stderr = undefined;
  await session?.close();
  session = undefined;
});

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Retries while the endpoint is still starting (it listens asynchronously). */
async function scrape(url: string): Promise<{ status: number; body: string }> {
  let lastError: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      return await fetchText(url);
    } catch (err) {
      lastError = err;
      await sleep(100);
    }
  }
  throw lastError;
}

describe('Prometheus endpoint', () => {
  it('listens on 127.0.0.1:9464 by default, and only when asked', () => {
    expect(resolveConfig({}, {}).prometheus).toBeUndefined();
    expect(resolveConfig({ prometheus: {} }, {}).prometheus).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(resolveConfig({}, { STAGETRACE_PROMETHEUS_PORT: '9500' }).prometheus).toEqual({ port: 9500, host: '127.0.0.1' });
    expect(resolveConfig({}, { STAGETRACE_PROMETHEUS_HOST: '0.0.0.0' }).prometheus).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(() => resolveConfig({ prometheus: { port: 70000 } }, {})).toThrow(/prometheus\.port must be a TCP port/);
  });

  it('serves stage and memory metrics on GET /metrics', async () => {
    const port = await closedPort();
    session = startMetricsSession({ prometheus: { port } });
    traceStage('download', () => 'ok');
    traceStage('download', () => 'ok');
    const { status, body } = await scrape(`http://127.0.0.1:${port}/metrics`);
    expect(status).toBe(200);
    const lines = body.split('\n');
    const count = lines.find((l) => l.startsWith('stagetrace_stage_duration_count{') && l.includes('stagetrace_stage_name="download"'));
    expect(count, body).toBeDefined();
    expect(count).toContain('stagetrace_outcome="success"');
    expect(count?.trim().endsWith(' 2')).toBe(true);
    expect(lines.some((l) => l.startsWith('stagetrace_stage_duration_bucket{') && l.includes('le="0.01"'))).toBe(true);
    expect(lines.some((l) => /^stagetrace_memory_rss(\{.*\})? \d/.test(l))).toBe(true);
  });

  it('reports a port already in use without failing the run', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const port = (busy.address() as { port: number }).port;
    try {
      stderr = captureStderr();
      session = startMetricsSession({ prometheus: { port } });
      expect(traceStage('still-runs', () => 42)).toBe(42);
      for (let i = 0; i < 50 && !stderr.text().includes('Prometheus'); i++) await sleep(100);
      stderr.restore();
      const reports = stderr.lines().filter((l) => l.includes('Prometheus endpoint'));
      expect(reports).toHaveLength(1);
      expect(reports[0]).toContain(`127.0.0.1:${port}`);
      expect(reports[0]).toContain('EADDRINUSE');
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});
