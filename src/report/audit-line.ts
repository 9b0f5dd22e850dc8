import { AUDIT_SCHEMA_VERSION, MAX_SEQS_PER_LINE } from '../model/audit-schema.js';
import { AuditLogError } from './audit-log-error.js';
import { type LinePosition, MAX_LINE_CHARS, OVERLONG_LINE } from './line-reader.js';

/**
 * The one decoder of the audit files' JSON lines, used by every reader: the
 * files are read back as untrusted input. A line is a record only when it
 * parses, has a schema version this reader knows, and every field it holds
 * has the type and range the session writes; anything else is a reason to
 * skip it, never an exception for the reader. Checks are flat: a nested
 * value is refused by its type, never walked, so depth cannot overflow.
 */

/** Which JSONL file a line is from. */
export type AuditLogKind = 'structured' | 'performance' | 'delivery';

/** A line decoded: the record, a reason to skip it, or nothing for a blank line. */
export type DecodedLine = { record: Record<string, unknown>; reason?: undefined } | { record?: undefined; reason: string } | undefined;

export const TORN_LINE = 'torn last line (the process was stopped while writing it)';

/** A version above this is damage, not a newer stagetrace. */
const MAX_PLAUSIBLE_VERSION = 1000;

interface FieldType {
  /** What the field holds, for the reason a line is skipped. */
  what: string;
  test: (value: unknown) => boolean;
}

const type = (what: string, test: (value: unknown) => boolean): FieldType => ({ what, test });
const orNull = (t: FieldType): FieldType => type(`${t.what} or null`, (v) => v === null || t.test(v));
const range = (what: string, min: number, max: number) => type(what, (v) => typeof v === 'number' && v >= min && v <= max);
/** Numbers the session writes with `num()`, which writes null for a number that is not finite. */
const numberOrNull = (what: string, min: number, max: number) => orNull(range(what, min, max));

