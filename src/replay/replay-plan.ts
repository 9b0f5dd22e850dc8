import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Attributes } from '@opentelemetry/api';
import { CONTEXT_PREFIX, type Outcome } from '../model/attribute-names.js';
import type { DeliverySessionRecord, StructuredRecord } from '../model/audit-schema.js';
import { secondsBetween } from '../model/clock.js';
import { readAuditLog } from '../report/read-audit-log.js';
import { withLiveLimits } from './live-limits.js';
import { plannedMessage } from './planned-message.js';
import type { PlannedError, PlannedEvent, PlannedSession, PlannedSpan } from './planned-span.js';
import { invalidReason, sessionWindow, type TimeWindow } from './span-validation.js';

/**
 * What `stagetrace replay` will send, read from a log folder: per session
 * that forwarded spans over OTLP, each of its months and stages that the
 * collector did not acknowledge, with everything the run's span carried.
 */

export type { PlannedEnd, PlannedError, PlannedEvent, PlannedSession, PlannedSpan } from './planned-span.js';

interface Building {
  span: Partial<PlannedSpan> & { events: PlannedEvent[] };
  sampled: boolean;
  old: boolean;
  started: boolean;
}

interface SessionBuilding {
  spans: Map<string, Building>;
  lastMs: number;
  runId: string | undefined;
  messages: MessagesBuilding;
}

type NumberedLine = StructuredRecord & { message_seq: number; epoch_ms: number };

/** A session's message lines as they are read: which to send, and the counts of the others. */
class MessagesBuilding {
  readonly pending: NumberedLine[] = [];
  readonly #seen = new Set<number>();
  alreadyDelivered = 0;
  notReplayable = 0;
  duplicates = 0;

