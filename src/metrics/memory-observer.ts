import type { Attributes } from '@opentelemetry/api';
import { EVENT_MEMORY_THRESHOLD } from '../model/attribute-names.js';
import type { LogLevel } from '../model/levels.js';
import type { MessageEntry } from '../model/record-sink.js';
import type { Scope } from '../session/scope.js';
import type { AlertKind } from '../sinks/webhook-alerts.js';
import { memoryCrossingContext } from '../stats/session-markers.js';
import { type MemoryThresholdLevels, resolveThresholds } from './memory-limits.js';
import {
  ATTR_DIRECTION,
  ATTR_RSS_MB,
  ATTR_THRESHOLD_LEVEL,
  ATTR_THRESHOLD_MB,
  type MemoryGaugeSource,
  MemoryMetrics,
} from './memory-metrics.js';
import { type MemorySample, type MemorySampler, toMb } from './memory-sampler.js';
import { type MemoryLevel, type ThresholdCrossing, ThresholdTracker } from './memory-thresholds.js';
import type { MeterBinding } from './meter-binding.js';

/** What the observer needs from the session. */
export interface MemoryObserverHost {
  readonly config: { readonly memory: { readonly warningMb: number | undefined; readonly criticalMb: number | undefined } };
  readonly memory: MemorySampler;
  readonly open: ReadonlySet<Scope>;
  readonly meterBinding: MeterBinding;
  readonly alerts?: { alert(kind: AlertKind, text: string): boolean } | undefined;
  message(entry: MessageEntry): void;
  reportInternalError(what: string, err: unknown): void;
}

const LOG_LEVEL: Readonly<Record<MemoryLevel, LogLevel>> = { ok: 'INFO', warning: 'WARNING', critical: 'CRITICAL' };

/**
 * Watches every memory sample against the RSS thresholds. Each crossing
 * becomes a `memory.threshold` event on every open month and stage, a log
 * line (WARNING, CRITICAL, or INFO when back to ok), a count in
 * `stagetrace.memory.threshold_crossings`, and, upward, a webhook alert.
 * It also registers the memory gauges once a MeterProvider exists.
 */
export class MemoryObserver implements MemoryGaugeSource {
  readonly levels: MemoryThresholdLevels;
  private readonly tracker: ThresholdTracker;
  private metrics: MemoryMetrics | undefined;

  constructor(private readonly host: MemoryObserverHost) {
    this.levels = resolveThresholds(host.config.memory.warningMb, host.config.memory.criticalMb);
    this.tracker = new ThresholdTracker(this.levels);
    host.meterBinding.onBind((meter) => {
      this.metrics = new MemoryMetrics(meter, this);
    });
    host.memory.onEachSample((sample) => this.onSample(sample));
  }

  get latest(): MemorySample {
    return this.host.memory.latest;
  }

  get level(): MemoryLevel {
    return this.tracker.level;
  }

  get warningBytes(): number {
    return this.levels.warningBytes;
  }

  get criticalBytes(): number {
    return this.levels.criticalBytes;
  }

  /** Checks one sample; public so a sample can be fed directly. */
  onSample(sample: MemorySample): void {
    // Binding here registers the gauges even in a run that ends no scope.
    if (this.metrics === undefined) this.host.meterBinding.meter();
    const crossings = this.tracker.update(sample.rssBytes);
    for (const crossing of crossings) {
      try {
        this.report(crossing, sample.atMs);
      } catch (err) {
        this.host.reportInternalError('reporting a memory threshold crossing', err);
      }
    }
  }

  private report(c: ThresholdCrossing, atMs: number): void {
    const rssMb = toMb(c.rssBytes);
    const thresholdMb = toMb(c.thresholdBytes);
    const attributes: Attributes = {
      [ATTR_THRESHOLD_LEVEL]: c.level,
      [ATTR_RSS_MB]: rssMb,
      [ATTR_THRESHOLD_MB]: thresholdMb,
      [ATTR_DIRECTION]: c.direction,
    };
    let innermost: Scope | undefined;
    for (const scope of this.host.open) {
      scope.span.addEvent(EVENT_MEMORY_THRESHOLD, attributes);
      innermost = scope;
    }
    this.metrics?.crossed(c.level, c.direction);
    const text =
      c.direction === 'up'
        ? `Memory ${c.level}: RSS ${rssMb} MB reached the ${c.threshold} threshold of ${thresholdMb} MB`
        : `Memory ${c.level === 'ok' ? 'back to ok' : `down to ${c.level}`}: RSS ${rssMb} MB fell below the ${c.threshold} threshold of ${thresholdMb} MB`;
    const context = memoryCrossingContext({
      level: c.level,
      direction: c.direction,
      rssBytes: c.rssBytes,
      thresholdBytes: c.thresholdBytes,
    });
    this.host.message({ atMs, level: LOG_LEVEL[c.level], message: text, scope: innermost, context, error: undefined });
    if (c.direction === 'up') {
      const where = innermost
        ? ` during ${innermost.kind === 'month' ? `month ${innermost.month}` : `stage ${innermost.name}${innermost.month ? ` of ${innermost.month}` : ''}`}`
        : '';
      this.host.alerts?.alert(c.level === 'critical' ? 'memory.critical' : 'memory.warning', `${text}${where}`);
    }
  }
}
