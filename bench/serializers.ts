/**
 * 7. Record serialisers: the hand-written JSON lines of one stage (its
 * structured start and end records and its performance record) and of one
 * message, against generic serialisers given a fresh object with the same
 * fields in the same order: JSON.stringify (the baseline), safe-stable-
 * stringify (insertion order) and fast-json-stringify compiled from the
 * record schema. Every side uses the same cached timestamp and rounding
 * helpers, so only building the JSON differs. Before timing, each side's
 * lines are checked to parse to the same records.
 * Target: the hand-written lines take at most two thirds of the time of the
 * fastest alternative (a 1.5× win): building records is about an eighth of
 * a stage's cost, so a smaller win would not pay for keeping hand-written
 * JSON, and the library should replace it.
 */
import type { Attributes } from '@opentelemetry/api';
import fastJson from 'fast-json-stringify';
import { configure } from 'safe-stable-stringify';
import { CONTEXT_PREFIX } from '../src/model/attribute-names.js';
import { AUDIT_SCHEMA_VERSION } from '../src/model/audit-schema.js';
import { contextJson, isoTimestamp } from '../src/model/json-text.js';
import { cpuShareOf, type MessageRecord, type ScopeEndRecord, type ScopeRef, type ScopeStartRecord } from '../src/model/records.js';
import { toMb } from '../src/model/units.js';
import {
  performanceLineFromParts,
  type RecordParts,
  recordParts,
  startLineFromParts,
  structuredLine,
  successEndLineFromParts,
} from '../src/sinks/audit/audit-records.js';
import { endSpanFields, messageSpanFields, startSpanFields } from '../src/sinks/audit/span-fields.js';
import { type BenchResult, fmt, median } from './lib.js';

const STAGES = ['download', 'process', 'validate', 'upload', 'archive'];
const SESSION = '20251104_134205_a1b2c3';

interface Stage {
  start: ScopeStartRecord;
  end: ScopeEndRecord;
  message: MessageRecord;
}

/** Records as a session makes them: five stage names, twelve months, a two-key context, durations of 0.2 to 50 ms to the microsecond. */
function makeStages(count: number): Stage[] {
  const stages: Stage[] = [];
  let t = 1730736125552.123;
  for (let i = 0; i < count; i++) {
    const month = `2024-${String((i % 12) + 1).padStart(2, '0')}`;
    const scope: ScopeRef = Object.freeze({
      kind: 'stage',
      name: STAGES[i % STAGES.length] as string,
      month,
      sessionId: SESSION,
      runId: SESSION,
      traceId: (i * 7919).toString(16).padStart(32, '0'),
      spanId: (i * 104729).toString(16).padStart(16, '0'),
      parentSpanId: undefined,
    });
    const context: Attributes = Object.freeze({
      [`${CONTEXT_PREFIX}file_key`]: `s3://bucket/${month}/part-${i}.csv`,
      [`${CONTEXT_PREFIX}rows`]: 500 + (i % 97),
    });
    const rss = 120_000_000 + ((i * 4099) % 9_000_000);
    const durationUs = 200 + ((i * 131) % 50_000); // 0.2 to 50 ms
    const startMs = t;
    const endMs = t + durationUs / 1000;
    t = endMs + 0.0137;
    stages.push({
      start: Object.freeze({ type: 'start', scope, startMs, context, rssBytes: rss, heapUsedBytes: rss / 4 }),
      end: Object.freeze({
        type: 'end',
        scope,
        startMs,
        endMs,
        durationS: durationUs / 1e6,
        outcome: 'success',
        slow: false,
        thresholdS: 60,
        rssStartBytes: rss,
        rssEndBytes: rss + 65536,
        rssPeakBytes: rss + 1_000_000,
        heapStartBytes: rss / 4,
        heapEndBytes: rss / 4 + 4096,
        cpuPercent: (i % 1000) / 10,
        error: undefined,
        reason: undefined,
        context,
      }),
      message: Object.freeze({
        type: 'message',
        atMs: startMs + 0.05,
        level: 'INFO',
        message: 'processed batch',
        scope,
        label: undefined,
        context: Object.freeze({ [`${CONTEXT_PREFIX}batch`]: i, [`${CONTEXT_PREFIX}rows`]: 500 }),
        error: undefined,
        rssBytes: rss,
      }),
    });
  }
  return stages;
}

