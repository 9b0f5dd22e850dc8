import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { createStagetrace, type StagetraceComponents, type StagetraceOptions, shutdown } from '../../src/index.js';
import { loadLogsApi } from '../../src/setup/logs-api.js';

/** A stagetrace session wired into a user-owned NodeSDK whose spans land in memory. */
export interface InMemorySession {
  readonly st: StagetraceComponents;
  readonly exporter: InMemorySpanExporter;
  readonly sdk: NodeSDK;
  /** Every finished span so far. */
  spans(): ReadableSpan[];
  /** Every log record the user's LoggerProvider has seen so far (stagetrace's messages, with `logs` on). */
  logRecords(): ReadableLogRecord[];
  /** Every span started so far, ended or not: shows that nothing was started. */
  startedSpans(): Span[];
  /** Finished spans with this name. */
  spansNamed(name: string): ReadableSpan[];
  /** The one finished span with this name; throws when there is not exactly one. */
  span(name: string): ReadableSpan;
  /** Ends stagetrace and the SDK and clears every global registration; spans() still answers afterwards. */
  close(): Promise<void>;
}

/**
 * Starts stagetrace the way an application with its own NodeSDK does, with
 * the in-memory exporter after stagetrace's own processors (whatever they
 * are), so tests see exactly the spans a user's exporter would see.
 * Files and console are off unless the options turn them on.
 */
export function startInMemory(options: StagetraceOptions = {}): InMemorySession {
  const st = createStagetrace({ logDir: false, console: false, hostMetrics: false, ...options });
  const exporter = new InMemorySpanExporter();
  const logExporter = new InMemoryLogRecordExporter();
  const started: Span[] = [];
  const startRecorder: SpanProcessor = {
    onStart: (span) => {
      started.push(span);
    },
    onEnd: () => undefined,
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  const sdk = new NodeSDK({
    spanProcessors: [...st.spanProcessors, startRecorder, new SimpleSpanProcessor({ exporter })],
    metricReaders: [],
    logRecordProcessors: [...st.logRecordProcessors, new SimpleLogRecordProcessor({ exporter: logExporter })],
    instrumentations: [],
    autoDetectResources: false,
  });
  sdk.start();
  let closed = false;
  // InMemorySpanExporter forgets its spans on shutdown; keep them for assertions after close().
  let kept: ReadableSpan[] | undefined;
  let keptLogs: ReadableLogRecord[] | undefined;
  const spans = () => kept ?? exporter.getFinishedSpans();
  const spansNamed = (name: string) => spans().filter((s) => s.name === name);
  return {
    st,
    exporter,
    sdk,
    spans,
    logRecords: () => keptLogs ?? logExporter.getFinishedLogRecords(),
    startedSpans: () => [...started],
    spansNamed,
    span(name) {
      const found = spansNamed(name);
      if (found.length !== 1) throw new Error(`expected one span named ${JSON.stringify(name)}, found ${found.length}`);
      return found[0] as ReadableSpan;
    },
    async close() {
      if (closed) return;
      closed = true;
      await shutdown();
      kept = [...exporter.getFinishedSpans()];
      keptLogs = [...logExporter.getFinishedLogRecords()];
      await sdk.shutdown();
      resetGlobals();
      // The Logs API keeps the first provider registered until disabled.
      (await loadLogsApi())?.disable();
    },
  };
}

/** Drops the global tracer/meter providers, context manager and propagator. */
export function resetGlobals(): void {
  trace.disable();
  context.disable();
  metrics.disable();
  propagation.disable();
}
