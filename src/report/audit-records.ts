import type { Attributes } from '@opentelemetry/api';
import { CONTEXT_PREFIX } from '../model/attribute-names.js';
import type { PerformanceRecord, StructuredRecord } from '../model/audit-schema.js';
import { type ErrorInfo, MAX_ERROR_CAUSES } from '../model/error-info.js';
import { isLevel } from '../model/levels.js';
import type { ThresholdCrossing } from '../model/memory-crossing.js';
import type { MessageRecord, ScopeEndRecord, ScopeRef, ScopeStartRecord } from '../model/records.js';
import { MEMORY_KEYS, SESSION_KEYS, type SessionFacts } from '../model/session-facts.js';
import { BYTES_PER_MB } from '../model/units.js';

/**
 * The audit files' JSON lines turned back into the records the session
 * built: what the files hold, at the precision they hold it. What they do
 * not hold is left empty (heap at start, parent span ids, error stacks,
 * thresholds), and no consumer of offline records may rely on it.
 */

/** Epoch ms of a record: `processing_time` is epoch seconds with exactly three decimals. */
export function atMsOf(record: { processing_time?: number; timestamp: string }): number {
  return typeof record.processing_time === 'number' ? Math.round(record.processing_time * 1000) : Date.parse(record.timestamp);
}

/** The file's context object as attributes under `stagetrace.context.`, as the session held them. */
export function contextAttributes(context: Record<string, unknown> | undefined): Attributes {
  const out: Attributes = {};
  if (context === undefined || context === null || typeof context !== 'object') return out;
  for (const key in context) out[CONTEXT_PREFIX + key] = context[key] as Attributes[string];
  return out;
}

function refOf(r: StructuredRecord | PerformanceRecord, kind: 'month' | 'stage', name: string): ScopeRef {
  return {
    kind,
    name,
    month: r.month ?? undefined,
    sessionId: r.session_id,
    runId: r.run_id ?? r.session_id,
    traceId: r.trace_id ?? '',
    spanId: r.span_id ?? '',
    parentSpanId: undefined,
  };
}

/**
 * Records read back from the files prefix their context again only when it
 * is read: the statistics never read scope contexts, and a report over a
 * gigabyte of files would otherwise build two objects per stage for nothing.
 */
class FileStartRecord implements ScopeStartRecord {
  readonly type = 'start';
  readonly heapUsedBytes = 0;
  readonly #raw: Record<string, unknown> | undefined;
  #context: Attributes | undefined;

  constructor(
    readonly scope: ScopeRef,
    readonly startMs: number,
    readonly rssBytes: number,
    raw: Record<string, unknown> | undefined,
  ) {
    this.#raw = raw;
  }

  get context(): Attributes {
    this.#context ??= contextAttributes(this.#raw);
    return this.#context;
  }
}

/** A structured `start` line as a start record. */
export function startRecordFrom(r: StructuredRecord): ScopeStartRecord {
  const kind = r.record_type === 'month' ? 'month' : 'stage';
  return new FileStartRecord(
    refOf(r, kind, kind === 'month' ? 'month' : (r.stage ?? '')),
    atMsOf(r),
    (r.memory_mb ?? 0) * BYTES_PER_MB,
    r.context,
  );
}

class FileEndRecord implements ScopeEndRecord {
  readonly type = 'end';
  readonly thresholdS = undefined;
  readonly #raw: Record<string, unknown> | undefined;
  #context: Attributes | undefined;

  constructor(
    readonly scope: ScopeRef,
    readonly startMs: number,
    readonly endMs: number,
    readonly durationS: number,
    readonly outcome: ScopeEndRecord['outcome'],
    readonly slow: boolean,
    readonly rssStartBytes: number,
    readonly rssEndBytes: number,
    readonly rssPeakBytes: number,
    readonly heapStartBytes: number,
    readonly heapEndBytes: number,
    readonly cpuPercent: number,
    readonly heapPeakBytes: number | undefined,
    readonly cpuSeconds: number | undefined,
    readonly overlapped: boolean | undefined,
    readonly error: ScopeEndRecord['error'],
    readonly reason: string | undefined,
    raw: Record<string, unknown> | undefined,
  ) {
    this.#raw = raw;
  }

  get context(): Attributes {
    this.#context ??= contextAttributes(this.#raw);
    return this.#context;
  }
}

/**
 * A structured `end` line and its performance line (matched by span id) as
 * an end record. Without the performance line, `slow` is false and the peak
 * is the end figure. Lines written before the scope's own CPU, heap peak and
 * overlap were recorded leave them undefined.
 */
