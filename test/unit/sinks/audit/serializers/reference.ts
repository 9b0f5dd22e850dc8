/**
 * Independent references for the audit serialisers: each record is built as
 * a plain object in the field order docs/audit-files.md gives and printed
 * with JSON.stringify; human lines and error blocks are parsed back and
 * unescaped. Nothing here calls the code under test.
 */
import { expect } from 'vitest';
import type { PerformanceRecord, StructuredRecord } from '../../../../../src/model/audit-schema.js';
import { type ErrorInfo, stackWithCauses } from '../../../../../src/model/error-info.js';
import type { MessageRecord, ScopeEndRecord, ScopeRef, ScopeStartRecord } from '../../../../../src/model/records.js';

export const PREFIX = 'stagetrace.context.';
const MB = 1024 * 1024;

export const refIso = (ms: number) => new Date(Math.floor(ms)).toISOString();
export const refEpochSeconds = (ms: number) => Math.floor(ms) / 1000;
export const refTenths = (value: number) => Math.round(value * 10) / 10;
export const refMb = (bytes: number) => refTenths(bytes / MB);

/** The documented context rule for the files: prefixed keys, prefix removed; undefined values left out. */
export function refContext(attributes: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(attributes ?? {})) {
    const value = attributes?.[key];
    if (key.startsWith(PREFIX) && value !== undefined) entries.push([key.slice(PREFIX.length), value]);
  }
  return Object.fromEntries(entries);
}

export const refLabel = (scope: ScopeRef) => (scope.kind === 'month' ? `month ${scope.month}` : scope.name);
export const refStage = (scope: ScopeRef) => (scope.kind === 'month' ? 'month_processing' : scope.name);
export const refStartMessage = (scope: ScopeRef) => `Starting ${refLabel(scope)}`;

/** Seconds in human lines: two decimals below 10 s, one above; plain `String()` outside [0, 1e9). */
export function refHumanSeconds(seconds: number): string {
  if (!(seconds >= 0 && seconds < 1e9)) return String(seconds);
  return seconds < 10 ? (Math.round(seconds * 100) / 100).toFixed(2) : refHumanTenths(seconds);
}

/** One decimal place in human lines. */
export function refHumanTenths(value: number): string {
  return value >= 0 && value < 1e12 ? refTenths(value).toFixed(1) : value.toFixed(1);
}

/** The outcome line of an ended scope, as the human log, the console and the structured `end` record say it. */
export function refOutcomeLine(r: ScopeEndRecord): { level: string; message: string } {
  const label = refLabel(r.scope);
  if (r.outcome === 'success') return { level: 'INFO', message: `${label} completed successfully` };
  if (r.outcome === 'interrupted') {
    return {
      level: 'ERROR',
      message: `${label} interrupted after ${refHumanSeconds(r.durationS)} seconds${r.reason ? `: ${r.reason}` : ''}`,
    };
  }
  return { level: 'ERROR', message: `${label} failed${r.error ? `: ${r.error.type}: ${r.error.message}` : ''}` };
}

export function refStartRecord(r: ScopeStartRecord): StructuredRecord {
  const scope = r.scope;
  return {
    schema_version: 3,
    record_type: scope.kind,
    timestamp: refIso(r.startMs),
    processing_time: refEpochSeconds(r.startMs),
    session_id: scope.sessionId,
    run_id: scope.runId,
    level: 'INFO',
    message: refStartMessage(scope),
    month: scope.month ?? null,
    stage: refStage(scope),
    stage_event: 'start',
    context: refContext(r.context),
    memory_mb: refMb(r.rssBytes),
    has_error: false,
    trace_id: scope.traceId,
    span_id: scope.spanId,
    parent_span_id: scope.parentSpanId ?? null,
    epoch_ms: r.startMs,
    rss_bytes: r.rssBytes,
    heap_used_bytes: r.heapUsedBytes,
    sampled: scope.sampled !== false,
  };
}

