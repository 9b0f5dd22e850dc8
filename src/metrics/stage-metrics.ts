import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '../model/attribute-names.js';
import { CappedMap } from '../model/capped-map.js';
import { epochNowMs } from '../model/clock.js';
import type { LogLevel } from '../model/levels.js';
import type { RecordSink } from '../model/record-sink.js';
import type { MessageRecord, ScopeEndRecord, ScopeRef, ScopeStartRecord } from '../model/records.js';
import { errorTypeOf } from '../model/span-facts.js';
import type { MeterBinding } from './meter-binding.js';

/** Metric names; docs/metrics.md lists each with its unit and attributes. */
export const METRIC_STAGE_DURATION = 'stagetrace.stage.duration';
export const METRIC_MONTH_DURATION = 'stagetrace.month.duration';
export const METRIC_STAGE_EXECUTIONS = 'stagetrace.stage.executions';
export const METRIC_STAGE_SLOW = 'stagetrace.stage.slow';
export const METRIC_LOG_MESSAGES = 'stagetrace.log.messages';
export const METRIC_OTLP_DROPPED_SPANS = 'stagetrace.otlp.dropped_spans';
/** Months and stages running now (the semantic conventions' `*.active` up-down counters). */
export const METRIC_MONTHS_ACTIVE = 'stagetrace.month.active';
export const METRIC_STAGES_ACTIVE = 'stagetrace.stage.active';
/** How long the longest-running open month or stage of each series has run: the "for how long" of running now. */
export const METRIC_MONTHS_ACTIVE_DURATION = 'stagetrace.month.active.duration';
export const METRIC_STAGES_ACTIVE_DURATION = 'stagetrace.stage.active.duration';

/** Metric attribute names. */
export const METRIC_ATTR_STAGE_NAME = 'stagetrace.stage.name';
export const METRIC_ATTR_MONTH = 'stagetrace.month';
export const METRIC_ATTR_OUTCOME = 'stagetrace.outcome';
export const METRIC_ATTR_LOG_LEVEL = 'log.level';
export const METRIC_ATTR_DROP_REASON = 'stagetrace.drop.reason';
/** On the failure and interruption series of the duration histograms: the error's class name, or `interrupted`. */
export const METRIC_ATTR_ERROR_TYPE = ATTR_ERROR_TYPE;

/** Bucket boundaries in seconds, from 10 ms to 6 h, roughly ×2.5 apart. */
export const DURATION_BUCKETS_S = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 10800, 21600,
];

/** Distinct stage names and drop reasons kept as attribute objects; more are still recorded, just not cached. */
const MAX_CACHED_ATTRIBUTE_SETS = 1000;

/** Execution series kept apart: as the SDK's default cardinality limit (2000) does, the last one is the overflow series. */
const MAX_EXECUTION_SERIES = 1999;
/** The attribute set counted beyond {@link MAX_EXECUTION_SERIES}, as the SDK names its own overflow. */
const OVERFLOW_ATTRIBUTES: Attributes = { 'otel.metric.overflow': true };
const OVERFLOW_KEY = '\u0000overflow';

/** What a stage's end records, kept per stage name and outcome so that the hot path allocates nothing. */
interface StageSeries {
  attributes: Attributes;
  executions: { count: number };
}

interface Instruments {
  stageDuration: Histogram;
  monthDuration: Histogram;
  executions: ExecutionCounts;
  slow: Counter;
  messages: Counter;
  dropped: Counter;
  active: ActiveCounts;
}

/**
 * `stagetrace.stage.executions`, counted in process and observed at
 * collection time: a stage adds one to a number instead of making the SDK
 * hash its attributes a second time (the duration histogram already does).
 * One per meter, so sessions that share a MeterProvider add to the same
 * cumulative counts, as a synchronous counter would.
 */
class ExecutionCounts {
  readonly #series = new Map<string, { attributes: Attributes; count: number }>();

