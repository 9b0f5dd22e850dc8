/**
 * Carriers arrive in job data, messages and environment variables written by
 * other programs: any value at all. Whatever it is, a stage given it as
 * `parent` runs and returns its value, nothing of the carrier but a valid
 * month becomes an attribute, and a malformed field is warned about once.
 * STAGETRACE_PROPERTY_RUNS raises the number of runs (CI can set it).
 */

import { ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRun } from '../../../src/config/run-config.js';
import { type Carrier, traceStage } from '../../../src/index.js';
import { isRunId, readCarrier, writeCarrier } from '../../../src/model/carrier.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 300;
const FIELDS = ['parent', 'traceparent', 'tracestate', 'baggage', 'baggage stagetrace.run.id', 'baggage stagetrace.month'];

const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const validTraceparent = fc
  .tuple(hex(32), hex(16), fc.constantFrom('00', '01'))
  .filter(([t, s]) => !/^0+$/.test(t) && !/^0+$/.test(s))
  .map(([t, s, f]) => `00-${t}-${s}-${f}`);
/** Near misses: a valid traceparent with one character changed, cut short, padded, or of another version. */
const nearTraceparent = fc.oneof(
  fc.tuple(validTraceparent, fc.nat(54), fc.string({ minLength: 1, maxLength: 1 })).map(([t, i, c]) => t.slice(0, i) + c + t.slice(i + 1)),
  fc.tuple(validTraceparent, fc.nat(54)).map(([t, i]) => t.slice(0, i)),
  fc.tuple(validTraceparent, fc.string({ maxLength: 300 })).map(([t, extra]) => t + extra),
  validTraceparent.map((t) => `ff${t.slice(2)}`),
);
const baggageText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 40 }), fc.constantFrom('2024-03', '2024-13', '24-03', '')).map(([run, month]) => {
    return `stagetrace.run.id=${encodeURIComponent(run)},stagetrace.month=${encodeURIComponent(month)}`;
  }),
  fc.string({ minLength: 8193, maxLength: 9000 }),
);
const carrierLike = fc.oneof(
  fc.anything(),
  fc.record(
    {
      traceparent: fc.oneof(validTraceparent, nearTraceparent, fc.string(), fc.anything()),
      tracestate: fc.oneof(fc.string({ maxLength: 600 }), fc.anything()),
      baggage: fc.oneof(baggageText, fc.anything()),
    },
    { requiredKeys: [] },
  ),
  fc.record({ traceId: fc.oneof(hex(32), fc.anything()), spanId: fc.oneof(hex(16), fc.anything()), traceFlags: fc.anything() }),
);

let session: InMemorySession;
let stderr: StderrCapture;
beforeAll(() => {
  session = startInMemory({ sessionId: 'prop-session', runId: 'prop-run', console: true, colors: false });
  stderr = captureStderr();
});
afterAll(async () => {
  stderr.restore();
  await session.close();
});

describe('a carrier of any shape', () => {
  it('never throws from readCarrier: a parent with valid ids, a problem naming a known field, or nothing for no carrier', () => {
    fc.assert(
      fc.property(carrierLike, (value) => {
        const reading = readCarrier(value);
        if (reading.parent !== undefined) {
          expect(reading.parent.spanContext.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
          expect(reading.parent.spanContext.spanId).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
        } else if (reading.problem !== undefined) expect(FIELDS).toContain(reading.problem.field);
        else expect(value === undefined || value === null).toBe(true);
      }),
      { numRuns: runs },
    );
  });

  it('as parent: the stage runs, returns its value, and no attribute holds anything of the carrier but a valid month', () => {
    let n = 0;
    fc.assert(
      fc.property(carrierLike, (value) => {
        const name = `stage-${++n}`;
        const returned = traceStage(name, () => n, { parent: value as Carrier });
        expect(returned).toBe(n);
        const [span] = session.spansNamed(name);
        if (span === undefined) {
          // Not exported only because the parent it was given says "not sampled".
          expect((readCarrier(value).parent?.spanContext.traceFlags ?? 1) & TraceFlags.SAMPLED).toBe(0);
          return;
        }
        for (const [key, attribute] of Object.entries(span.attributes)) {
          if (typeof attribute !== 'string') continue;
          if (key === 'stagetrace.month') expect(attribute).toMatch(/^\d{4}-(0[1-9]|1[0-2])$/);
          else expect(['stage', name, 'prop-session', 'prop-run', 'success']).toContain(attribute);
        }
      }),
      { numRuns: runs },
    );
    // One warning per malformed field, however often it came.
    const warnings = stderr.lines().filter((l) => l.includes('is malformed'));
    const byField = new Map<string, number>();
    for (const line of warnings) {
      const field = /the carrier's (.+?) is malformed/.exec(line)?.[1] ?? line;
      byField.set(field, (byField.get(field) ?? 0) + 1);
    }
    for (const [field, count] of byField) expect(count, field).toBe(1);
    expect(warnings.length).toBeGreaterThan(0);
  });

  it('in the environment (TRACEPARENT, TRACESTATE, BAGGAGE) never fails start(): a valid run id, a parent or a problem', () => {
    fc.assert(
      fc.property(
        fc.option(fc.oneof(validTraceparent, nearTraceparent, fc.string()), { nil: undefined }),
        fc.option(fc.string({ maxLength: 600 }), { nil: undefined }),
        fc.option(baggageText, { nil: undefined }),
        (traceparent, tracestate, baggage) => {
          const env: Record<string, string> = {};
          if (traceparent !== undefined) env.TRACEPARENT = traceparent;
          if (tracestate !== undefined) env.TRACESTATE = tracestate;
          if (baggage !== undefined) env.BAGGAGE = baggage;
          const run = resolveRun(undefined, env, 'own-session');
          expect(isRunId(run.runId)).toBe(true);
          expect(run.envParent !== undefined && run.envProblem !== undefined).toBe(false);
          if (run.envProblem !== undefined) expect(FIELDS).toContain(run.envProblem.field);
        },
      ),
      { numRuns: runs },
    );
  });

  it('written by writeCarrier reads back as the same span, run id and month', () => {
    fc.assert(
      fc.property(
        fc.tuple(hex(32), hex(16)).filter(([t, s]) => !/^0+$/.test(t) && !/^0+$/.test(s)),
        fc.boolean(),
        fc.stringMatching(/^[\w.:-]{1,128}$/),
        fc.option(fc.constantFrom('2024-01', '1999-12'), { nil: undefined }),
        ([traceId, spanId], sampled, runId, month) => {
          const traceFlags = sampled ? TraceFlags.SAMPLED : TraceFlags.NONE;
          const carrier = writeCarrier(ROOT_CONTEXT, { traceId, spanId, traceFlags }, runId, month) as Carrier;
          const parent = readCarrier(JSON.parse(JSON.stringify(carrier))).parent;
          expect(parent?.spanContext).toMatchObject({ traceId, spanId, traceFlags, isRemote: true });
          expect(parent?.runId).toBe(runId);
          expect(parent?.month).toBe(month);
        },
      ),
      { numRuns: runs },
    );
  });
});
