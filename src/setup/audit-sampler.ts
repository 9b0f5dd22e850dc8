import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';

/**
 * Wraps a sampler so that a span it drops is still *recorded*, only not
 * exported. The audit files are written from ended spans, and a span that is
 * not recorded never ends anywhere: with a ratio sampler, months would vanish
 * from the audit trail. Recorded-but-unsampled spans reach the audit
 * processor, which writes them and forwards only sampled ones over OTLP.
 *
 * `start()` wraps the sampler chosen by `OTEL_TRACES_SAMPLER`; users of their
 * own NodeSDK can wrap theirs: `new NodeSDK({ sampler: new AuditSampler(mine) })`.
 */
export class AuditSampler implements Sampler {
  constructor(private readonly inner: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() })) {}

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const result = this.inner.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    return result.decision === SamplingDecision.NOT_RECORD ? { ...result, decision: SamplingDecision.RECORD } : result;
  }

  toString(): string {
    return `AuditSampler{${this.inner.toString()}}`;
  }
}

/**
 * The sampler `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` name, as the
 * SDK reads them (default `parentbased_always_on`). A bad ratio fails start()
 * with a clear error rather than silently sampling everything.
 */
export function samplerFromEnv(env: Record<string, string | undefined>): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase() || 'parentbased_always_on';
  const ratio = () => {
    const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
    if (raw === undefined || raw === '') return 1;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new TypeError(`stagetrace: OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1; got ${JSON.stringify(raw)}.`);
    }
    return value;
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      throw new TypeError(
        `stagetrace: OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio; got ${JSON.stringify(env.OTEL_TRACES_SAMPLER)}.`,
      );
  }
}
