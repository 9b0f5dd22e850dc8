import { formatSeconds } from '../model/human-format.js';
import { LEVELS } from '../model/levels.js';
import { plural } from '../model/plural.js';
import type { RecordedTelemetryCounts } from '../model/telemetry-counts.js';
import { BYTES_PER_MB, toMb } from '../model/units.js';
import { DurationSketch } from './duration-sketch.js';
import type { CauseFacts, MonthAccount, SessionStats, StageAccount } from './session-stats.js';

/** Per-stage figures of a session summary. Durations in seconds. */
export interface StageSummary {
  executions: number;
  successes: number;
  failures: number;
  interrupted: number;
  /** successes / executions, 0..1. */
  success_rate: number;
  total_duration_seconds: number;
  avg_duration_seconds: number;
  min_duration_seconds: number;
  max_duration_seconds: number;
  /** Median, 95th and 99th percentile, within {@link SessionSummary.percentile_relative_error}. */
  p50_duration_seconds: number;
  p95_duration_seconds: number;
  p99_duration_seconds: number;
  /**
   * This stage's share of the time stages ran, 0..1, on the wall clock: the
   * time during which one of its executions ran over the time during which
   * any stage ran. Overlapping executions (parallel months) count once; a
   * nested stage counts in its own share and in its parent's.
   */
  share_of_time: number;
  /** Wall-clock seconds during which at least one execution ran; below `total_duration_seconds` when they overlap. */
  wall_clock_seconds: number;
  slow_count: number;
  /** The configured slow threshold; null when the records do not say (files written before it was recorded). */
  threshold_seconds: number | null;
  /** Highest RSS sampled while one of its executions was open, MB. */
  peak_memory_mb: number;
  /**
   * RSS at each execution's end less at its start, added up, MB: what the
   * process kept after running it. Process-wide: with stages running at the
   * same time, theirs is in it too.
   */
  rss_growth_mb: number;
  /** Highest V8 heap in use sampled while one of its executions was open, MB; null when no record says (older files). */
  peak_heap_mb: number | null;
  /**
   * CPU time of the process (user + system, every thread) while its
   * executions ran, added up, seconds; null when no record says (older
   * files). Process-wide: see {@link overlapped_executions}.
   */
  cpu_seconds: number | null;
  /**
   * `cpu_seconds` over those executions' durations, to 0.001: near 1 the
   * stage computed (one core busy), near 0 it waited (I/O, network, locks);
   * above 1 when several threads worked. Null when no record says.
   */
  cpu_share: number | null;
  /** Executions during which another month or stage (neither enclosing it nor inside it) ran: their CPU and memory figures include that one's. */
  overlapped_executions: number;
}

export interface MonthSummary {
  /** `running` only while the session runs; a month left open when it ended shows as `interrupted`. */
  status: 'running' | 'success' | 'failure' | 'interrupted';
  /** Seconds; for a running month, so far. */
  duration: number;
  /** Stages executed in the month. */
  stages: number;
  failed_stages: number;
  start: string;
  end: string | null;
  trace_id: string;
  /** Stage time in the month by stage name, seconds. */
  stage_seconds: Record<string, number>;
  /** The stage that took most of the month's stage time. */
  dominant_stage: { name: string; seconds: number; share_of_month: number } | null;
  /**
   * Why a month that did not succeed failed: the first stage that failed
   * (null when the month itself failed), how long that stage ran, and its
   * error with the `cause` chain, outermost first.
   */
  error: MonthError | null;
  /** How often the month was started: above 1 when the pipeline retried it. */
  attempts: number;
  /** Why each attempt before the latest did not succeed, oldest first (the first 20). */
  failed_attempts: { stage: string | null; type: string; message: string; causes: ErrorCause[] }[];
}

/** One error of a `cause` chain. */
export interface ErrorCause {
  type: string;
  message: string;
}

export interface MonthError {
  stage: string | null;
  /** The failed stage's own duration, seconds; null when the month itself failed. */
  stage_seconds: number | null;
  type: string;
  message: string;
  causes: ErrorCause[];
}