  constructor(meter: Meter) {
    meter
      .createObservableCounter(METRIC_STAGE_EXECUTIONS, { unit: '{execution}', description: 'Stage executions by outcome.' })
      .addCallback((result: ObservableResult) => {
        for (const { attributes, count } of this.#series.values()) result.observe(count, attributes);
      });
  }

  /** The series of `key`, made from `attributes` while there is room; beyond it, the overflow series. */
  series(key: string, attributes: Attributes): { count: number } {
    let entry = this.#series.get(key);
    if (entry === undefined) {
      const full = this.#series.size >= MAX_EXECUTION_SERIES;
      const at = full ? OVERFLOW_KEY : key;
      entry = this.#series.get(at) ?? { attributes: full ? OVERFLOW_ATTRIBUTES : attributes, count: 0 };
      this.#series.set(at, entry);
    }
    return entry;
  }
}

/** The open months or stages of one series: each one's start (epoch ms), so a collection can say how long the oldest has run. */
interface ActiveSeries {
  attributes: Attributes;
  open: Map<ScopeRef, number>;
}

/**
 * `stagetrace.month.active` and `stagetrace.stage.active` (how many run
 * now) and `*.active.duration` (for how long the oldest of them has run),
 * kept in process and observed at collection time, like the executions: a
 * start and an end each change a map instead of making the SDK hash
 * attributes twice more per stage. One per meter, so sessions sharing a
 * MeterProvider share the counts.
 */
class ActiveCounts {
  readonly #months = new Map<string, ActiveSeries>();
  readonly #stages = new Map<string, ActiveSeries>();