// ---- the hand-written lines, called as AuditLog calls them ----------------------------------------

const partsCache = new Map<string, RecordParts>();
function partsOf(scope: ScopeRef): RecordParts {
  const key = `${scope.month}\u0000${scope.name}`;
  let parts = partsCache.get(key);
  if (parts === undefined) {
    parts = recordParts(scope.kind, scope.name, scope.month, scope, `Starting ${scope.name}`, `${scope.name} completed successfully`);
    partsCache.set(key, parts);
  }
  return parts;
}

function handStage(s: Stage): string {
  const parts = partsOf(s.start.scope);
  const start = startLineFromParts(
    parts,
    s.start.startMs,
    s.start.context,
    toMb(s.start.rssBytes),
    s.start.scope.traceId,
    s.start.scope.spanId,
    startSpanFields(s.start),
  );
  const context = contextJson(s.end.context, CONTEXT_PREFIX);
  return start + successEndLineFromParts(parts, s.end, context, endSpanFields(s.end)) + performanceLineFromParts(parts, s.end, context);
}

function handMessage(r: MessageRecord): string {
  const scope = r.scope as ScopeRef;
  return structuredLine({
    recordType: 'message',
    atMs: r.atMs,
    sessionId: scope.sessionId,
    runId: scope.runId,
    level: r.level,
    message: r.message,
    month: scope.month,
    stage: r.label ?? (scope.kind === 'stage' ? scope.name : undefined),
    stageEvent: undefined,
    attributes: r.context,
    memoryMb: toMb(r.rssBytes),
    errorType: r.error?.type,
    errorMessage: r.error?.message,
    traceId: scope.traceId,
    spanId: scope.spanId,
    tail: messageSpanFields(r),
  });
}

// ---- the same records as fresh objects, for a generic serialiser ----------------------------------

const tenths = (value: number) => Math.round(value * 10) / 10;
const mb = (bytes: number) => tenths(bytes / (1024 * 1024));

function contextObject(attributes: Readonly<Attributes> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined && key.startsWith(CONTEXT_PREFIX)) out[key.slice(CONTEXT_PREFIX.length)] = value;
  }
  return out;
}

