import { CONTEXT_PREFIX } from '../../model/attribute-names.js';
import { AUDIT_SCHEMA_VERSION, MONTH_STAGE_NAME } from '../../model/audit-schema.js';
import { CappedMap } from '../../model/capped-map.js';
import type { ErrorInfo } from '../../model/error-info.js';
import { escapeForLine, formatLocalTimestamp } from '../../model/human-format.js';
import {
  contextJson,
  isoTimestamp,
  jsonForLine,
  num,
  quote,
  secondsJson,
  tenthsJson,
  wholeMillisecondsAsSecondsJson,
} from '../../model/json-text.js';
import { cpuShareOf, type ScopeEndRecord } from '../../model/records.js';
import { BYTES_PER_MB, toMb } from '../../model/units.js';

/** Quoted JSON of names that repeat (stage names, months, session ids, fixed messages). */
const quotedCache = new CappedMap<string, string>();
const quoted = { get: (text: string) => quotedCache.get(text, quote) };
const quotedOrNull = (text: string | undefined) => (text === undefined ? 'null' : quoted.get(text));
const mbJson = (bytes: number) => tenthsJson(bytes / BYTES_PER_MB);

const HEAD = `{"schema_version":${AUDIT_SCHEMA_VERSION},"record_type":`;

/** Inputs of a structured record; `stageEvent` undefined for plain messages. */
export interface StructuredFields {
  recordType: 'message' | 'stage' | 'month';
  atMs: number;
  sessionId: string;
  runId: string;
  level: string;
  message: string;
  month: string | undefined;
  stage: string | undefined;
  stageEvent: 'start' | 'end' | undefined;
  attributes: Readonly<Record<string, unknown>> | undefined;
  memoryMb: number;
  errorType: string | undefined;
  errorMessage: string | undefined;
  traceId: string | undefined;
  spanId: string | undefined;
  /** Only on `end`. */
  durationS?: number;
  outcome?: string;
  /** Fields appended after `span_id` (see span-fields.ts), starting with a comma. */
  tail?: string;
}

/** Epoch seconds with milliseconds (`1730736125.552`), the text `String()` gives, by integer arithmetic. */
const epochSeconds = (epochMs: number) => wholeMillisecondsAsSecondsJson(Math.floor(epochMs));

/** One line of structured_processing.jsonl, newline included. */
export function structuredLine(f: StructuredFields): string {
  // Not cached: messages, and the outcome lines of failed and interrupted scopes, carry one-off error texts.
  let line = `${HEAD}"${f.recordType}","timestamp":"${isoTimestamp(f.atMs)}","processing_time":${epochSeconds(f.atMs)},"session_id":${quoted.get(f.sessionId)},"run_id":${quoted.get(f.runId)},"level":"${f.level}","message":${quote(f.message)},"month":${quotedOrNull(f.month)},"stage":${quotedOrNull(f.recordType === 'month' ? MONTH_STAGE_NAME : f.stage)},"stage_event":${f.stageEvent === undefined ? 'null' : `"${f.stageEvent}"`}`;
  if (f.stageEvent === 'end') {
    line += `,"stage_duration":${num(f.durationS ?? 0)},"success_status":${f.outcome === 'success'},"outcome":"${f.outcome}"`;
  }
  line += `,"context":${contextJson(f.attributes, CONTEXT_PREFIX)},"memory_mb":${num(f.memoryMb)},"has_error":${f.errorType !== undefined}`;
  if (f.errorType !== undefined) line += `,"error_type":${quote(f.errorType)},"error_message":${quote(f.errorMessage ?? '')}`;
  // Ids are lower-case hex: nothing to escape.
  return `${line},"trace_id":${f.traceId === undefined ? 'null' : `"${f.traceId}"`},"span_id":${f.spanId === undefined ? 'null' : `"${f.spanId}"`}${f.tail ?? ''}}\n`;
}

/** The structured `end` line of an ended month or stage (any outcome). */
export function structuredEndLine(r: ScopeEndRecord, message: string, level: string, tail = ''): string {
  const scope = r.scope;
  return structuredLine({
    recordType: scope.kind,
    atMs: r.endMs,
    sessionId: scope.sessionId,
    runId: scope.runId,
    level,
    message,
    month: scope.month,
    stage: scope.name,
    stageEvent: 'end',
    attributes: r.context,
    memoryMb: toMb(r.rssEndBytes),
    errorType: r.error?.type ?? (r.outcome === 'interrupted' ? 'Interrupted' : undefined),
    errorMessage: r.error?.message ?? r.reason,
    traceId: scope.traceId,
    spanId: scope.spanId,
    durationS: r.durationS,
    outcome: r.outcome,
    tail,
  });
}

