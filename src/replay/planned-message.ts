import type { ScopeKind } from '../model/attribute-names.js';
import type { StructuredRecord } from '../model/audit-schema.js';
import { isLevel, type LogLevel } from '../model/levels.js';
import type { MessageRecord } from '../model/records.js';
import { contextAttributes, sessionFactsFrom } from '../report/audit-records.js';
import { messageWithinLiveLimits } from './live-limits.js';
import { isSpanId, isTraceId, type TimeWindow } from './span-validation.js';

/** What the files say of the span a message was logged in, from its start or end line. */
export interface SpanOfMessage {
  kind: ScopeKind | undefined;
  sampled: boolean;
}

/**
 * A message line of structured_processing.jsonl as the message record the
 * run made of it — the input of the live log record's mapping — or why it
 * cannot be sent. The line is untrusted: its level must be one of ours, its
 * time inside the session's window, its ids valid, and every value is cut
 * to what a live run allows.
 */
export function plannedMessage(
  r: StructuredRecord & { message_seq: number; epoch_ms: number },
  span: SpanOfMessage | undefined,
  window: TimeWindow,
): MessageRecord | string {
  const what = `message ${r.message_seq}`;
  if (!isLevel(r.level)) return `${what}: level ${JSON.stringify(String(r.level).slice(0, 40))} is not a level`;
  if (!Number.isFinite(r.epoch_ms) || r.epoch_ms < window.fromMs || r.epoch_ms > window.toMs) {
    return `${what}: time ${r.epoch_ms} is not between ${new Date(window.fromMs).toISOString()} and ${new Date(window.toMs).toISOString()}`;
  }
  const inScope = r.span_id !== null || r.trace_id !== null;
  if (inScope && (!isTraceId(r.trace_id) || !isSpanId(r.span_id))) return `${what}: its trace or span id is not valid hex`;
  const context = contextAttributes(r.context);
  // The session's own first and last records carry their facts as context in the file, not on the log record.
  const facts = sessionFactsFrom(context) !== undefined;
  // The file's `stage` is the label given with the message, else the stage it was logged in.
  const kind = span?.kind ?? (r.stage !== null ? 'stage' : 'month');
  const stage = r.stage ?? undefined;
  const message: MessageRecord = {
    type: 'message',
    atMs: r.epoch_ms,
    seq: r.message_seq,
    level: r.level as LogLevel,
    message: r.message,
    scope: inScope
      ? {
          kind,
          name: kind === 'stage' ? (stage ?? '') : 'month',
          month: r.month ?? undefined,
          sessionId: r.session_id,
          runId: r.run_id ?? r.session_id,
          traceId: r.trace_id as string,
          spanId: r.span_id as string,
          parentSpanId: undefined,
          ...(span?.sampled === false && { sampled: false }),
        }
      : undefined,
    label: inScope && kind === 'stage' ? undefined : stage,
    context: facts ? undefined : context,
    // The file's stack already holds the causes, as the live record's exception.stacktrace does.
    error:
      r.has_error && r.error_type !== undefined
        ? { type: r.error_type, message: r.error_message ?? '', stack: r.error_stack, causes: [] }
        : undefined,
    rssBytes: 0,
  };
  return messageWithinLiveLimits(message);
}
