import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { CappedMap } from '../model/capped-map.js';
import type { LogLevel } from '../model/levels.js';
import type { RecordSink } from '../model/record-sink.js';
import type { MessageRecord, ScopeEndRecord } from '../model/records.js';
import { MeterBinding } from './meter-binding.js';

/** Metric names; docs/metrics.md lists each with its unit and attributes. */
export const METRIC_STAGE_DURATION = 'stagetrace.stage.duration';
export const METRIC_MONTH_DURATION = 'stagetrace.month.duration';
export const METRIC_STAGE_EXECUTIONS = 'stagetrace.stage.executions';
export const METRIC_STAGE_SLOW = 'stagetrace.stage.slow';
export const METRIC_LOG_MESSAGES = 'stagetrace.log.messages';
export const METRIC_OTLP_DROPPED_SPANS = 'stagetrace.otlp.dropped_spans';

/** Metric attribute names. */
export const METRIC_ATTR_STAGE_NAME = 'stagetrace.stage.name';
export const METRIC_ATTR_MONTH = 'stagetrace.month';
export const METRIC_ATTR_OUTCOME = 'stagetrace.outcome';
export const METRIC_ATTR_LOG_LEVEL = 'log.level';
export const METRIC_ATTR_DROP_REASON = 'stagetrace.drop.reason';

/** Bucket boundaries in seconds, from 10 ms to 6 h, roughly ×2.5 apart. */
export const DURATION_BUCKETS_S = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 10800, 21600,
];

/** Distinct stage names and drop reasons kept as attribute objects; more are still recorded, just not cached. */
const MAX_CACHED_ATTRIBUTE_SETS = 1000;

interface Instruments {
  stageDuration: Histogram;
  monthDuration: Histogram;
  executions: Counter;
  slow: Counter;
  messages: Counter;
  dropped: Counter;
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
    executions: meter.createCounter(METRIC_STAGE_EXECUTIONS, {
      unit: '{execution}',
      description: 'Stage executions by outcome.',
    }),
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
  };
}

/**
 * Stage and month metrics. Attributes are low-cardinality on purpose:
 * stage name and outcome on stage metrics, the month only on month metrics
 * (twelve values a year, and what Grafana users filter by).
 * Attribute objects are cached per (stage, outcome) to keep the hot path lean.
 *
 * Built on a {@link MeterBinding}, recording starts once a real
 * MeterProvider exists; what happens before is not recorded.
 */
export class StageMetrics implements RecordSink {
  private instruments: Instruments | undefined;
  private readonly binding: MeterBinding | undefined;
  readonly #stageAttrs = new CappedMap<string, Attributes>(MAX_CACHED_ATTRIBUTE_SETS);
  readonly #slowAttrs = new CappedMap<string, Attributes>(MAX_CACHED_ATTRIBUTE_SETS);
  readonly #levelAttrs = new CappedMap<LogLevel, Attributes>(MAX_CACHED_ATTRIBUTE_SETS);

  constructor(meter: Meter | MeterBinding) {
    if (meter instanceof MeterBinding) {
      this.binding = meter;
      meter.onBind((bound) => {
        this.instruments = createInstruments(bound);
      });
    } else {
      this.instruments = createInstruments(meter);
    }
  }

  private get ready(): Instruments | undefined {
    if (this.instruments === undefined) this.binding?.meter();
    return this.instruments;
  }

  /** Starts are not measured: a stage's metrics are recorded when it ends. */
  onStart(): void {}

  onEnd(r: ScopeEndRecord): void {
    const m = this.ready;
    if (m === undefined) return;
    const scope = r.scope;
    if (scope.kind === 'month') {
      m.monthDuration.record(r.durationS, { [METRIC_ATTR_MONTH]: scope.month, [METRIC_ATTR_OUTCOME]: r.outcome });
      return;
    }
    const key = `${scope.name}\u0000${r.outcome}`;
    const attrs =
      this.#stageAttrs.peek(key) ??
      this.#stageAttrs.remember(key, { [METRIC_ATTR_STAGE_NAME]: scope.name, [METRIC_ATTR_OUTCOME]: r.outcome });
    m.stageDuration.record(r.durationS, attrs);
    m.executions.add(1, attrs);
    if (r.slow)
      m.slow.add(
        1,
        this.#slowAttrs.get(scope.name, (name) => ({ [METRIC_ATTR_STAGE_NAME]: name })),
      );
  }

  onMessage(r: MessageRecord): void {
    // The session's start and end records carry facts, not a message anyone logged.
    if (r.marker !== undefined) return;
    const m = this.ready;
    if (m === undefined) return;
    m.messages.add(
      1,
      this.#levelAttrs.get(r.level, (level) => ({ [METRIC_ATTR_LOG_LEVEL]: level })),
    );
  }

  /** Counts spans that did not reach the OTLP endpoint; `reason` is a short fixed word such as `queue_full` or `export_failed`. */
  droppedSpans(count: number, reason: string): void {
    const m = this.ready;
    if (m === undefined || !(count > 0)) return;
    m.dropped.add(count, { [METRIC_ATTR_DROP_REASON]: reason });
  }
}
