import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { forceFlush, traceMonth, traceStage } from '../../../src/index.js';
import { currentBundle } from '../../../src/setup/start.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { type MetricsSession, metric, startMetricsSession } from '../../unit/metrics/metrics-session.js';
import { closedPort, WebhookServer } from './webhook-server.js';

/** The running session's parts: the memory observer, to cross a threshold without allocating gigabytes. */
const bundle = () => {
  const started = currentBundle();
  if (!started) throw new Error('stagetrace is not started');
  return started;
};

const SECRET = 'T000/B000/XXXXsecretXXXX';

let server: WebhookServer;
let session: MetricsSession | undefined;
let stderr: StderrCapture | undefined;

beforeEach(async () => {
  server = await WebhookServer.start();
});

afterEach(async () => {
  stderr?.restore();
  stderr = undefined;
  await session?.close();
  session = undefined;
  await server.close();
});

async function failMonth(month: string): Promise<void> {
  await traceMonth(month, async () => {
    await traceStage('download', async () => {
      throw new Error(`no file for ${month}`);
    });
  }).catch(() => undefined);
}

function alertCount(all: Awaited<ReturnType<MetricsSession['collect']>>, kind: string, outcome: string): number | undefined {
  const points = metric(all, 'stagetrace.alerts').dataPoints as { attributes: Record<string, unknown>; value: number }[];
  return points.find((p) => p.attributes['stagetrace.alert.kind'] === kind && p.attributes['stagetrace.alert.outcome'] === outcome)?.value;
}

describe('webhook alerts', () => {
  it('post a failed month as Slack-style text, rate-limited per kind', async () => {
    session = startMetricsSession({ serviceName: 'billing', alerts: { webhookUrl: server.url(SECRET) } });
    await failMonth('2024-01');
    await failMonth('2024-02');
    await server.waitForPosts(1);
    // A different kind is not held back by the month alert.
    const observer = bundle().observer;
    observer.onSample({ ...bundle().memory.latest, rssBytes: observer.criticalBytes + 1 });
    await server.waitForPosts(3);
    await session.close();

    const texts = server.posts.map((p) => (p.body as { text: string }).text);
    expect(server.posts.every((p) => p.path === `/services/${SECRET}`)).toBe(true);
    expect(texts[0]).toMatch(/^\[billing\] Month 2024-01 failed after [\d.]+ s: Error: no file for 2024-01 — session \S+$/);
    expect(texts.filter((t) => t.includes('Month 2024-02'))).toEqual([]);
    expect(texts.filter((t) => t.includes('Memory warning'))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('Memory critical'))).toHaveLength(1);
    expect(server.posts).toHaveLength(3);
  });

  it('count suppressed alerts and say how many were held back in the next one', async () => {
    session = startMetricsSession({ alerts: { webhookUrl: server.url(SECRET), minIntervalMs: 60_000 } });
    await failMonth('2024-01');
    await failMonth('2024-02');
    await failMonth('2024-03');
    const all = await session.collect();
    expect(alertCount(all, 'month.failure', 'suppressed')).toBe(2);
    await server.waitForPosts(1);
  });

  it('never print the secret: a webhook that is down is reported once, by origin, and counted', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/services/${SECRET}`;
    session = startMetricsSession({ console: true, colors: false, alerts: { webhookUrl: url, minIntervalMs: 1, timeoutMs: 3000 } });
    stderr = captureStderr();
    await failMonth('2024-01');
    await forceFlush();
    // Past the 1 ms rate limit without waiting: only the alerts' clock moves.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 10 });
    await failMonth('2024-02');
    vi.useRealTimers();
    await forceFlush();
    const all = await session.collect();
    stderr.restore();
    expect(alertCount(all, 'month.failure', 'failed')).toBe(2);
    const text = stderr.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('/services/');
    const warnings = stderr.lines().filter((l) => l.includes('alert webhook'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`http://127.0.0.1:${port}`);
    expect(warnings[0]).toContain('WARNING');
  });

  it('do not delay the pipeline when the webhook never answers', async () => {
    server.mode = 'hang';
    session = startMetricsSession({ alerts: { webhookUrl: server.url(SECRET), timeoutMs: 1500 } });
    await failMonth('2024-01');
    // The pipeline has moved on; the alert is still in flight.
    await server.waitForPosts(1);
    // Nothing counted yet: no alert series at all.
    expect((await session.collect()).has('stagetrace.alerts')).toBe(false);
    traceStage('next-step', () => 'done');
    expect(session.spanNamed('next-step').attributes['stagetrace.outcome']).toBe('success');
    // Flushing waits for it, bounded by the alert timeout.
    await forceFlush();
    expect(alertCount(await session.collect(), 'month.failure', 'failed')).toBe(1);
  });
});
