import type { BatchObservableCallback, Meter, MeterProvider, ObservableCounter } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import { VERSION } from '../model/version.js';

/** Where Linux keeps every interface's counters; read asynchronously at each collection. */
export const PROC_NET_DEV = '/proc/net/dev';

/** node:fs/promises loads with the first reading (it pulls in Node's streams), not when stagetrace is imported. */
async function readNetDev(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(PROC_NET_DEV, 'utf8');
}

/** One interface's counters, as `/proc/net/dev` gives them. */
export interface InterfaceCounters {
  iface: string;
  rxBytes: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txErrors: number;
  txDropped: number;
}

/**
 * Parses `/proc/net/dev`. Lines that do not have the expected columns are
 * skipped (the file is read back, not trusted); the loopback interface is
 * left out, as it says nothing about the pipeline's traffic to the world.
 */
export function parseProcNetDev(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (iface === '' || iface === 'lo' || fields.length < 16 || !fields.every(Number.isFinite)) continue;
    const [rxBytes, , rxErrors, rxDropped, , , , , txBytes, , txErrors, txDropped] = fields as number[];
    out.push({
      iface,
      rxBytes: rxBytes as number,
      rxErrors: rxErrors as number,
      rxDropped: rxDropped as number,
      txBytes: txBytes as number,
      txErrors: txErrors as number,
      txDropped: txDropped as number,
    });
  }
  return out;
}

/**
 * The `system.network` host-metric group (`system.network.io`,
 * `system.network.errors`, `system.network.packet.dropped`, by
 * `system.device` and `network.io.direction`), read from `/proc/net/dev`
 * without blocking. It stands in for the host-metrics instrumentation's own
 * network group, which runs a child process synchronously on every
 * collection to find the default interface, blocking the pipeline's thread
 * for tens of milliseconds. Where the file does not exist (not Linux), the
 * group reports nothing.
 */
export class NetworkInstrumentation implements Instrumentation {
  readonly instrumentationName = 'stagetrace.host.network';
  readonly instrumentationVersion = VERSION;
  #config: InstrumentationConfig = { enabled: true };
  #meter: Meter | undefined;
  #observables: ObservableCounter[] = [];
  #callback: BatchObservableCallback | undefined;

  constructor(private readonly read: () => Promise<string> = readNetDev) {}

  setMeterProvider(meterProvider: MeterProvider): void {
    const enabled = this.#config.enabled !== false;
    this.disable();
    this.#meter = meterProvider.getMeter(this.instrumentationName, this.instrumentationVersion);
    if (enabled) this.enable();
  }

  setTracerProvider(): void {
    // Metrics only.
  }

  setConfig(config: InstrumentationConfig): void {
    this.#config = { ...config };
  }

  getConfig(): InstrumentationConfig {
    return this.#config;
  }

  enable(): void {
    this.#config.enabled = true;
    const meter = this.#meter;
    if (meter === undefined || this.#callback !== undefined) return;
    const dropped = meter.createObservableCounter('system.network.packet.dropped', {
      unit: '{packet}',
      description: 'Network dropped packets',
    });
    const errors = meter.createObservableCounter('system.network.errors', { unit: '{error}', description: 'Network errors' });
    const io = meter.createObservableCounter('system.network.io', { unit: 'By', description: 'Network bytes transferred' });
    this.#observables = [dropped, errors, io];
    this.#callback = async (result) => {
      let counters: InterfaceCounters[];
      try {
        counters = parseProcNetDev(await this.read());
      } catch {
        return; // No such file here: the group reports nothing.
      }
      for (const c of counters) {
        const receive = { 'system.device': c.iface, 'network.io.direction': 'receive' };
        const transmit = { 'system.device': c.iface, 'network.io.direction': 'transmit' };
        result.observe(dropped, c.rxDropped, receive);
        result.observe(dropped, c.txDropped, transmit);
        result.observe(errors, c.rxErrors, receive);
        result.observe(errors, c.txErrors, transmit);
        result.observe(io, c.rxBytes, receive);
        result.observe(io, c.txBytes, transmit);
      }
    };
    meter.addBatchObservableCallback(this.#callback, this.#observables);
  }

  disable(): void {
    this.#config.enabled = false;
    if (this.#meter !== undefined && this.#callback !== undefined)
      this.#meter.removeBatchObservableCallback(this.#callback, this.#observables);
    this.#callback = undefined;
  }
}
