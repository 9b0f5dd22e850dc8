import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { attributes as A, getSessionSummary, type StagetraceOptions, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';
import { busyWait, sleep } from '../../helpers/sleep.js';

let session: InMemorySession | undefined;
let stderr: StderrCapture | undefined;

function begin(options: StagetraceOptions = {}): InMemorySession {
  session = startInMemory({ sessionId: 'stage-session', ...options });
  return session;
}

afterEach(async () => {
  stderr?.restore();
  stderr = undefined;
  await session?.close();
  session = undefined;
});

function monthOf(s: InMemorySession, month: string): ReadableSpan {
  const found = s.spans().filter((x) => x.attributes[A.ATTR_KIND] === 'month' && x.attributes[A.ATTR_MONTH] === month);
  expect(found).toHaveLength(1);
  return found[0] as ReadableSpan;
}

describe('traceStage: parentage', () => {
  it('is a child of the active month', () => {
    const s = begin();
    traceMonth('2024-01', () => {
      traceStage('download', () => undefined);
    });
    const month = monthOf(s, '2024-01');
    const stage = s.span('download');
    expect(stage.spanContext().traceId).toBe(month.spanContext().traceId);
    expect(stage.parentSpanContext?.spanId).toBe(month.spanContext().spanId);
  });

  it('is a child of the active stage when nested', async () => {
    const s = begin();
    await traceMonth('2024-01', async () => {
      await traceStage('process', async () => {
        await sleep(2);
        traceStage('parse', () => undefined);
        await traceStage('transform', async () => sleep(2));
      });
    });
    const month = monthOf(s, '2024-01');
    const process = s.span('process');
    expect(process.parentSpanContext?.spanId).toBe(month.spanContext().spanId);
    for (const name of ['parse', 'transform']) {
      const child = s.span(name);
      expect(child.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
      expect(child.spanContext().traceId).toBe(month.spanContext().traceId);
      expect(child.attributes[A.ATTR_MONTH]).toBe('2024-01');
    }
  });

  it('outside any month is a root span of its own trace, counted without a month', () => {
    const s = begin();
    traceStage('cleanup', () => undefined);
    const stage = s.span('cleanup');
    expect(stage.parentSpanContext).toBeUndefined();
    expect(stage.attributes[A.ATTR_MONTH]).toBeUndefined();
    expect(stage.attributes[A.ATTR_KIND]).toBe('stage');
    const summary = getSessionSummary();
    expect(summary.stages.cleanup?.executions).toBe(1);
    expect(summary.months).toEqual({});
  });
});

describe('traceStage: attributes', () => {
  it('carries name, month, session, context, duration, outcome and memory', async () => {
    const s = begin();
    await traceMonth('2024-02', async () => {
      await traceStage(
        'download',
        async () => {
          await sleep(15);
        },
        { context: { file_key: 'raw/2024-02.csv', size: { bytes: 1024 } } },
      );
    });
    const stage = s.span('download');
    expect(stage.attributes).toMatchObject({
      [A.ATTR_KIND]: 'stage',
      [A.ATTR_STAGE_NAME]: 'download',
      [A.ATTR_MONTH]: '2024-02',
      [A.ATTR_OUTCOME]: 'success',
      'stagetrace.context.file_key': 'raw/2024-02.csv',
      'stagetrace.context.size.bytes': 1024,
    });
    expect(stage.attributes[A.ATTR_SLOW]).toBe(false);
    // The session id lives on the month span, once per trace.
    expect(s.span('month').attributes[A.ATTR_SESSION_ID]).toBe('stage-session');
    const durationUs = stage.attributes[A.ATTR_DURATION_US] as number;
    expect(Number.isInteger(durationUs)).toBe(true);
    expect(durationUs).toBeGreaterThanOrEqual(10_000);
    expect(durationUs).toBeLessThan(30_000_000);
    for (const key of [
      A.ATTR_RSS_START_BYTES,
      A.ATTR_RSS_END_BYTES,
      A.ATTR_RSS_DELTA_BYTES,
      A.ATTR_RSS_PEAK_BYTES,
      A.ATTR_HEAP_START_BYTES,
      A.ATTR_HEAP_END_BYTES,
      A.ATTR_HEAP_DELTA_BYTES,
    ]) {
      expect(Number.isInteger(stage.attributes[key]), key).toBe(true);
    }
    const rssStart = stage.attributes[A.ATTR_RSS_START_BYTES] as number;
    const rssEnd = stage.attributes[A.ATTR_RSS_END_BYTES] as number;
    const rssPeak = stage.attributes[A.ATTR_RSS_PEAK_BYTES] as number;
    expect(rssStart).toBeGreaterThan(0);
    expect(rssPeak).toBeGreaterThanOrEqual(Math.max(rssStart, rssEnd));
    expect(stage.attributes[A.ATTR_RSS_DELTA_BYTES]).toBe(rssEnd - rssStart);
  });

  it('hands fn the stage handle, whose context and logs land on the span', () => {
    const s = begin();
    traceMonth('2024-02', () => {
      traceStage('process', (stage) => {
        expect(stage.kind).toBe('stage');
        expect(stage.name).toBe('process');
        expect(stage.month).toBe('2024-02');
        expect(trace.getActiveSpan()?.spanContext().spanId).toBe(stage.spanContext.spanId);
        stage.addContext({ rows: 10 });
        stage.log('halfway', { level: 'DEBUG' });
      });
    });
    const span = s.span('process');
    expect(span.attributes['stagetrace.context.rows']).toBe(10);
    expect(span.events.find((e) => e.name === 'log')?.attributes).toMatchObject({ 'log.level': 'DEBUG', 'log.message': 'halfway' });
  });
});

describe('traceStage: addContext with names an object already has', () => {
  it('keeps __proto__, toString and constructor as context, like any other name', () => {
    const s = begin();
    traceMonth('2024-02', () => {
      traceStage('process', (stage) => {
        stage.addContext(JSON.parse('{"__proto__": "p", "toString": "t", "constructor": 3}'));
        stage.addContext({ rows: 1 });
      });
    });
    const span = s.span('process');
    expect(span.attributes['stagetrace.context.__proto__']).toBe('p');
    expect(span.attributes['stagetrace.context.toString']).toBe('t');
    expect(span.attributes['stagetrace.context.constructor']).toBe(3);
    expect(span.attributes['stagetrace.context.rows']).toBe(1);
  });
});

describe('traceStage: results and errors', () => {
  it('returns a sync result synchronously', () => {
    begin();
    const result = traceMonth('2024-01', () => traceStage('count', () => 3));
    expect(result).toBe(3);
  });

  it('returns a Promise of an async result', async () => {
    const s = begin();
    const result = traceStage('fetch', async () => 'body');
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe('body');
    expect(s.span('fetch').attributes[A.ATTR_OUTCOME]).toBe('success');
  });

  it('marks ERROR, records the exception and rethrows the same error when fn throws', () => {
    const s = begin();
    const error = new Error('disk full');
    let caught: unknown;
    traceMonth('2024-01', () => {
      try {
        traceStage('upload', () => {
          throw error;
        });
      } catch (e) {
        caught = e;
      }
    });
    expect(caught).toBe(error);
    const span = s.span('upload');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[A.ATTR_OUTCOME]).toBe('failure');
    expect(span.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe('disk full');
    // The month itself succeeded: the caller handled the failure.
    expect(monthOf(s, '2024-01').status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('does the same when an async fn rejects', async () => {
    const s = begin();
    const error = new TypeError('not a row');
    await expect(
      traceStage('parse', async () => {
        await sleep(2);
        throw error;
      }),
    ).rejects.toBe(error);
    const span = s.span('parse');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events.find((e) => e.name === 'exception')?.attributes?.['exception.type']).toBe('TypeError');
  });
});

describe('traceStage: slow stages', () => {
  it('warnAfterSeconds marks a stage slow: event, attribute and a WARNING line', async () => {
    const s = begin({ console: true, colors: false, stageThresholds: { default: 600 } });
    stderr = captureStderr();
    await traceMonth('2024-01', async () => {
      await traceStage('download', async () => sleep(30), { warnAfterSeconds: 0.001 });
    });
    stderr.restore();
    const span = s.span('download');
    expect(span.attributes[A.ATTR_SLOW]).toBe(true);
    const event = span.events.find((e) => e.name === A.EVENT_SLOW);
    expect(event?.attributes?.[A.ATTR_THRESHOLD_US]).toBe(1000);
    expect(event?.attributes?.[A.ATTR_DURATION_US]).toBeGreaterThan(1000);
    const warning = stderr.lines().find((line) => line.includes('[WARNING] [download]'));
    expect(warning).toMatch(/over its 0\.001 second threshold/);
    expect(getSessionSummary().stages.download?.slow_count).toBe(1);
  });

  it('warnAfterSeconds overrides a configured per-stage threshold in both directions', () => {
    const s = begin({ stageThresholds: { process: 0.001, download: 600 } });
    traceStage('process', () => busyWait(20), { warnAfterSeconds: 600 });
    traceStage('download', () => busyWait(20), { warnAfterSeconds: 0.001 });
    expect(s.span('process').attributes[A.ATTR_SLOW]).toBe(false);
    expect(s.span('process').events.some((e) => e.name === A.EVENT_SLOW)).toBe(false);
    expect(s.span('download').attributes[A.ATTR_SLOW]).toBe(true);
  });

  it('uses the configured per-stage threshold, then the default', () => {
    const s = begin({ stageThresholds: { validate: 0.001, default: 600 } });
    traceStage('validate', () => busyWait(20));
    traceStage('upload', () => busyWait(20));
    expect(s.span('validate').attributes[A.ATTR_SLOW]).toBe(true);
    expect(s.span('upload').attributes[A.ATTR_SLOW]).toBe(false);
  });

  it('rejects a non-positive warnAfterSeconds', () => {
    const s = begin();
    expect(() => traceStage('x', () => 1, { warnAfterSeconds: 0 })).toThrow(/warnAfterSeconds.*got 0/);
    expect(() => traceStage('x', () => 1, { warnAfterSeconds: Number.NaN })).toThrow(TypeError);
    expect(s.startedSpans().map((x) => x.name)).toEqual([]);
  });
});

describe('traceStage: arguments', () => {
  const badNames: [string, unknown, string][] = [
    ['an empty name', '', '""'],
    ['a number', 42, '42'],
    ['undefined', undefined, 'undefined'],
    ['a 201-character name', 'x'.repeat(201), 'xxxx'],
  ];

  it.each(badNames)('rejects %s with a TypeError naming it, before any span starts', (_, name, shown) => {
    const s = begin();
    let called = false;
    expect(() =>
      traceStage(name as string, () => {
        called = true;
      }),
    ).toThrow(TypeError);
    expect(() => traceStage(name as string, () => undefined)).toThrow(shown);
    expect(called).toBe(false);
    expect(s.startedSpans().map((x) => x.name)).toEqual([]);
  });

  it('accepts a name of exactly 200 characters', () => {
    const s = begin();
    traceStage('y'.repeat(200), () => undefined);
    expect(s.spans()).toHaveLength(1);
  });

  it('rejects a fn that is not a function', () => {
    const s = begin();
    expect(() => traceStage('download', 'run' as unknown as () => void)).toThrow(TypeError);
    expect(() => traceStage('download', null as unknown as () => void)).toThrow(/fn to be a function; got null/);
    expect(s.startedSpans().map((x) => x.name)).toEqual([]);
  });
});
