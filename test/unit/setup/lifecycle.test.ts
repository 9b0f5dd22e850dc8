import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  attributes as A,
  createStagetrace,
  forceFlush,
  getSessionSummary,
  type StagetraceOptions,
  shutdown,
  start,
  startStage,
  traceMonth,
  traceStage,
} from '../../../src/index.js';
import { resetGlobals, startInMemory } from '../../helpers/in-memory-sdk.js';
import { sleep } from '../../helpers/sleep.js';
import { OtlpReceiver } from '../../integration/otlp-receiver.js';

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
});

afterAll(async () => {
  await receiver.close();
});

afterEach(async () => {
  await shutdown();
  resetGlobals();
  receiver.clear();
});

/** start() options for an in-process run that exports to the loopback receiver only. */
function options(extra: StagetraceOptions = {}): StagetraceOptions {
  return {
    logDir: false,
    console: false,
    hostMetrics: false,
    handleExit: false,
    otlp: { endpoint: receiver.url },
    ...extra,
  };
}

describe('start() with bad configuration', () => {
  it('rejects bad options, naming the option and the value', async () => {
    await expect(start(options({ logLevel: 'LOUD' as 'INFO' }))).rejects.toThrow(/logLevel.*"LOUD"/);
    await expect(start(options({ otlp: { endpoint: 'collector' } }))).rejects.toThrow(/otlp\.endpoint.*"collector"/);
    await expect(start({ colour: true } as unknown as StagetraceOptions)).rejects.toThrow(/unknown option "colour"/);
  });

  it('rejects bad variables, naming the variable and the value', async () => {
    const saved = { ...process.env };
    try {
      process.env.STAGETRACE_DURABILITY = 'fast';
      await expect(start(options())).rejects.toThrow(/STAGETRACE_DURABILITY.*"fast"/);
      delete process.env.STAGETRACE_DURABILITY;
      process.env.OTEL_METRIC_EXPORT_INTERVAL = 'often';
      await expect(start(options())).rejects.toThrow(/OTEL_METRIC_EXPORT_INTERVAL.*"often"/);
    } finally {
      for (const key of ['STAGETRACE_DURABILITY', 'OTEL_METRIC_EXPORT_INTERVAL']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it('leaves nothing half-started after a rejected start()', async () => {
    await expect(start(options({ maxFiles: -1 }))).rejects.toThrow(/maxFiles/);
    await expect(start(options())).resolves.toBeDefined();
  });
});

describe('start() and shutdown()', () => {
  it('throws on a second start() without shutdown()', async () => {
    await start(options());
    await expect(start(options())).rejects.toThrow(/already started/);
    expect(() => createStagetrace({ logDir: false })).toThrow(/already started/);
  });

  it('shutdown() is idempotent, also before any start()', async () => {
    await expect(shutdown()).resolves.toBeUndefined();
    await start(options());
    const first = shutdown();
    const second = shutdown();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await expect(shutdown()).resolves.toBeUndefined();
  });

  it('exports spans over OTLP, on forceFlush() and on shutdown()', async () => {
    await start(options({ serviceName: 'lifecycle' }));
    traceMonth('2024-01', () => traceStage('download', () => undefined));
    await forceFlush();
    expect(
      receiver
        .spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['download', 'month']);
    traceStage('late', () => undefined);
    await shutdown();
    expect(receiver.spans().map((s) => s.name)).toContain('late');
    expect(receiver.spans()[0]?.resource['service.name']).toBe('lifecycle');
  });

  it('works again after shutdown() in the same process', async () => {
    for (const round of [1, 2, 3]) {
      await start(options({ sessionId: `round-${round}` }));
      traceMonth('2024-01', () => traceStage('download', () => undefined));
      expect(getSessionSummary().stages.download?.executions).toBe(1);
      await shutdown();
      resetGlobals();
    }
    const months = receiver.spans().filter((s) => s.name === 'month');
    expect(months.map((s) => s.attributes[A.ATTR_SESSION_ID])).toEqual(['round-1', 'round-2', 'round-3']);
    const stages = receiver.spans().filter((s) => s.name === 'download');
    for (const stage of stages) {
      const month = months.find((m) => m.traceId === stage.traceId);
      expect(stage.parentSpanId).toBe(month?.spanId);
    }
  });

  it('ends open stages and months as interrupted with status ERROR', async () => {
    await start(options());
    let release: () => void = () => undefined;
    const month = traceMonth('2024-01', async () => {
      startStage('download');
      await new Promise<void>((resolve) => (release = resolve));
      return 'finished late';
    });
    await sleep(5);
    await shutdown();
    const spans = receiver.spans();
    expect(spans.map((s) => s.name).sort()).toEqual(['download', 'month']);
    for (const span of spans) {
      expect(span.statusCode).toBe(2);
      expect(span.attributes[A.ATTR_OUTCOME]).toBe('interrupted');
      expect(String(span.attributes[A.ATTR_INTERRUPTED_REASON])).toContain('shutdown');
    }
    // The pipeline code itself carries on unharmed.
    release();
    await expect(month).resolves.toBe('finished late');
    expect(receiver.spans()).toHaveLength(2);
  });
});

describe('createStagetrace() and shutdown()', () => {
  it('interrupts open scopes and lets a later session start afresh', async () => {
    const first = startInMemory();
    const stage = startStage('upload');
    await first.close();
    expect(first.span('upload').status.code).toBe(SpanStatusCode.ERROR);
    expect(first.span('upload').attributes[A.ATTR_OUTCOME]).toBe('interrupted');
    expect(stage.ended).toBe(true);

    const second = startInMemory();
    traceStage('upload', () => undefined);
    expect(second.span('upload').attributes[A.ATTR_OUTCOME]).toBe('success');
    expect(getSessionSummary().stages.upload?.executions).toBe(1);
    await second.close();
  });
});
