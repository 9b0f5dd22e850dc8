import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/**
 * What a finished span costs the process's resident memory while it waits
 * in the forward queue: the span object with its ids, times, context and
 * status, each attribute and event, and each string value. Summed over the
 * queue, it is what `otlp.maxQueueBytes` bounds; attribute keys are shared
 * constants and not counted per span.
 *
 * Calibrated against RSS, not the live heap: a queued span is an old-space
 * object among the pipeline's garbage, and V8 keeps free room in proportion
 * to the old space, so a stage span with fifteen attributes (about 1.2 KB of
 * live heap) grew a process's steady-state RSS by about 5.5 KB during a
 * ten-minute outage at 1,000 spans/s (BENCHMARKS.md, comparison 7).
 */
const SPAN_BYTES = 3000;
const ATTRIBUTE_BYTES = 160;
const EVENT_BYTES = 800;
const STRING_BYTES = 48;

function valueBytes(value: AttributeValue | undefined): number {
  if (typeof value === 'string') return STRING_BYTES + value.length * 2;
  if (Array.isArray(value)) {
    let bytes = 32;
    for (const item of value) bytes += typeof item === 'string' ? STRING_BYTES + item.length * 2 : 16;
    return bytes;
  }
  return 0;
}

function attributesBytes(attributes: Attributes): number {
  let bytes = 0;
  for (const key in attributes) bytes += ATTRIBUTE_BYTES + valueBytes(attributes[key]);
  return bytes;
}

/** Estimated resident bytes of one queued span. */
export function estimateSpanBytes(span: ReadableSpan): number {
  let bytes = SPAN_BYTES + span.name.length * 2 + attributesBytes(span.attributes);
  for (const event of span.events) {
    bytes += EVENT_BYTES + event.name.length * 2;
    if (event.attributes !== undefined) bytes += attributesBytes(event.attributes);
  }
  if (span.status.message !== undefined) bytes += STRING_BYTES + span.status.message.length * 2;
  return bytes;
}
