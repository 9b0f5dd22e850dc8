import { createNoopMeter, type Meter } from '@opentelemetry/api';

const NOOP_METER = createNoopMeter();

/**
 * Resolves the meter when a real MeterProvider exists. With a user-owned
 * NodeSDK the global provider is only registered once the user starts it,
 * after stagetrace is created; instruments created on the no-op meter before
 * that would stay silent for the whole run. Until bound, each {@link meter}
 * call asks again, which against the no-op provider costs a global lookup.
 */
export class MeterBinding {
  private bound: Meter | undefined;
  private readonly bindHooks: ((meter: Meter) => void)[] = [];

  constructor(private readonly source: () => Meter) {}

  /** The bound meter, binding it now if a real provider has appeared; undefined while there is none. */
  meter(): Meter | undefined {
    if (this.bound !== undefined) return this.bound;
    const meter = this.source();
    if (meter === NOOP_METER) return undefined;
    this.bound = meter;
    for (const hook of this.bindHooks) {
      try {
        hook(meter);
      } catch {
        // An instrument that cannot be created stays silent; the pipeline goes on.
      }
    }
    return meter;
  }

  /** Runs `hook` once the meter is bound (at once if it already is). Hooks create instruments. */
  onBind(hook: (meter: Meter) => void): void {
    this.bindHooks.push(hook);
    if (this.bound !== undefined) hook(this.bound);
  }
}