/** Why a stage is a bottleneck, in words and in numbers. */
export type BottleneckReason =
  | {
      kind: 'share_of_time';
      text: string;
      /** Of the wall-clock time stages ran (see {@link StageSummary.share_of_time}). */
      share: number;
      /** Its executions' durations added up. */
      stage_seconds: number;
      stage_wall_clock_seconds: number;
      /** All stages' durations added up: above the wall-clock figure when stages overlap. */
      all_stages_seconds: number;
      all_stages_wall_clock_seconds: number;
    }
  | {
      kind: 'over_threshold';
      text: string;
      slow_count: number;
      executions: number;
      threshold_seconds: number | null;
      slowest_seconds: number;
    }
  | {
      kind: 'variance_between_months';
      text: string;
      months: number;
      min_month: string;
      min_month_seconds: number;
      max_month: string;
      max_month_seconds: number;
      coefficient_of_variation: number;
    }
  | {
      kind: 'outlier';
      text: string;
      /** The longest execution, and its month (null outside any month). */
      slowest_seconds: number;
      slowest_month: string | null;
      median_seconds: number;
      /** slowest / median. */
      ratio: number;
    }
  | {
      /** CPU share ≥ {@link BOTTLENECK_CPU_BOUND}: computing; below {@link BOTTLENECK_WAITING}: waiting; between: both. */
      kind: 'cpu_bound' | 'waiting' | 'cpu_and_waiting';
      text: string;
      /** See {@link StageSummary.cpu_share}. */
      cpu_share: number;
      cpu_seconds: number;
      /** The durations the CPU time is a share of, seconds. */
      stage_seconds: number;
      /** Executions that overlapped another month or stage: the CPU figure is the whole process's during them. */
      overlapped_executions: number;
      executions: number;
    }
  | { kind: 'memory_near_threshold'; text: string; peak_memory_mb: number; threshold: 'warning' | 'critical'; threshold_mb: number }
  | {
      kind: 'memory_growth';
      text: string;
      /** RSS growth over its executions, MB (see {@link StageSummary.rss_growth_mb}). */
      rss_growth_mb: number;
      executions: number;
      /** True when stages overlapped in the session: the growth may be theirs too. */
      process_wide: boolean;
    };

export interface Bottleneck {
  stage: string;
  share_of_time: number;
  reasons: BottleneckReason[];
}

export interface MemoryCrossingSummary {
  at: string;
  level: string;
  direction: string;
  rss_mb: number;
  threshold_mb: number;
  month: string | null;
  stage: string | null;
}

/** A plain, JSON-serialisable snapshot of the session. Field names match the audit files. */
export interface SessionSummary {
  session_id: string;
  service_name: string;
  start: string;
  /** null while the session runs. */
  end: string | null;
  duration_seconds: number;
  /** The bound on the relative error of every percentile. */
  percentile_relative_error: number;
  stages: Record<string, StageSummary>;
  months: Record<string, MonthSummary>;
  totals: {
    stage_executions: number;
    stage_failures: number;
    /** Successful stage executions over all executions, 0..1 (1 when none ran). */
    success_rate: number;
    months: number;
    months_failed: number;
    /** Months started more than once. */
    months_retried: number;
    open_scopes: number;
    /** Stage durations added up, seconds (nested and parallel stages each count). */
    stage_seconds: number;
    /** Wall-clock seconds during which at least one stage ran. */
    stage_wall_clock_seconds: number;
  };
  /** Ranked by share of time; each with its reasons. The first is the session's bottleneck. */
  bottlenecks: Bottleneck[];
  peak_memory_mb: number;
  memory: {
    peak_mb: number;
    /** Mean of the RSS readings the session's records carry. */
    mean_mb: number;
    warning_threshold_mb: number | null;
    critical_threshold_mb: number | null;
    /** The first 1,000 threshold crossings. */
    crossings: MemoryCrossingSummary[];
    crossings_total: number;
  };
  messages_by_level: Record<string, number>;
  otlp: { dropped_spans: number; dropped_log_records: number; export_errors: number };
  audit: { write_errors: number; lost_records: number };
  alerts: { failures: number };
}

