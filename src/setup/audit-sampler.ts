import { type Attributes, type Context, isSpanContextValid, type Link, type SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace';

/**
 * The SDK's `SamplingDecision` values (a stable enum of the sampling
 * specification), written here so that importing stagetrace does not load
 * the SDK: `AuditSampler` must be constructible synchronously.
 */
const NOT_RECORD = 0 as SamplingResult['decision'];
const RECORD = 1 as SamplingResult['decision'];
const RECORD_AND_SAMPLED = 2 as SamplingResult['decision'];

/**
 * The SDK's default sampler, `ParentBasedSampler({ root: AlwaysOnSampler })`:
 * a root span is sampled, a child follows its parent's sampled flag.
 */
class ParentBasedAlwaysOn implements Sampler {
  shouldSample(context: Context): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent === undefined || !isSpanContextValid(parent)) return { decision: RECORD_AND_SAMPLED };
    return { decision: (parent.traceFlags & TraceFlags.SAMPLED) !== 0 ? RECORD_AND_SAMPLED : NOT_RECORD };
  }

  toString(): string {
    return 'ParentBased{root=AlwaysOnSampler, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}';
  }
}

/**
 * Wraps a sampler so that a span it drops is still recorded (only not
 * exported), as the SDK's `createAlwaysRecordSampler` does: a `NOT_RECORD`
 * decision becomes `RECORD`, with the same attributes and trace state.
 *
 * @deprecated No longer needed: the audit files are written from
 * stagetrace's own records, so they are complete whatever the sampler
 * decides. Kept so that `new NodeSDK({ sampler: new AuditSampler(mine) })`
 * still works; it costs recording spans that are never exported.
 */
export class AuditSampler implements Sampler {
  readonly #inner: Sampler;

  constructor(inner: Sampler = new ParentBasedAlwaysOn()) {
    this.#inner = inner;
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const result = this.#inner.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    if (result.decision !== NOT_RECORD) return result;
    return { decision: RECORD, attributes: result.attributes, traceState: result.traceState };
  }

  toString(): string {
    return `AuditSampler{${this.#inner.toString()}}`;
  }
}
