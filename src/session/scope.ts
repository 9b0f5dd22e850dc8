import {
  type Attributes,
  type Context,
  context as contextApi,
  createContextKey,
  type Span,
  type SpanContext,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { EndOptions, HandleLogOptions, ScopeHandle } from '../api/handles.js';
import { logWithin } from '../api/progress.js';
import * as A from '../model/attribute-names.js';
import type { StageContext } from '../model/context-attributes.js';
import { type ErrorInfo, stackWithCauses, toErrorInfo } from '../model/error-info.js';
import type { Runtime } from './session.js';

/** Context key under which the innermost open month or stage lives. */
export const SCOPE_KEY = createContextKey('stagetrace.scope');

/** The innermost stagetrace scope active in `ctx`, if any. */
export function activeScope(ctx: Context = contextApi.active()): Scope | undefined {
  return ctx.getValue(SCOPE_KEY) as Scope | undefined;
}

const MB = 1024 * 1024;
const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * An open month or stage: its span, its context, and what its end needs.
 * One class serves both kinds so the hot path has one shape for V8.
 */
export class Scope implements ScopeHandle {
  readonly ctx: Context;
  readonly startedAtMs: number;
  readonly startRssBytes: number;
  readonly startHeapBytes: number;
  peakRssBytes: number;
  ended = false;
  outcome: A.Outcome | undefined;
  endedAtMs = 0;
  durationS = 0;
  endRssBytes = 0;
  endHeapBytes = 0;
  slow = false;
  error: ErrorInfo | undefined;
  /** Why an interrupted scope was interrupted (signal, exit, shutdown). */
  reason: string | undefined;
  /** Context attributes (prefixed), kept for the start record and the console. */
  contextAttributes: Attributes;

  constructor(
    readonly runtime: Runtime,
    readonly kind: 'month' | 'stage',
    readonly name: string,
    readonly month: string | undefined,
    readonly span: Span,
    parentCtx: Context,
    readonly parent: Scope | undefined,
    readonly thresholdS: number,
    contextAttributes: Attributes,
  ) {
    this.ctx = trace.setSpan(parentCtx, span).setValue(SCOPE_KEY, this);
    this.contextAttributes = contextAttributes;
    const sample = runtime.memory.latest;
    this.startRssBytes = sample.rssBytes;
    this.startHeapBytes = sample.heapUsedBytes;
    this.peakRssBytes = sample.rssBytes;
    this.startedAtMs = Date.now();
  }

  get spanContext(): SpanContext {
    return this.span.spanContext();
  }

  addContext(context: StageContext): void {
    try {
      const attrs = this.runtime.flatten(context);
      this.span.setAttributes(attrs);
      this.contextAttributes = Object.isFrozen(this.contextAttributes) ? { ...attrs } : Object.assign(this.contextAttributes, attrs);
    } catch {
      // Telemetry never throws into the caller.
    }
  }

  log(message: string, options?: HandleLogOptions): void {
    logWithin(this.runtime, this, message, options);
  }

  run<T>(fn: () => T): T {
    return contextApi.with(this.ctx, fn);
  }

  end(options?: EndOptions): void {
    if (this.ended) {
      this.runtime.warnOnce(
        `end-twice:${this.kind}:${this.name}`,
        `${this.kind} "${this.name}" was ended twice; the second end() is ignored.`,
      );
      return;
    }
    if (options?.context) this.addContext(options.context);
    const failed = options?.error !== undefined || options?.success === false;
    this.finish(failed ? 'failure' : 'success', options?.error);
  }

  onSample(sample: { rssBytes: number }): void {
    if (sample.rssBytes > this.peakRssBytes) this.peakRssBytes = sample.rssBytes;
  }

  /** Ends the span and reports; never throws. A second call does nothing. */
  finish(outcome: A.Outcome, error?: unknown, reason?: string): void {
    if (this.ended) return;
    this.ended = true;
    const rt = this.runtime;
    try {
      this.outcome = outcome;
      this.reason = reason;
      rt.closeScope(this);
      const sample = rt.memory.latest;
      this.endRssBytes = sample.rssBytes;
      this.endHeapBytes = sample.heapUsedBytes;
      if (sample.rssBytes > this.peakRssBytes) this.peakRssBytes = sample.rssBytes;
      this.endedAtMs = Date.now();
      this.durationS = (this.endedAtMs - this.startedAtMs) / 1000;

      const span = this.span;
      if (this.kind === A.KIND_STAGE && this.durationS > this.thresholdS) {
        this.slow = true;
        span.addEvent(A.EVENT_SLOW, { [A.ATTR_THRESHOLD_S]: this.thresholdS, [A.ATTR_DURATION_S]: this.durationS });
        span.setAttribute(A.ATTR_THRESHOLD_S, this.thresholdS);
      }
      if (outcome !== 'success') {
        if (error !== undefined) {
          this.error = toErrorInfo(error, rt.redactor);
          span.recordException({ name: this.error.type, message: this.error.message, stack: stackWithCauses(this.error) });
        }
        const message = reason ?? this.error?.message ?? (outcome === 'interrupted' ? 'interrupted' : 'failed');
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${this.error?.type ?? outcome}: ${message}` });
        if (reason) span.setAttribute(A.ATTR_INTERRUPTED_REASON, reason);
      }
      span.setAttributes({
        [A.ATTR_OUTCOME]: outcome,
        [A.ATTR_DURATION_S]: this.durationS,
        [A.ATTR_SLOW]: this.slow,
        [A.ATTR_RSS_END_MB]: round1(this.endRssBytes / MB),
        [A.ATTR_RSS_DELTA_MB]: round1((this.endRssBytes - this.startRssBytes) / MB),
        [A.ATTR_RSS_PEAK_MB]: round1(this.peakRssBytes / MB),
        [A.ATTR_HEAP_END_MB]: round1(this.endHeapBytes / MB),
        [A.ATTR_HEAP_DELTA_MB]: round1((this.endHeapBytes - this.startHeapBytes) / MB),
      });
      span.end();
    } catch (err) {
      rt.reportInternalError('ending a span', err);
    }
    rt.scopeEnded(this);
  }
}
