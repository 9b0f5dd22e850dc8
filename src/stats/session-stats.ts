import type { Outcome } from '../model/attribute-names.js';
import { LEVEL_RANK, LEVELS } from '../model/levels.js';
import type { ThresholdCrossing } from '../model/memory-crossing.js';
import type { RecordSink } from '../model/record-sink.js';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../model/records.js';
import type { SessionStartFacts } from '../model/session-facts.js';
import type { RecordedTelemetryCounts } from '../model/telemetry-counts.js';
import { BYTES_PER_MB, toMb } from '../model/units.js';
import { MAX_MONTHS, MAX_STAGE_NAMES, OVERFLOW_NAME } from './cardinality.js';
import { DurationSketch } from './duration-sketch.js';
import { IntervalUnion } from './interval-union.js';

/*
 * Precision. Every figure is taken at the precision the audit files write it,
 * so a summary rebuilt from the files equals the live one field for field:
 * times in whole milliseconds (the files' timestamps), durations in whole
 * microseconds, memory in tenths of a megabyte. Sums are integers of those
 * units, so they do not depend on the order records arrive in.
 */

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
  /** The longest execution, µs, and its month (the earliest month among equals). */
  readonly longestMicros: number;
  readonly longestMonth: string | undefined;
  /** Wall-clock time during which at least one execution ran, µs: overlapping executions count once. */
  readonly wallClockMicros: number;
  /** RSS at each execution's end less at its start, added up, tenths of MB (as the files round each difference). */
  readonly rssGrowthTenths: number;
  /** Highest heap in use sampled while an execution was open, tenths of MB; 0 when no record says. */
  readonly peakHeapTenths: number;
  /** Executions whose records carry their own CPU time and heap peak (files written before them do not). */
  readonly cpuRecorded: number;
  /** Process CPU time over those executions, µs. */
  readonly cpuMicros: number;
  /** The durations of those executions added up, µs: what {@link cpuMicros} is a share of. */
  readonly cpuTimedMicros: number;
  /** Executions during which another month or stage (not enclosing it, not inside it) was open. */
  readonly overlappedExecutions: number;
}

/** One error of a `cause` chain. */
export interface CauseFacts {
  readonly type: string;
  readonly message: string;
}

/** Why a scope did not succeed: its error (with its `cause` chain, outermost first), or `Interrupted` with the reason. */
export interface FailureFacts {
  readonly type: string;
  readonly message: string;
  readonly causes: readonly CauseFacts[];
}

/** The first stage of a month attempt that did not succeed, and how long that stage ran, µs. */
export interface FailedStageFacts extends FailureFacts {
  readonly stage: string;
  readonly micros: number;
}

/** Why an attempt of a month that was started again did not succeed. */
export interface FailedAttempt {
  /** The stage that failed first; undefined when the month itself failed. */
  readonly stage: string | undefined;
  readonly failure: FailureFacts;
}

/** Earlier failed attempts kept per month; later ones are only counted in `attempts`. */
export const MAX_FAILED_ATTEMPTS_KEPT = 20;

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
  /** The first stage of the month's latest attempt that did not succeed. */
  readonly failedStage: FailedStageFacts | undefined;
  /** The month's own error or interruption reason (latest attempt). */
  readonly failure: FailureFacts | undefined;
  /** How often the month was started: more than 1 when the pipeline retried it. */
  readonly attempts: number;
  /** Why the attempts before the latest did not succeed, oldest first. */
  readonly failedAttempts: readonly FailedAttempt[];
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
  longestMicros: number;
  longestMonth: string | undefined;
  union: IntervalUnion;
  rssGrowthTenths: number;
  wallClockMicros: number;
  peakHeapTenths: number;
  cpuRecorded: number;
  cpuMicros: number;
  cpuTimedMicros: number;
  overlappedExecutions: number;
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
  failedStage: FailedStageFacts | undefined;
  failure: FailureFacts | undefined;
  attempts: number;
  failedAttempts: FailedAttempt[];
}

