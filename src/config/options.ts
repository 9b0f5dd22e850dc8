import type { Attributes } from '@opentelemetry/api';
import type { ConsoleLevel } from '../model/console-level.js';
import type { LogLevel } from '../model/levels.js';

/** How audit records reach the disk. */
export type Durability = 'buffered' | 'sync';

/** OTLP export settings; unset fields fall back to the standard `OTEL_EXPORTER_OTLP_*` variables. */
export interface OtlpOptions {
  /** Base URL; `/v1/traces`, `/v1/metrics` and `/v1/logs` are appended (like `OTEL_EXPORTER_OTLP_ENDPOINT`). */
  endpoint?: string;
  /** Full traces URL, used verbatim (like `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). */
  tracesEndpoint?: string;
  /** Full metrics URL, used verbatim (like `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`). */
  metricsEndpoint?: string;
  /** Full logs URL, used verbatim (like `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`). */
  logsEndpoint?: string;
  /** Extra request headers, e.g. an auth token. Never logged. */
  headers?: Record<string, string>;
  /** `http/protobuf` (default, as the OTLP specification recommends) or `http/json`. */
  protocol?: 'http/json' | 'http/protobuf';
  /** Per-export timeout in ms, retries included, 1 to 2³¹−1. Default: 80 % of `shutdownTimeoutMillis`, within 1000..10000. */
  timeoutMillis?: number;
  /** Request compression. Default `none`. */
  compression?: 'gzip' | 'none';
  /**
   * Most spans waiting for the collector (queued, or in an export not yet answered); beyond it the newest are
   * dropped and counted, and stay in the audit files for `stagetrace replay`. 1 to 1,000,000, default 2048.
   */
  maxQueueSpans?: number;
  /** Most estimated bytes of resident memory those spans take; the same rule. 64 KiB to 1 GiB, default 8 MiB. */
  maxQueueBytes?: number;
}

/** Memory observer settings. */
export interface MemoryOptions {
  /** Sampling period in ms, 10 to 2³¹−1. Default 1000. */
  intervalMs?: number;
  /** RSS (MB, above 0) above which a WARNING is raised. Default: 70% of the memory available to the process. */
  warningMb?: number;
  /** RSS (MB, above `warningMb`) above which a CRITICAL is raised. Default: 90% of the memory available to the process. */
  criticalMb?: number;
}