export function refEndRecord(r: ScopeEndRecord): StructuredRecord {
  const scope = r.scope;
  const { level, message } = refOutcomeLine(r);
  const errorType = r.error?.type ?? (r.outcome === 'interrupted' ? 'Interrupted' : undefined);
  const record: StructuredRecord = {
    schema_version: 3,
    record_type: scope.kind,
    timestamp: refIso(r.endMs),
    processing_time: refEpochSeconds(r.endMs),
    session_id: scope.sessionId,
    run_id: scope.runId,
    level,
    message,
    month: scope.month ?? null,
    stage: refStage(scope),
    stage_event: 'end',
    stage_duration: r.durationS,
    success_status: r.outcome === 'success',
    outcome: r.outcome,
    context: refContext(r.context),
    memory_mb: refMb(r.rssEndBytes),
    has_error: errorType !== undefined,
    trace_id: scope.traceId,
    span_id: scope.spanId,
  };
  const withError = errorType === undefined ? record : withErrorFields(record, errorType, r.error?.message ?? r.reason ?? '');
  return {
    ...withError,
    parent_span_id: scope.parentSpanId ?? null,
    start_epoch_ms: r.startMs,
    epoch_ms: r.endMs,
    rss_start_bytes: r.rssStartBytes,
    rss_end_bytes: r.rssEndBytes,
    rss_peak_bytes: r.rssPeakBytes,
    heap_start_bytes: r.heapStartBytes,
    heap_end_bytes: r.heapEndBytes,
    ...(r.thresholdS === undefined ? {} : { threshold_s: r.thresholdS }),
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    ...(r.error === undefined ? {} : { error_stack: stackWithCauses(r.error) }),
    ...(r.error === undefined || r.error.causes.length === 0
      ? {}
      : { error_causes: r.error.causes.map((c) => ({ type: c.type, message: c.message })) }),
    sampled: scope.sampled !== false,
  };
}

export function refPerformanceRecord(r: ScopeEndRecord): PerformanceRecord {
  const scope = r.scope;
  return {
    schema_version: 3,
    record_type: scope.kind,
    timestamp: refIso(r.endMs),
    session_id: scope.sessionId,
    run_id: scope.runId,
    month: scope.month ?? null,
    stage: refStage(scope),
    duration_seconds: r.durationS,
    memory_mb: refMb(r.rssEndBytes),
    memory_delta_mb: refMb(r.rssEndBytes - r.rssStartBytes),
    memory_peak_mb: refMb(r.rssPeakBytes),
    heap_used_mb: refMb(r.heapEndBytes),
    heap_delta_mb: refMb(r.heapEndBytes - r.heapStartBytes),
    cpu_percent: refTenths(r.cpuPercent),
    success: r.outcome === 'success',
    outcome: r.outcome,
    slow: r.slow,
    context: refContext(r.context),
    trace_id: scope.traceId,
    span_id: scope.spanId,
    cpu_seconds: r.cpuSeconds ?? 0,
    cpu_share: r.durationS > 0 ? Math.round(((r.cpuSeconds ?? 0) / r.durationS) * 1000) / 1000 : 0,
    heap_peak_mb: refMb(r.heapPeakBytes ?? r.heapEndBytes),
    overlapped: r.overlapped === true,
  };
}

export function refMessageRecord(r: MessageRecord, defaultSessionId: string): StructuredRecord {
  const scope = r.scope;
  const record: StructuredRecord = {
    schema_version: 3,
    record_type: 'message',
    timestamp: refIso(r.atMs),
    processing_time: refEpochSeconds(r.atMs),
    session_id: scope?.sessionId ?? defaultSessionId,
    run_id: scope?.runId ?? defaultSessionId,
    level: r.level,
    message: r.message,
    month: scope?.month ?? null,
    stage: r.label ?? (scope?.kind === 'stage' ? scope.name : null),
    stage_event: null,
    context: refContext(r.context),
    memory_mb: refMb(r.rssBytes),
    has_error: r.error !== undefined,
    trace_id: scope?.traceId ?? null,
    span_id: scope?.spanId ?? null,
  };
  const withError = r.error === undefined ? record : withErrorFields(record, r.error.type, r.error.message);
  const m = r.memory;
  const e = r.memoryEvent;
  return {
    ...withError,
    epoch_ms: r.atMs,
    ...(r.error === undefined ? {} : { error_stack: stackWithCauses(r.error) }),
    ...(r.error === undefined || r.error.causes.length === 0
      ? {}
      : { error_causes: r.error.causes.map((c) => ({ type: c.type, message: c.message })) }),
    ...(m === undefined || e === undefined
      ? {}
      : {
          memory_event: {
            epoch_ms: e.atMs,
            level: m.level,
            direction: m.direction,
            rss_bytes: m.rssBytes,
            threshold_bytes: m.thresholdBytes,
            span_ids: [...e.spanIds],
          },
        }),
  };
}

