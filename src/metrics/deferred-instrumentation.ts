import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import { type Deferred, track } from '../model/deferred.js';

/** An instrumentation whose package loads on construction; providers given before are handed over once loaded. */
export class DeferredInstrumentation implements Instrumentation, Deferred {
  #real: Instrumentation | undefined;
  #meterProvider: MeterProvider | undefined;
  #tracerProvider: TracerProvider | undefined;
  #config: InstrumentationConfig = { enabled: true };
  readonly loaded: Promise<Instrumentation>;

  constructor(
    readonly instrumentationName: string,
    readonly instrumentationVersion: string,
    load: () => Promise<Instrumentation>,
  ) {
    this.loaded = track(load(), (real) => {
      this.#real = real;
      if (this.#tracerProvider !== undefined) real.setTracerProvider(this.#tracerProvider);
      if (this.#meterProvider !== undefined) real.setMeterProvider(this.#meterProvider);
      if (this.#config.enabled === false) real.disable();
    });
  }

  setMeterProvider(provider: MeterProvider): void {
    this.#meterProvider = provider;
    this.#real?.setMeterProvider(provider);
  }

  setTracerProvider(provider: TracerProvider): void {
    this.#tracerProvider = provider;
    this.#real?.setTracerProvider(provider);
  }

  setConfig(config: InstrumentationConfig): void {
    this.#config = { ...config };
    this.#real?.setConfig(config);
  }

  getConfig(): InstrumentationConfig {
    return this.#real?.getConfig() ?? this.#config;
  }

  enable(): void {
    this.#config.enabled = true;
    this.#real?.enable();
  }

  disable(): void {
    this.#config.enabled = false;
    this.#real?.disable();
  }
}