/** Prometheus scrape endpoint settings. */
export interface PrometheusOptions {
  /** Port of the `/metrics` endpoint, 1 to 65535. Default 9464 (`STAGETRACE_PROMETHEUS_PORT`). */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`, so nothing is exposed beyond this machine unless asked (`STAGETRACE_PROMETHEUS_HOST`). */
  host?: string;
}

/** Webhook alerts for memory threshold crossings and failed months. */
export interface AlertOptions {
  /** Slack-compatible incoming webhook (`{ "text": … }` is posted). Treated as a secret: only its origin is ever printed (`STAGETRACE_ALERTS_WEBHOOK_URL`). */
  webhookUrl?: string;
  /** At most one alert of each kind per this period (ms, 1 to 2³¹−1). Default 60000 (`STAGETRACE_ALERTS_MIN_INTERVAL_MS`). */
  minIntervalMs?: number;
  /** Give up on a post after this long without an answer (ms, 1 to 2³¹−1). Default 5000 (`STAGETRACE_ALERTS_TIMEOUT_MS`). */
  timeoutMs?: number;
}

/**
 * Everything `start()` and `createStagetrace()` accept; most fields also have an
 * environment variable. The table in `option-table.ts` lists each with its
 * variable, range and default; a compile-time check keeps this type and that
 * table equal, and the README's options table is generated from it.
 */
export interface StagetraceOptions {
  /** `service.name` of spans and metrics. Default: `OTEL_SERVICE_NAME`, else `stagetrace`. */
  serviceName?: string;
  /** Identifies this run in every record and is the resource's `service.instance.id`. Default: `YYYYMMDD_HHMMSS_<6 hex>` from the start time. */
  sessionId?: string;
  /** Folder of the audit files; `false` turns the files off. Default `logs`. */
  logDir?: string | false;
  /** When `logDir` cannot be written: `true` (default) fails `start()`; `false` warns once and runs on without files. */
  requireLogDir?: boolean;
  /** Log lines on stderr. Default true. */
  console?: boolean;
  /** Minimum level for console and files. Default `INFO`. */
  logLevel?: LogLevel | Lowercase<LogLevel>;
  /**
   * Minimum level on the console only, never below `logLevel`. `STAGES` (between INFO and WARNING) prints one
   * line per stage and month end, with its duration, plus warnings and errors. Default: `logLevel`.
   */
  consoleLevel?: ConsoleLevel | Lowercase<ConsoleLevel>;
  /** ANSI colours on the console. Default: on when stderr is a TTY and `NO_COLOR` is unset. */
  colors?: boolean;
  /** A live progress line on stderr. Default: on when stderr is a TTY. */
  progress?: boolean;
  /** Months the run will process, when known (shown as "month 3 of 12"). */
  totalMonths?: number;
  /** Seconds (above 0, at most 2147483) after which a stage counts as slow, per stage name, with `default` for the rest. Default `{ default: 300 }`. */
  stageThresholds?: Record<string, number>;
  /** `buffered` (default; on disk within 1 s and at month end) or `sync` (on disk before the call returns). */
  durability?: Durability;
  /** Rotate an audit file when it would pass this size, 1 KiB to 1 TiB. Default 64 MiB. */
  maxFileBytes?: number;
  /** Rotated files kept per audit file, 1 to 1000. Default 10. */
  maxFiles?: number;
  /** More secret key fragments and signed-URL query parameters to redact (up to 1000 each, 256 characters each). */
  redact?: { keys?: string[]; queryParams?: string[] };
  /** OTLP export; without an endpoint nothing is sent and nothing tries to connect. */
  otlp?: OtlpOptions;
  /** Metrics export period in ms, 100 to 2³¹−1. Default: `OTEL_METRIC_EXPORT_INTERVAL`, else 60000. */
  metricExportIntervalMillis?: number;
  /** Memory observer thresholds and period. */
  memory?: MemoryOptions;
  /**
   * Every message at or above `logLevel` also as an OpenTelemetry log record, correlated with its month's or
   * stage's span (through your LoggerProvider with `createStagetrace()`, over OTLP with `start()`). Default true.
   */
  logs?: boolean;
  /** Host and Node.js runtime metrics: `true` (default) for all groups, `false` for none, or a list of groups (`system.cpu`, `system.memory`, `system.network`, `process.cpu`, `process.memory`, `nodejs.runtime`). */
  hostMetrics?: boolean | string[];
  /** Serve metrics for Prometheus to scrape; off unless given (or `STAGETRACE_PROMETHEUS_PORT` is set). */
  prometheus?: PrometheusOptions;
  /** Post alerts to a webhook; off unless `webhookUrl` is given. */
  alerts?: AlertOptions;
  /** Extra resource attributes; `OTEL_RESOURCE_ATTRIBUTES` wins on a key both set. `service.instance.id` defaults to the session id. */
  resourceAttributes?: Attributes;
  /** Upper bound (ms, 1 to 2³¹−1) on `shutdown()`'s flushing, so a dead collector cannot hold the process. Default 5000. */
  shutdownTimeoutMillis?: number;
  /** End open stages and flush on signals (a second signal during that shutdown ends the process at once), uncaught errors no listener of yours handles, and exit. Default true with `start()`, false with `createStagetrace()`; an option given here wins over `STAGETRACE_HANDLE_EXIT`, which wins over those defaults. */
  handleExit?: boolean;
}

/** The options after defaults and environment variables, validated. */
export interface ResolvedConfig {
  serviceName: string;
  sessionId: string;
  logDir: string | undefined;
  requireLogDir: boolean;
  console: boolean;
  logLevel: LogLevel;
  consoleLevel: ConsoleLevel | undefined;
  colors: boolean;
  progress: boolean;
  totalMonths: number | undefined;
  stageThresholds: ReadonlyMap<string, number>;
  defaultThresholdS: number;
  durability: Durability;
  maxFileBytes: number;
  maxFiles: number;
  redactKeys: string[];
  redactQueryParams: string[];
  otlp: ResolvedOtlp | undefined;
  metricExportIntervalMillis: number;
  memory: { intervalMs: number; warningMb: number | undefined; criticalMb: number | undefined };
  hostMetrics: string[] | false;
  logs: boolean;
  prometheus: { port: number; host: string } | undefined;
  alerts: ResolvedAlerts | undefined;
  resourceAttributes: Attributes;
  shutdownTimeoutMillis: number;
  handleExit: boolean;
  sdkDisabled: boolean;
}

export interface ResolvedAlerts {
  webhookUrl: string;
  minIntervalMs: number;
  timeoutMs: number;
}

export interface ResolvedOtlp {
  tracesUrl: string;
  metricsUrl: string;
  logsUrl: string;
  headers: Record<string, string> | undefined;
  protocol: 'http/json' | 'http/protobuf';
  timeoutMillis: number | undefined;
  compression: 'gzip' | 'none' | undefined;
  /** Most spans waiting to be sent. */
  maxQueueSpans: number;
  /** Most bytes of spans waiting to be sent. */
  maxQueueBytes: number;
}
