import type { AggregationOption, AggregationTemporality, IMetricReader, InstrumentType, MetricProducer } from '@opentelemetry/sdk-metrics';
import { type Deferred, track } from '../model/deferred.js';

type CollectionOptions = Parameters<IMetricReader['collect']>[0];
type CollectionResult = Awaited<ReturnType<IMetricReader['collect']>>;

/** `AggregationType.DEFAULT` and `AggregationTemporality.CUMULATIVE`: what the SDK's readers answer unless configured otherwise. */
const DEFAULT_AGGREGATION = { type: 0 } as AggregationOption;
const CUMULATIVE = 1 as AggregationTemporality;
const DEFAULT_CARDINALITY_LIMIT = 2000;

/** A metric reader (periodic OTLP export, Prometheus) whose packages load on construction. */
export class DeferredMetricReader implements IMetricReader, Deferred {
  #real: IMetricReader | undefined;
  #producer: MetricProducer | undefined;
  readonly loaded: Promise<IMetricReader>;

  constructor(load: () => Promise<IMetricReader>) {
    this.loaded = track(load(), (real) => {
      this.#real = real;
      if (this.#producer !== undefined) real.setMetricProducer(this.#producer);
    });
  }

  setMetricProducer(producer: MetricProducer): void {
    this.#producer = producer;
    this.#real?.setMetricProducer(producer);
  }

  selectAggregation(type: InstrumentType): AggregationOption {
    return this.#real?.selectAggregation(type) ?? DEFAULT_AGGREGATION;
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return this.#real?.selectAggregationTemporality(type) ?? CUMULATIVE;
  }

  selectCardinalityLimit(type: InstrumentType): number {
    return this.#real?.selectCardinalityLimit(type) ?? DEFAULT_CARDINALITY_LIMIT;
  }

  async collect(options?: CollectionOptions): Promise<CollectionResult> {
    return (await this.loaded).collect(options);
  }

  async shutdown(): Promise<void> {
    await (await this.loaded.catch(() => undefined))?.shutdown();
  }

  async forceFlush(): Promise<void> {
    await (await this.loaded.catch(() => undefined))?.forceFlush();
  }
}
