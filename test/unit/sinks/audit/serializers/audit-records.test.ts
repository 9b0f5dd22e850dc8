/**
 * The hand-written record serialisers against independent references: each
 * line parses to exactly the record JSON.stringify gives for a plain object
 * with the documented fields in the documented order, and prints every
 * number as String() does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contextJson } from '../../../../../src/model/json-text.js';
import type { ScopeEndRecord, ScopeRef } from '../../../../../src/model/records.js';
import { toMb } from '../../../../../src/model/units.js';
import {
  errorBlock,
  performanceLineFromParts,
  recordParts,
  startLineFromParts,
  structuredEndLine,
  structuredLine,
  successEndLineFromParts,
} from '../../../../../src/sinks/audit/audit-records.js';
import { endSpanFields, messageSpanFields, startSpanFields } from '../../../../../src/sinks/audit/span-fields.js';
import { endRecord, epochMs, errorInfo, messageRecord, month, name, sessionId, spanId, startRecord, text, traceId } from './arbitraries.js';
import {
  expectErrorBlock,
  expectJsonLine,
  PREFIX,
  refContext,
  refEndRecord,
  refLabel,
  refMessageRecord,
  refOutcomeLine,
  refPerformanceRecord,
  refStartMessage,
  refStartRecord,
  refTraceback,
} from './reference.js';

const partsOf = (scope: ScopeRef) =>
  recordParts(scope.kind, scope.name, scope.month, scope, refStartMessage(scope), `${refLabel(scope)} completed successfully`);

describe('structured start line', () => {
  it('parses to the documented start record', () => {
    fc.assert(
      fc.property(startRecord(), (r) => {
        const line = startLineFromParts(
          partsOf(r.scope),
          r.startMs,
          r.context,
          toMb(r.rssBytes),
          r.scope.traceId,
          r.scope.spanId,
          startSpanFields(r),
        );
        expectJsonLine(line, refStartRecord(r));
      }),
    );
  });

  it('regression: processing_time of a whole second or ten milliseconds prints as String() does', () => {
    fc.assert(
      fc.property(startRecord(), fc.constantFrom(1730736125000, 1730736125550, 1730736125500.25, 1730736125010), (r, startMs) => {
        const record = { ...r, startMs, rssBytes: 1024 * 1024 };
        const line = startLineFromParts(partsOf(r.scope), startMs, r.context, 1, r.scope.traceId, r.scope.spanId, startSpanFields(record));
        expectJsonLine(line, refStartRecord(record));
      }),
    );
    const parts = recordParts('stage', 'load', undefined, { sessionId: 's', runId: 's' }, 'Starting load', 'load completed successfully');
    expect(startLineFromParts(parts, 1730736125550, {}, 1, 'a', 'b')).toContain('"processing_time":1730736125.55,');
    expect(startLineFromParts(parts, 1730736125000, {}, 1, 'a', 'b')).toContain('"processing_time":1730736125,');
  });
});

describe('structured end line', () => {
  it('of a success, from the cached parts, parses to the documented end record', () => {
    const success = endRecord().map(
      (r): ScopeEndRecord => Object.freeze({ ...r, outcome: 'success', error: undefined, reason: undefined }),
    );
    fc.assert(
      fc.property(success, (r) => {
        expectJsonLine(successEndLineFromParts(partsOf(r.scope), r, contextJson(r.context, PREFIX), endSpanFields(r)), refEndRecord(r));
      }),
    );
  });

  it('of any outcome, built in full, parses to the documented end record', () => {
    fc.assert(
      fc.property(endRecord(), (r) => {
        const { level, message } = refOutcomeLine(r);
        expectJsonLine(structuredEndLine(r, message, level, endSpanFields(r)), refEndRecord(r));
      }),
    );
  });
});

describe('performance line', () => {
  it('parses to the documented performance record, whatever the outcome', () => {
    fc.assert(
      fc.property(endRecord(), (r) => {
        expectJsonLine(performanceLineFromParts(partsOf(r.scope), r, contextJson(r.context, PREFIX)), refPerformanceRecord(r));
      }),
    );
  });

  it('regression: a duration exactly one denormal from zero keeps its digits', () => {
    const r = fc.sample(endRecord(), { numRuns: 1, seed: 1 })[0] as ScopeEndRecord;
    const tiny = { ...r, durationS: 5e-324 };
    expectJsonLine(performanceLineFromParts(partsOf(r.scope), tiny, contextJson(r.context, PREFIX)), refPerformanceRecord(tiny));
  });
});

describe('structured message line', () => {
  it('parses to the documented message record', () => {
    fc.assert(
      fc.property(messageRecord(), sessionId, (r, defaultSession) => {
        const scope = r.scope;
        const line = structuredLine({
          recordType: 'message',
          atMs: r.atMs,
          sessionId: scope?.sessionId ?? defaultSession,
          runId: scope?.runId ?? defaultSession,
          level: r.level,
          message: r.message,
          month: scope?.month,
          stage: r.label ?? (scope?.kind === 'stage' ? scope.name : undefined),
          stageEvent: undefined,
          attributes: r.context,
          memoryMb: toMb(r.rssBytes),
          errorType: r.error?.type,
          errorMessage: r.error?.message,
          traceId: scope?.traceId,
          spanId: scope?.spanId,
          tail: messageSpanFields(r),
        });
        expectJsonLine(line, refMessageRecord(r, defaultSession));
      }),
    );
  });
});

describe('error block', () => {
  const fields = fc.record({
    atMs: epochMs,
    sessionId,
    month: fc.option(month, { nil: undefined }),
    stage: fc.option(name, { nil: undefined }),
    message: fc.option(text(60), { nil: undefined }),
    error: errorInfo,
    seeAbove: fc.option(text(30), { nil: undefined, freq: 4 }),
    attributes: fc.option(
      endRecord().map((r) => r.context),
      { nil: undefined },
    ),
    traceId: fc.option(traceId, { nil: undefined }),
    spanId: fc.option(spanId, { nil: undefined }),
  });

  it('reads back field by field, one line each, with the traceback indented and nothing unsafe on any line', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const block = errorBlock({
          atMs: f.atMs,
          sessionId: f.sessionId,
          month: f.month,
          stage: f.stage,
          message: f.message,
          errorType: f.error.type,
          errorMessage: f.error.message,
          stack: f.error.stack,
          causes: f.error.causes,
          seeAbove: f.seeAbove,
          attributes: f.attributes,
          traceId: f.traceId,
          spanId: f.spanId,
        });
        expectErrorBlock(block, {
          ...f,
          errorType: f.error.type,
          errorMessage: f.error.message,
          traceback: f.seeAbove === undefined ? refTraceback(f.error) : `(the same error: its traceback is in ${f.seeAbove})`,
          context: refContext(f.attributes),
        });
      }),
    );
  });

  it('regression: the Context line escapes the line separators and C1 controls JSON leaves raw', () => {
    const block = errorBlock({
      atMs: 0,
      sessionId: 's',
      month: undefined,
      stage: undefined,
      message: undefined,
      errorType: 'E',
      errorMessage: 'm',
      stack: undefined,
      attributes: { [`${PREFIX}note`]: 'a\u2028b\u0085c\u009bd\u007f' },
      traceId: undefined,
      spanId: undefined,
    });
    expect(block).toContain('Context: {"note":"a\\u2028b\\u0085c\\u009bd\\u007f"}\n');
  });
});
