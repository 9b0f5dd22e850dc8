import { SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  attributes as A,
  type Carrier,
  carrierEnv,
  getCarrier,
  getSessionSummary,
  startStage,
  traceMonth,
  traceStage,
} from '../../../src/index.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

let session: InMemorySession | undefined;
let stderr: StderrCapture | undefined;
const ENV_KEYS = ['TRACEPARENT', 'TRACESTATE', 'BAGGAGE', 'STAGETRACE_RUN_ID'] as const;

afterEach(async () => {
  stderr?.restore();
  stderr = undefined;
  await session?.close();
  session = undefined;
  for (const key of ENV_KEYS) delete process.env[key];
});

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const parentCarrier = (baggage?: string): Carrier => ({
  traceparent: `00-${TRACE}-${SPAN}-01`,
  ...(baggage === undefined ? {} : { baggage }),
});

function start(options: Parameters<typeof startInMemory>[0] = {}): InMemorySession {
  session = startInMemory({ sessionId: 'sess-1', ...options });
  return session;
}

describe('getCarrier()', () => {
  it("is the active month's or stage's W3C context, JSON-safe, with the run id and month in its baggage", async () => {
    const s = start({ runId: 'run-42' });
    let inMonth: Carrier | undefined;
    let inStage: Carrier | undefined;
    await traceMonth('2024-03', async () => {
      inMonth = getCarrier();
      await traceStage('parse', () => {
        inStage = getCarrier();
      });
    });
    const month = s.span('month').spanContext();
    const stage = s.span('parse').spanContext();
    expect(inMonth?.traceparent).toBe(`00-${month.traceId}-${month.spanId}-01`);
    expect(inStage?.traceparent).toBe(`00-${stage.traceId}-${stage.spanId}-01`);
    expect(inStage?.baggage?.split(',').sort()).toEqual(['stagetrace.month=2024-03', 'stagetrace.run.id=run-42']);
    expect(JSON.parse(JSON.stringify(inStage))).toEqual(inStage);
    expect(getCarrier()).toBeUndefined();
  });

  it('carrierEnv() gives the same as TRACEPARENT, TRACESTATE, BAGGAGE and STAGETRACE_RUN_ID, each always there', async () => {
    start({ runId: 'run-7' });
    expect(carrierEnv()).toEqual({ TRACEPARENT: '', TRACESTATE: '', BAGGAGE: '', STAGETRACE_RUN_ID: 'run-7' });
    await traceMonth('2024-01', () => {
      const carrier = getCarrier() as Carrier;
      expect(carrierEnv()).toEqual({
        TRACEPARENT: carrier.traceparent,
        TRACESTATE: '',
        BAGGAGE: carrier.baggage,
        STAGETRACE_RUN_ID: 'run-7',
      });
    });
  });

  it("spread over process.env, carrierEnv() replaces the carrier this process was started with, which a child's start() then reads", async () => {
    process.env.TRACEPARENT = `00-${TRACE}-${SPAN}-01`;
    process.env.TRACESTATE = 'vendor=stale';
    process.env.BAGGAGE = 'stagetrace.run.id=run-from-parent';
    start();
    await traceMonth('2024-02', () => {
      const childEnv = { ...process.env, ...carrierEnv() };
      expect(childEnv.TRACEPARENT).toBe(getCarrier()?.traceparent);
      expect(childEnv.TRACESTATE).toBe('');
      expect(childEnv.STAGETRACE_RUN_ID).toBe('run-from-parent');
    });
  });

  it('outside any month or stage, is the carrier the process was started with: handed on work stays in that trace', async () => {
    process.env.TRACEPARENT = `00-${TRACE}-${SPAN}-01`;
    process.env.BAGGAGE = 'stagetrace.run.id=run-from-parent,stagetrace.month=2024-04';
    start();
    const carrier = getCarrier();
    expect(carrier?.traceparent).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(carrier?.baggage?.split(',').sort()).toEqual(['stagetrace.month=2024-04', 'stagetrace.run.id=run-from-parent']);
    expect(carrierEnv()).toMatchObject({ TRACEPARENT: `00-${TRACE}-${SPAN}-01`, STAGETRACE_RUN_ID: 'run-from-parent' });
  });
});