function newMonth(month: string, startMs: number, traceId: string): MutableMonth {
  return {
    month,
    status: 'running',
    startMs,
    endMs: undefined,
    durationMicros: undefined,
    stages: 0,
    failedStages: 0,
    traceId,
    stageMicros: new Map(),
    failedStage: undefined,
    failure: undefined,
    attempts: 1,
    failedAttempts: [],
  };
}

/** Slack for a start rebuilt from a whole-ms end and a µs duration (no start record): it may lie up to 1 ms before the true one. */
const START_SLACK_MICROS = 2000;

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
  #telemetryAtEnd: RecordedTelemetryCounts | undefined;
  readonly #onOverflow: OverflowListener | undefined;
  readonly #overflowed = new Set<'stage' | 'month'>();
  /** Start (whole ms) of each stage still open, by span id: bounds what the interval unions keep. */
  readonly #openStageStarts = new Map<string, number>();
  readonly #allStages = new IntervalUnion();
  #intervalMicros = 0;

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

  /** A month or stage started: a month is `running` from now; a month started again is a retry. */
  onStart(record: ScopeStartRecord): void {
    this.#openScopes++;
    this.#seen(record.startMs);
    this.#sampleRss(record.rssBytes);
    const scope = record.scope;
    if (scope.kind !== 'month') {
      this.#openStageStarts.set(scope.spanId, toWholeMs(record.startMs));
      return;
    }
    if (scope.month === undefined) return;
    const key = this.#monthKey(scope.month);
    const before = this.#months.get(key);
    if (key === OVERFLOW_NAME && before !== undefined) {
      // Past the cap every further month is folded into one entry, not a retry of it.
      before.status = 'running';
      return;
    }
    const month = newMonth(key, toWholeMs(record.startMs), scope.traceId);
    if (before !== undefined) {
      // A retry: the month's stage time and counts add up over its attempts; the earlier attempt's failure is kept.
      month.attempts = before.attempts + 1;
      month.failedAttempts = before.failedAttempts;
      month.stages = before.stages;
      month.failedStages = before.failedStages;
      month.stageMicros = before.stageMicros;
      const failed = before.status === 'success' ? undefined : attemptFailure(before);
      if (failed !== undefined && month.failedAttempts.length < MAX_FAILED_ATTEMPTS_KEPT) month.failedAttempts.push(failed);
    }
    this.#months.set(key, month);
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
        month = newMonth(key, toWholeMs(record.endMs) - Math.round(micros / 1000), scope.traceId);
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
        longestMicros: -1,
        longestMonth: undefined,
        union: new IntervalUnion(),
        rssGrowthTenths: 0,
        wallClockMicros: 0,
        peakHeapTenths: 0,
        cpuRecorded: 0,
        cpuMicros: 0,
        cpuTimedMicros: 0,
        overlappedExecutions: 0,
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
    if (micros > stage.longestMicros || (micros === stage.longestMicros && isEarlier(scope.month, stage.longestMonth))) {
      stage.longestMicros = micros;
      stage.longestMonth = scope.month;
    }
    this.#addInterval(stage.union, scope.spanId, record.endMs, micros);
    stage.wallClockMicros = stage.union.totalMicros;
    stage.rssGrowthTenths += toTenthsOfMb(record.rssEndBytes - record.rssStartBytes);
    if (record.heapPeakBytes !== undefined) {
      const heapPeak = toTenthsOfMb(record.heapPeakBytes);
      if (heapPeak > stage.peakHeapTenths) stage.peakHeapTenths = heapPeak;
    }
    if (record.cpuSeconds !== undefined) {
      stage.cpuRecorded++;
      stage.cpuMicros += toMicros(record.cpuSeconds);
      stage.cpuTimedMicros += micros;
    }
    if (record.overlapped === true) stage.overlappedExecutions++;
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
            micros,
            type: failure?.type ?? 'Failure',
            message: failure?.message ?? 'ended with success: false',
            causes: failure?.causes ?? [],
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
    if (record.memory !== undefined) this.#crossing(record, record.memory);
    const facts = record.sessionFacts;
    if (facts?.event === 'start') this.#configure(facts);
    else if (facts?.event === 'end') {
      this.#telemetryAtEnd = facts.telemetry;
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

  /** Wall-clock time during which at least one stage ran, µs: overlapping and nested stages count once. */
  get stageWallClockMicros(): number {
    return this.#allStages.totalMicros;
  }

  /** The stage executions' intervals (whole ms) added up, µs: above {@link stageWallClockMicros} only when stages overlap. */
  get stageIntervalMicros(): number {
    return this.#intervalMicros;
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
  get telemetryAtEnd(): RecordedTelemetryCounts | undefined {
    return this.#telemetryAtEnd;
  }

  /**
   * A stage execution as an interval from its start record to its end, in
   * whole milliseconds as the files hold both instants (so the offline figure
   * equals the live one, and a stage that began after another ended never
   * overlaps it), in the stage's union and in that of all stages. Without a
   * start record the start is the end less the duration.
   */
  #addInterval(union: IntervalUnion, spanId: string, endMs: number, micros: number): void {
    const end = toWholeMs(endMs);
    const start = Math.min(end, this.#openStageStarts.get(spanId) ?? end - Math.round(micros / 1000));
    this.#openStageStarts.delete(spanId);
    union.add(start * 1000, end * 1000);
    this.#allStages.add(start * 1000, end * 1000);
    this.#intervalMicros += (end - start) * 1000;
    // No stage still open started before the earliest open start: what ends before it is settled.
    let earliest = end;
    if (this.#openStageStarts.size > 0) for (const startMs of this.#openStageStarts.values()) if (startMs < earliest) earliest = startMs;
    const settle = earliest * 1000 - START_SLACK_MICROS;
    union.settleBefore(settle);
    this.#allStages.settleBefore(settle);
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

  #crossing(record: MessageRecord, crossing: ThresholdCrossing): void {
    this.#crossingsTotal++;
    if (this.#crossings.length >= MAX_CROSSINGS_KEPT) return;
    const scope = record.scope;
    this.#crossings.push({
      atMs: toWholeMs(record.atMs),
      level: crossing.level,
      direction: crossing.direction,
      rssMb: toMb(crossing.rssBytes),
      thresholdMb: toMb(crossing.thresholdBytes),
      month: scope?.month,
      // As the files write a message's stage: its label, else the stage it was logged in.
      stage: record.label ?? (scope?.kind === 'stage' ? scope.name : undefined),
    });
  }

  #configure(facts: SessionStartFacts): void {
    this.#serviceName = facts.serviceName;
    this.#defaultThresholdS = facts.defaultThresholdS;
    this.#memoryWarningMb = facts.memoryWarningMb;
    this.#memoryCriticalMb = facts.memoryCriticalMb;
    for (const [stage, seconds] of facts.stageThresholds) this.#stageThresholds.set(stage, seconds);
  }
}

/** The error of a scope that did not succeed, as the files keep it (type, message, causes; `Interrupted` and the reason). */
export function failureOf(record: ScopeEndRecord): FailureFacts | undefined {
  if (record.error !== undefined) {
    return {
      type: record.error.type,
      message: record.error.message,
      causes: record.error.causes.map((c) => ({ type: c.type, message: c.message })),
    };
  }
  if (record.outcome === 'interrupted') return { type: 'Interrupted', message: record.reason ?? '', causes: [] };
  return undefined;
}

/** Why an attempt of a month did not succeed: its first failed stage, else its own error; undefined when nothing says. */
function attemptFailure(month: MutableMonth): FailedAttempt | undefined {
  if (month.failedStage !== undefined) {
    const { stage, type, message, causes } = month.failedStage;
    return { stage, failure: { type, message, causes } };
  }
  if (month.failure !== undefined) return { stage: undefined, failure: month.failure };
  if (month.status === 'running')
    return { stage: undefined, failure: { type: 'Interrupted', message: 'started again before it ended', causes: [] } };
  return undefined;
}

/** Whether month `a` sorts before `b`; a stage outside any month sorts last. */
const isEarlier = (a: string | undefined, b: string | undefined): boolean => a !== undefined && (b === undefined || a < b);
