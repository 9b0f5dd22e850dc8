import type { AttributeValue } from '@opentelemetry/api';
import type { Outcome } from '../model/attribute-names.js';
import { LEVEL_RANK, LEVELS } from '../model/levels.js';
import type { RecordSink } from '../model/record-sink.js';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../model/records.js';
import { MAX_MONTHS, MAX_STAGE_NAMES, OVERFLOW_NAME } from './cardinality.js';
import { DurationSketch } from './duration-sketch.js';
import {
  MEMORY_DIRECTION_KEY,
  MEMORY_LEVEL_KEY,
  MEMORY_RSS_MB_KEY,
  MEMORY_THRESHOLD_MB_KEY,
  SESSION_ALERT_FAILURES_KEY,
  SESSION_AUDIT_LOST_RECORDS_KEY,
  SESSION_AUDIT_WRITE_ERRORS_KEY,
  SESSION_DEFAULT_THRESHOLD_KEY,
  SESSION_EVENT_KEY,
  SESSION_MEMORY_CRITICAL_KEY,
  SESSION_MEMORY_WARNING_KEY,
  SESSION_OTLP_DROPPED_SPANS_KEY,
  SESSION_OTLP_EXPORT_ERRORS_KEY,
  SESSION_SERVICE_NAME_KEY,
  SESSION_STAGE_THRESHOLD_PREFIX,
  type TelemetryCounters,
} from './session-markers.js';

/*
 * Precision. Every figure is taken at the precision the audit files write it,
 * so a summary rebuilt from the files equals the live one field for field:
 * times in whole milliseconds (the files' timestamps), durations in whole
 * microseconds, memory in tenths of a megabyte. Sums are integers of those
 * units, so they do not depend on the order records arrive in.
 */
const BYTES_PER_MB = 1024 * 1024;

/** Microseconds of a duration in seconds, as the statistics count it. */
export const toMicros = (seconds: number): number => Math.round(seconds * 1e6);
/** Tenths of a megabyte of a byte count (`Math.round(bytes / MB * 10)`, the files' rounding). */
export const toTenthsOfMb = (bytes: number): number => Math.round((bytes / BYTES_PER_MB) * 10);
/** Whole milliseconds of an instant, as the files' timestamps write it. */
export const toWholeMs = (epochMs: number): number => Math.floor(epochMs);

/** Running figures of one stage name. */
export interface StageAccount {
  readonly executions: number;
  readonly successes: number;
  readonly failures: number;
  readonly interrupted: number;
  readonly totalMicros: number;
  readonly slowCount: number;
  /** The longest execution that was slow, µs; 0 when none was. */
  readonly slowestMicros: number;
  readonly peakRssTenths: number;
  /** Every duration in seconds (µs precision); min and max are exact. */
  readonly durations: DurationSketch;
}

/** Why a scope did not succeed: its error, or `Interrupted` with the reason. */
export interface FailureFacts {
  readonly type: string;
  readonly message: string;
}

export interface MonthAccount {
  readonly month: string;
  readonly status: 'running' | Outcome;
  readonly startMs: number;
  readonly endMs: number | undefined;
  readonly durationMicros: number | undefined;
  readonly stages: number;
  readonly failedStages: number;
  readonly traceId: string;
  /** Stage time in this month by stage name, µs. */
  readonly stageMicros: ReadonlyMap<string, number>;
  /** The first stage of the month that did not succeed. */
  readonly failedStage: (FailureFacts & { readonly stage: string }) | undefined;
  /** The month's own error or interruption reason. */
  readonly failure: FailureFacts | undefined;
}

/** One memory threshold crossing, from the message that reported it. */
export interface MemoryCrossing {
  readonly atMs: number;
  readonly level: string;
  readonly direction: string;
  readonly rssMb: number;
  readonly thresholdMb: number;
  readonly month: string | undefined;
  readonly stage: string | undefined;
}

/** What the session's start record said about its configuration. */
export interface RecordedConfig {
  readonly serviceName: string | undefined;
  readonly defaultThresholdS: number | undefined;
  readonly stageThresholds: ReadonlyMap<string, number>;
  readonly memoryWarningMb: number | undefined;
  readonly memoryCriticalMb: number | undefined;
}

/** Told once per kind when the statistics start to fold new names into {@link OVERFLOW_NAME}. */
export type OverflowListener = (kind: 'stage' | 'month', limit: number) => void;

export interface SessionStatsOptions {
  onOverflow?: OverflowListener;
}

/** Crossings kept for the summary; later ones are only counted. */
export const MAX_CROSSINGS_KEPT = 1000;

