import {
  type Baggage,
  type Context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import type { W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { packageRequire } from './package-require.js';

/**
 * W3C trace context and baggage as a plain, JSON-safe object: what
 * `getCarrier()` gives and `parent` accepts, for job data, messages and
 * headers. The baggage carries the run id (`stagetrace.run.id`) and the
 * month (`stagetrace.month`).
 */
export interface Carrier {
  traceparent: string;
  tracestate?: string;
  baggage?: string;
}

/** Baggage key of the run id. */
export const BAGGAGE_RUN_ID = 'stagetrace.run.id';
/** Baggage key of the month a carrier was made in, so a stage elsewhere is counted in it. */
export const BAGGAGE_MONTH = 'stagetrace.month';

/** A span of another process (or of a scope this one cannot see), read from a carrier. */
export interface RemoteParent {
  readonly spanContext: SpanContext;
  /** From the baggage, when it had a valid one. */
  readonly runId: string | undefined;
  readonly month: string | undefined;
}

/** What reading a carrier gave: a parent, nothing (no carrier), or a problem naming the field. */
export type CarrierReading =
  | { readonly parent: RemoteParent; readonly problem?: undefined }
  | { readonly parent?: undefined; readonly problem: CarrierProblem }
  | { readonly parent?: undefined; readonly problem?: undefined };

/** Why a carrier was ignored; `field` names the part that was wrong. */
export interface CarrierProblem {
  readonly field: string;
  readonly expected: string;
}

// Bounds before any parsing: the W3C limits (tracestate 512, baggage 8192);
// a traceparent of a later version may be longer than version 00's 55.
const MAX_TRACEPARENT = 256;
const MAX_TRACESTATE = 512;
const MAX_BAGGAGE = 8192;
/** The same rule as a session id. */
const RUN_ID = /^[\w.:-]{1,128}$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** True for a run id stagetrace accepts: up to 128 letters, digits, _ . : or -. */
export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && RUN_ID.test(value);
}

interface W3CPropagators {
  readonly traceContext: W3CTraceContextPropagator;
  readonly baggage: W3CBaggagePropagator;
}

let w3c: W3CPropagators | undefined;

/**
 * Core's W3C propagators, loaded with the first carrier read or written:
 * most runs use none, and importing stagetrace does not load core. Core is
 * CommonJS on the 2.x line and has a `require` entry on the 3.x line.
 */
function propagators(): W3CPropagators | undefined {
  if (w3c === undefined) {
    try {
      const core = packageRequire()?.('@opentelemetry/core') as typeof import('@opentelemetry/core') | undefined;
      if (core !== undefined) w3c = { traceContext: new core.W3CTraceContextPropagator(), baggage: new core.W3CBaggagePropagator() };
    } catch {
      // A bundle that hides core from stagetrace's location: carriers are then unread and unwritten, never a crash.
    }
  }
  return w3c;
}

const getter: TextMapGetter<Record<string, string>> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};
const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const problem = (field: string, expected: string): CarrierReading => ({ problem: { field, expected } });

function optionalText(value: unknown, field: string, max: number): string | CarrierReading | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max) return problem(field, `a string of at most ${max} characters, or no ${field}`);
  return value;
}

/**
 * Reads a carrier (or an OTel `SpanContext`) given as `parent`, or found in
 * the environment. Never throws: anything malformed is a problem naming the
 * field, and nothing of it is kept.
 */
export function readCarrier(value: unknown, where = 'parent'): CarrierReading {
  try {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      return problem(where, 'a carrier { traceparent, tracestate?, baggage? } or a SpanContext');
    }
    if ('traceparent' in value || !('traceId' in value)) return readW3C(value as Record<string, unknown>);
    return readSpanContext(value as Record<string, unknown>, where);
  } catch {
    return problem(where, 'a carrier { traceparent, tracestate?, baggage? } or a SpanContext');
  }
}