function startObject(r: ScopeStartRecord, context: Record<string, unknown>) {
  const scope = r.scope;
  return {
    schema_version: AUDIT_SCHEMA_VERSION,
    record_type: scope.kind,
    timestamp: isoTimestamp(r.startMs),
    processing_time: Math.floor(r.startMs) / 1000,
    session_id: scope.sessionId,
    run_id: scope.runId,
    level: 'INFO',
    message: `Starting ${scope.name}`,
    month: scope.month ?? null,
    stage: scope.name,
    stage_event: 'start',
    context,
    memory_mb: toMb(r.rssBytes),
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

function endObject(r: ScopeEndRecord, context: Record<string, unknown>) {
  const scope = r.scope;
  return {
    schema_version: AUDIT_SCHEMA_VERSION,
    record_type: scope.kind,
    timestamp: isoTimestamp(r.endMs),
    processing_time: Math.floor(r.endMs) / 1000,
    session_id: scope.sessionId,
    run_id: scope.runId,
    level: 'INFO',
    message: `${scope.name} completed successfully`,
    month: scope.month ?? null,
    stage: scope.name,
    stage_event: 'end',
    stage_duration: r.durationS,
    success_status: true,
    outcome: r.outcome,
    context,
    memory_mb: mb(r.rssEndBytes),
    has_error: false,
    trace_id: scope.traceId,
    span_id: scope.spanId,
    parent_span_id: scope.parentSpanId ?? null,
    start_epoch_ms: r.startMs,
    epoch_ms: r.endMs,
    rss_start_bytes: r.rssStartBytes,
    rss_end_bytes: r.rssEndBytes,
    rss_peak_bytes: r.rssPeakBytes,
    heap_start_bytes: r.heapStartBytes,
    heap_end_bytes: r.heapEndBytes,
    threshold_s: r.thresholdS,
    sampled: scope.sampled !== false,
  };
}

function performanceObject(r: ScopeEndRecord, context: Record<string, unknown>) {
  const scope = r.scope;
  return {
    schema_version: AUDIT_SCHEMA_VERSION,
    record_type: scope.kind,
    timestamp: isoTimestamp(r.endMs),
    session_id: scope.sessionId,
    run_id: scope.runId,
    month: scope.month ?? null,
    stage: scope.name,
    duration_seconds: r.durationS,
    memory_mb: mb(r.rssEndBytes),
    memory_delta_mb: mb(r.rssEndBytes - r.rssStartBytes),
    memory_peak_mb: mb(r.rssPeakBytes),
    heap_used_mb: mb(r.heapEndBytes),
    heap_delta_mb: mb(r.heapEndBytes - r.heapStartBytes),
    cpu_percent: tenths(r.cpuPercent),
    success: r.outcome === 'success',
    outcome: r.outcome,
    slow: r.slow,
    context,
    trace_id: scope.traceId,
    span_id: scope.spanId,
    cpu_seconds: r.cpuSeconds ?? 0,
    cpu_share: cpuShareOf(r.cpuSeconds ?? 0, r.durationS),
    heap_peak_mb: mb(r.heapPeakBytes ?? r.heapEndBytes),
    overlapped: r.overlapped === true,
  };
}

function messageObject(r: MessageRecord) {
  const scope = r.scope as ScopeRef;
  return {
    schema_version: AUDIT_SCHEMA_VERSION,
    record_type: 'message',
    timestamp: isoTimestamp(r.atMs),
    processing_time: Math.floor(r.atMs) / 1000,
    session_id: scope.sessionId,
    run_id: scope.runId,
    level: r.level,
    message: r.message,
    month: scope.month ?? null,
    stage: r.label ?? (scope.kind === 'stage' ? scope.name : null),
    stage_event: null,
    context: contextObject(r.context),
    memory_mb: toMb(r.rssBytes),
    has_error: false,
    trace_id: scope.traceId,
    span_id: scope.spanId,
    epoch_ms: r.atMs,
  };
}

// ---- the generic serialisers -----------------------------------------------------------------------

type Serialise = (value: unknown) => string;

const stableInOrder = configure({ deterministic: false });

// fast-json-stringify throws on NaN for a number; the records say null, so numbers are nullable and NaN would be mapped first.
const num = { type: ['number', 'null'] };
const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const context = { type: 'object', additionalProperties: true };
const structuredSchema = {
  type: 'object',
  properties: {
    schema_version: { type: 'integer' },
    record_type: str,
    timestamp: str,
    processing_time: num,
    session_id: str,
    run_id: str,
    level: str,
    message: str,
    month: strOrNull,
    stage: strOrNull,
    stage_event: strOrNull,
    stage_duration: num,
    success_status: { type: 'boolean' },
    outcome: str,
    context,
    memory_mb: num,
    has_error: { type: 'boolean' },
    error_type: str,
    error_message: str,
    trace_id: strOrNull,
    span_id: strOrNull,
    parent_span_id: strOrNull,
    start_epoch_ms: num,
    epoch_ms: num,
    rss_bytes: num,
    heap_used_bytes: num,
    rss_start_bytes: num,
    rss_end_bytes: num,
    rss_peak_bytes: num,
    heap_start_bytes: num,
    heap_end_bytes: num,
    threshold_s: num,
    sampled: { type: 'boolean' },
  },
} as const;
const performanceSchema = {
  type: 'object',
  properties: {
    schema_version: { type: 'integer' },
    record_type: str,
    timestamp: str,
    session_id: str,
    run_id: str,
    month: strOrNull,
    stage: str,
    duration_seconds: num,
    memory_mb: num,
    memory_delta_mb: num,
    memory_peak_mb: num,
    heap_used_mb: num,
    heap_delta_mb: num,
    cpu_percent: num,
    success: { type: 'boolean' },
    outcome: str,
    slow: { type: 'boolean' },
    context,
    trace_id: str,
    span_id: str,
    cpu_seconds: num,
    cpu_share: num,
    heap_peak_mb: num,
    overlapped: { type: 'boolean' },
  },
} as const;

interface Generic {
  structured: Serialise;
  performance: Serialise;
}

const GENERIC: Record<string, Generic> = {
  'JSON.stringify': { structured: JSON.stringify, performance: JSON.stringify },
  'safe-stable-stringify': { structured: stableInOrder as Serialise, performance: stableInOrder as Serialise },
  'fast-json-stringify': {
    structured: fastJson(structuredSchema as Parameters<typeof fastJson>[0]) as Serialise,
    performance: fastJson(performanceSchema as Parameters<typeof fastJson>[0]) as Serialise,
  },
};

function genericStage(g: Generic, s: Stage): string {
  const startContext = contextObject(s.start.context);
  const endContext = contextObject(s.end.context); // once for both end records, as the hand-written side does
  return `${g.structured(startObject(s.start, startContext))}\n${g.structured(endObject(s.end, endContext))}\n${g.performance(performanceObject(s.end, endContext))}\n`;
}

const genericMessage = (g: Generic, r: MessageRecord) => `${g.structured(messageObject(r))}\n`;

// ---- timing ------------------------------------------------------------------------------------------

/** Same records, same order, each JSON line normalised (parse and print again) so only meaning is compared. */
const normalised = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.stringify(JSON.parse(line)))
    .join('\n');

let sink = 0;

/**
 * CPU nanoseconds per item (process CPU time, so other processes on a busy
 * machine count less than in wall time; the garbage collector's threads
 * count), one side per run, the sides' order rotated each round.
 */
function timeSides(sides: [string, (i: number) => string][], items: number, rounds: number, warmup: number): Map<string, number[]> {
  const out = new Map<string, number[]>(sides.map(([name]) => [name, []]));
  for (let round = -warmup; round < rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const [name, run] = sides[(k + Math.max(round, 0)) % sides.length] as [string, (i: number) => string];
      const before = process.cpuUsage();
      for (let i = 0; i < items; i++) sink += run(i).length;
      const used = process.cpuUsage(before);
      if (round >= 0) out.get(name)?.push(((used.user + used.system) * 1000) / items);
    }
  }
  return out;
}