/** What the running session knows that its records do not. */
export interface LiveFacts {
  sessionId: string;
  serviceName: string;
  nowMs: number;
  openScopes: number;
  currentRssBytes: number;
  telemetry: RecordedTelemetryCounts;
  memoryThresholds?: { warningBytes: number; criticalBytes: number };
  /** The configured slow thresholds, seconds: a stage's own, else the default. */
  slowThresholds?: { defaultSeconds: number; stages: ReadonlyMap<string, number> };
}

/** A stage counts as a bottleneck by share alone from this share of all stage time (the top stage always does). */
export const BOTTLENECK_SHARE = 0.25;
/** Per-month time varying more than this (coefficient of variation) is called out. */
export const BOTTLENECK_MONTH_CV = 0.5;
/** Variance between months is called out only for stages with at least this share of all stage time: the spread of a stage that hardly takes any time is noise. */
export const BOTTLENECK_VARIANCE_MIN_SHARE = 0.1;
/** An execution this many times the stage's median or more is called out as an outlier. */
export const BOTTLENECK_OUTLIER_RATIO = 3;
/** Outliers are looked for among this many executions at least: with fewer, the median says little. */
export const BOTTLENECK_OUTLIER_MIN_RUNS = 4;
/** RSS growth over a stage's executions is called out from this many MB… */
export const BOTTLENECK_GROWTH_MB = 50;
/** …and from this share of the session's memory peak. */
export const BOTTLENECK_GROWTH_SHARE_OF_PEAK = 0.2;
/** A bottleneck whose CPU share is at least this is CPU-bound… */
export const BOTTLENECK_CPU_BOUND = 0.8;
/** …and below this, waiting (I/O, network, locks). */
export const BOTTLENECK_WAITING = 0.5;
/**
 * CPU is judged only for stages whose executions last this long on average,
 * seconds: each boundary's CPU reading may be up to 0.5 ms behind (see
 * metrics/cpu-clock.ts), which is noise for a shorter stage.
 */
export const BOTTLENECK_CPU_MIN_MEAN_SECONDS = 0.05;
/** A stage peak at or over this share of the warning threshold is called out. */
export const BOTTLENECK_MEMORY_RATIO = 0.9;

const r3 = (n: number) => Math.round(n * 1000) / 1000;
const seconds = (micros: number) => micros / 1e6;
const r6 = (s: number) => Math.round(s * 1e6) / 1e6;
const mbOf = (tenths: number) => tenths / 10;
const iso = (ms: number) => new Date(ms).toISOString();
const pct = (share: number) => `${(share * 100).toFixed(1)}%`;

/**
 * The session summary from its statistics. After `stats.end()` it depends on
 * the records alone (plus the telemetry counters and names in `facts`), so
 * the summary rebuilt from the audit files equals the live one.
 */
