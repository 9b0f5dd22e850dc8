/**
 * fast-check generators of the session's records, built through the real
 * record types, with the inputs that break hand-written serialisers: every
 * UTF-16 code unit (lone surrogates included), control characters, quotes,
 * backslashes, brackets, `__proto__` keys, and numbers such as -0, 1e21,
 * 5e-324, NaN and ±Infinity.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import fc from 'fast-check';
import type { ErrorInfo } from '../../../../../src/model/error-info.js';
import { LEVELS } from '../../../../../src/model/levels.js';
import type { MessageRecord, ScopeEndRecord, ScopeRef, ScopeStartRecord } from '../../../../../src/model/records.js';
import { PREFIX } from './reference.js';

/** Characters that need care in JSON or in a one-line log format. */
const TRICKY = [
  '"',
  '\\',
  '\n',
  '\r',
  '\r\n',
  '\t',
  '\u0000',
  '\u001b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '😀',
  'é',
  '[',
  ']',
  '] [',
  '\\n',
  '\\u0041',
  '-',
  ' ',
  '{',
  '}',
  ':',
  '\ufeff',
];

const char = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  // Any UTF-16 code unit, so lone surrogates too.
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/** Any text, weighted towards what breaks escaping. */
export const text = (maxLength = 24) => fc.string({ unit: char, maxLength });

/** A name: usually plain, sometimes anything. */
export const name = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('download', 'process', 'validate', 'upload', 'month', 'month_processing') },
  { weight: 3, arbitrary: text(16) },
);

const validMonth = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }))
  .map(([year, month]) => `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`);

/** Months are validated as `YYYY-MM` before they reach a record; the serialisers must cope with any string all the same. */
export const month = fc.oneof({ weight: 4, arbitrary: validMonth }, { weight: 1, arbitrary: text(10) });

export const sessionId = fc.oneof(fc.constantFrom('20251104_134205_a1b2c3', 'sess'), text(20));

const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
export const traceId = fc.oneof(fc.constant('0'.repeat(32)), hex(32));
export const spanId = fc.oneof(fc.constant('0'.repeat(16)), hex(16));

/** Numbers that print in surprising ways, and ordinary doubles. */
const SPECIAL_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.1,
  0.5,
  0.05,
  0.15,
  0.25,
  1.005,
  9.995,
  9.999,
  42.05,
  0.1 + 0.2,
  1e21,
  -1e21,
  1e-7,
  1.5e-7,
  5e-324,
  -5e-324,
  2 ** -1074 * 3,
  1e14,
  1e14 + 0.37,
  1e15 + 0.5,
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.EPSILON,
  1730736125.552,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** Any number, NaN and ±Infinity included. */
export const anyNumber = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
  { weight: 3, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }) },
  { weight: 2, arbitrary: fc.integer({ min: -(10 ** 9), max: 10 ** 9 }).map((n) => n / 1000) },
);

/** Byte counts: usually what a process has, sometimes anything a number can be. */
export const bytes = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 64 * 2 ** 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) },
  { weight: 1, arbitrary: anyNumber },
);

/** Durations: microsecond steps as the clock gives them, whole milliseconds, or anything. */
export const seconds = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 10 ** 12 }).map((us) => us / 1e6) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 10 ** 9 }).map((ms) => ms / 1e3) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2000 }).map((us) => us / 1e6) },
  { weight: 2, arbitrary: anyNumber },
);

/** Human lines print non-negative figures: durations and RSS. */
export const humanSeconds = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 10 ** 12 }).map((us) => us / 1e6) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 2e9, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 9.995, 9.999, 10, 42.05, 1e9, 1e9 - 0.01, 5e-324) },
);

/** Epoch milliseconds from 1970 to the end of 9999 (a four-digit year in every time zone), with sub-millisecond parts. */
export const epochMs = fc.oneof(
  { weight: 3, arbitrary: fc.double({ min: 1.6e12, max: 2e12, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 253402214400000 }) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 253402214400000, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 999.9999, 1000, 1730736125000, 1730736125550, 1730736125552.7, 253402214400000.9) },
);

const primitiveArray = fc.oneof(
  fc.array(text(8), { maxLength: 4 }),
  fc.array(anyNumber, { maxLength: 4 }),
  fc.array(fc.boolean(), { maxLength: 4 }),
);

export const attributeValue: fc.Arbitrary<AttributeValue | undefined> = fc.oneof(
  { weight: 4, arbitrary: text(24) },
  { weight: 3, arbitrary: anyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: primitiveArray },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

export const contextKey = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '0', '1', '10', '', 's3.key', 'file_key') },
  { weight: 3, arbitrary: text(12) },
);

/**
 * A context as a session has it: flattened attributes under the context
 * prefix, frozen. Now and then an attribute without the prefix, which the
 * files must leave out.
 */
export const context: fc.Arbitrary<Readonly<Attributes>> = fc
  .tuple(
    fc.uniqueArray(fc.tuple(contextKey, attributeValue), { selector: ([key]) => key, maxLength: 6 }),
    fc.option(fc.tuple(fc.constantFrom('stagetrace.kind', 'other', 'stagetrace.contex'), attributeValue), { freq: 8 }),
  )
  .map(([entries, foreign]) => {
    const all: [string, AttributeValue | undefined][] = entries.map(([key, value]) => [PREFIX + key, value]);
    if (foreign !== null) all.splice(all.length >> 1, 0, foreign);
    return Object.freeze(Object.fromEntries(all));
  });

