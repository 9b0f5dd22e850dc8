import { type ErrorInfo, stackWithCauses } from '../../model/error-info.js';
import { num, quote } from '../../model/json-text.js';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../../model/records.js';

/**
 * The fields of schema 2 that let `stagetrace replay` rebuild a span exactly
 * as the run built it: the parent, times at full precision, the memory
 * figures in bytes, the exception's stack, the memory event, and whether the
 * span was sampled. Each is appended after `span_id`, the last field of
 * schema 1, so scripts that read the older fields are not disturbed.
 *
 * Times are the epoch milliseconds the span was given, printed as the
 * shortest text that reads back as the same double: a replayed span gets
 * the same nanoseconds.
 */

// Ids are lower-case hex: nothing to escape.
const idOrNull = (id: string | undefined) => (id === undefined ? 'null' : `"${id}"`);

/** The tail of a start line. */
export function startSpanFields(r: ScopeStartRecord): string {
  return `,"parent_span_id":${idOrNull(r.scope.parentSpanId)},"epoch_ms":${num(r.startMs)},"rss_bytes":${num(r.rssBytes)},"heap_used_bytes":${num(r.heapUsedBytes)},"sampled":${r.scope.sampled !== false}`;
}

/** The tail of an end line. */
export function endSpanFields(r: ScopeEndRecord): string {
  let out = `,"parent_span_id":${idOrNull(r.scope.parentSpanId)},"start_epoch_ms":${num(r.startMs)},"epoch_ms":${num(r.endMs)},"rss_start_bytes":${num(r.rssStartBytes)},"rss_end_bytes":${num(r.rssEndBytes)},"rss_peak_bytes":${num(r.rssPeakBytes)},"heap_start_bytes":${num(r.heapStartBytes)},"heap_end_bytes":${num(r.heapEndBytes)}`;
  if (r.thresholdS !== undefined) out += `,"threshold_s":${num(r.thresholdS)}`;
  if (r.reason !== undefined) out += `,"reason":${quote(r.reason)}`;
  if (r.error !== undefined) out += errorFields(r.error);
  return `${out},"sampled":${r.scope.sampled !== false}`;
}

/** The tail of a message line. */
export function messageSpanFields(r: MessageRecord): string {
  let out = `,"epoch_ms":${num(r.atMs)}`;
  if (r.seq !== undefined) out += `,"message_seq":${r.seq}`;
  if (r.error !== undefined) out += errorFields(r.error);
  const m = r.memory;
  const e = r.memoryEvent;
  if (m !== undefined && e !== undefined) {
    let ids = '';
    for (const id of e.spanIds) ids += `${ids === '' ? '' : ','}"${id}"`;
    out += `,"memory_event":{"epoch_ms":${num(e.atMs)},"level":"${m.level}","direction":"${m.direction}","rss_bytes":${num(m.rssBytes)},"threshold_bytes":${num(m.thresholdBytes)},"span_ids":[${ids}]}`;
  }
  return out;
}

/**
 * The error's type as the exception event has it is `error_type`; its full
 * stack, causes included, is here; and the `cause` chain's types and
 * messages on their own, for the reports.
 */
function errorFields(error: ErrorInfo): string {
  let out = `,"error_stack":${quote(stackWithCauses(error))}`;
  if (error.causes.length > 0) {
    let causes = '';
    for (const c of error.causes) causes += `${causes === '' ? '' : ','}{"type":${quote(c.type)},"message":${quote(c.message)}}`;
    out += `,"error_causes":[${causes}]`;
  }
  return out;
}