interface MutableStage {
  executions: number;
  successes: number;
  failures: number;
  interrupted: number;
  totalMicros: number;
  slowCount: number;
  slowestMicros: number;
  peakRssTenths: number;
  durations: DurationSketch;
}

interface MutableMonth {
  month: string;
  status: 'running' | Outcome;
  startMs: number;
  endMs: number | undefined;
  durationMicros: number | undefined;
  stages: number;
  failedStages: number;
  traceId: string;
  stageMicros: Map<string, number>;
  failedStage: (FailureFacts & { stage: string }) | undefined;
  failure: FailureFacts | undefined;
}

/**
 * The statistics behind the session summary, fed with the session's records
 * as they happen (live) or as they are read back from the audit files
 * (offline); both paths build the same summary.
 *
 * Memory does not grow with the number of executions: per stage name a few
 * counters and a {@link DurationSketch}; per month a few more. Nor with the
 * number of names: past {@link MAX_STAGE_NAMES} stage names and
 * {@link MAX_MONTHS} months, new ones are counted under {@link OVERFLOW_NAME}.
 * Cost per stage end: two Map lookups, a logarithm and some additions.
 */
export class SessionStats implements RecordSink {
  readonly #startedAtMs: number;
  #endedAtMs: number | undefined;
  #firstRecordMs = Number.POSITIVE_INFINITY;
  #lastRecordMs = Number.NEGATIVE_INFINITY;
  readonly #stages = new Map<string, MutableStage>();
  readonly #months = new Map<string, MutableMonth>();
  readonly #messagesByLevel = LEVELS.map(() => 0);
  #openScopes = 0;
  #peakRssTenths = 0;
  #rssTenthsSum = 0;
  #rssSamples = 0;
  readonly #crossings: MemoryCrossing[] = [];
  #crossingsTotal = 0;
  #serviceName: string | undefined;
  #defaultThresholdS: number | undefined;
  readonly #stageThresholds = new Map<string, number>();
  #memoryWarningMb: number | undefined;
  #memoryCriticalMb: number | undefined;
  #telemetryAtEnd: TelemetryCounters | undefined;
  readonly #onOverflow: OverflowListener | undefined;
  readonly #overflowed = new Set<'stage' | 'month'>();

  /** @param startedAtMs when the session started (epoch ms); the summary's `start`. */
  constructor(startedAtMs: number, options: SessionStatsOptions = {}) {
    this.#startedAtMs = toWholeMs(startedAtMs);
    this.#onOverflow = options.onOverflow;
  }

  /** The key a stage name is counted under: itself, or {@link OVERFLOW_NAME} once the names are full. */
  #stageKey(name: string): string {
    if (this.#stages.size < MAX_STAGE_NAMES || this.#stages.has(name)) return name;
    this.#overflow('stage', MAX_STAGE_NAMES);
    return OVERFLOW_NAME;
  }

  #monthKey(month: string): string {
    if (this.#months.size < MAX_MONTHS || this.#months.has(month)) return month;
    this.#overflow('month', MAX_MONTHS);
    return OVERFLOW_NAME;
  }

  #overflow(kind: 'stage' | 'month', limit: number): void {
    if (this.#overflowed.has(kind)) return;
    this.#overflowed.add(kind);
    try {
      this.#onOverflow?.(kind, limit);
    } catch {
      // Telling must not stop the counting.
    }
  }

