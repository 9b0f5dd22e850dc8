import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { type IMetricReader, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ResolvedConfig, ResolvedOtlp } from '../config/options.js';
import { AuditSpanExporter } from '../export/audit-span-exporter.js';
import { AuditSpanProcessor } from '../export/forward-span-processor.js';
import { createPrometheusReader } from '../metrics/prometheus-reader.js';
import { createHostAndRuntimeInstrumentations } from '../metrics/runtime-instrumentations.js';
import type { Runtime } from '../session/session.js';
import { AuditLog } from '../sinks/audit/audit-log.js';

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
export function createMetricReaders(config: ResolvedConfig, runtime?: Runtime): IMetricReader[] {
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
        runtime?.reportInternalError(`starting the Prometheus endpoint on ${prometheus.host}:${prometheus.port}`, err),
      ),
    );
  }
  return readers;
}

/**
 * The audit files (when `logDir` is set) and the span processor that writes
 * them and forwards to OTLP. An unwritable folder fails here, unless
 * `requireLogDir` is false: then it is said once and the run goes on without files.
 */
export function createAuditPipeline(config: ResolvedConfig, runtime: Runtime): SpanProcessor {
  let audit: AuditLog | undefined;
  if (config.logDir !== undefined) {
    audit = new AuditLog({
      dir: config.logDir,
      sessionId: config.sessionId,
      durability: config.durability,
      maxFileBytes: config.maxFileBytes,
      maxFiles: config.maxFiles,
      memory: runtime.memory,
      telemetry: runtime.telemetry,
      onWriteError: (file, error) => runtime.reportInternalError(`writing ${file}`, error),
    });
    try {
      audit.open();
      runtime.sinks.push(audit);
    } catch (error) {
      if (config.requireLogDir) throw error;
      runtime.warnOnce('no-log-dir', `${error instanceof Error ? error.message : String(error)} Running on without audit files.`, true);
      audit = undefined;
    }
  }
  runtime.audit = audit;
  const exporter = new AuditSpanExporter(audit, createTraceExporter(config.otlp), runtime.exportReporter);
  return new AuditSpanProcessor(exporter, runtime.exportReporter);
}

/** Host and runtime metrics, when enabled and when some reader will collect them (`readers` undefined: the caller brings its own). */
export function createInstrumentations(config: ResolvedConfig, readers: IMetricReader[] | undefined): Instrumentation[] {
  if (config.hostMetrics === false || readers?.length === 0) return [];
  return createHostAndRuntimeInstrumentations(config.hostMetrics);
}