export function buildSessionSummary(stats: SessionStats, facts: LiveFacts): SessionSummary {
  const ended = stats.endedAtMs !== undefined;
  const nowMs = stats.endedAtMs ?? Math.floor(facts.nowMs);
  const recorded = stats.recordedConfig;
  const thresholdOf = (stage: string): number | null =>
    recorded.stageThresholds.get(stage) ??
    recorded.defaultThresholdS ??
    facts.slowThresholds?.stages.get(stage) ??
    facts.slowThresholds?.defaultSeconds ??
    null;

  let allStageMicros = 0;
  for (const s of stats.stages.values()) allStageMicros += s.totalMicros;
  const wallMicros = stats.stageWallClockMicros;

  // Objects keyed by the pipeline's names are built with fromEntries: a stage named `__proto__` stays a key.
  const stageEntries: [string, StageSummary][] = [];
  let executions = 0;
  let successes = 0;
  for (const [name, s] of stats.stages) {
    executions += s.executions;
    successes += s.successes;
    stageEntries.push([name, stageSummary(s, wallMicros, thresholdOf(name))]);
  }
  const stages: Record<string, StageSummary> = Object.fromEntries(stageEntries);

  const monthEntries: [string, MonthSummary][] = [];
  let monthsFailed = 0;
  let monthsRetried = 0;
  for (const [key, m] of [...stats.months].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const summary = monthSummary(m, ended, nowMs);
    if (summary.status === 'failure' || summary.status === 'interrupted') monthsFailed++;
    if (summary.attempts > 1) monthsRetried++;
    monthEntries.push([key, summary]);
  }
  const months: Record<string, MonthSummary> = Object.fromEntries(monthEntries);

  const warningMb = recorded.memoryWarningMb ?? mbOrNull(facts.memoryThresholds?.warningBytes);
  const criticalMb = recorded.memoryCriticalMb ?? mbOrNull(facts.memoryThresholds?.criticalBytes);
  let peakTenths = stats.peakRssTenths;
  // While the session runs, what it uses now counts too; once ended, only what the records hold.
  if (!ended) peakTenths = Math.max(peakTenths, Math.round((facts.currentRssBytes / BYTES_PER_MB) * 10));

  const messages: Record<string, number> = {};
  LEVELS.forEach((level, i) => {
    messages[level] = stats.messagesByLevel[i] ?? 0;
  });
  const t = facts.telemetry;
  return {
    session_id: facts.sessionId,
    service_name: recorded.serviceName ?? facts.serviceName,
    start: iso(stats.startedAtMs),
    end: ended ? iso(nowMs) : null,
    duration_seconds: r3(Math.max(0, nowMs - stats.startedAtMs) / 1000),
    percentile_relative_error: DurationSketch.RELATIVE_ERROR,
    stages,
    months,
    totals: {
      stage_executions: executions,
      stage_failures: executions - successes,
      success_rate: executions === 0 ? 1 : r3(successes / executions),
      months: stats.months.size,
      months_failed: monthsFailed,
      months_retried: monthsRetried,
      open_scopes: facts.openScopes,
      stage_seconds: seconds(allStageMicros),
      stage_wall_clock_seconds: seconds(wallMicros),
    },
    bottlenecks: findBottlenecks({ stats, stages, allStageMicros, wallMicros, warningMb, criticalMb, peakMb: mbOf(stats.peakRssTenths) }),
    peak_memory_mb: mbOf(peakTenths),
    memory: {
      peak_mb: mbOf(peakTenths),
      mean_mb: Math.round(stats.meanRssTenths) / 10,
      warning_threshold_mb: warningMb,
      critical_threshold_mb: criticalMb,
      crossings: stats.memoryCrossings.map((c) => ({
        at: iso(c.atMs),
        level: c.level,
        direction: c.direction,
        rss_mb: c.rssMb,
        threshold_mb: c.thresholdMb,
        month: c.month ?? null,
        stage: c.stage ?? null,
      })),
      crossings_total: stats.memoryCrossingsTotal,
    },
    messages_by_level: messages,
    otlp: { dropped_spans: t.otlpDroppedSpans, dropped_log_records: t.otlpDroppedLogRecords, export_errors: t.otlpExportErrors },
    audit: { write_errors: t.auditWriteErrors, lost_records: t.auditLostRecords },
    alerts: { failures: t.alertFailures },
  };
}

function mbOrNull(bytes: number | undefined): number | null {
  return bytes === undefined ? null : toMb(bytes);
}

function stageSummary(s: StageAccount, wallMicros: number, threshold: number | null): StageSummary {
  const n = s.executions;
  const d = s.durations;
  return {
    executions: n,
    successes: s.successes,
    failures: s.failures,
    interrupted: s.interrupted,
    success_rate: n === 0 ? 1 : r3(s.successes / n),
    total_duration_seconds: seconds(s.totalMicros),
    avg_duration_seconds: n === 0 ? 0 : r6(seconds(s.totalMicros) / n),
    min_duration_seconds: d.min,
    max_duration_seconds: d.max,
    p50_duration_seconds: r6(d.quantile(0.5)),
    p95_duration_seconds: r6(d.quantile(0.95)),
    p99_duration_seconds: r6(d.quantile(0.99)),
    share_of_time: wallMicros === 0 ? 0 : r3(s.wallClockMicros / wallMicros),
    wall_clock_seconds: seconds(s.wallClockMicros),
    slow_count: s.slowCount,
    threshold_seconds: threshold,
    peak_memory_mb: mbOf(s.peakRssTenths),
    rss_growth_mb: mbOf(s.rssGrowthTenths),
    peak_heap_mb: s.cpuRecorded === 0 ? null : mbOf(s.peakHeapTenths),
    cpu_seconds: s.cpuRecorded === 0 ? null : seconds(s.cpuMicros),
    cpu_share: cpuShare(s),
    overlapped_executions: s.overlappedExecutions,
  };
}