const PRIMITIVE = new Set(['string', 'number', 'boolean']);
const isPrimitive = (v: unknown) => v === null || PRIMITIVE.has(typeof v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const STRING = type('a string', (v) => typeof v === 'string');
const BOOLEAN = type('true or false', (v) => typeof v === 'boolean');
const oneOf = (...values: unknown[]) => type(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, (v) => values.includes(v));
// Bounds: Date's range for times; a century for durations; a petabyte; 2^53 for bytes and counts.
const EPOCH_SECONDS = range('epoch seconds', -8.64e12, 8.64e12);
const EPOCH_MS = numberOrNull('epoch milliseconds', -8.64e15, 8.64e15);
const SECONDS = numberOrNull('seconds from 0 to 3.2e9', 0, 3.2e9);
const MB = numberOrNull('megabytes from 0 to 1e9', 0, 1e9);
const MB_DELTA = numberOrNull('megabytes from -1e9 to 1e9', -1e9, 1e9);
const BYTES = numberOrNull('bytes from 0 to 2^53', 0, 2 ** 53);
const PERCENT = numberOrNull('a percentage from 0 to 1e6', 0, 1e6);
const CPU_SECONDS = range('CPU seconds from 0 to 3.2e9', 0, 3.2e9);
const CPU_SHARE = range('a CPU share from 0 to 1e6', 0, 1e6);
const COUNT = type('a whole number of 0 or more', (v) => Number.isSafeInteger(v) && (v as number) >= 0);
/** A message's number in its session: from 1, as the session counts them. */
const SEQ = type('a whole number of 1 or more', (v) => Number.isSafeInteger(v) && (v as number) >= 1);
const OUTCOME = oneOf('success', 'failure', 'interrupted');
/** An attribute value: a primitive or a flat array of primitives, as the session writes context and resources. */
const ATTRIBUTES = type('an object of attribute values (strings, numbers, booleans or flat arrays of them)', (v) => {
  if (!isObject(v)) return false;
  for (const key in v) {
    const value = v[key];
    if (isPrimitive(value)) continue;
    if (!Array.isArray(value)) return false;
    for (const item of value) if (!isPrimitive(item)) return false;
  }
  return true;
});
/** Message numbers of one delivered batch: bounded, so a forged line cannot make a reader hold millions. */
const SEQS = type(`an array of at most ${MAX_SEQS_PER_LINE} whole numbers of 1 or more`, (v) => {
  if (!Array.isArray(v) || v.length > MAX_SEQS_PER_LINE) return false;
  for (const seq of v) if (!SEQ.test(seq)) return false;
  return true;
});
const STRINGS = type('an array of strings', (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'));
const COUNTS = type('an object of whole numbers', (v) => {
  if (!isObject(v)) return false;
  for (const key in v) if (!COUNT.test(v[key])) return false;
  return true;
});
const MEMORY_EVENT = type('a memory event object', (v) => {
  if (!isObject(v)) return false;
  return (
    EPOCH_MS.test(v.epoch_ms) &&
    STRING.test(v.level) &&
    STRING.test(v.direction) &&
    BYTES.test(v.rss_bytes) &&
    BYTES.test(v.threshold_bytes) &&
    STRINGS.test(v.span_ids)
  );
});

interface RecordShape {
  /** Fields checked when present; `session_id` is checked for every file. */
  fields: Readonly<Record<string, FieldType>>;
  /** What the fields must hold together; the problem, if any. */
  whole?: (record: Record<string, unknown>) => string | undefined;
}

const SHAPES: Readonly<Record<AuditLogKind, RecordShape>> = {
  structured: {
    fields: {
      record_type: oneOf('message', 'stage', 'month'),
      processing_time: EPOCH_SECONDS,
      timestamp: STRING,
      run_id: STRING,
      level: STRING,
      message: STRING,
      month: orNull(STRING),
      stage: orNull(STRING),
      stage_event: oneOf('start', 'end', null),
      stage_duration: SECONDS,
      success_status: BOOLEAN,
      outcome: OUTCOME,
      context: ATTRIBUTES,
      memory_mb: MB,
      has_error: BOOLEAN,
      error_type: STRING,
      error_message: STRING,
      trace_id: orNull(STRING),
      span_id: orNull(STRING),
      parent_span_id: orNull(STRING),
      epoch_ms: EPOCH_MS,
      start_epoch_ms: EPOCH_MS,
      rss_bytes: BYTES,
      heap_used_bytes: BYTES,
      rss_start_bytes: BYTES,
      rss_end_bytes: BYTES,
      rss_peak_bytes: BYTES,
      heap_start_bytes: BYTES,
      heap_end_bytes: BYTES,
      threshold_s: SECONDS,
      reason: STRING,
      error_stack: STRING,
      message_seq: SEQ,
      memory_event: MEMORY_EVENT,
      sampled: BOOLEAN,
    },
    // Readers place a structured record in time by processing_time, else by timestamp.
    whole: (r) =>
      r.processing_time !== undefined || Math.abs(Date.parse(r.timestamp as string)) <= 8.64e15
        ? undefined
        : 'no processing_time and no timestamp that reads as a date',
  },
  performance: {
    fields: {
      span_id: STRING,
      record_type: oneOf('stage', 'month'),
      timestamp: STRING,
      run_id: STRING,
      month: orNull(STRING),
      stage: STRING,
      duration_seconds: SECONDS,
      memory_mb: MB,
      memory_delta_mb: MB_DELTA,
      memory_peak_mb: MB,
      heap_used_mb: MB,
      heap_delta_mb: MB_DELTA,
      cpu_percent: PERCENT,
      success: BOOLEAN,
      outcome: OUTCOME,
      slow: BOOLEAN,
      context: ATTRIBUTES,
      trace_id: STRING,
      cpu_seconds: CPU_SECONDS,
      cpu_share: CPU_SHARE,
      heap_peak_mb: range('megabytes from 0 to 1e9', 0, 1e9),
      overlapped: BOOLEAN,
    },
  },
  delivery: {
    fields: {
      record_type: oneOf('session', 'delivered', 'logs_delivered', 'session_end'),
      timestamp: STRING,
      pid: COUNT,
      host_name: STRING,
      endpoint: STRING,
      resource: ATTRIBUTES,
      scope_name: STRING,
      scope_version: orNull(STRING),
      via: oneOf('forward', 'replay'),
      span_ids: STRINGS,
      logs_endpoint: STRING,
      message_seqs: SEQS,
      delivered_spans: COUNT,
      undelivered_spans: COUNTS,
      export_errors: COUNT,
      delivered_logs: COUNT,
      undelivered_logs: COUNTS,
    },
    // Replay walks these lists: a record of either kind without its list is not a delivery.
    whole: (r) =>
      (r.record_type === 'delivered' && r.span_ids === undefined) || (r.record_type === 'logs_delivered' && r.message_seqs === undefined)
        ? `a ${r.record_type} record without ${r.record_type === 'delivered' ? 'span_ids' : 'message_seqs'}`
        : undefined,
  },
};

/** A value named in a reason: its type, or a number itself; never the text of a string. */
function described(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}

/** The shapes' fields as maps: a record's own keys are walked (the engine's fast path) and looked up. */
const FIELD_MAPS = Object.fromEntries(
  Object.entries(SHAPES).map(([kind, shape]) => [kind, new Map(Object.entries(shape.fields))]),
) as Record<AuditLogKind, Map<string, FieldType>>;

function shapeProblem(record: Record<string, unknown>, kind: AuditLogKind): string | undefined {
  const fields = FIELD_MAPS[kind];
  for (const name in record) {
    const value = record[name];
    const field = fields.get(name);
    if (field === undefined || value === undefined || field.test(value)) continue;
    return `${name} is ${described(value)}, expected ${field.what}`;
  }
  return SHAPES[kind].whole?.(record);
}

/**
 * One line of an audit JSONL file as a record, or why it is not one. `at`
 * (the line reader) says where the line is, asked only when it matters.
 *
 * @throws AuditLogError (`newer-schema`) for a record of a schema version
 *   newer than this reader's: reading on would misread it.
 */
export function decodeAuditLine(kind: AuditLogKind, text: string, at: { position(): LinePosition }): DecodedLine {
  if (text === OVERLONG_LINE) return { reason: `longer than ${MAX_LINE_CHARS} characters: skipped to its end` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (text.trim() === '') return undefined;
    return { reason: at.position().torn ? TORN_LINE : `not JSON (${(error as Error).message.slice(0, 200)})` };
  }
  if (!isObject(value) || typeof value.schema_version !== 'number') return { reason: 'not an audit record (no schema_version)' };
  if (typeof value.session_id !== 'string') return { reason: 'not an audit record (no session_id)' };
  const version = value.schema_version;
  if (!Number.isInteger(version) || version < 1 || version > MAX_PLAUSIBLE_VERSION)
    return { reason: `schema_version ${version} is not a version of the audit files` };
  if (version > AUDIT_SCHEMA_VERSION) {
    const where = at.position();
    throw new AuditLogError(
      'newer-schema',
      `${where.file}:${where.line} has schema_version ${version}, newer than this reader's ${AUDIT_SCHEMA_VERSION}: upgrade stagetrace to read it.`,
    );
  }
  const problem = shapeProblem(value, kind);
  return problem === undefined ? { record: value } : { reason: `not a valid record: ${problem}` };
}
