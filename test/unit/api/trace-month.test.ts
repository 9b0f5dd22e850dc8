import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getSessionSummary, traceMonth, traceStage } from '../../../src/index.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';
import { sleep } from '../../helpers/sleep.js';

let session: InMemorySession;

beforeEach(() => {
  session = startInMemory({ sessionId: 'test-session' });
});

afterEach(async () => {
  await session.close();
});

function monthSpans(): ReadableSpan[] {
  return session.spans().filter((s) => s.attributes['stagetrace.kind'] === 'month');
}

function monthSpan(month: string): ReadableSpan {
  const found = monthSpans().filter((s) => s.attributes['stagetrace.month'] === month);
  expect(found).toHaveLength(1);
  return found[0] as ReadableSpan;
}

describe('traceMonth: month argument', () => {
  const bad: [string, unknown, string][] = [
    ['month 13', '2024-13', '"2024-13"'],
    ['two-digit year', '24-1', '"24-1"'],
    ['month without leading zero', '2024-1', '"2024-1"'],
    ['month 00', '2024-00', '"2024-00"'],
    ['a full date string', '2024-01-15', '"2024-01-15"'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an invalid Date', new Date('not a date'), 'Invalid Date'],
    ['a number', 202401, '202401'],
  ];

  it.each(bad)('rejects %s with a TypeError naming the value and the expected form, before any span starts', (_, value, shown) => {
    let called = false;
    let thrown: unknown;
    try {
      traceMonth(value as string, () => {
        called = true;
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as Error).message).toContain('YYYY-MM');
    expect((thrown as Error).message).toContain(shown);
    expect(called).toBe(false);
    expect(session.startedSpans().map((s) => s.name)).toEqual([]);
    const summary = getSessionSummary();
    expect(summary.months).toEqual({});
    expect(summary.totals.open_scopes).toBe(0);
  });

  it('rejects a non-function fn with a TypeError and starts no span', () => {
    expect(() => traceMonth('2024-01', 'not a function' as unknown as () => void)).toThrow(TypeError);
    expect(() => traceMonth('2024-01', undefined as unknown as () => void)).toThrow(/fn to be a function/);
    expect(session.startedSpans().map((s) => s.name)).toEqual([]);
    expect(getSessionSummary().totals.open_scopes).toBe(0);
  });

  it('accepts a Date and reads it in UTC', () => {
    const savedTz = process.env.TZ;
    // UTC+14: the last half hour of 31 January UTC is already 1 February locally.
    process.env.TZ = 'Pacific/Kiritimati';
    try {
      expect(new Date(Date.UTC(2024, 0, 31, 23, 30)).getMonth()).toBe(1);
      traceMonth(new Date(Date.UTC(2024, 0, 31, 23, 30)), () => undefined);
    } finally {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
    traceMonth(new Date('2023-12-01'), () => undefined);
    expect(
      monthSpans()
        .map((s) => s.attributes['stagetrace.month'])
        .sort(),
    ).toEqual(['2023-12', '2024-01']);
  });
});

describe('traceMonth: the month span', () => {
  it('is a root span with month, session, kind and flattened context attributes', () => {
    traceMonth('2024-03', () => undefined, { context: { source: 's3', files: { count: 3 }, dry_run: false } });
    const span = monthSpan('2024-03');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes).toMatchObject({
      'stagetrace.month': '2024-03',
      'stagetrace.session.id': 'test-session',
      'stagetrace.kind': 'month',
      'stagetrace.context.source': 's3',
      'stagetrace.context.files.count': 3,
      'stagetrace.context.dry_run': false,
      'stagetrace.outcome': 'success',
    });
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('starts a new trace even inside another active span', () => {
    const tracer = trace.getTracer('test');
    tracer.startActiveSpan('outer job', (outer) => {
      traceMonth('2024-04', () => {
        traceStage('download', () => undefined);
      });
      outer.end();
    });
    const outer = session.span('outer job');
    const month = monthSpan('2024-04');
    expect(month.parentSpanContext).toBeUndefined();
    expect(month.spanContext().traceId).not.toBe(outer.spanContext().traceId);
    const stage = session.span('download');
    expect(stage.spanContext().traceId).toBe(month.spanContext().traceId);
    expect(stage.parentSpanContext?.spanId).toBe(month.spanContext().spanId);
  });

  it('gives each month its own trace', () => {
    traceMonth('2024-01', () => undefined);
    traceMonth('2024-02', () => undefined);
    expect(session.startedSpans()).toHaveLength(2);
    expect(monthSpan('2024-01').spanContext().traceId).not.toBe(monthSpan('2024-02').spanContext().traceId);
  });

  it('hands fn the month handle, inside the month span', () => {
    traceMonth('2024-05', (month) => {
      expect(month.kind).toBe('month');
      expect(month.month).toBe('2024-05');
      expect(month.ended).toBe(false);
      expect(trace.getActiveSpan()?.spanContext().spanId).toBe(month.spanContext.spanId);
    });
    expect(monthSpan('2024-05').spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('traceMonth: results and errors', () => {
  it('returns a sync result synchronously, not as a Promise', () => {
    const result = traceMonth('2024-01', () => 42);
    expect(result).toBe(42);
    expect(monthSpan('2024-01').ended).toBe(true);
  });

  it('returns a Promise of an async result, ending the span when it settles', async () => {
    const result = traceMonth('2024-01', async () => {
      await sleep(10);
      return { rows: 7 };
    });
    expect(result).toBeInstanceOf(Promise);
    expect(monthSpans()).toEqual([]);
    await expect(result).resolves.toEqual({ rows: 7 });
    expect(monthSpan('2024-01').attributes['stagetrace.outcome']).toBe('success');
  });

  it('marks the span ERROR, records the exception and rethrows the same error when fn throws', () => {
    const error = new RangeError('bad row count');
    let caught: unknown;
    try {
      traceMonth('2024-06', () => {
        throw error;
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(error);
    const span = monthSpan('2024-06');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['stagetrace.outcome']).toBe('failure');
    const exception = span.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.type']).toBe('RangeError');
    expect(exception?.attributes?.['exception.message']).toBe('bad row count');
  });

  it('does the same when an async fn rejects', async () => {
    const error = new Error('upload refused');
    const result = traceMonth('2024-07', async () => {
      await sleep(5);
      throw error;
    });
    await expect(result).rejects.toBe(error);
    const span = monthSpan('2024-07');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events.some((e) => e.name === 'exception' && e.attributes?.['exception.message'] === 'upload refused')).toBe(true);
  });

  it('rethrows non-Error values unchanged', () => {
    const thrown = { code: 'E_ODD' };
    expect(() =>
      traceMonth('2024-08', () => {
        throw thrown;
      }),
    ).toThrow(expect.objectContaining({ code: 'E_ODD' }));
    expect(monthSpan('2024-08').status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('two months at once', () => {
  it('keeps two separate traces with each stage under the right month', async () => {
    const order: string[] = [];
    const runMonth = (month: string, delay: number) =>
      traceMonth(month, async () => {
        for (const stage of ['download', 'process', 'upload']) {
          await traceStage(stage, async () => {
            order.push(`${month}:${stage}`);
            await sleep(delay);
          });
          await sleep(1);
        }
        return month;
      });
    const results = await Promise.all([runMonth('2024-01', 7), runMonth('2024-02', 3)]);
    expect(results).toEqual(['2024-01', '2024-02']);
    // The two months really did interleave.
    expect(order.slice(0, 2).sort()).toEqual(['2024-01:download', '2024-02:download']);

    const jan = monthSpan('2024-01');
    const feb = monthSpan('2024-02');
    expect(jan.spanContext().traceId).not.toBe(feb.spanContext().traceId);
    const stages = session.spans().filter((s) => s.attributes['stagetrace.kind'] === 'stage');
    expect(stages).toHaveLength(6);
    for (const stage of stages) {
      const month = stage.attributes['stagetrace.month'] === '2024-01' ? jan : feb;
      expect(stage.spanContext().traceId).toBe(month.spanContext().traceId);
      expect(stage.parentSpanContext?.spanId).toBe(month.spanContext().spanId);
    }
    expect(stages.filter((s) => s.attributes['stagetrace.month'] === '2024-01')).toHaveLength(3);
    const summary = getSessionSummary();
    expect(summary.months['2024-01']?.stages).toBe(3);
    expect(summary.months['2024-02']?.stages).toBe(3);
  });
});