/** CPU over the durations of the executions that recorded it; null when none did. */
function cpuShare(s: StageAccount): number | null {
  if (s.cpuRecorded === 0) return null;
  if (s.cpuTimedMicros === 0) return 0;
  return r3(s.cpuMicros / s.cpuTimedMicros);
}

function monthSummary(m: MonthAccount, ended: boolean, nowMs: number): MonthSummary {
  // After the end a month with no end record cannot be running: it was cut short.
  const status = m.status === 'running' && ended ? 'interrupted' : m.status;
  let dominantName: string | undefined;
  let dominantMicros = 0;
  let monthStageMicros = 0;
  const secondsEntries: [string, number][] = [];
  for (const [name, micros] of m.stageMicros) {
    monthStageMicros += micros;
    secondsEntries.push([name, seconds(micros)]);
    // Ties go to the name first in order, so the answer does not depend on the order records arrived in.
    if (dominantName === undefined || micros > dominantMicros || (micros === dominantMicros && name < dominantName)) {
      dominantName = name;
      dominantMicros = micros;
    }
  }
  const dominant: MonthSummary['dominant_stage'] =
    dominantName === undefined
      ? null
      : {
          name: dominantName,
          seconds: seconds(dominantMicros),
          share_of_month: monthStageMicros === 0 ? 0 : r3(dominantMicros / monthStageMicros),
        };
  let error: MonthSummary['error'] = null;
  if (status !== 'success' && status !== 'running') {
    const f = m.failedStage;
    if (f !== undefined)
      error = { stage: f.stage, stage_seconds: seconds(f.micros), type: f.type, message: f.message, causes: causesOf(f.causes) };
    else if (m.failure !== undefined)
      error = { stage: null, stage_seconds: null, type: m.failure.type, message: m.failure.message, causes: causesOf(m.failure.causes) };
    else if (m.status === 'running')
      error = {
        stage: null,
        stage_seconds: null,
        type: 'Interrupted',
        message: 'no end record: the session ended while the month was open',
        causes: [],
      };
  }
  return {
    status,
    duration: m.durationMicros !== undefined ? seconds(m.durationMicros) : r3(Math.max(0, nowMs - m.startMs) / 1000),
    stages: m.stages,
    failed_stages: m.failedStages,
    start: iso(m.startMs),
    end: m.endMs === undefined ? null : iso(m.endMs),
    trace_id: m.traceId,
    stage_seconds: Object.fromEntries(secondsEntries),
    dominant_stage: dominant,
    error,
    attempts: m.attempts,
    failed_attempts: m.failedAttempts.map((a) => ({
      stage: a.stage ?? null,
      type: a.failure.type,
      message: a.failure.message,
      causes: causesOf(a.failure.causes),
    })),
  };
}

const causesOf = (causes: readonly CauseFacts[]): ErrorCause[] => causes.map((c) => ({ type: c.type, message: c.message }));

interface BottleneckInput {
  stats: SessionStats;
  stages: Record<string, StageSummary>;
  allStageMicros: number;
  /** Wall-clock time during which any stage ran, µs. */
  wallMicros: number;
  warningMb: number | null;
  criticalMb: number | null;
  /** The session's memory peak in its records, MB. */
  peakMb: number;
}

