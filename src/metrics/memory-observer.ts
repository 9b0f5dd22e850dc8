import type { ThresholdCrossing } from '../model/memory-crossing.js';
import { type MemoryThresholdLevels, resolveThresholds } from './memory-limits.js';
import { type MemoryGaugeSource, MemoryMetrics } from './memory-metrics.js';
import type { MemorySample, MemorySampler } from './memory-sampler.js';
import { type MemoryLevel, ThresholdTracker } from './memory-thresholds.js';
import type { MeterBinding } from './meter-binding.js';

export interface MemoryObserverOptions {
  sampler: MemorySampler;
  warningMb: number | undefined;
  criticalMb: number | undefined;
  meterBinding: MeterBinding;
  /** Called for each crossing; the session turns it into span events and a log line. */
  onCrossing: (crossing: ThresholdCrossing, atMs: number) => void;
  onError: (what: string, error: unknown) => void;
}

/**
 * Watches every memory sample against the RSS thresholds and reports each
 * crossing once (see ThresholdTracker for the hysteresis). It also
 * registers the memory gauges once a MeterProvider exists, and counts
 * crossings in `stagetrace.memory.threshold_crossings`.
 */
export class MemoryObserver implements MemoryGaugeSource {
  readonly levels: MemoryThresholdLevels;
  readonly #tracker: ThresholdTracker;
  readonly #options: MemoryObserverOptions;
  #metrics: MemoryMetrics | undefined;

  constructor(options: MemoryObserverOptions) {
    this.#options = options;
    this.levels = resolveThresholds(options.warningMb, options.criticalMb);
    this.#tracker = new ThresholdTracker(this.levels);
    options.meterBinding.onBind((meter) => {
      this.#metrics = new MemoryMetrics(meter, this);
    });
    options.sampler.onEachSample((sample) => this.onSample(sample));
  }

  get latest(): MemorySample {
    return this.#options.sampler.latest;
  }

  get level(): MemoryLevel {
    return this.#tracker.level;
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
    if (this.#metrics === undefined) this.#options.meterBinding.meter();
    for (const crossing of this.#tracker.update(sample.rssBytes)) {
      try {
        this.#metrics?.crossed(crossing.level, crossing.direction);
        this.#options.onCrossing(crossing, sample.atMs);
      } catch (err) {
        this.#options.onError('reporting a memory threshold crossing', err);
      }
    }
  }
}
