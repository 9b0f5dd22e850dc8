import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { type IMetricReader, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { ResolvedConfig, ResolvedOtlp } from '../config/options.js';
import { type ForwardReporter, ForwardSpanProcessor } from '../export/forward-span-processor.js';
import { PartialSuccessWatch } from '../export/partial-success-watch.js';
import { RetryAfterWatch } from '../export/retry-after-watch.js';
import { createPrometheusReader } from '../metrics/prometheus-reader.js';
import { createHostAndRuntimeInstrumentations } from '../metrics/runtime-instrumentations.js';
import type { TelemetryReporter } from '../session/telemetry-reporter.js';

/** The OTLP trace exporter for the configured protocol, or undefined without an endpoint. */
export function createTraceExporter(otlp: ResolvedOtlp | undefined): SpanExporter | undefined {
  if (!otlp?.tracesUrl) return undefined;
  const config = { url: otlp.tracesUrl, headers: otlp.headers, timeoutMillis: otlp.timeoutMillis, compression: otlp.compression };
  return otlp.protocol === 'http/protobuf'
    ? new OTLPTraceExporterProto(config as ConstructorParameters<typeof OTLPTraceExporterProto>[0])
    : new OTLPTraceExporterJson(config as ConstructorParameters<typeof OTLPTraceExporterJson>[0]);
}

function createMetricExporter(otlp: ResolvedOtlp): PushMetricExporter {
  const config = { url: otlp.metricsUrl, headers: otlp.headers, timeoutMillis: otlp.timeoutMillis, compression: otlp.compression };
  return otlp.protocol === 'http/protobuf'
    ? new OTLPMetricExporterProto(config as ConstructorParameters<typeof OTLPMetricExporterProto>[0])
    : new OTLPMetricExporterJson(config as ConstructorParameters<typeof OTLPMetricExporterJson>[0]);
}

/** Metric readers for the configured destinations (OTLP, Prometheus); empty when metrics go nowhere. */
export function createMetricReaders(config: ResolvedConfig, reporter: TelemetryReporter): IMetricReader[] {
  const readers: IMetricReader[] = [];
  if (config.otlp?.metricsUrl) {
    const interval = config.metricExportIntervalMillis;
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: createMetricExporter(config.otlp),
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(30_000, interval),
      }),
    );
  }
  const prometheus = config.prometheus;
  if (prometheus) {
    readers.push(
      createPrometheusReader(prometheus, (err) =>
        reporter.internalError(`starting the Prometheus endpoint on ${prometheus.host}:${prometheus.port}`, err),
      ),
    );
  }
  return readers;
}

/** The exporter's own default timeout (it reads `OTEL_EXPORTER_OTLP_TIMEOUT` itself when ours is unset). */
const EXPORTER_DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The span processor that forwards spans over OTLP, or none without an
 * endpoint. Two layers retry, each bounded: the exporter retries a refused
 * connection or a 429/502/503/504 within its own timeout (`otlp.timeoutMillis`,
 * honouring a `Retry-After` that fits); the processor then keeps the batch
 * and tries again with backoff, as long as the queue holds. The processor's
 * backstop on one export is twice the exporter's timeout (its last retry may
 * start just before that timeout and run for it).
 */
export function createForwardProcessor(config: ResolvedConfig, reporter: ForwardReporter): ForwardSpanProcessor | undefined {
  const otlp = config.otlp;
  const exporter = createTraceExporter(otlp);
  if (otlp === undefined || exporter === undefined) return undefined;
  const fromEnv = Number(process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TIMEOUT);
  const exporterTimeout = otlp.timeoutMillis ?? (fromEnv > 0 ? fromEnv : EXPORTER_DEFAULT_TIMEOUT_MS);
  return new ForwardSpanProcessor(exporter, reporter, {
    maxQueueSpans: otlp.maxQueueSpans,
    maxQueueBytes: otlp.maxQueueBytes,
    exportTimeoutMillis: 2 * exporterTimeout + 1000,
    attemptTimeoutMillis: exporterTimeout,
    shutdownTimeoutMillis: config.shutdownTimeoutMillis,
    retryAfter: new RetryAfterWatch(otlp.tracesUrl),
    partialSuccess: new PartialSuccessWatch(otlp.tracesUrl),
  });
}

/** Host and runtime metrics, when enabled and when some reader will collect them (`readers` undefined: the caller brings its own). */
export function createInstrumentations(config: ResolvedConfig, readers: IMetricReader[] | undefined): Instrumentation[] {
  if (config.hostMetrics === false || readers?.length === 0) return [];
  return createHostAndRuntimeInstrumentations(config.hostMetrics);
}