/** Ranked by share of time (wall clock); a stage is listed when at least one reason applies to it. */
function findBottlenecks({
  stats,
  stages,
  allStageMicros,
  wallMicros,
  warningMb,
  criticalMb,
  peakMb: sessionPeakMb,
}: BottleneckInput): Bottleneck[] {
  const ranked = [...stats.stages].sort(
    ([nameA, a], [nameB, b]) =>
      b.wallClockMicros - a.wallClockMicros || b.totalMicros - a.totalMicros || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0),
  );
  const overlap = stats.stageIntervalMicros > wallMicros;
  const out: Bottleneck[] = [];
  ranked.forEach(([name, s], rank) => {
    const summary = stages[name] as StageSummary;
    const reasons: BottleneckReason[] = [];
    const share = wallMicros === 0 ? 0 : s.wallClockMicros / wallMicros;
    if (s.totalMicros > 0 && (rank === 0 || share >= BOTTLENECK_SHARE)) {
      const head = rank === 0 ? 'largest share of time' : 'large share of time';
      reasons.push({
        kind: 'share_of_time',
        text: overlap
          ? `${head}: ${pct(share)} of the wall-clock time stages ran (${formatSeconds(seconds(s.wallClockMicros))} s of ${formatSeconds(seconds(wallMicros))} s; stages overlap, so their durations add up to ${formatSeconds(seconds(allStageMicros))} s)`
          : `${head}: ${pct(share)} of all stage time (${formatSeconds(seconds(s.totalMicros))} s of ${formatSeconds(seconds(allStageMicros))} s)`,
        share: r3(share),
        stage_seconds: seconds(s.totalMicros),
        stage_wall_clock_seconds: seconds(s.wallClockMicros),
        all_stages_seconds: seconds(allStageMicros),
        all_stages_wall_clock_seconds: seconds(wallMicros),
      });
    }
    if (s.slowCount > 0) {
      const threshold = summary.threshold_seconds;
      const slowest = seconds(s.slowestMicros);
      const over = threshold !== null && threshold > 0 && slowest > threshold ? `, ${pct((slowest - threshold) / threshold)} over` : '';
      reasons.push({
        kind: 'over_threshold',
        text: `over its ${threshold === null ? 'slow threshold' : `${formatSeconds(threshold)} s threshold`} in ${s.slowCount} of ${plural(s.executions, 'run')} (${pct(s.slowCount / s.executions)}); slowest ${formatSeconds(slowest)} s${over}`,
        slow_count: s.slowCount,
        executions: s.executions,
        threshold_seconds: threshold,
        slowest_seconds: slowest,
      });
    }
    const top = rank === 0 || share >= BOTTLENECK_VARIANCE_MIN_SHARE;
    const variance = top ? monthVariance(stats, name) : undefined;
    if (variance !== undefined && variance.cv > BOTTLENECK_MONTH_CV) {
      reasons.push({
        kind: 'variance_between_months',
        text: `varies between months: ${formatSeconds(variance.min)} s in ${variance.minMonth} to ${formatSeconds(variance.max)} s in ${variance.maxMonth}, over ${variance.months} months (coefficient of variation ${pct(variance.cv)})`,
        months: variance.months,
        min_month: variance.minMonth,
        min_month_seconds: variance.min,
        max_month: variance.maxMonth,
        max_month_seconds: variance.max,
        coefficient_of_variation: r3(variance.cv),
      });
    }
    const median = summary.p50_duration_seconds;
    const slowest = seconds(s.longestMicros);
    if (top && s.executions >= BOTTLENECK_OUTLIER_MIN_RUNS && median > 0 && slowest >= median * BOTTLENECK_OUTLIER_RATIO) {
      const month = s.longestMonth ?? null;
      reasons.push({
        kind: 'outlier',
        text: `outlier: its slowest run${month === null ? '' : ` (${month})`} took ${formatSeconds(slowest)} s, ${(slowest / median).toFixed(1)}x its median of ${formatSeconds(median)} s`,
        slowest_seconds: slowest,
        slowest_month: month,
        median_seconds: median,
        ratio: r3(slowest / median),
      });
    }
    const peakMb = mbOf(s.peakRssTenths);
    if (criticalMb !== null && criticalMb > 0 && peakMb >= criticalMb) {
      reasons.push({
        kind: 'memory_near_threshold',
        text: `memory peak ${peakMb.toFixed(1)} MB reached the critical threshold (${criticalMb.toFixed(1)} MB)`,
        peak_memory_mb: peakMb,
        threshold: 'critical',
        threshold_mb: criticalMb,
      });
    } else if (warningMb !== null && warningMb > 0 && peakMb >= warningMb * BOTTLENECK_MEMORY_RATIO) {
      reasons.push({
        kind: 'memory_near_threshold',
        text:
          peakMb >= warningMb
            ? `memory peak ${peakMb.toFixed(1)} MB reached the warning threshold (${warningMb.toFixed(1)} MB)`
            : `memory peak ${peakMb.toFixed(1)} MB is ${pct(peakMb / warningMb)} of the warning threshold (${warningMb.toFixed(1)} MB)`,
        peak_memory_mb: peakMb,
        threshold: 'warning',
        threshold_mb: warningMb,
      });
    }
    const growth = mbOf(s.rssGrowthTenths);
    if (growth >= BOTTLENECK_GROWTH_MB && growth >= sessionPeakMb * BOTTLENECK_GROWTH_SHARE_OF_PEAK) {
      reasons.push({
        kind: 'memory_growth',
        text: `memory grows: RSS +${growth.toFixed(1)} MB over its ${plural(s.executions, 'run')} (${(growth / s.executions).toFixed(1)} MB a run)${overlap ? '; a process-wide figure, as stages ran at the same time' : ''}`,
        rss_growth_mb: growth,
        executions: s.executions,
        process_wide: overlap,
      });
    }
    if (reasons.length === 0) return;
    // Why the time goes, for a stage that is a bottleneck: right after its share, whatever made it one.
    const cpu = cpuReason(s, summary);
    if (cpu !== undefined) reasons.splice(reasons[0]?.kind === 'share_of_time' ? 1 : 0, 0, cpu);
    out.push({ stage: name, share_of_time: summary.share_of_time, reasons });
  });
  return out;
}

