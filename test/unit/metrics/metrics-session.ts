import { type MetricData, MetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { createStagetrace, type StagetraceComponents, type StagetraceOptions, shutdown } from '../../../src/index.js';
import { resetGlobals } from '../../helpers/in-memory-sdk.js';

/** A pull reader read on demand, as a test reads metrics without exporting them. */
class InProcessReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface MetricsSession {
  readonly st: StagetraceComponents;
  readonly spans: InMemorySpanExporter;
  /** Every metric collected now, by name (the last scope wins on duplicates). */
  collect(): Promise<Map<string, MetricData>>;
  spanNamed(name: string): ReadableSpan;
  close(): Promise<void>;
}

/**
 * stagetrace in an application's own NodeSDK with an in-process metric
 * reader and an in-memory span exporter. Files and console are off unless
 * the options turn them on.
 */
export function startMetricsSession(options: StagetraceOptions = {}): MetricsSession {
  const st = createStagetrace({ logDir: false, console: false, hostMetrics: false, ...options });
  const spans = new InMemorySpanExporter();
  const reader = new InProcessReader();
  const sdk = new NodeSDK({
    spanProcessors: [...st.spanProcessors, new SimpleSpanProcessor({ exporter: spans })],
    metricReaders: [...st.metricReaders, reader],
    logRecordProcessors: [],
    instrumentations: st.instrumentations,
    autoDetectResources: false,
  });
  sdk.start();
  let closed = false;
  return {
    st,
    spans,
    async collect() {
      const { resourceMetrics } = await reader.collect();
      const out = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
      return out;
    },
    spanNamed(name) {
      const found = spans.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span named ${name}, found ${found.length}`);
      return found[0] as ReadableSpan;
    },
    async close() {
      if (closed) return;
      closed = true;
      await shutdown();
      await sdk.shutdown();
      resetGlobals();
    },
  };
}

/** The one metric of that name; throws with the names present when missing. */
export function metric(all: Map<string, MetricData>, name: string): MetricData {
  const found = all.get(name);
  if (!found) throw new Error(`no metric ${name}; have ${[...all.keys()].sort().join(', ')}`);
  return found;
}