/** Fields of one error_details.log block. */
export interface ErrorBlockFields {
  atMs: number;
  sessionId: string;
  month: string | undefined;
  stage: string | undefined;
  message: string | undefined;
  errorType: string;
  errorMessage: string;
  /** Stack, possibly with `Caused by:` sections. */
  stack: string | undefined;
  causes?: ErrorInfo['causes'] | undefined;
  /** Set when the traceback was written in an earlier block: where it is. */
  seeAbove?: string | undefined;
  attributes: Readonly<Record<string, unknown>> | undefined;
  traceId: string | undefined;
  spanId: string | undefined;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${escapeForLine(line)}`)
    .join('\n');

/**
 * A multi-line block in the Python logger's form. Every free-text line is indented or
 * escaped, so nothing inside a block can pass for the start of another.
 */
export function errorBlock(f: ErrorBlockFields): string {
  let stack: string;
  if (f.seeAbove !== undefined) stack = `(the same error: its traceback is in ${f.seeAbove})`;
  else {
    stack = f.stack ?? `${f.errorType}: ${f.errorMessage}`;
    if (f.causes) for (const cause of f.causes) stack += `\nCaused by: ${cause.stack ?? `${cause.type}: ${cause.message}`}`;
  }
  return `[${formatLocalTimestamp(f.atMs)}] ERROR DETAILS:
Session: ${escapeForLine(f.sessionId)}
Month: ${escapeForLine(f.month ?? '-')}
Stage: ${escapeForLine(f.stage ?? '-')}
${f.message === undefined ? '' : `Message: ${escapeForLine(f.message)}\n`}Error Type: ${escapeForLine(f.errorType)}
Error Message: ${escapeForLine(f.errorMessage)}
Traceback:
${indent(stack)}
Context: ${jsonForLine(contextJson(f.attributes, CONTEXT_PREFIX))}
Trace: ${f.traceId ?? '-'} Span: ${f.spanId ?? '-'}
${ERROR_BLOCK_END}`;
}

/** The last line of every error block; rotation splits the error log only after it. */
export const ERROR_BLOCK_END = '----------------------------------------\n';

/**
 * The constant middle of a scope's records (session, level, message, month,
 * stage), built once per stage name and month. A record then joins a dozen
 * pieces instead of some thirty, which is what its later flattening costs.
 */
export interface RecordParts {
  head: string;
  startMid: string;
  endSuccessMid: string;
  perfMid: string;
}

export function recordParts(
  kind: 'month' | 'stage',
  name: string,
  month: string | undefined,
  ids: { sessionId: string; runId: string },
  startMessage: string,
  successMessage: string,
): RecordParts {
  const stage = quoted.get(kind === 'month' ? MONTH_STAGE_NAME : name);
  const session = `,"session_id":${quoted.get(ids.sessionId)},"run_id":${quoted.get(ids.runId)}`;
  const common = `${session},"level":"INFO","message":`;
  const where = `,"month":${quotedOrNull(month)},"stage":${stage}`;
  return {
    head: `${HEAD}"${kind}","timestamp":"`,
    startMid: `${common}${quoted.get(startMessage)}${where},"stage_event":"start","context":`,
    endSuccessMid: `${common}${quoted.get(successMessage)}${where},"stage_event":"end","stage_duration":`,
    perfMid: `${session},"month":${quotedOrNull(month)},"stage":${stage},"duration_seconds":`,
  };
}

/** The structured `start` line, from cached parts; same fields and order as {@link structuredLine}. */
export function startLineFromParts(
  p: RecordParts,
  atMs: number,
  attributes: Readonly<Record<string, unknown>>,
  memoryMb: number,
  traceId: string,
  spanId: string,
  tail = '',
): string {
  return `${p.head}${isoTimestamp(atMs)}","processing_time":${epochSeconds(atMs)}${p.startMid}${contextJson(attributes, CONTEXT_PREFIX)},"memory_mb":${num(memoryMb)},"has_error":false,"trace_id":"${traceId}","span_id":"${spanId}"${tail}}\n`;
}

/** The structured `end` line of a successful scope, from cached parts. */
export function successEndLineFromParts(p: RecordParts, r: ScopeEndRecord, context: string, tail = ''): string {
  return `${p.head}${isoTimestamp(r.endMs)}","processing_time":${epochSeconds(r.endMs)}${p.endSuccessMid}${secondsJson(r.durationS)},"success_status":true,"outcome":"success","context":${context},"memory_mb":${mbJson(r.rssEndBytes)},"has_error":false,"trace_id":"${r.scope.traceId}","span_id":"${r.scope.spanId}"${tail}}\n`;
}

/**
 * The performance_metrics.jsonl line of an ended stage or month, from cached
 * parts. The scope's own CPU, heap peak and overlap follow `span_id`, the
 * last field of the lines written before them.
 */
export function performanceLineFromParts(p: RecordParts, r: ScopeEndRecord, context: string): string {
  const cpuSeconds = r.cpuSeconds ?? 0;
  return `${p.head}${isoTimestamp(r.endMs)}"${p.perfMid}${secondsJson(r.durationS)},"memory_mb":${mbJson(r.rssEndBytes)},"memory_delta_mb":${mbJson(r.rssEndBytes - r.rssStartBytes)},"memory_peak_mb":${mbJson(r.rssPeakBytes)},"heap_used_mb":${mbJson(r.heapEndBytes)},"heap_delta_mb":${mbJson(r.heapEndBytes - r.heapStartBytes)},"cpu_percent":${tenthsJson(r.cpuPercent)},"success":${r.outcome === 'success'},"outcome":"${r.outcome}","slow":${r.slow},"context":${context},"trace_id":"${r.scope.traceId}","span_id":"${r.scope.spanId}","cpu_seconds":${secondsJson(cpuSeconds)},"cpu_share":${num(cpuShareOf(cpuSeconds, r.durationS))},"heap_peak_mb":${mbJson(r.heapPeakBytes ?? r.heapEndBytes)},"overlapped":${r.overlapped === true}}\n`;
}
