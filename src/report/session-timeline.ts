import type { AttributeValue } from '@opentelemetry/api';
import { CONTEXT_PREFIX } from '../model/attribute-names.js';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../model/records.js';
import { toMb } from '../model/units.js';

/** One stage execution on the timeline. */
export interface TimelineBar {
  stage: string;
  month: string | null;
  startMs: number;
  endMs: number;
  durationS: number;
  outcome: 'success' | 'failure' | 'interrupted';
  slow: boolean;
  /** The context the stage ended with, flattened, values as text (cut). */
  context: [string, string][];
  error: string | null;
}

export interface TimelineMonth {
  month: string;
  startMs: number;
  endMs: number | null;
  outcome: 'success' | 'failure' | 'interrupted' | 'running';
}

export interface MemoryPoint {
  atMs: number;
  mb: number;
}

export interface Timeline {
  months: TimelineMonth[];
  bars: TimelineBar[];
  /** Stage executions beyond {@link MAX_BARS}, not drawn. */
  barsLeftOut: number;
  /** RSS over time, thinned evenly to at most {@link MAX_MEMORY_POINTS}. */
  memory: MemoryPoint[];
  firstMs: number;
  lastMs: number;
}

/** Bars drawn at most: a browser stays responsive with this many elements. */
export const MAX_BARS = 20_000;
export const MAX_MEMORY_POINTS = 2_000;
const MAX_CONTEXT_ENTRIES = 12;
const MAX_CONTEXT_TEXT = 120;

/**
 * Collects what the HTML timeline draws from a session's records: months,
 * one bar per stage execution (start from its start record), and memory over
 * time. Bounded: past {@link MAX_BARS} executions are only counted, and the
 * memory series is thinned as it grows.
 */
export class TimelineCollector {
  readonly #starts = new Map<string, number>();
  readonly #months = new Map<string, TimelineMonth>();
  readonly #bars: TimelineBar[] = [];
  #barsLeftOut = 0;
  #memory: MemoryPoint[] = [];
  #memoryEvery = 1;
  #memorySeen = 0;
  #firstMs = Number.POSITIVE_INFINITY;
  #lastMs = Number.NEGATIVE_INFINITY;

  onRecord(record: ScopeStartRecord | ScopeEndRecord | MessageRecord): void {
    if (record.type === 'start') {
      this.#time(record.startMs);
      this.#rss(record.startMs, record.rssBytes);
      const scope = record.scope;
      if (scope.kind === 'month' && scope.month !== undefined) {
        this.#months.set(scope.month, { month: scope.month, startMs: record.startMs, endMs: null, outcome: 'running' });
      } else if (this.#starts.size < MAX_BARS) this.#starts.set(scope.spanId, record.startMs);
    } else if (record.type === 'end') {
      this.#time(record.endMs);
      this.#rss(record.endMs, record.rssEndBytes);
      const scope = record.scope;
      if (scope.kind === 'month' && scope.month !== undefined) {
        const month = this.#months.get(scope.month) ?? { month: scope.month, startMs: record.startMs, endMs: null, outcome: 'running' };
        month.endMs = record.endMs;
        month.outcome = record.outcome;
        this.#months.set(scope.month, month);
        return;
      }
      const startMs = this.#starts.get(scope.spanId) ?? record.startMs;
      this.#starts.delete(scope.spanId);
      if (this.#bars.length >= MAX_BARS) {
        this.#barsLeftOut++;
        return;
      }
      this.#bars.push({
        stage: scope.name,
        month: scope.month ?? null,
        startMs,
        endMs: record.endMs,
        durationS: record.durationS,
        outcome: record.outcome,
        slow: record.slow,
        context: contextEntries(record.context),
        error: record.error ? `${record.error.type}: ${record.error.message}` : record.reason ? `Interrupted: ${record.reason}` : null,
      });
    } else {
      this.#time(record.atMs);
      this.#rss(record.atMs, record.rssBytes);
    }
  }

  result(): Timeline {
    const months = [...this.#months.values()].sort((a, b) => a.startMs - b.startMs);
    return {
      months,
      bars: this.#bars,
      barsLeftOut: this.#barsLeftOut,
      memory: [...this.#memory].sort((a, b) => a.atMs - b.atMs),
      firstMs: Number.isFinite(this.#firstMs) ? this.#firstMs : 0,
      lastMs: Number.isFinite(this.#lastMs) ? this.#lastMs : 0,
    };
  }

  #time(ms: number): void {
    if (ms < this.#firstMs) this.#firstMs = ms;
    if (ms > this.#lastMs) this.#lastMs = ms;
  }

  #rss(atMs: number, bytes: number): void {
    if (this.#memorySeen++ % this.#memoryEvery !== 0) return;
    this.#memory.push({ atMs, mb: toMb(bytes) });
    if (this.#memory.length >= 2 * MAX_MEMORY_POINTS) {
      this.#memory = this.#memory.filter((_, i) => i % 2 === 0);
      this.#memoryEvery *= 2;
    }
  }
}

function contextEntries(context: Readonly<Record<string, AttributeValue | undefined>>): [string, string][] {
  const out: [string, string][] = [];
  for (const key in context) {
    if (out.length >= MAX_CONTEXT_ENTRIES) break;
    const value = context[key];
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    out.push([
      key.startsWith(CONTEXT_PREFIX) ? key.slice(CONTEXT_PREFIX.length) : key,
      text.length > MAX_CONTEXT_TEXT ? `${text.slice(0, MAX_CONTEXT_TEXT)}…` : text,
    ]);
  }
  return out;
}