  /** A month or stage started: a month is `running` from now. */
  onStart(record: ScopeStartRecord): void {
    this.#openScopes++;
    this.#seen(record.startMs);
    this.#sampleRss(record.rssBytes);
    const scope = record.scope;
    if (scope.kind !== 'month' || scope.month === undefined) return;
    const key = this.#monthKey(scope.month);
    const folded = this.#months.get(OVERFLOW_NAME);
    if (key === OVERFLOW_NAME && folded !== undefined) {
      folded.status = 'running';
      return;
    }
    this.#months.set(key, {
      month: key,
      status: 'running',
      startMs: toWholeMs(record.startMs),
      endMs: undefined,
      durationMicros: undefined,
      stages: 0,
      failedStages: 0,
      traceId: scope.traceId,
      stageMicros: new Map(),
      failedStage: undefined,
      failure: undefined,
    });
  }

  /** A month or stage ended: stage and month accounting. */
  onEnd(record: ScopeEndRecord): void {
    if (this.#openScopes > 0) this.#openScopes--;
    this.#seen(record.endMs);
    this.#sampleRss(record.rssEndBytes);
    const peak = toTenthsOfMb(record.rssPeakBytes);
    if (peak > this.#peakRssTenths) this.#peakRssTenths = peak;
    const scope = record.scope;
    const micros = toMicros(record.durationS);
    if (scope.kind === 'month') {
      if (scope.month === undefined) return;
      const key = this.#monthKey(scope.month);
      let month = this.#months.get(key);
      if (month === undefined) {
        // Its start is not among the records (an older, deleted file generation).
        month = {
          month: key,
          status: 'running',
          startMs: toWholeMs(record.endMs) - Math.round(micros / 1000),
          endMs: undefined,
          durationMicros: undefined,
          stages: 0,
          failedStages: 0,
          traceId: scope.traceId,
          stageMicros: new Map(),
          failedStage: undefined,
          failure: undefined,
        };
        this.#months.set(key, month);
      }
      month.status = record.outcome;
      month.endMs = toWholeMs(record.endMs);
      month.durationMicros = micros;
      month.failure = failureOf(record);
      return;
    }
    const name = this.#stageKey(scope.name);
    let stage = this.#stages.get(name);
    if (stage === undefined) {
      stage = {
        executions: 0,
        successes: 0,
        failures: 0,
        interrupted: 0,
        totalMicros: 0,
        slowCount: 0,
        slowestMicros: 0,
        peakRssTenths: 0,
        durations: new DurationSketch(),
      };
      this.#stages.set(name, stage);
    }
    stage.executions++;
    if (record.outcome === 'success') stage.successes++;
    else if (record.outcome === 'interrupted') stage.interrupted++;
    else stage.failures++;
    stage.totalMicros += micros;
    stage.durations.add(micros / 1e6);
    if (record.slow) {
      stage.slowCount++;
      if (micros > stage.slowestMicros) stage.slowestMicros = micros;
    }
    if (peak > stage.peakRssTenths) stage.peakRssTenths = peak;
    const month =
      scope.month === undefined ? undefined : this.#months.get(this.#months.has(scope.month) ? scope.month : this.#monthKey(scope.month));
    if (month !== undefined) {
      month.stages++;
      month.stageMicros.set(name, (month.stageMicros.get(name) ?? 0) + micros);
      if (record.outcome !== 'success') {
        month.failedStages++;
        if (month.failedStage === undefined) {
          const failure = failureOf(record);
          month.failedStage = {
            stage: name,
            type: failure?.type ?? 'Failure',
            message: failure?.message ?? 'ended with success: false',
          };
        }
      }
    }
  }

  /** A log message: counted by level; memory crossings and the session's start and end markers read from its context. */
  onMessage(record: MessageRecord): void {
    const rank = LEVEL_RANK[record.level];
    if (rank !== undefined) this.#messagesByLevel[rank] = (this.#messagesByLevel[rank] ?? 0) + 1;
    this.#seen(record.atMs);
    this.#sampleRss(record.rssBytes);
    const context = record.context;
    if (context === undefined) return;
    if (context[MEMORY_LEVEL_KEY] !== undefined) this.#crossing(record, context);
    const event = context[SESSION_EVENT_KEY];
    if (event === 'start') this.#configure(context);
    else if (event === 'end') {
      this.#telemetryAtEnd = {
        auditWriteErrors: count(context[SESSION_AUDIT_WRITE_ERRORS_KEY]),
        auditLostRecords: count(context[SESSION_AUDIT_LOST_RECORDS_KEY]),
        otlpDroppedSpans: count(context[SESSION_OTLP_DROPPED_SPANS_KEY]),
        otlpExportErrors: count(context[SESSION_OTLP_EXPORT_ERRORS_KEY]),
        alertFailures: count(context[SESSION_ALERT_FAILURES_KEY]),
      };
      this.end(record.atMs);
    }
  }

  /** The session ended (shutdown). The first call counts; months still open show as interrupted from now on. */
  end(atMs: number): void {
    if (this.#endedAtMs === undefined) this.#endedAtMs = toWholeMs(atMs);
  }

  /**
   * When the session's records begin: its first record, or the instant
   * given to the constructor before there is any. The files hold the former,
   * so both paths agree (with a start marker it is the session's start).
   */
  get startedAtMs(): number {
    return this.#firstRecordMs === Number.POSITIVE_INFINITY ? this.#startedAtMs : this.#firstRecordMs;
  }

  /**
   * When the session ended: its last record (with an end marker, the
   * shutdown), or the instant given to `end()` when it had none;
   * undefined while it runs.
   */
  get endedAtMs(): number | undefined {
    if (this.#endedAtMs === undefined) return undefined;
    return this.#lastRecordMs === Number.NEGATIVE_INFINITY ? this.#endedAtMs : this.#lastRecordMs;
  }

  /** The time of the latest record; undefined before any. */
  get lastRecordMs(): number | undefined {
    return this.#lastRecordMs === Number.NEGATIVE_INFINITY ? undefined : this.#lastRecordMs;
  }

  get stages(): ReadonlyMap<string, StageAccount> {
    return this.#stages;
  }

  get months(): ReadonlyMap<string, MonthAccount> {
    return this.#months;
  }

  /** Messages by level, in the order of {@link LEVELS}. */
  get messagesByLevel(): readonly number[] {
    return this.#messagesByLevel;
  }

  /** Months and stages started and not (yet) ended. */
  get openScopes(): number {
    return this.#openScopes;
  }

  /** Highest RSS in any record (start, end, peak while open, message), tenths of MB. */
  get peakRssTenths(): number {
    return this.#peakRssTenths;
  }

  /** Mean of the RSS readings the records carry (starts, ends, messages), tenths of MB; 0 without any. */
  get meanRssTenths(): number {
    return this.#rssSamples === 0 ? 0 : this.#rssTenthsSum / this.#rssSamples;
  }

  get rssSamples(): number {
    return this.#rssSamples;
  }

  /** The first {@link MAX_CROSSINGS_KEPT} threshold crossings, in the order reported. */
  get memoryCrossings(): readonly MemoryCrossing[] {
    return this.#crossings;
  }

  get memoryCrossingsTotal(): number {
    return this.#crossingsTotal;
  }

  /** What the session's start record said; empty when there was none. */
  get recordedConfig(): RecordedConfig {
    return {
      serviceName: this.#serviceName,
      defaultThresholdS: this.#defaultThresholdS,
      stageThresholds: this.#stageThresholds,
      memoryWarningMb: this.#memoryWarningMb,
      memoryCriticalMb: this.#memoryCriticalMb,
    };
  }

  /** The telemetry counters the session's end record carried; undefined without one. */
  get telemetryAtEnd(): TelemetryCounters | undefined {
    return this.#telemetryAtEnd;
  }

  #seen(atMs: number): void {
    const ms = toWholeMs(atMs);
    if (ms < this.#firstRecordMs) this.#firstRecordMs = ms;
    if (ms > this.#lastRecordMs) this.#lastRecordMs = ms;
  }

  #sampleRss(bytes: number): void {
    const tenths = toTenthsOfMb(bytes);
    this.#rssTenthsSum += tenths;
    this.#rssSamples++;
    if (tenths > this.#peakRssTenths) this.#peakRssTenths = tenths;
  }

  #crossing(record: MessageRecord, context: Readonly<Record<string, AttributeValue | undefined>>): void {
    this.#crossingsTotal++;
    if (this.#crossings.length >= MAX_CROSSINGS_KEPT) return;
    const scope = record.scope;
    this.#crossings.push({
      atMs: toWholeMs(record.atMs),
      level: String(context[MEMORY_LEVEL_KEY]),
      direction: String(context[MEMORY_DIRECTION_KEY] ?? 'up'),
      rssMb: numberOr(context[MEMORY_RSS_MB_KEY], 0),
      thresholdMb: numberOr(context[MEMORY_THRESHOLD_MB_KEY], 0),
      month: scope?.month,
      // As the files write a message's stage: its label, else the stage it was logged in.
      stage: record.label ?? (scope?.kind === 'stage' ? scope.name : undefined),
    });
  }

  #configure(context: Readonly<Record<string, AttributeValue | undefined>>): void {
    const name = context[SESSION_SERVICE_NAME_KEY];
    if (typeof name === 'string') this.#serviceName = name;
    const threshold = context[SESSION_DEFAULT_THRESHOLD_KEY];
    if (typeof threshold === 'number') this.#defaultThresholdS = threshold;
    const warning = context[SESSION_MEMORY_WARNING_KEY];
    if (typeof warning === 'number') this.#memoryWarningMb = warning;
    const critical = context[SESSION_MEMORY_CRITICAL_KEY];
    if (typeof critical === 'number') this.#memoryCriticalMb = critical;
    for (const key in context) {
      const value = context[key];
      if (key.startsWith(SESSION_STAGE_THRESHOLD_PREFIX) && typeof value === 'number') {
        this.#stageThresholds.set(key.slice(SESSION_STAGE_THRESHOLD_PREFIX.length), value);
      }
    }
  }
}

/** The error of a scope that did not succeed, as the files keep it (type and message; `Interrupted` and the reason). */
export function failureOf(record: ScopeEndRecord): FailureFacts | undefined {
  if (record.error !== undefined) return { type: record.error.type, message: record.error.message };
  if (record.outcome === 'interrupted') return { type: 'Interrupted', message: record.reason ?? '' };
  return undefined;
}

const numberOr = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);
const count = (value: unknown): number => (typeof value === 'number' && value >= 0 ? value : 0);