  constructor(meter: Meter) {
    const count = (series: Map<string, ActiveSeries>) => (result: ObservableResult) => {
      for (const { attributes, open } of series.values()) result.observe(open.size, attributes);
    };
    // 0 once none is open: the SDK keeps exporting a series' last value after it is no longer observed.
    const oldest = (series: Map<string, ActiveSeries>) => (result: ObservableResult) => {
      const nowMs = epochNowMs();
      for (const { attributes, open } of series.values()) {
        let firstMs = nowMs;
        for (const startMs of open.values()) if (startMs < firstMs) firstMs = startMs;
        result.observe(Math.max(0, (nowMs - firstMs) / 1000), attributes);
      }
    };
    meter
      .createObservableUpDownCounter(METRIC_MONTHS_ACTIVE, { unit: '{month}', description: 'Months running now, by month.' })
      .addCallback(count(this.#months));
    meter
      .createObservableUpDownCounter(METRIC_STAGES_ACTIVE, { unit: '{stage}', description: 'Stages running now, by stage name.' })
      .addCallback(count(this.#stages));
    meter
      .createObservableGauge(METRIC_MONTHS_ACTIVE_DURATION, {
        unit: 's',
        description: 'How long each running month has run so far; 0 when it is not running.',
      })
      .addCallback(oldest(this.#months));
    meter
      .createObservableGauge(METRIC_STAGES_ACTIVE_DURATION, {
        unit: 's',
        description: 'How long the longest-running open stage of each name has run so far; 0 when none runs.',
      })
      .addCallback(oldest(this.#stages));
  }

  /** The series of a month or stage name; past the series limit, the overflow series. */
  of(scope: ScopeRef): ActiveSeries {
    const series = scope.kind === 'month' ? this.#months : this.#stages;
    const key = scope.kind === 'month' ? (scope.month ?? '') : scope.name;
    let entry = series.get(key);
    if (entry === undefined) {
      const full = series.size >= MAX_EXECUTION_SERIES;
      const at = full ? OVERFLOW_KEY : key;
      const attributes = full
        ? OVERFLOW_ATTRIBUTES
        : scope.kind === 'month'
          ? { [METRIC_ATTR_MONTH]: scope.month }
          : { [METRIC_ATTR_STAGE_NAME]: scope.name };
      entry = series.get(at) ?? { attributes, open: new Map() };
      series.set(at, entry);
    }
    return entry;
  }
}

const activeCounts = new WeakMap<Meter, ActiveCounts>();

function activeOf(meter: Meter): ActiveCounts {
  let counts = activeCounts.get(meter);
  if (counts === undefined) {
    counts = new ActiveCounts(meter);
    activeCounts.set(meter, counts);
  }
  return counts;
}

const executionCounts = new WeakMap<Meter, ExecutionCounts>();

function executionsOf(meter: Meter): ExecutionCounts {
  let counts = executionCounts.get(meter);
  if (counts === undefined) {
    counts = new ExecutionCounts(meter);
    executionCounts.set(meter, counts);
  }
  return counts;
}

function createInstruments(meter: Meter): Instruments {
  return {
    stageDuration: meter.createHistogram(METRIC_STAGE_DURATION, {
      unit: 's',
      description: 'Duration of pipeline stages.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
    monthDuration: meter.createHistogram(METRIC_MONTH_DURATION, {
      unit: 's',
      description: 'Duration of whole months.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
    executions: executionsOf(meter),
    slow: meter.createCounter(METRIC_STAGE_SLOW, {
      unit: '{execution}',
      description: 'Stage executions slower than their threshold.',
    }),
    messages: meter.createCounter(METRIC_LOG_MESSAGES, {
      unit: '{message}',
      description:
        "Messages logged through logProgress() and handle.log() (and stagetrace's own warnings), by level, when the level passes logLevel (as the audit files count them). Stage start and end lines are not counted.",
    }),
    dropped: meter.createCounter(METRIC_OTLP_DROPPED_SPANS, {
      unit: '{span}',
      description: 'Spans not forwarded over OTLP (queue full or export failed). The audit files still hold them.',
    }),
    active: activeOf(meter),
  };
}

/**
 * Stage and month metrics. Attributes are low-cardinality on purpose:
 * stage name and outcome on stage metrics, the month only on month metrics
 * (twelve values a year, and what Grafana users filter by).
 * Attribute objects are cached per (stage, outcome), and executions are
 * counted in process and observed at collection, to keep the hot path lean.
 *
 * Built on a {@link MeterBinding}, recording starts once a real
 * MeterProvider exists; what happens before is not recorded.
 */
export class StageMetrics implements RecordSink {
  #instruments: Instruments | undefined;
  readonly #binding: MeterBinding;
  readonly #stageSeries = new CappedMap<string, Map<string, StageSeries>>(MAX_CACHED_ATTRIBUTE_SETS);
  readonly #slowAttrs = new CappedMap<string, Attributes>(MAX_CACHED_ATTRIBUTE_SETS);
  readonly #levelAttrs = new CappedMap<LogLevel, Attributes>(MAX_CACHED_ATTRIBUTE_SETS);
  /** Scopes counted as active, with the series they were added to: an end takes back only what its start added. */
  readonly #active = new Map<ScopeRef, ActiveSeries>();

  constructor(binding: MeterBinding) {
    this.#binding = binding;
    binding.onBind((bound) => {
      this.#instruments = createInstruments(bound);
    });
  }

  /** The instruments, once a real MeterProvider exists; asking binds the meter if one appeared since. */
  get #ready(): Instruments | undefined {
    if (this.#instruments === undefined) this.#binding.meter();
    return this.#instruments;
  }

  /** A start counts the scope as active; its duration is recorded when it ends. */
  onStart(r: ScopeStartRecord): void {
    const m = this.#ready;
    if (m === undefined) return;
    const series = m.active.of(r.scope);
    series.open.set(r.scope, r.startMs);
    this.#active.set(r.scope, series);
  }

  onEnd(r: ScopeEndRecord): void {
    const scope = r.scope;
    const active = this.#active.get(scope);
    if (active !== undefined) {
      this.#active.delete(scope);
      active.open.delete(scope);
    }
    const m = this.#ready;
    if (m === undefined) return;
    const errorType = errorTypeOf(r);
    if (scope.kind === 'month') {
      const attributes: Attributes = { [METRIC_ATTR_MONTH]: scope.month, [METRIC_ATTR_OUTCOME]: r.outcome };
      if (errorType !== undefined) attributes[METRIC_ATTR_ERROR_TYPE] = errorType;
      m.monthDuration.record(r.durationS, attributes);
      return;
    }
    const series = this.#seriesOf(m, scope.name, r.outcome, errorType);
    m.stageDuration.record(r.durationS, series.attributes);
    series.executions.count++;
    if (r.slow)
      m.slow.add(
        1,
        this.#slowAttrs.get(scope.name, (name) => ({ [METRIC_ATTR_STAGE_NAME]: name })),
      );
  }

  #seriesOf(m: Instruments, name: string, outcome: string, errorType: string | undefined): StageSeries {
    const byOutcome = this.#stageSeries.peek(name) ?? this.#stageSeries.remember(name, new Map());
    const key = errorType === undefined ? outcome : `${outcome}\u0000${errorType}`;
    let series = byOutcome.get(key);
    if (series === undefined) {
      const attributes: Attributes = { [METRIC_ATTR_STAGE_NAME]: name, [METRIC_ATTR_OUTCOME]: outcome };
      if (errorType !== undefined) attributes[METRIC_ATTR_ERROR_TYPE] = errorType;
      series = { attributes, executions: m.executions.series(`${name}\u0000${key}`, attributes) };
      byOutcome.set(key, series);
    }
    return series;
  }

  onMessage(r: MessageRecord): void {
    // The session's start and end records carry facts, not a message anyone logged.
    if (r.sessionFacts !== undefined) return;
    const m = this.#ready;
    if (m === undefined) return;
    m.messages.add(
      1,
      this.#levelAttrs.get(r.level, (level) => ({ [METRIC_ATTR_LOG_LEVEL]: level })),
    );
  }

  /** Counts spans that did not reach the OTLP endpoint; `reason` is a short fixed word such as `queue_full` or `export_failed`. */
  droppedSpans(count: number, reason: string): void {
    const m = this.#ready;
    if (m === undefined || !(count > 0)) return;
    m.dropped.add(count, { [METRIC_ATTR_DROP_REASON]: reason });
  }
}