/** `error_type` and `error_message` go right after `has_error`, as the files have always had them. */
function withErrorFields(record: StructuredRecord, errorType: string, errorMessage: string): StructuredRecord {
  const { trace_id, span_id, ...head } = record;
  return { ...head, error_type: errorType, error_message: errorMessage, trace_id, span_id };
}

/**
 * Asserts that `line` is one JSON line (one trailing newline, no other)
 * that parses to exactly what JSON.stringify of `expected` parses to —
 * same keys in the same order at every level, same values — and that every
 * number in it is printed as `String(n)` prints it.
 */
export function expectJsonLine(line: string, expected: unknown): void {
  expect(line.endsWith('\n'), 'ends with a newline').toBe(true);
  expect(line.indexOf('\n'), 'one newline, at the end').toBe(line.length - 1);
  const parsed: unknown = JSON.parse(line);
  expectSameJson(parsed, JSON.parse(JSON.stringify(expected)), '$');
  for (const token of numberTokens(line)) expect(token, 'a number as String() prints it').toBe(String(Number(token)));
}

/** Deep equality that also compares key order and tells -0 from 0. */
export function expectSameJson(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected !== 'object' || expected === null) {
    expect(Object.is(actual, expected), `${path}: ${String(actual)} !== ${String(expected)}`).toBe(true);
    return;
  }
  expect(typeof actual, path).toBe('object');
  expect(Array.isArray(actual), path).toBe(Array.isArray(expected));
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  expect(Object.keys(a), `${path}: keys in order`).toEqual(Object.keys(e));
  for (const key of Object.keys(e)) expectSameJson(a[key], e[key], `${path}.${key}`);
}

const NUMBER_AT = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The number literals of a JSON text, strings skipped. */
export function numberTokens(json: string): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < json.length; i++) {
    const ch = json[i] as string;
    if (ch === '"') {
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER_AT.lastIndex = i;
      const match = NUMBER_AT.exec(json);
      if (match === null) throw new Error(`not a number at ${i}: ${json.slice(i, i + 20)}`);
      tokens.push(match[0]);
      i += match[0].length - 1;
    }
  }
  return tokens;
}

// ---- human lines -----------------------------------------------------------

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local time as the human log writes it, from the Date getters. */
export function refLocalTimestamp(ms: number): string {
  const d = new Date(Math.floor(ms));
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** What a human line may never hold: line breaks of any reader, terminal controls, lone surrogates. */
// biome-ignore-start lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
export const UNSAFE_IN_LINE =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: finding control characters is the point.

/** Reverses the human log's escaping; throws on an escape it does not define. */
export function unescapeLine(text: string): string {
  return text.replace(/\\(u[0-9a-f]{4}|.)/g, (whole, code: string) => {
    if (code.length === 5) return String.fromCharCode(Number.parseInt(code.slice(1), 16));
    switch (code) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case '\\':
      case ']':
        return code;
      default:
        throw new Error(`unknown escape ${whole} in ${JSON.stringify(text)}`);
    }
  });
}

export interface HumanLine {
  timestamp: string;
  tag: string;
  stage: string | undefined;
  message: string;
}

const WITH_STAGE = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\] \[([A-Z_]+)\] \[((?:\\.|[^\\\]])*)\] (.*)$/s;
const WITHOUT_STAGE = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\] \[([A-Z_]+)\] (.*)$/s;

