/**
 * A collector that answers 200 with a `partial_success` rejecting spans,
 * through the real OTLP exporters (JSON and protobuf) and a real loopback
 * receiver: the rejected spans are counted as rejected, and no span of the
 * batch is reported as delivered (so otlp_delivery.jsonl leaves it to
 * replay). A plain 200 still delivers.
 */
import { type ReadableSpan, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { type ForwardDropReason, ForwardSpanProcessor } from '../../src/export/forward-span-processor.js';
import { PartialRejection } from '../../src/export/partial-success.js';
import { PartialSuccessWatch } from '../../src/export/partial-success-watch.js';
import { createTraceExporter } from '../../src/setup/components.js';
import { OtlpReceiver } from './otlp-receiver.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await OtlpReceiver.start('ok');
});
afterAll(() => receiver.close());

class Reporter {
  readonly drops: { count: number; reason: ForwardDropReason; error: unknown }[] = [];
  readonly delivered: ReadableSpan[] = [];
  dropped(count: number, reason: ForwardDropReason, error?: unknown): void {
    this.drops.push({ count, reason, error });
  }
  retrying(): void {}
  delivered_(spans: readonly ReadableSpan[]): void {
    this.delivered.push(...spans);
  }
}

/** Sends `count` spans through a forward with the real exporter of `protocol`; returns what it reported. */
async function forward(protocol: 'http/json' | 'http/protobuf', count: number): Promise<Reporter> {
  const config = resolveConfig({ otlp: { endpoint: receiver.url, protocol }, logDir: false, console: false, hostMetrics: false }, {});
  const exporter = createTraceExporter(config.otlp);
  if (exporter === undefined || config.otlp === undefined) throw new Error('no exporter');
  const reporter = new Reporter();
  const processor = new ForwardSpanProcessor(
    exporter,
    { dropped: (...a) => reporter.dropped(...a), retrying: () => undefined, delivered: (s) => reporter.delivered_(s) },
    { partialSuccess: new PartialSuccessWatch(config.otlp.tracesUrl), maxExportBatchSize: 512 },
  );
  const provider = new TracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('test');
  for (let i = 0; i < count; i++) tracer.startSpan(`stage ${i}`).end();
  await provider.shutdown();
  return reporter;
}

describe.each(['http/json', 'http/protobuf'] as const)('partial_success over %s', (protocol) => {
  it('counts the rejected spans as rejected, with the collector message, and records none of the batch as delivered', async () => {
    receiver.setMode('partial');
    receiver.partialRejected = 2;
    receiver.partialMessage = 'span too large: key=token=abc123';
    const reporter = await forward(protocol, 5);
    expect(receiver.requests.filter((r) => r.path === '/v1/traces' && r.status === 200).length).toBeGreaterThan(0);
    expect(reporter.delivered).toEqual([]);
    expect(reporter.drops.map((d) => ({ count: d.count, reason: d.reason }))).toEqual([{ count: 2, reason: 'rejected' }]);
    const error = reporter.drops[0]?.error;
    expect(error).toBeInstanceOf(PartialRejection);
    expect(error).toMatchObject({ rejectedSpans: 2, batchSpans: 5, errorMessage: 'span too large: key=token=abc123' });
  });

  it('counts no more rejected spans than the batch held, whatever the collector claims', async () => {
    receiver.setMode('partial');
    receiver.partialRejected = 1_000_000;
    const reporter = await forward(protocol, 3);
    expect(reporter.drops.map((d) => d.count)).toEqual([3]);
    expect(reporter.delivered).toEqual([]);
  });

  it('a plain 200 delivers the whole batch', async () => {
    receiver.setMode('ok');
    const reporter = await forward(protocol, 4);
    expect(reporter.drops).toEqual([]);
    expect(reporter.delivered).toHaveLength(4);
  });
});
