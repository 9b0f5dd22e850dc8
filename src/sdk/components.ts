import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HostMetricsInstrumentation } from '@opentelemetry/instrumentation-host-metrics';
import { type IMetricReader, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ResolvedConfig, ResolvedOtlp } from './options.js';

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

/** Metric readers for the configured destinations; empty when metrics go nowhere. */
export function createMetricReaders(config: ResolvedConfig): IMetricReader[] {
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
  return readers;
}

/** Span processors that forward to OTLP. The audit processor is added in front by the caller. */
export function createForwardingProcessors(config: ResolvedConfig): SpanProcessor[] {
  const exporter = createTraceExporter(config.otlp);
  return exporter ? [new BatchSpanProcessor(exporter)] : [];
}

/** Host metrics, when enabled and when some reader will collect them. */
export function createInstrumentations(config: ResolvedConfig, readers: IMetricReader[]): Instrumentation[] {
  if (config.hostMetrics === false || readers.length === 0) return [];
  return [new HostMetricsInstrumentation({ metricGroups: config.hostMetrics })];
}
