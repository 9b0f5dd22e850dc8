import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { type IMetricReader, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { ResolvedConfig, ResolvedOtlp } from '../config/options.js';
import { type ForwardReporter, ForwardSpanProcessor } from '../export/forward-span-processor.js';
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

/** The span processor that forwards spans over OTLP, or none without an endpoint. */
export function createForwardProcessor(config: ResolvedConfig, reporter: ForwardReporter): SpanProcessor | undefined {
  const exporter = createTraceExporter(config.otlp);
  return exporter === undefined ? undefined : new ForwardSpanProcessor(exporter, reporter);
}

/** Host and runtime metrics, when enabled and when some reader will collect them (`readers` undefined: the caller brings its own). */
export function createInstrumentations(config: ResolvedConfig, readers: IMetricReader[] | undefined): Instrumentation[] {
  if (config.hostMetrics === false || readers?.length === 0) return [];
  return createHostAndRuntimeInstrumentations(config.hostMetrics);
}