  take(r: StructuredRecord, delivered: ReadonlySet<number> | undefined): void {
    const seq = r.message_seq;
    if (seq === undefined || typeof r.epoch_ms !== 'number') this.notReplayable++;
    else if (this.#seen.has(seq)) this.duplicates++;
    else {
      this.#seen.add(seq);
      if (delivered?.has(seq)) this.alreadyDelivered++;
      else this.pending.push(r as NumberedLine);
    }
  }
}

const OUTCOMES = new Set<string>(['success', 'failure', 'interrupted']);
/** Reasons kept per session for invalid spans: the rest are counted. */
const MAX_INVALID_REASONS = 3;

function withPrefix(context: Record<string, unknown> | undefined): Attributes {
  const out: Attributes = {};
  if (context === undefined || context === null) return out;
  for (const [key, value] of Object.entries(context)) {
    // JSON has no NaN or Infinity: such values were written as null and cannot be rebuilt.
    if (value !== null && value !== undefined) out[CONTEXT_PREFIX + key] = value as Attributes[string];
  }
  return out;
}

function errorOf(r: StructuredRecord): PlannedError | undefined {
  if (!r.has_error || r.error_stack === undefined) return undefined;
  return { type: r.error_type ?? 'Error', message: r.error_message ?? '', stack: r.error_stack };
}

/** Is the process that wrote `session` alive on this host? */
function stillRunning(session: DeliverySessionRecord | undefined): boolean {
  if (session === undefined || session.host_name !== hostname() || session.pid === process.pid) return false;
  try {
    process.kill(session.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads a log folder into what replay sends, per session that forwarded spans; `sessionId` picks one. */
export async function planReplay(dir: string, sessionId?: string): Promise<PlannedSession[]> {
  if (!existsSync(dir)) throw new Error(`stagetrace: replay: folder ${JSON.stringify(dir)} does not exist.`);
  const deliveries = new Map<string, DeliverySessionRecord>();
  const ended = new Set<string>();
  const acknowledged = new Set<string>();
  /** Per session: the messages whose log records the collector took. */
  const loggedSeqs = new Map<string, Set<number>>();
  for await (const r of readAuditLog(dir, { file: 'delivery', sessionId })) {
    if (r.record_type === 'session') {
      const first = deliveries.get(r.session_id);
      // The first says who the spans are from; a later one may add that the messages were forwarded as logs.
      if (first === undefined) deliveries.set(r.session_id, r);
      else if (first.logs_endpoint === undefined && r.logs_endpoint !== undefined) {
        deliveries.set(r.session_id, { ...first, logs_endpoint: r.logs_endpoint });
      }
    } else if (r.record_type === 'delivered') {
      for (const id of r.span_ids) acknowledged.add(`${r.session_id}/${id}`);
    } else if (r.record_type === 'logs_delivered') {
      const seqs = loggedSeqs.get(r.session_id) ?? new Set<number>();
      loggedSeqs.set(r.session_id, seqs);
      for (const seq of r.message_seqs) seqs.add(seq);
    } else if (r.record_type === 'session_end') {
      ended.add(r.session_id);
    }
  }

  const nowMs = Date.now();
  const windows = new Map<string, TimeWindow>();
  for (const [sid, record] of deliveries) windows.set(sid, sessionWindow(record.timestamp, nowMs));
  const sessions = new Map<string, SessionBuilding>();
  const newSession = (): SessionBuilding => ({ spans: new Map(), lastMs: 0, runId: undefined, messages: new MessagesBuilding() });
  const spanOf = (sid: string, spanId: string): Building => {
    let session = sessions.get(sid);
    if (session === undefined) {
      session = newSession();
      sessions.set(sid, session);
    }
    let b = session.spans.get(spanId);
    if (b === undefined) {
      b = { span: { spanId, events: [] }, sampled: true, old: false, started: false };
      session.spans.set(spanId, b);
    }
    return b;
  };

  for await (const r of readAuditLog(dir, { sessionId })) {
    // Only sessions that forwarded spans have anything the collector missed.
    const delivery = deliveries.get(r.session_id);
    if (delivery === undefined) {
      if (!sessions.has(r.session_id)) sessions.set(r.session_id, newSession());
      continue;
    }
    const session = sessions.get(r.session_id) ?? newSession();
    sessions.set(r.session_id, session);
    // Messages of a session that forwarded logs, those outside any month too: each was a log record.
    if (r.record_type === 'message' && delivery.logs_endpoint !== undefined) session.messages.take(r, loggedSeqs.get(r.session_id));
    if (session.runId === undefined && typeof r.run_id === 'string') session.runId = r.run_id;
    const window = windows.get(r.session_id);
    // An absurd time in an edited file must not become the end of the spans replay closes.
    if (typeof r.epoch_ms === 'number' && r.epoch_ms > session.lastMs && window !== undefined && r.epoch_ms <= window.toMs) {
      session.lastMs = r.epoch_ms;
    }
    if (r.span_id === null || r.trace_id === null) continue;

    if (r.record_type === 'message') {
      if (typeof r.epoch_ms !== 'number') continue; // schema 1: no event time to rebuild
      const memory = r.memory_event;
      if (memory !== undefined) {
        for (const id of memory.span_ids) {
          spanOf(r.session_id, id).span.events.push({
            kind: 'memory',
            atMs: memory.epoch_ms,
            level: memory.level,
            direction: memory.direction,
            rssBytes: memory.rss_bytes,
            thresholdBytes: memory.threshold_bytes,
          });
        }
      }
      spanOf(r.session_id, r.span_id).span.events.push({
        kind: 'log',
        atMs: r.epoch_ms,
        level: r.level,
        message: r.message,
        context: withPrefix(r.context),
        error: errorOf(r),
      });
      continue;
    }

    const b = spanOf(r.session_id, r.span_id);
    const s = b.span;
    s.kind = r.record_type === 'month' ? 'month' : 'stage';
    s.name = r.record_type === 'month' ? 'month' : (r.stage ?? '');
    s.month = r.month ?? undefined;
    s.traceId = r.trace_id;
    if (r.sampled === false) b.sampled = false;
    if (r.stage_event === 'start') {
      if (typeof r.epoch_ms !== 'number') {
        b.old = true;
        continue;
      }
      b.started = true;
      s.parentSpanId = r.parent_span_id ?? undefined;
      s.startMs = r.epoch_ms;
      s.rssStartBytes = r.rss_bytes ?? 0;
      s.heapStartBytes = r.heap_used_bytes ?? 0;
      s.startContext = withPrefix(r.context);
    } else if (r.stage_event === 'end') {
      if (typeof r.epoch_ms !== 'number' || typeof r.start_epoch_ms !== 'number' || !OUTCOMES.has(String(r.outcome))) {
        b.old = true;
        continue;
      }
      const startMs = r.start_epoch_ms;
      const durationS = secondsBetween(startMs, r.epoch_ms);
      const thresholdS = r.threshold_s ?? undefined;
      const exception = errorOf(r);
      s.parentSpanId = r.parent_span_id ?? undefined;
      s.startMs = startMs;
      s.rssStartBytes = r.rss_start_bytes ?? 0;
      s.heapStartBytes = r.heap_start_bytes ?? 0;
      s.end = {
        endMs: r.epoch_ms,
        durationS,
        outcome: r.outcome as Outcome,
        slow: thresholdS !== undefined && durationS > thresholdS,
        thresholdS,
        error: exception === undefined ? undefined : { type: exception.type, message: exception.message, stack: undefined, causes: [] },
        exception,
        reason: r.reason,
        rssStartBytes: r.rss_start_bytes ?? 0,
        rssEndBytes: r.rss_end_bytes ?? 0,
        rssPeakBytes: r.rss_peak_bytes ?? 0,
        heapStartBytes: r.heap_start_bytes ?? 0,
        heapEndBytes: r.heap_end_bytes ?? 0,
        context: withPrefix(r.context),
      };
    }
  }

  if (sessionId !== undefined && !sessions.has(sessionId)) {
    throw new Error(`stagetrace: replay: no session ${JSON.stringify(sessionId)} in ${JSON.stringify(dir)}.`);
  }

  const out: PlannedSession[] = [];
  for (const [sid, session] of sessions) {
    const planned: PlannedSession = {
      sessionId: sid,
      runId: session.runId ?? sid,
      delivery: deliveries.get(sid),
      ended: ended.has(sid),
      running: !ended.has(sid) && stillRunning(deliveries.get(sid)),
      spans: [],
      alreadyDelivered: 0,
      notSampled: 0,
      notReplayable: 0,
      invalid: 0,
      invalidReasons: [],
      closedAtMs: session.lastMs,
      messages: [],
      messagesAlreadyDelivered: session.messages.alreadyDelivered,
      messagesNotReplayable: session.messages.notReplayable,
      messagesInvalid: session.messages.duplicates,
      messagesInvalidReasons: session.messages.duplicates > 0 ? ['a message number seen twice (only its first line is sent)'] : [],
    };
    const window = windows.get(sid) ?? sessionWindow(undefined, nowMs);
    for (const line of session.messages.pending) {
      const b = line.span_id === null ? undefined : session.spans.get(line.span_id);
      const message = plannedMessage(line, b && { kind: b.span.kind, sampled: b.sampled }, window);
      if (typeof message !== 'string') planned.messages.push(message);
      else {
        planned.messagesInvalid++;
        if (planned.messagesInvalidReasons.length < MAX_INVALID_REASONS) planned.messagesInvalidReasons.push(message);
      }
    }
    for (const b of session.spans.values()) {
      const s = b.span;
      // Known only from messages or memory events (its own records rotated away): nothing to rebuild it from.
      if (s.kind === undefined) continue;
      if (!b.sampled) planned.notSampled++;
      else if (acknowledged.has(`${sid}/${s.spanId}`)) planned.alreadyDelivered++;
      else if (b.old || s.startMs === undefined || (s.end === undefined && !b.started)) planned.notReplayable++;
      else {
        s.startContext ??= s.end?.context ?? {};
        const why = invalidReason(s as PlannedSpan, window, planned.closedAtMs);
        if (why === undefined) {
          planned.spans.push(withLiveLimits(s as PlannedSpan));
        } else {
          planned.invalid++;
          if (planned.invalidReasons.length < MAX_INVALID_REASONS) planned.invalidReasons.push(why);
        }
      }
    }
    out.push(planned);
  }
  return out;
}
