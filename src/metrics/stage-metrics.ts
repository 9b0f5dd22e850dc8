import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { LogLevel } from '../api/levels.js';
import type { Scope } from '../api/scope.js';

/** Metric names; the README's metric table mirrors these. */
export const METRIC_STAGE_DURATION = 'stagetrace.stage.duration';
export const METRIC_MONTH_DURATION = 'stagetrace.month.duration';
export const METRIC_STAGE_EXECUTIONS = 'stagetrace.stage.executions';
export const METRIC_STAGE_SLOW = 'stagetrace.stage.slow';
export const METRIC_LOG_MESSAGES = 'stagetrace.log.messages';
export const METRIC_OTLP_DROPPED_SPANS = 'stagetrace.otlp.dropped_spans';

/** Bucket boundaries in seconds, from 10 ms to 6 h, roughly ×2.5 apart. */
export const DURATION_BUCKETS_S = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 10800, 21600,
];

/**
 * Stage and month metrics. Attributes are low-cardinality on purpose:
 * stage name and outcome on stage metrics, the month only on month metrics
 * (twelve values a year, and what Grafana users filter by).
 * Attribute objects are cached per (stage, outcome) to keep the hot path lean.
 */
export class StageMetrics {
  private stageDuration: Histogram;
  private monthDuration: Histogram;
  private executions: Counter;
  private slow: Counter;
  private messages: Counter;
  private dropped: Counter;
  private readonly attrCache = new Map<string, Attributes>();
  private readonly levelAttrs = new Map<LogLevel, Attributes>();

  constructor(meter: Meter) {
    this.stageDuration = meter.createHistogram(METRIC_STAGE_DURATION, {
      unit: 's',
      description: 'Duration of pipeline stages.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.monthDuration = meter.createHistogram(METRIC_MONTH_DURATION, {
      unit: 's',
      description: 'Duration of whole months.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.executions = meter.createCounter(METRIC_STAGE_EXECUTIONS, {
      unit: '{execution}',
      description: 'Stage executions by outcome.',
    });
    this.slow = meter.createCounter(METRIC_STAGE_SLOW, {
      unit: '{execution}',
      description: 'Stage executions slower than their threshold.',
    });
    this.messages = meter.createCounter(METRIC_LOG_MESSAGES, {
      unit: '{message}',
      description: 'Log messages by level.',
    });
    this.dropped = meter.createCounter(METRIC_OTLP_DROPPED_SPANS, {
      unit: '{span}',
      description: 'Spans not forwarded over OTLP (queue full or export failed). The audit files still hold them.',
    });
  }

  scopeEnded(scope: Scope): void {
    if (scope.kind === 'month') {
      this.monthDuration.record(scope.durationS, { 'stagetrace.month': scope.month, 'stagetrace.outcome': scope.outcome });
      return;
    }
    const key = `${scope.name}\u0000${scope.outcome}`;
    let attrs = this.attrCache.get(key);
    if (attrs === undefined) {
      attrs = { 'stagetrace.stage.name': scope.name, 'stagetrace.outcome': scope.outcome };
      if (this.attrCache.size < 1000) this.attrCache.set(key, attrs);
    }
    this.stageDuration.record(scope.durationS, attrs);
    this.executions.add(1, attrs);
    if (scope.slow) this.slow.add(1, { 'stagetrace.stage.name': scope.name });
  }

  message(level: LogLevel): void {
    let attrs = this.levelAttrs.get(level);
    if (attrs === undefined) {
      attrs = { 'log.level': level };
      this.levelAttrs.set(level, attrs);
    }
    this.messages.add(1, attrs);
  }

  droppedSpans(count: number, reason: string): void {
    this.dropped.add(count, { reason });
  }
}