/** Whether a stage's time was CPU or waiting, from its CPU share; undefined when too short to tell or not recorded. */
function cpuReason(s: StageAccount, summary: StageSummary): BottleneckReason | undefined {
  const share = summary.cpu_share;
  if (share === null || s.cpuTimedMicros === 0) return undefined;
  if (seconds(s.cpuTimedMicros) / s.executions < BOTTLENECK_CPU_MIN_MEAN_SECONDS) return undefined;
  const kind = share >= BOTTLENECK_CPU_BOUND ? 'cpu_bound' : share < BOTTLENECK_WAITING ? 'waiting' : 'cpu_and_waiting';
  const cpuS = seconds(s.cpuMicros);
  const timedS = seconds(s.cpuTimedMicros);
  const figures = `${formatSeconds(cpuS)} s of CPU in ${formatSeconds(timedS)} s, ${pct(share)}`;
  const head =
    kind === 'cpu_bound'
      ? `CPU-bound: the process computed throughout (${figures})`
      : kind === 'waiting'
        ? `waiting, not computing: ${figures}; the rest is I/O, network or locks`
        : `part CPU, part waiting: ${figures}; the rest is I/O, network or locks`;
  const n = s.overlappedExecutions;
  const shared =
    n === 0
      ? ''
      : `; process-wide: other stages or months ran at the same time in ${n} of ${plural(s.executions, 'run')}, and their CPU is in it`;
  return {
    kind,
    text: `${head}${shared}`,
    cpu_share: share,
    cpu_seconds: cpuS,
    stage_seconds: timedS,
    overlapped_executions: n,
    executions: s.executions,
  };
}

/** The spread of one stage's time per month, over the months it ran in (two at least), with the months at either end. */
function monthVariance(
  stats: SessionStats,
  stage: string,
): { months: number; min: number; minMonth: string; max: number; maxMonth: string; cv: number } | undefined {
  const totals: [number, string][] = [];
  for (const month of stats.months.values()) {
    const micros = month.stageMicros.get(stage);
    if (micros !== undefined) totals.push([micros, month.month]);
  }
  if (totals.length < 2) return undefined;
  // A fixed order, ties by month: the same figures however the months arrived.
  totals.sort(([a, ma], [b, mb]) => a - b || (ma < mb ? -1 : ma > mb ? 1 : 0));
  let sum = 0;
  for (const [t] of totals) sum += t;
  const mean = sum / totals.length;
  if (mean === 0) return undefined;
  let squares = 0;
  for (const [t] of totals) squares += (t - mean) ** 2;
  const cv = Math.sqrt(squares / totals.length) / mean;
  const [lo, loMonth] = totals[0] as [number, string];
  const [hi, hiMonth] = totals[totals.length - 1] as [number, string];
  return { months: totals.length, min: seconds(lo), minMonth: loMonth, max: seconds(hi), maxMonth: hiMonth, cv };
}