function readW3C(value: Record<string, unknown>): CarrierReading {
  const traceparent = value.traceparent;
  if (typeof traceparent !== 'string' || traceparent.length > MAX_TRACEPARENT) {
    return problem('traceparent', "W3C trace context text such as '00-<32 hex trace id>-<16 hex span id>-01'");
  }
  const tracestate = optionalText(value.tracestate, 'tracestate', MAX_TRACESTATE);
  if (typeof tracestate === 'object') return tracestate;
  const baggage = optionalText(value.baggage, 'baggage', MAX_BAGGAGE);
  if (typeof baggage === 'object') return baggage;
  const fields: Record<string, string> = { traceparent };
  if (tracestate !== undefined) fields.tracestate = tracestate;
  if (baggage !== undefined) fields.baggage = baggage;
  const w3cPropagators = propagators();
  if (w3cPropagators === undefined) return problem('traceparent', 'a carrier read with @opentelemetry/core, which could not be loaded');
  const { traceContext, baggage: baggagePropagator } = w3cPropagators;
  const ctx = baggagePropagator.extract(traceContext.extract(ROOT_CONTEXT, fields, getter), fields, getter);
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext === undefined || !isSpanContextValid(spanContext)) {
    return problem('traceparent', "W3C trace context text such as '00-<32 hex trace id>-<16 hex span id>-01' (ids not all zeros)");
  }
  const entries = propagation.getBaggage(ctx);
  const runId = entries?.getEntry(BAGGAGE_RUN_ID)?.value;
  if (runId !== undefined && !isRunId(runId)) return problem(`baggage ${BAGGAGE_RUN_ID}`, 'up to 128 letters, digits, _ . : or -');
  const month = entries?.getEntry(BAGGAGE_MONTH)?.value;
  if (month !== undefined && !MONTH.test(month)) return problem(`baggage ${BAGGAGE_MONTH}`, 'a month as YYYY-MM');
  return { parent: { spanContext, runId, month } };
}

function readSpanContext(value: Record<string, unknown>, where: string): CarrierReading {
  const { traceId, spanId, traceFlags, isRemote } = value;
  const flags = typeof traceFlags === 'number' && Number.isInteger(traceFlags) ? traceFlags & 0xff : undefined;
  const spanContext: SpanContext = {
    traceId: traceId as string,
    spanId: spanId as string,
    traceFlags: flags ?? 0,
    isRemote: typeof isRemote === 'boolean' ? isRemote : true,
  };
  if (typeof traceId !== 'string' || typeof spanId !== 'string' || flags === undefined || !isSpanContextValid(spanContext)) {
    return problem(where, 'a SpanContext with a 32 hex traceId and a 16 hex spanId (not all zeros) and numeric traceFlags');
  }
  return { parent: { spanContext, runId: undefined, month: undefined } };
}

/** The carrier of `spanContext`, with the run id and month in its baggage (over any baggage of `ctx`). */
export function writeCarrier(ctx: Context, spanContext: SpanContext, runId: string, month: string | undefined): Carrier | undefined {
  let entries: Baggage = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  entries = entries.setEntry(BAGGAGE_RUN_ID, { value: runId });
  entries = month === undefined ? entries.removeEntry(BAGGAGE_MONTH) : entries.setEntry(BAGGAGE_MONTH, { value: month });
  const out = propagation.setBaggage(trace.setSpanContext(ROOT_CONTEXT, spanContext), entries);
  const fields: Record<string, string> = {};
  const w3cPropagators = propagators();
  if (w3cPropagators === undefined) return undefined;
  const { traceContext, baggage: baggagePropagator } = w3cPropagators;
  traceContext.inject(out, fields, setter);
  baggagePropagator.inject(out, fields, setter);
  const { traceparent, tracestate, baggage } = fields;
  if (traceparent === undefined) return undefined;
  const carrier: Carrier = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  if (baggage) carrier.baggage = baggage;
  return carrier;
}

/** The text a warning gives for a carrier it ignored: never the value itself. */
export function carrierProblemText(p: CarrierProblem, where: string, what: string): string {
  return `${where}: the carrier's ${p.field} is malformed (expected ${p.expected}); ${what} without it.`;
}