function compare(
  name: string,
  what: string,
  sides: [string, (i: number) => string][],
  items: number,
  rounds: number,
  warmup: number,
): BenchResult {
  // Every side must write the same records before its speed means anything.
  const expected = normalised(
    Array.from({ length: Math.min(items, 2000) }, (_, i) => (sides[0] as [string, (i: number) => string])[1](i)).join(''),
  );
  for (const [side, run] of sides.slice(1)) {
    const got = normalised(Array.from({ length: Math.min(items, 2000) }, (_, i) => run(i)).join(''));
    if (got !== expected) throw new Error(`${name}: ${side} writes other records than the hand-written serialisers`);
  }
  const times = timeSides(sides, items, rounds, warmup);
  const ns = new Map([...times].map(([side, values]) => [side, median(values)]));
  const hand = ns.get('hand-written') as number;
  const [fastestName, fastest] = [...ns].filter(([side]) => side !== 'hand-written').sort((a, b) => a[1] - b[1])[0] as [string, number];
  const ratio = hand / fastest;
  const details: Record<string, number | string> = { fastest_alternative: fastestName };
  for (const [side, value] of ns) details[`${side}_ns`] = Number(fmt(value, 0));
  for (const [side, value] of ns) if (side !== 'hand-written') details[`${side}_x`] = Number(fmt(value / hand, 2));
  details.items_per_round = items;
  details.rounds = rounds;
  return {
    name,
    measure: `hand-written / fastest library, ${what}`,
    value: ratio,
    unit: '× CPU time',
    target: '≤ 0.67',
    pass: ratio <= 2 / 3,
    details,
  };
}

export async function serializers(quick: boolean): Promise<BenchResult[]> {
  const items = quick ? 2000 : 20_000;
  const rounds = quick ? 2 : 10;
  const warmup = quick ? 1 : 2;
  const stages = makeStages(items);
  const stageSides: [string, (i: number) => string][] = [
    ['hand-written', (i) => handStage(stages[i] as Stage)],
    ...Object.entries(GENERIC).map(([side, g]): [string, (i: number) => string] => [side, (i) => genericStage(g, stages[i] as Stage)]),
  ];
  const messageSides: [string, (i: number) => string][] = [
    ['hand-written', (i) => handMessage((stages[i] as Stage).message)],
    ...Object.entries(GENERIC).map(([side, g]): [string, (i: number) => string] => [
      side,
      (i) => genericMessage(g, (stages[i] as Stage).message),
    ]),
  ];
  const results = [
    compare('serialisers: stage', 'start + end + performance lines', stageSides, items, rounds, warmup),
    compare('serialisers: message', 'message line', messageSides, items, rounds, warmup),
  ];
  if (sink === 0) throw new Error('nothing was serialised');
  return results;
}