/**
 * Parses one human line (newline included) into its unescaped parts, after
 * checking that it is one line with nothing unsafe in it. `withStage` says
 * which of the two forms it must have.
 */
export function parseHumanLine(line: string, withStage: boolean): HumanLine {
  expect(line.endsWith('\n'), 'ends with a newline').toBe(true);
  const body = line.slice(0, -1);
  expect(UNSAFE_IN_LINE.exec(body)?.[0], `nothing unsafe in ${JSON.stringify(body)}`).toBeUndefined();
  const match = (withStage ? WITH_STAGE : WITHOUT_STAGE).exec(body);
  if (match === null) throw new Error(`not a human line${withStage ? ' with a stage' : ''}: ${JSON.stringify(body)}`);
  return withStage
    ? {
        timestamp: match[1] as string,
        tag: match[2] as string,
        stage: unescapeLine(match[3] as string),
        message: unescapeLine(match[4] as string),
      }
    : { timestamp: match[1] as string, tag: match[2] as string, stage: undefined, message: unescapeLine(match[3] as string) };
}

// ---- error blocks ----------------------------------------------------------

export const BLOCK_END = '----------------------------------------';

export interface ExpectedBlock {
  atMs: number;
  sessionId: string;
  month: string | undefined;
  stage: string | undefined;
  message: string | undefined;
  errorType: string;
  errorMessage: string;
  /** The traceback text before indentation. */
  traceback: string;
  context: Record<string, unknown>;
  traceId: string | undefined;
  spanId: string | undefined;
}

/** The traceback of a first block: the stack (or `type: message`) and each cause's. */
export function refTraceback(error: Pick<ErrorInfo, 'type' | 'message' | 'stack'> & { causes?: ErrorInfo['causes'] | undefined }): string {
  let text = error.stack ?? `${error.type}: ${error.message}`;
  for (const cause of error.causes ?? []) text += `\nCaused by: ${cause.stack ?? `${cause.type}: ${cause.message}`}`;
  return text;
}

/** Checks one error block, newline-terminated, line by line against what it must say. */
export function expectErrorBlock(block: string, e: ExpectedBlock): void {
  const lines = block.split('\n');
  expect(lines.pop(), 'ends with a newline').toBe('');
  for (const line of lines) expect(UNSAFE_IN_LINE.exec(line)?.[0], `nothing unsafe in ${JSON.stringify(line)}`).toBeUndefined();
  let i = 0;
  const take = (prefix: string) => {
    const line = lines[i++] ?? '';
    expect(line.startsWith(prefix), `${JSON.stringify(line)} starts with ${JSON.stringify(prefix)}`).toBe(true);
    return line.slice(prefix.length);
  };
  expect(take('[')).toBe(`${refLocalTimestamp(e.atMs)}] ERROR DETAILS:`);
  expect(unescapeLine(take('Session: '))).toBe(e.sessionId);
  expect(unescapeLine(take('Month: '))).toBe(e.month ?? '-');
  expect(unescapeLine(take('Stage: '))).toBe(e.stage ?? '-');
  if (e.message !== undefined) expect(unescapeLine(take('Message: '))).toBe(e.message);
  expect(unescapeLine(take('Error Type: '))).toBe(e.errorType);
  expect(unescapeLine(take('Error Message: '))).toBe(e.errorMessage);
  expect(take('Traceback:')).toBe('');
  const traceback: string[] = [];
  while ((lines[i] ?? '').startsWith('  ')) traceback.push(unescapeLine((lines[i++] as string).slice(2)));
  expect(traceback.join('\n')).toBe(e.traceback);
  const context: unknown = JSON.parse(take('Context: '));
  expectSameJson(context, JSON.parse(JSON.stringify(e.context)), 'Context');
  expect(take('Trace: ')).toBe(`${e.traceId ?? '-'} Span: ${e.spanId ?? '-'}`);
  expect(take(BLOCK_END)).toBe('');
  expect(i, 'no line after the end of the block').toBe(lines.length);
}