describe('the parent option', () => {
  it("makes a stage the carrier's span's child, counted in the carrier's month, wherever it runs", async () => {
    const s = start();
    const value = await traceStage('load', async () => 5, { parent: parentCarrier('stagetrace.month=2024-05') });
    expect(value).toBe(5);
    const span = s.span('load');
    expect(span.spanContext().traceId).toBe(TRACE);
    expect(span.parentSpanContext?.spanId).toBe(SPAN);
    expect(span.attributes[A.ATTR_MONTH]).toBe('2024-05');
    // A nested stage stays in the same trace and month.
    traceStage('outer', () => traceStage('inner', () => undefined), { parent: parentCarrier('stagetrace.month=2024-05') });
    expect(s.span('inner').parentSpanContext?.spanId).toBe(s.span('outer').spanContext().spanId);
    expect(s.span('inner').attributes[A.ATTR_MONTH]).toBe('2024-05');
  });

  it('wins over the active month, for startStage too, and accepts an OTel SpanContext', async () => {
    const s = start();
    await traceMonth('2024-01', () => {
      startStage('remote', { parent: parentCarrier() }).end();
      traceStage('by-context', () => undefined, {
        parent: { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED },
      });
      traceStage('local', () => undefined);
    });
    for (const name of ['remote', 'by-context']) {
      expect(s.span(name).spanContext().traceId).toBe(TRACE);
      expect(s.span(name).parentSpanContext?.spanId).toBe(SPAN);
    }
    expect(s.span('local').parentSpanContext?.spanId).toBe(s.span('month').spanContext().spanId);
  });

  it("makes a month a child of the given span (a scheduler's); without one a month is a root", async () => {
    const s = start();
    await traceMonth('2024-02', () => undefined, { parent: parentCarrier() });
    await traceMonth('2024-03', () => undefined);
    const [child, root] = s.spansNamed('month');
    expect(child?.spanContext().traceId).toBe(TRACE);
    expect(child?.parentSpanContext?.spanId).toBe(SPAN);
    expect(root?.parentSpanContext).toBeUndefined();
    expect(root?.spanContext().traceId).not.toBe(TRACE);
  });

  it('ignores a malformed carrier with one warning naming the field, never its value, and the stage still runs', async () => {
    const s = start({ console: true, colors: false });
    stderr = captureStderr();
    const bad = { traceparent: '01-secret-token-value' } as Carrier;
    expect(traceStage('a', () => 1, { parent: bad })).toBe(1);
    expect(traceStage('b', () => 2, { parent: bad })).toBe(2);
    expect(traceStage('c', () => 3, { parent: { ...parentCarrier(), tracestate: 'x'.repeat(600) } })).toBe(3);
    const warnings = stderr.lines().filter((l) => l.includes('[WARNING]'));
    expect(warnings.filter((l) => l.includes("carrier's traceparent is malformed"))).toHaveLength(1);
    expect(warnings.filter((l) => l.includes("carrier's tracestate is malformed"))).toHaveLength(1);
    expect(stderr.text()).not.toContain('secret-token');
    expect(s.span('a').parentSpanContext).toBeUndefined();
    expect(s.span('c').spanContext().traceId).not.toBe(TRACE);
    expect(s.span('a').status.code).not.toBe(SpanStatusCode.ERROR);
  });
});

describe('the environment carrier read by start()', () => {
  it('makes stages outside a month children of it and gives months a link to it; the run id comes from its baggage', async () => {
    process.env.TRACEPARENT = `00-${TRACE}-${SPAN}-01`;
    process.env.BAGGAGE = 'stagetrace.run.id=run-from-parent,stagetrace.month=2024-04';
    const s = start();
    traceStage('heavy', () => undefined);
    await traceMonth('2024-06', () => traceStage('inside', () => undefined));
    const heavy = s.span('heavy');
    expect(heavy.spanContext().traceId).toBe(TRACE);
    expect(heavy.parentSpanContext?.spanId).toBe(SPAN);
    expect(heavy.attributes[A.ATTR_MONTH]).toBe('2024-04');
    expect(heavy.attributes).not.toHaveProperty(A.ATTR_RUN_ID);
    const month = s.span('month');
    expect(month.spanContext().traceId).not.toBe(TRACE);
    expect(month.parentSpanContext).toBeUndefined();
    expect(month.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([[TRACE, SPAN]]);
    expect(month.attributes[A.ATTR_RUN_ID]).toBe('run-from-parent');
    expect(s.span('inside').parentSpanContext?.spanId).toBe(month.spanContext().spanId);
    expect(getSessionSummary().stages.heavy?.executions).toBe(1);
  });

  it('takes STAGETRACE_RUN_ID over the baggage, and the session id when there is neither', async () => {
    process.env.TRACEPARENT = `00-${TRACE}-${SPAN}-01`;
    process.env.BAGGAGE = 'stagetrace.run.id=from-baggage';
    process.env.STAGETRACE_RUN_ID = 'from-variable';
    let s = start();
    await traceMonth('2024-01', () => undefined);
    expect(s.span('month').attributes[A.ATTR_RUN_ID]).toBe('from-variable');
    await s.close();
    for (const key of ENV_KEYS) delete process.env[key];
    s = start({ sessionId: 'own-session' });
    traceStage('lonely', () => undefined);
    expect(s.span('lonely').attributes[A.ATTR_RUN_ID]).toBe('own-session');
    expect(s.span('lonely').parentSpanContext).toBeUndefined();
  });

  it('ignores a malformed environment carrier with one warning naming the variable', async () => {
    process.env.TRACEPARENT = `00-${'0'.repeat(32)}-${SPAN}-01`;
    stderr = captureStderr();
    const s = start({ console: true, colors: false });
    traceStage('runs', () => undefined);
    expect(s.span('runs').parentSpanContext).toBeUndefined();
    const warnings = stderr.lines().filter((l) => l.includes('environment carrier'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('traceparent is malformed');
  });
});

describe('parallel months in one process', () => {
  it('1,000 months at once keep their own traces, and each stage the right parent', async () => {
    const s = start();
    const months = Array.from({ length: 1000 }, (_, i) => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
    await Promise.all(
      months.map((month) =>
        traceMonth(month, async () => {
          await traceStage('download', async () => {
            await new Promise((resolve) => setImmediate(resolve));
          });
          const carrier = getCarrier() as Carrier;
          // Half the months hand their stage a carrier, as a worker would get it.
          await traceStage('parse', () => new Promise((resolve) => setImmediate(resolve)), { parent: carrier });
        }),
      ),
    );
    const monthSpans = s.spansNamed('month');
    expect(monthSpans).toHaveLength(1000);
    expect(new Set(monthSpans.map((m) => m.spanContext().traceId)).size).toBe(1000);
    const byMonth = new Map(monthSpans.map((m) => [m.attributes[A.ATTR_MONTH], m.spanContext()]));
    for (const name of ['download', 'parse']) {
      const stages = s.spansNamed(name);
      expect(stages).toHaveLength(1000);
      for (const stage of stages) {
        const month = byMonth.get(stage.attributes[A.ATTR_MONTH]);
        expect(stage.spanContext().traceId).toBe(month?.traceId);
        expect(stage.parentSpanContext?.spanId).toBe(month?.spanId);
      }
    }
  }, 60_000);
});
