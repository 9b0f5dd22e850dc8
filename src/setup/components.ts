import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { IMetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { ResolvedConfig, ResolvedOtlp } from '../config/options.js';
import { DeferredLogRecordProcessor } from '../export/deferred-log-processor.js';
import { DeferredSpanExporter } from '../export/deferred-span-exporter.js';
import { ForwardLogRecordProcessor, type LogDropReason } from '../export/forward-log-processor.js';
import { type ForwardListener, ForwardSpanProcessor } from '../export/forward-span-processor.js';
import { PartialSuccessWatch } from '../export/partial-success-watch.js';
import { RetryAfterWatch } from '../export/retry-after-watch.js';
import { DeferredMetricReader } from '../metrics/deferred-metric-reader.js';
import { loadPrometheusReader } from '../metrics/prometheus-reader.js';
import { createHostAndRuntimeInstrumentations } from '../metrics/runtime-instrumentations.js';
import type { TelemetryProblems } from '../session/telemetry-problems.js';

function exporterConfig(otlp: ResolvedOtlp, url: string) {
  return { url, headers: otlp.headers, timeoutMillis: otlp.timeoutMillis, compression: otlp.compression };
}

/**
 * The OTLP trace exporter for the configured protocol, or undefined without
 * an endpoint. Its package loads now, not when stagetrace is imported.
 */
export function createTraceExporter(otlp: ResolvedOtlp | undefined, options: { envHeaders?: boolean } = {}): SpanExporter | undefined {
  if (!otlp?.tracesUrl) return undefined;
  const config = exporterConfig(otlp, otlp.tracesUrl);
  // The exporter reads the header variables when it is built, and no option turns that off.
  const build = options.envHeaders === false ? withoutHeaderVariables : <T>(make: () => T) => make();
  return new DeferredSpanExporter(async () => {
    if (otlp.protocol === 'http/protobuf') {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      return build(() => new OTLPTraceExporter(config as ConstructorParameters<typeof OTLPTraceExporter>[0]));
    }
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return build(() => new OTLPTraceExporter(config as ConstructorParameters<typeof OTLPTraceExporter>[0]));
  });
}

/** The variables the OTLP trace and log exporters take credentials from. */
export const HEADER_VARIABLES = [
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_LOGS_HEADERS',
] as const;

/**
 * Runs `make` with the header variables unset and sets them back after.
 * Synchronous (the exporter's constructor), so nothing else runs while they are away.
 */
function withoutHeaderVariables<T>(make: () => T): T {
  const saved = HEADER_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return make();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

async function loadMetricExporter(otlp: ResolvedOtlp): Promise<PushMetricExporter> {
  const config = exporterConfig(otlp, otlp.metricsUrl);
  if (otlp.protocol === 'http/protobuf') {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
    return new OTLPMetricExporter(config as ConstructorParameters<typeof OTLPMetricExporter>[0]);
  }
  const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
  return new OTLPMetricExporter(config as ConstructorParameters<typeof OTLPMetricExporter>[0]);
}

/** Metric readers for the configured destinations (OTLP, Prometheus), their packages loading now; empty when metrics go nowhere. */
export function createMetricReaders(config: ResolvedConfig, problems: TelemetryProblems): IMetricReader[] {
  const readers: IMetricReader[] = [];
  if (config.otlp?.metricsUrl) {
    const interval = config.metricExportIntervalMillis;
    const otlp = config.otlp;
    readers.push(
      new DeferredMetricReader(async () => {
        const [{ PeriodicExportingMetricReader }, exporter] = await Promise.all([
          import('@opentelemetry/sdk-metrics'),
          loadMetricExporter(otlp),
        ]);
        return new PeriodicExportingMetricReader({
          exporter,
          exportIntervalMillis: interval,
          exportTimeoutMillis: Math.min(30_000, interval),
        });
      }),
    );
  }
  const prometheus = config.prometheus;
  if (prometheus) {
    readers.push(
      new DeferredMetricReader(() =>
        loadPrometheusReader(prometheus, (err) =>
          problems.internalError(`starting the Prometheus endpoint on ${prometheus.host}:${prometheus.port}`, err),
        ),
      ),
    );
  }
  return readers;
}

/** The exporter's own default timeout (it reads `OTEL_EXPORTER_OTLP_TIMEOUT` itself when ours is unset). */
const EXPORTER_DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The span processor that forwards spans over OTLP, and its exporter (still
 * loading), or none without an endpoint. Two layers retry, each bounded: the exporter retries a refused
 * connection or a 429/502/503/504 within its own timeout (`otlp.timeoutMillis`,
 * honouring a `Retry-After` that fits); the processor then keeps the batch
 * and tries again with backoff, as long as the queue holds. The processor's
 * backstop on one export is twice the exporter's timeout (its last retry may
 * start just before that timeout and run for it).
 */
export function createForwardProcessor(
  config: ResolvedConfig,
  listener: ForwardListener,
): { processor: ForwardSpanProcessor; exporter: SpanExporter } | undefined {
  const otlp = config.otlp;
  const exporter = createTraceExporter(otlp);
  if (otlp === undefined || exporter === undefined) return undefined;
  const fromEnv = Number(process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TIMEOUT);
  const exporterTimeout = otlp.timeoutMillis ?? (fromEnv > 0 ? fromEnv : EXPORTER_DEFAULT_TIMEOUT_MS);
  const processor = new ForwardSpanProcessor(exporter, listener, {
    maxQueueSpans: otlp.maxQueueSpans,
    maxQueueBytes: otlp.maxQueueBytes,
    exportTimeoutMillis: 2 * exporterTimeout + 1000,
    attemptTimeoutMillis: exporterTimeout,
    shutdownTimeoutMillis: config.shutdownTimeoutMillis,
    retryAfter: new RetryAfterWatch(otlp.tracesUrl),
    partialSuccess: new PartialSuccessWatch(otlp.tracesUrl),
  });
  return { processor, exporter };
}

/**
 * The log record processor that sends stagetrace's log records over
 * OTLP/HTTP, its packages loading now; none when the logs signal is off or
 * no logs endpoint is configured. The same delivery rules as the spans'
 * forward: a bounded queue (`otlp.maxQueueSpans` records; past it the newest
 * are dropped and the files still hold them), batches each second, a failed
 * batch tried again with backoff, a 4xx dropped, and shutdown trying until
 * `shutdownTimeoutMillis`; the listener journals what the collector took. The exporter retries a refused connection or a
 * 429/502/503/504 within its own timeout first.
 */
export function createLogProcessor(config: ResolvedConfig, listener: LogForwardListener): DeferredLogRecordProcessor | undefined {
  const otlp = config.otlp;
  if (!config.logs || !otlp?.logsUrl) return undefined;
  const maxQueueRecords = otlp.maxQueueSpans;
  const fromEnv = Number(process.env.OTEL_EXPORTER_OTLP_LOGS_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TIMEOUT);
  const exporterTimeout = otlp.timeoutMillis ?? (fromEnv > 0 ? fromEnv : EXPORTER_DEFAULT_TIMEOUT_MS);
  return new DeferredLogRecordProcessor(async () => {
    return new ForwardLogRecordProcessor(await loadLogExporter(otlp), {
      maxQueueRecords,
      exportTimeoutMillis: 2 * exporterTimeout + 1000,
      shutdownTimeoutMillis: config.shutdownTimeoutMillis,
      partialSuccess: new PartialSuccessWatch(otlp.logsUrl),
      onDropped: (count, reason) => listener.logsDropped(count, reason),
      onDelivered: (records) => listener.logsDelivered(records),
      onEmitted: (record) => listener.logEmitted(record),
    });
  }, maxQueueRecords);
}

/**
 * The OTLP/HTTP log exporter to `otlp.logsUrl`, its package loaded now.
 * With `envHeaders: false` it gets none of the header variables.
 */
export async function loadLogExporter(otlp: ResolvedOtlp, options: { envHeaders?: boolean } = {}): Promise<LogRecordExporter> {
  const { OTLPLogExporter } = await import('@opentelemetry/exporter-logs-otlp-http');
  const config = exporterConfig(otlp, otlp.logsUrl) as ConstructorParameters<typeof OTLPLogExporter>[0];
  return options.envHeaders === false ? withoutHeaderVariables(() => new OTLPLogExporter(config)) : new OTLPLogExporter(config);
}

/** Where the log forward tells what happened to the records (see DeliveryRecorder). */
export interface LogForwardListener {
  logEmitted(record: ReadableLogRecord): void;
  logsDelivered(records: readonly ReadableLogRecord[]): void;
  logsDropped(count: number, reason: LogDropReason): void;
}

/** Host and runtime metrics, when enabled and when some reader will collect them (`readers` undefined: the caller brings its own). */
export function createInstrumentations(config: ResolvedConfig, readers: IMetricReader[] | undefined): Instrumentation[] {
  if (config.hostMetrics === false || readers?.length === 0) return [];
  return createHostAndRuntimeInstrumentations(config.hostMetrics);
}