const errorPart = fc.record({ type: text(12), message: text(40), stack: fc.option(text(80), { nil: undefined }) });

export const errorInfo: fc.Arbitrary<ErrorInfo> = fc
  .tuple(errorPart, fc.array(errorPart, { maxLength: 3 }))
  .map(([head, causes]) => ({ ...head, causes }));

export const level = fc.constantFrom(...LEVELS);

/** A month or stage. Stages sometimes have no month; ids are lower-case hex as the SDK makes them. */
export const scopeRef = (sessionIds: fc.Arbitrary<string> = sessionId): fc.Arbitrary<ScopeRef> =>
  fc.oneof(
    fc
      .record({ month, sessionId: sessionIds, traceId, spanId, sampled: fc.option(fc.boolean(), { nil: undefined }) })
      .map((r): ScopeRef => Object.freeze({ kind: 'month', name: 'month', parentSpanId: undefined, runId: `run-${r.sessionId}`, ...r })),
    fc
      .record({
        name,
        month: fc.option(month, { nil: undefined }),
        sessionId: sessionIds,
        traceId,
        spanId,
        parentSpanId: fc.option(spanId, { nil: undefined }),
        sampled: fc.option(fc.boolean(), { nil: undefined }),
      })
      .map((r): ScopeRef => Object.freeze({ kind: 'stage', runId: `run-${r.sessionId}`, ...r })),
  );

export const startRecord = (scopes: fc.Arbitrary<ScopeRef> = scopeRef()): fc.Arbitrary<ScopeStartRecord> =>
  fc
    .record({ scope: scopes, startMs: epochMs, context, rssBytes: bytes, heapUsedBytes: bytes })
    .map((r): ScopeStartRecord => Object.freeze({ type: 'start', ...r }));

/** An end record as the session builds it: slow only for stages over a threshold; errors and reasons only where they can be. */
export const endRecord = (
  scopes: fc.Arbitrary<ScopeRef> = scopeRef(),
  errors: fc.Arbitrary<ErrorInfo> = errorInfo,
): fc.Arbitrary<ScopeEndRecord> =>
  fc
    .record({
      scope: scopes,
      startMs: epochMs,
      endMs: epochMs,
      durationS: seconds,
      outcome: fc.constantFrom('success', 'failure', 'interrupted') as fc.Arbitrary<ScopeEndRecord['outcome']>,
      slow: fc.boolean(),
      thresholdS: anyNumber,
      rssStartBytes: bytes,
      rssEndBytes: bytes,
      rssPeakBytes: bytes,
      heapStartBytes: bytes,
      heapEndBytes: bytes,
      cpuPercent: fc.oneof(fc.double({ min: 0, max: 800, noNaN: true }), anyNumber),
      // Differences of whole microseconds, as process.cpuUsage() gives them.
      cpuSeconds: fc.option(
        fc.integer({ min: 0, max: 2 ** 40 }).map((us) => us / 1e6),
        { nil: undefined },
      ),
      heapPeakBytes: fc.option(bytes, { nil: undefined }),
      overlapped: fc.option(fc.boolean(), { nil: undefined }),
      error: fc.option(errors, { nil: undefined }),
      reason: fc.option(text(30), { nil: undefined }),
      context,
    })
    .map(
      (r): ScopeEndRecord =>
        Object.freeze({
          type: 'end',
          ...r,
          slow: r.scope.kind === 'stage' && r.slow,
          thresholdS: r.scope.kind === 'stage' ? r.thresholdS : undefined,
          error: r.outcome === 'success' ? undefined : r.error,
          reason: r.outcome === 'interrupted' ? r.reason : undefined,
        }),
    );

export const messageRecord = (
  scopes: fc.Arbitrary<ScopeRef> = scopeRef(),
  errors: fc.Arbitrary<ErrorInfo> = errorInfo,
): fc.Arbitrary<MessageRecord> =>
  fc
    .record({
      atMs: epochMs,
      level,
      message: text(60),
      scope: fc.option(scopes, { nil: undefined }),
      label: fc.option(name, { nil: undefined, freq: 4 }),
      context: fc.option(context, { nil: undefined }),
      error: fc.option(errors, { nil: undefined, freq: 3 }),
      rssBytes: bytes,
      crossing: fc.option(crossing, { nil: undefined, freq: 4 }),
    })
    .map(
      ({ crossing, ...r }): MessageRecord =>
        Object.freeze({
          type: 'message',
          ...r,
          ...(crossing === undefined ? {} : { memory: crossing.memory, memoryEvent: crossing.event }),
        }),
    );

/** A memory threshold crossing as the observer reports it, with the spans that got its event. */
const crossing = fc.record({
  memory: fc.record({
    level: fc.constantFrom('ok', 'warning', 'critical'),
    direction: fc.constantFrom('up', 'down'),
    threshold: fc.constantFrom('warning', 'critical'),
    thresholdBytes: bytes,
    rssBytes: bytes,
  }),
  event: fc.record({ atMs: epochMs, spanIds: fc.array(spanId, { maxLength: 4 }) }),
});