export function endRecordFrom(r: StructuredRecord, perf: PerformanceRecord | undefined): ScopeEndRecord {
  const kind = r.record_type === 'month' ? 'month' : 'stage';
  const endMs = atMsOf(r);
  const durationS = r.stage_duration ?? perf?.duration_seconds ?? 0;
  const outcome = r.outcome ?? (r.success_status === false ? 'failure' : 'success');
  const endMb = r.memory_mb ?? perf?.memory_mb ?? 0;
  let error: ScopeEndRecord['error'];
  let reason: string | undefined;
  if (r.has_error && r.error_type !== undefined) {
    // The session writes an interruption without an error as type `Interrupted` with the reason as its message.
    if (outcome === 'interrupted' && r.error_type === 'Interrupted') reason = r.error_message ?? '';
    else error = { type: r.error_type, message: r.error_message ?? '', stack: undefined, causes: causesFrom(r.error_causes) };
  }
  return new FileEndRecord(
    refOf(r, kind, kind === 'month' ? 'month' : (r.stage ?? '')),
    endMs - durationS * 1000,
    endMs,
    durationS,
    outcome,
    perf?.slow ?? false,
    (endMb - (perf?.memory_delta_mb ?? 0)) * BYTES_PER_MB,
    endMb * BYTES_PER_MB,
    (perf?.memory_peak_mb ?? endMb) * BYTES_PER_MB,
    ((perf?.heap_used_mb ?? 0) - (perf?.heap_delta_mb ?? 0)) * BYTES_PER_MB,
    (perf?.heap_used_mb ?? 0) * BYTES_PER_MB,
    perf?.cpu_percent ?? 0,
    perf?.heap_peak_mb === undefined ? undefined : perf.heap_peak_mb * BYTES_PER_MB,
    perf?.cpu_seconds,
    perf?.overlapped,
    error,
    reason,
    r.context,
  );
}

/** The line's `error_causes`, as far as it is well-formed: the file is read as untrusted input. */
function causesFrom(value: unknown): ErrorInfo['causes'] {
  if (!Array.isArray(value)) return [];
  const out: ErrorInfo['causes'] = [];
  for (const c of value.slice(0, MAX_ERROR_CAUSES)) {
    const type = (c as { type?: unknown } | null)?.type;
    const message = (c as { message?: unknown } | null)?.message;
    if (typeof type === 'string' && typeof message === 'string') out.push({ type, message, stack: undefined });
  }
  return out;
}

/** A structured message line as a message record. */
export function messageRecordFrom(r: StructuredRecord): MessageRecord {
  // The file names a message's stage (its own, or the label given with it) and the span it was logged in.
  const inScope = r.span_id !== null && r.span_id !== undefined;
  const context = contextAttributes(r.context);
  const sessionFacts = sessionFactsFrom(context);
  const memory = sessionFacts === undefined ? memoryCrossingFrom(context) : undefined;
  return {
    type: 'message',
    atMs: atMsOf(r),
    level: isLevel(r.level) ? r.level : 'INFO',
    message: r.message ?? '',
    scope: inScope ? refOf(r, r.stage !== null ? 'stage' : 'month', r.stage ?? 'month') : undefined,
    label: inScope ? undefined : (r.stage ?? undefined),
    // The session's own records hold their facts typed, as the live session built them, not as context.
    context: sessionFacts === undefined ? context : undefined,
    error:
      r.has_error && r.error_type !== undefined
        ? { type: r.error_type, message: r.error_message ?? '', stack: undefined, causes: causesFrom(r.error_causes) }
        : undefined,
    rssBytes: (r.memory_mb ?? 0) * BYTES_PER_MB,
    ...(r.message_seq !== undefined && { seq: r.message_seq }),
    ...(sessionFacts !== undefined && { sessionFacts }),
    ...(memory !== undefined && { memory }),
  };
}

const numberOr = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const count = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0);

/** The session's start or end facts a message line's context holds (the reader's half of the codec); undefined on other lines. */
export function sessionFactsFrom(context: Attributes): SessionFacts | undefined {
  const event = context[SESSION_KEYS.event];
  if (event === 'end') {
    return {
      event: 'end',
      telemetry: {
        auditWriteErrors: count(context[SESSION_KEYS.auditWriteErrors]),
        auditLostRecords: count(context[SESSION_KEYS.auditLostRecords]),
        otlpDroppedSpans: count(context[SESSION_KEYS.otlpDroppedSpans]),
        otlpDroppedLogRecords: count(context[SESSION_KEYS.otlpDroppedLogRecords]),
        otlpExportErrors: count(context[SESSION_KEYS.otlpExportErrors]),
        alertFailures: count(context[SESSION_KEYS.alertFailures]),
      },
    };
  }
  if (event !== 'start') return undefined;
  const stageThresholds = new Map<string, number>();
  const prefix = SESSION_KEYS.stageThresholdPrefix;
  for (const key in context) {
    const value = context[key];
    if (key.startsWith(prefix) && typeof value === 'number') stageThresholds.set(key.slice(prefix.length), value);
  }
  const name = context[SESSION_KEYS.serviceName];
  return {
    event: 'start',
    serviceName: typeof name === 'string' ? name : '',
    defaultThresholdS: numberOr(context[SESSION_KEYS.defaultThresholdS], 0),
    stageThresholds,
    memoryWarningMb: numberOr(context[SESSION_KEYS.memoryWarningMb], 0),
    memoryCriticalMb: numberOr(context[SESSION_KEYS.memoryCriticalMb], 0),
  };
}

/** The memory threshold crossing a message line's context reports; undefined when it reports none. */
function memoryCrossingFrom(context: Attributes): ThresholdCrossing | undefined {
  const level = context[MEMORY_KEYS.level];
  if (level !== 'ok' && level !== 'warning' && level !== 'critical') return undefined;
  const threshold = context[MEMORY_KEYS.threshold];
  return {
    level,
    direction: context[MEMORY_KEYS.direction] === 'down' ? 'down' : 'up',
    threshold: threshold === 'warning' || threshold === 'critical' ? threshold : level === 'critical' ? 'critical' : 'warning',
    rssBytes: numberOr(context[MEMORY_KEYS.rssMb], 0) * BYTES_PER_MB,
    thresholdBytes: numberOr(context[MEMORY_KEYS.thresholdMb], 0) * BYTES_PER_MB,
  };
}
