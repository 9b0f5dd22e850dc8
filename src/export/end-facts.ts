import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import * as A from '../model/attribute-names.js';

/** What the end of a month or stage says, read back from its span. */
export interface EndFacts {
  kind: 'month' | 'stage';
  name: string;
  month: string | undefined;
  sessionId: string;
  startMs: number;
  endMs: number;
  durationS: number;
  outcome: A.Outcome;
  slow: boolean;
  thresholdS: number | undefined;
  rssEndMb: number;
  rssDeltaMb: number;
  rssPeakMb: number;
  heapEndMb: number;
  heapDeltaMb: number;
  errorType: string | undefined;
  errorMessage: string | undefined;
  /** The recorded stack, `Caused by:` sections included. */
  errorStack: string | undefined;
  reason: string | undefined;
  attributes: Readonly<Record<string, unknown>>;
  traceId: string;
  spanId: string;
}

const hrMs = (t: HrTime) => t[0] * 1000 + t[1] / 1e6;
const numberOr = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);

/** The facts of a stagetrace span; undefined for spans that are not months or stages. */
export function endFactsFromSpan(span: ReadableSpan): EndFacts | undefined {
  const a = span.attributes;
  const kind = a[A.ATTR_KIND];
  if (kind !== A.KIND_STAGE && kind !== A.KIND_MONTH) return undefined;
  let errorType: string | undefined;
  let errorMessage: string | undefined;
  let errorStack: string | undefined;
  for (const event of span.events) {
    if (event.name === 'exception' && event.attributes) {
      // The last exception is the one that ended the scope.
      errorType = event.attributes['exception.type'] as string | undefined;
      errorMessage = event.attributes['exception.message'] as string | undefined;
      errorStack = event.attributes['exception.stacktrace'] as string | undefined;
    }
  }
  const startMs = hrMs(span.startTime);
  const endMs = hrMs(span.endTime);
  const outcome = a[A.ATTR_OUTCOME];
  const ctx = span.spanContext();
  return {
    kind,
    name: kind === A.KIND_STAGE ? String(a[A.ATTR_STAGE_NAME] ?? span.name) : span.name,
    month: a[A.ATTR_MONTH] as string | undefined,
    sessionId: String(a[A.ATTR_SESSION_ID] ?? ''),
    startMs,
    endMs,
    durationS: numberOr(a[A.ATTR_DURATION_S], (endMs - startMs) / 1000),
    outcome:
      outcome === 'success' || outcome === 'failure' || outcome === 'interrupted'
        ? outcome
        : span.status.code === 2
          ? 'failure'
          : 'success',
    slow: a[A.ATTR_SLOW] === true,
    thresholdS: a[A.ATTR_THRESHOLD_S] as number | undefined,
    rssEndMb: numberOr(a[A.ATTR_RSS_END_MB], 0),
    rssDeltaMb: numberOr(a[A.ATTR_RSS_DELTA_MB], 0),
    rssPeakMb: numberOr(a[A.ATTR_RSS_PEAK_MB], 0),
    heapEndMb: numberOr(a[A.ATTR_HEAP_END_MB], 0),
    heapDeltaMb: numberOr(a[A.ATTR_HEAP_DELTA_MB], 0),
    errorType,
    errorMessage,
    errorStack,
    reason: a[A.ATTR_INTERRUPTED_REASON] as string | undefined,
    attributes: a,
    traceId: ctx.traceId,
    spanId: ctx.spanId,
  };
}
