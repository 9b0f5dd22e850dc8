import type { PlannedSpan } from './planned-span.js';

/**
 * Which planned spans replay may send. The files are untrusted input: an id
 * a collector cannot parse or a time it cannot hold makes it refuse the
 * whole request (400), which would keep every good span of the session
 * from ever arriving. Such a span is skipped and reported, never sent.
 */

/** The instants a span of a session may have: see {@link sessionWindow}. */
export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** 2000-01-01: no stagetrace session ran before it. */
const EARLIEST_MS = Date.UTC(2000, 0, 1);

/**
 * From a day before the session's first delivery record (the forward writes
 * it when the first span starts) to a day after now (clocks differ between
 * hosts); without a readable first record, from 2000-01-01.
 */
export function sessionWindow(sessionStartedAt: string | undefined, nowMs: number): TimeWindow {
  const started = sessionStartedAt === undefined ? Number.NaN : Date.parse(sessionStartedAt);
  const fromMs = Number.isFinite(started) ? Math.min(Math.max(EARLIEST_MS, started - DAY_MS), nowMs) : EARLIEST_MS;
  return { fromMs, toMs: nowMs + DAY_MS };
}

function isId(value: unknown, length: number): boolean {
  if (typeof value !== 'string' || value.length !== length) return false;
  let zero = true;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    const hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
    if (!hex) return false;
    if (c !== 48) zero = false;
  }
  return !zero;
}

/** A trace id OTLP accepts: 32 lowercase hex digits, not all zero. */
export const isTraceId = (value: unknown): boolean => isId(value, 32);
/** A span id OTLP accepts: 16 lowercase hex digits, not all zero. */
export const isSpanId = (value: unknown): boolean => isId(value, 16);

function inWindow(ms: unknown, window: TimeWindow): boolean {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= window.fromMs && ms <= window.toMs;
}

/** Shown in a reason: a value from the files, JSON-quoted and bounded. */
function shown(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : String(JSON.stringify(value));
  } catch {
    text = String(typeof value);
  }
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/**
 * Why `span` must not be sent, or undefined when it may. `closedAtMs` is
 * where replay ends a span that has no end record.
 */
export function invalidReason(span: PlannedSpan, window: TimeWindow, closedAtMs: number): string | undefined {
  if (!isSpanId(span.spanId)) return `span id ${shown(span.spanId)} is not 16 lowercase hex digits (not all zero)`;
  const what = `span ${span.spanId}`;
  if (!isTraceId(span.traceId)) return `${what}: trace id ${shown(span.traceId)} is not 32 lowercase hex digits (not all zero)`;
  if (span.parentSpanId !== undefined && !isSpanId(span.parentSpanId)) {
    return `${what}: parent span id ${shown(span.parentSpanId)} is not 16 lowercase hex digits (not all zero)`;
  }
  const range = `${new Date(window.fromMs).toISOString()} to ${new Date(window.toMs).toISOString()}`;
  if (!inWindow(span.startMs, window)) return `${what}: start time ${shown(span.startMs)} is not between ${range}`;
  const endMs = span.end?.endMs ?? Math.max(span.startMs, closedAtMs);
  if (!inWindow(endMs, window)) return `${what}: end time ${shown(endMs)} is not between ${range}`;
  if (endMs < span.startMs) return `${what}: ends (${shown(endMs)}) before it starts (${shown(span.startMs)})`;
  for (const event of span.events) {
    if (!inWindow(event.atMs, window)) return `${what}: an event's time ${shown(event.atMs)} is not between ${range}`;
  }
  return undefined;
}
