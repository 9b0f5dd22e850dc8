/**
 * What replay lets through from the files, whatever they hold: only ids a
 * collector can parse and times inside the session are sent, and every
 * string that leaves is within the limits a live run applies.
 * STAGETRACE_PROPERTY_RUNS raises the number of runs.
 */
import type { Attributes } from '@opentelemetry/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limitContext, withLiveLimits } from '../../../src/replay/live-limits.js';
import type { PlannedSpan } from '../../../src/replay/planned-span.js';
import { invalidReason, isSpanId, isTraceId, sessionWindow } from '../../../src/replay/span-validation.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;
const NOW = Date.UTC(2025, 5, 1);
const STARTED = '2025-05-31T10:00:00.000Z';
const window = sessionWindow(STARTED, NOW);
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const goodTrace = hex(32).filter((s) => /[1-9a-f]/.test(s));
const goodSpan = hex(16).filter((s) => /[1-9a-f]/.test(s));
const inside = fc.integer({ min: window.fromMs, max: window.toMs });

function span(over: Partial<PlannedSpan>): PlannedSpan {
  return {
    kind: 'stage',
    name: 'load',
    month: '2025-05',
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    parentSpanId: undefined,
    startMs: Date.parse(STARTED),
    rssStartBytes: 0,
    heapStartBytes: 0,
    startContext: {},
    events: [],
    end: undefined,
    ...over,
  };
}

describe('ids', () => {
  it('accepts exactly lowercase hex of the right length that is not all zero', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        expect(isTraceId(text)).toBe(/^[0-9a-f]{32}$/.test(text) && /[1-9a-f]/.test(text));
        expect(isSpanId(text)).toBe(/^[0-9a-f]{16}$/.test(text) && /[1-9a-f]/.test(text));
      }),
      { numRuns: runs },
    );
    fc.assert(
      fc.property(goodTrace, goodSpan, (t, s) => {
        expect(isTraceId(t) && isSpanId(s)).toBe(true);
        expect(isTraceId(t.toUpperCase()) && t !== t.toUpperCase()).toBe(false);
      }),
      { numRuns: runs },
    );
    expect(isTraceId('0'.repeat(32))).toBe(false);
    expect(isSpanId('0'.repeat(16))).toBe(false);
  });

  it('a span with any malformed id is invalid, and the reason names it', () => {
    const bad = fc.oneof(fc.string({ maxLength: 40 }), fc.constant('0'.repeat(16)), fc.constant('0'.repeat(32))) as fc.Arbitrary<string>;
    fc.assert(
      fc.property(bad, fc.constantFrom('traceId', 'spanId', 'parentSpanId'), (value, field) => {
        const ok = field === 'traceId' ? isTraceId(value) : isSpanId(value);
        const reason = invalidReason(span({ [field]: value, end: { endMs: Date.parse(STARTED) + 10 } as PlannedSpan['end'] }), window, 0);
        if (ok) expect(reason).toBeUndefined();
        else expect(reason).toMatch(/id ".*" is not (16|32) lowercase hex digits/);
      }),
      { numRuns: runs },
    );
  });
});

describe('times', () => {
  it('valid exactly when start, end and every event lie in the window and the end is not before the start', () => {
    const any = fc.oneof(inside, fc.double(), fc.integer({ min: -1e17, max: 1e17 }));
    fc.assert(
      fc.property(any, any, fc.array(any, { maxLength: 3 }), (startMs, endMs, events) => {
        const s = span({
          startMs,
          end: { endMs } as PlannedSpan['end'],
          events: events.map((atMs) => ({ kind: 'log', atMs, level: 'INFO', message: 'm', context: {}, error: undefined })),
        });
        const within = (t: number) => Number.isFinite(t) && t >= window.fromMs && t <= window.toMs;
        const expected = within(startMs) && within(endMs) && endMs >= startMs && events.every(within);
        expect(invalidReason(s, window, 0) === undefined).toBe(expected);
      }),
      { numRuns: runs },
    );
  });

  it('the window starts a day before the session began and ends a day after now; an unreadable or future start falls back', () => {
    expect(window).toEqual({ fromMs: Date.parse(STARTED) - 86_400_000, toMs: NOW + 86_400_000 });
    expect(sessionWindow('not a date', NOW).fromMs).toBe(Date.UTC(2000, 0, 1));
    expect(sessionWindow('3000-01-01T00:00:00Z', NOW).fromMs).toBe(NOW);
  });
});

describe('sizes', () => {
  const value = fc.oneof(
    fc.string({ maxLength: 10_000 }),
    fc.double(),
    fc.boolean(),
    fc.array(fc.string({ maxLength: 5000 }), { maxLength: 5 }),
    fc.object(),
  );
  it('every context keeps at most 100 attributes, each key and string within 4,096 characters and `…`', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 5000 }), value, { maxKeys: 130 }), (raw) => {
        const limited = limitContext(raw as Attributes);
        const keys = Object.keys(limited);
        expect(keys.length).toBeLessThanOrEqual(100);
        for (const key of keys) {
          expect(key.length).toBeLessThanOrEqual(4097);
          const v = limited[key];
          const strings = typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
          for (const text of strings as string[]) expect(text.length).toBeLessThanOrEqual(4097);
          expect(typeof v === 'object' && !Array.isArray(v)).toBe(false);
        }
      }),
      { numRuns: runs },
    );
  });

  it('names, messages and errors are cut to the live bounds; short values are kept as they are', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 100_000 }), (nameLength, messageLength) => {
        const s = withLiveLimits(
          span({
            name: 'n'.repeat(nameLength),
            events: [
              {
                kind: 'log',
                atMs: 0,
                level: 'INFO',
                message: 'm'.repeat(messageLength),
                context: {},
                error: { type: 'E', message: 'e'.repeat(messageLength), stack: 's' },
              },
            ],
          }),
        );
        const event = s.events[0] as { message: string; error: { message: string } };
        expect(s.name.length).toBeLessThanOrEqual(65_536 + 40);
        expect(s.name.startsWith('n'.repeat(Math.min(nameLength, 65_536)))).toBe(true);
        if (nameLength <= 65_536) expect(s.name).toBe('n'.repeat(nameLength));
        expect(event.message.length).toBeLessThanOrEqual(65_536 + 40);
        if (messageLength <= 65_536) expect(event.message).toBe('m'.repeat(messageLength));
        expect(event.error.message.length).toBeLessThanOrEqual(8192 + 40);
      }),
      { numRuns: Math.min(runs, 50) },
    );
  });
});
