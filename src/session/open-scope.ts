import { type Attributes, type Context, context as contextApi, createContextKey, type Span, trace } from '@opentelemetry/api';
import type { RemoteParent } from '../model/carrier.js';
import type { ScopeEndRecord, ScopeRef } from '../model/records.js';

/** Context key under which the innermost open month or stage lives. */
const SCOPE_KEY = createContextKey('stagetrace.scope');

/** Context key of the month a remote parent's carrier named. */
const REMOTE_MONTH_KEY = createContextKey('stagetrace.remote-month');

/** The innermost stagetrace scope active in `ctx`, if any. */
export function activeScope(ctx: Context = contextApi.active()): OpenScope | undefined {
  return ctx.getValue(SCOPE_KEY) as OpenScope | undefined;
}

/**
 * `ctx` with a span of elsewhere as the parent: no local scope is active in
 * it any more, and the carrier's month (if any) is the month of what opens in it.
 */
export function remoteParentContext(ctx: Context, parent: RemoteParent): Context {
  const out = trace.setSpanContext(ctx.deleteValue(SCOPE_KEY), parent.spanContext);
  return parent.month === undefined ? out.deleteValue(REMOTE_MONTH_KEY) : out.setValue(REMOTE_MONTH_KEY, parent.month);
}

/** The month a remote parent's carrier named in `ctx`, if any. */
export function remoteMonth(ctx: Context): string | undefined {
  return ctx.getValue(REMOTE_MONTH_KEY) as string | undefined;
}

/** What a scope is opened with. */
export interface ScopeInit {
  readonly ref: ScopeRef;
  readonly span: Span;
  /** The context it was opened in; its own context is this one with its span and itself set. */
  readonly parentCtx: Context;
  /** The enclosing open scope in that context, if any. */
  readonly parent: OpenScope | undefined;
  readonly startMs: number;
  readonly rssStartBytes: number;
  readonly heapStartBytes: number;
  /** Process CPU time at the start, µs. */
  readonly cpuStartMicros: number;
  /** Stages: the slow threshold in force, seconds. */
  readonly thresholdS: number | undefined;
  /** Caller context, flattened. */
  readonly context: Readonly<Attributes>;
}

/**
 * The live state of an open month or stage, internal to the session. Users
 * hold a handle (see api/handles.ts) that reaches this only through private
 * fields, so nothing here (span, context, session) is visible from outside.
 * One class serves both kinds so the hot path sees one shape.
 */
export class OpenScope {
  readonly ctx: Context;
  /** Highest RSS and heap sampled while open; updated by the memory sampler. */
  peakRssBytes: number;
  peakHeapBytes: number;
  /** Another scope, neither an ancestor nor a descendant, was open at the same time (see OpenScopes.add). */
  overlapped = false;
  /** Caller context so far; replaced, never mutated, when context is added (records keep the old object). */
  context: Readonly<Attributes>;
  /** The last progress mark recorded on the span (a tenth of the total, or a power of two without one). */
  progressMark = 0;
  /** Set once, when the scope ends. */
  end: ScopeEndRecord | undefined;

  readonly ref: ScopeRef;
  readonly span: Span;
  readonly parent: OpenScope | undefined;
  readonly startMs: number;
  readonly rssStartBytes: number;
  readonly heapStartBytes: number;
  readonly cpuStartMicros: number;
  readonly thresholdS: number | undefined;

  constructor(init: ScopeInit) {
    this.ref = init.ref;
    this.span = init.span;
    this.parent = init.parent;
    this.startMs = init.startMs;
    this.rssStartBytes = init.rssStartBytes;
    this.heapStartBytes = init.heapStartBytes;
    this.cpuStartMicros = init.cpuStartMicros;
    this.thresholdS = init.thresholdS;
    this.ctx = trace.setSpan(init.parentCtx, init.span).setValue(SCOPE_KEY, this);
    this.peakRssBytes = init.rssStartBytes;
    this.peakHeapBytes = init.heapStartBytes;
    this.context = init.context;
  }

  get ended(): boolean {
    return this.end !== undefined;
  }

  onSample(sample: { rssBytes: number; heapUsedBytes: number }): void {
    if (sample.rssBytes > this.peakRssBytes) this.peakRssBytes = sample.rssBytes;
    if (sample.heapUsedBytes > this.peakHeapBytes) this.peakHeapBytes = sample.heapUsedBytes;
  }

  /** Whether `other` encloses this scope (its parent, or its parent's parent…). */
  isInside(other: OpenScope): boolean {
    for (let p = this.parent; p !== undefined; p = p.parent) if (p === other) return true;
    return false;
  }
}
