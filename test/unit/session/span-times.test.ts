/**
 * Start and end of every span come from one sub-millisecond clock, and
 * every duration is derived from them: a child never appears to end after
 * its parent, and a stage of a few hundred microseconds is measured as such.
 */
import { hrTimeToMicroseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { getSessionSummary, traceMonth, traceStage } from '../../../src/index.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

let session: InMemorySession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

const us = (t: ReadableSpan['startTime']) => hrTimeToMicroseconds(t);

function busyWaitMicros(micros: number): number {
  const start = performance.now();
  while ((performance.now() - start) * 1000 < micros) {
    // spin
  }
  return (performance.now() - start) * 1000;
}

describe('span times', () => {
  it('over 10,020 nested stages no child starts before or ends after its parent', () => {
    session = startInMemory();
    for (let m = 1; m <= 10; m++) {
      traceMonth(`2024-${String(m).padStart(2, '0')}`, () => {
        for (let i = 0; i < 334; i++) {
          traceStage('outer', () => {
            traceStage('middle', () => {
              traceStage('inner', () => undefined);
            });
          });
        }
      });
    }
    const spans = session.spans();
    expect(spans.filter((s) => s.attributes['stagetrace.kind'] === 'stage')).toHaveLength(10_020);
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    let checked = 0;
    for (const span of spans) {
      const parentId = span.parentSpanContext?.spanId;
      if (parentId === undefined) continue;
      const parent = byId.get(parentId);
      expect(parent, span.name).toBeDefined();
      if (!parent) continue;
      expect(us(span.startTime)).toBeGreaterThanOrEqual(us(parent.startTime));
      expect(us(span.endTime)).toBeLessThanOrEqual(us(parent.endTime));
      checked++;
    }
    expect(checked).toBe(10_020);
  });

  it('a stage of about 300 µs records a duration within 100 µs of it, on the span and in the summary', () => {
    session = startInMemory();
    const measured: number[] = [];
    const outside: number[] = [];
    traceMonth('2024-01', () => {
      // Warm the code paths first: a cold first call measures the JIT, not the stage.
      for (let i = 0; i < 200; i++) traceStage('warm-up', () => undefined);
      for (let i = 0; i < 21; i++) {
        const before = performance.now();
        traceStage('short', () => {
          measured.push(busyWaitMicros(300));
        });
        outside.push((performance.now() - before) * 1000);
      }
    });
    const spans = session.spansNamed('short');
    expect(spans).toHaveLength(21);
    const differences = spans.map((span, i) => {
      const spanMicros = us(span.endTime) - us(span.startTime);
      // Never shorter than the work inside, never longer than the call around it.
      expect(spanMicros).toBeGreaterThanOrEqual((measured[i] as number) - 1);
      expect(spanMicros).toBeLessThanOrEqual((outside[i] as number) + 1);
      expect(Math.abs((span.attributes['stagetrace.duration_us'] as number) - spanMicros)).toBeLessThanOrEqual(1);
      return spanMicros - (measured[i] as number);
    });
    // The median, so that one scheduling pause on a busy machine does not decide the test.
    differences.sort((a, b) => a - b);
    expect(differences[10]).toBeLessThan(100);
    const summary = getSessionSummary().stages.short;
    expect(summary?.min_duration_seconds).toBeGreaterThanOrEqual(0.0003);
    expect(summary?.min_duration_seconds).toBeLessThan(0.0003 + 0.001);
  });
});
