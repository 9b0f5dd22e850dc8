// Generated from src/config/option-table.ts by `npm run docs:options`: edit the table, not this file.
import type { Attributes } from '@opentelemetry/api';
import type { ConsoleLevel } from '../model/console-level.js';
import type { LogLevel } from '../model/levels.js';

/** `buffered` (on disk within 1 s and at every month end) or `sync` (on disk before the call returns). */
export type Durability = 'buffered' | 'sync';

/** What to redact besides the built-in secret keys and signed-URL parameters. */
export interface RedactOptions {
  /**
   * More secret key fragments (variable: a comma list). Allowed: an array of up to 1000 non-empty strings of at most
   * 256 characters, without control characters. Variable: `STAGETRACE_REDACT_KEYS`.
   */
  keys?: string[];
  /**
   * More secret URL query parameters (variable: a comma list). Allowed: an array of up to 1000 non-empty strings of at
   * most 256 characters, without control characters. Variable: `STAGETRACE_REDACT_QUERY_PARAMS`.
   */
  queryParams?: string[];
}

/** OTLP export settings; unset fields fall back to the standard `OTEL_EXPORTER_OTLP_*` variables. */
export interface OtlpOptions {
  /**
   * Base URL; `/v1/traces`, `/v1/metrics` and `/v1/logs` are appended. Allowed: an absolute http:// or https:// URL.
   * Default: none: nothing is sent. Variable: `OTEL_EXPORTER_OTLP_ENDPOINT`.
   */
  endpoint?: string;
  /**
   * Full traces URL, used as given; wins over `otlp.endpoint`. Allowed: an absolute http:// or https:// URL. Default:
   * from `otlp.endpoint`. Variable: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`.
   */
  tracesEndpoint?: string;
  /**
   * Full metrics URL, used as given; wins over `otlp.endpoint`. Allowed: an absolute http:// or https:// URL. Default:
   * from `otlp.endpoint`. Variable: `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`.
   */
  metricsEndpoint?: string;
  /**
   * Full logs URL, used as given; wins over `otlp.endpoint`. Allowed: an absolute http:// or https:// URL. Default:
   * from `otlp.endpoint`. Variable: `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`.
   */
  logsEndpoint?: string;
  /**
   * E.g. an auth token; never logged, never shown in errors (variables: `key=value` pairs, read by the exporter).
   * Allowed: an object of header names to string values without line breaks. Variables: `OTEL_EXPORTER_OTLP_HEADERS`,
   * `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, `OTEL_EXPORTER_OTLP_METRICS_HEADERS`.
   */
  headers?: Record<string, string>;
  /**
   * OTLP/HTTP encoding (protobuf is the OTLP default and the smaller, cheaper body). Allowed: 'http/json' or
   * 'http/protobuf' (gRPC is not supported; point at the collector's 4318 port). Default: `http/protobuf`. Variables:
   * `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`.
   */
  protocol?: 'http/json' | 'http/protobuf';
  /**
   * Per export, retries included. Allowed: an integer from 1 to 2147483647 (milliseconds). Default: 80 % of
   * `shutdownTimeoutMillis`, within 1000..10000. Variables: `OTEL_EXPORTER_OTLP_TIMEOUT`,
   * `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `OTEL_EXPORTER_OTLP_METRICS_TIMEOUT`.
   */
  timeoutMillis?: number;
  /**
   * Request compression. Allowed: 'gzip' or 'none'. Default: `none`. Variables: `OTEL_EXPORTER_OTLP_COMPRESSION`,
   * `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, `OTEL_EXPORTER_OTLP_METRICS_COMPRESSION`.
   */
  compression?: 'gzip' | 'none';
  /**
   * Most spans waiting for the collector (queued or in flight); beyond it the newest are dropped and counted. Allowed:
   * an integer from 1 to 1000000. Default: 2048. Variable: `STAGETRACE_OTLP_MAX_QUEUE_SPANS`.
   */
  maxQueueSpans?: number;
  /**
   * Most estimated bytes (resident memory) of spans waiting for the collector; beyond it the newest are dropped and
   * counted. Allowed: an integer from 65536 to 1073741824 (bytes: 64 KiB to 1 GiB). Default: 8388608 (8 MiB). Variable:
   * `STAGETRACE_OTLP_MAX_QUEUE_BYTES`.
   */
  maxQueueBytes?: number;
}

/** Memory observer settings. */
export interface MemoryOptions {
  /**
   * Memory sampling period. Allowed: an integer from 10 to 2147483647 (milliseconds). Default: 1000. Variable:
   * `STAGETRACE_MEMORY_INTERVAL_MS`.
   */
  intervalMs?: number;
  /**
   * RSS above which a WARNING is raised (see [docs/metrics.md](docs/metrics.md)). Allowed: a number greater than 0 and
   * at most 16777216 (MB). Default: 70 % of available memory. Variable: `STAGETRACE_MEMORY_WARNING_MB`.
   */
  warningMb?: number;
  /**
   * RSS above which a CRITICAL is raised; must be above `memory.warningMb`. Allowed: a number greater than 0 and at
   * most 16777216 (MB). Default: 90 % of available memory. Variable: `STAGETRACE_MEMORY_CRITICAL_MB`.
   */
  criticalMb?: number;
}

/** Prometheus scrape endpoint settings. */
export interface PrometheusOptions {
  /**
   * Serve a Prometheus scrape endpoint on this port (off unless `prometheus` or one of its variables is given).
   * Allowed: a TCP port from 1 to 65535. Default: 9464. Variable: `STAGETRACE_PROMETHEUS_PORT`.
   */
  port?: number;
  /**
   * Interface the scrape endpoint listens on. Allowed: a non-empty string without control characters. Default:
   * `127.0.0.1`. Variable: `STAGETRACE_PROMETHEUS_HOST`.
   */
  host?: string;
}

/** Webhook alerts for memory threshold crossings and failed months. */
export interface AlertOptions {
  /**
   * Slack-compatible webhook for threshold crossings and failed months; a secret: only its origin is ever printed.
   * Allowed: an absolute http:// or https:// URL. Default: off. Variable: `STAGETRACE_ALERTS_WEBHOOK_URL`.
   */
  webhookUrl?: string;
  /**
   * Rate limit per alert kind. Allowed: an integer from 1 to 2147483647 (milliseconds). Default: 60000. Variable:
   * `STAGETRACE_ALERTS_MIN_INTERVAL_MS`.
   */
  minIntervalMs?: number;
  /**
   * Per webhook request; a slow webhook never delays the pipeline. Allowed: an integer from 1 to 2147483647
   * (milliseconds). Default: 5000. Variable: `STAGETRACE_ALERTS_TIMEOUT_MS`.
   */
  timeoutMs?: number;
}

/**
 * Everything `start()` and `createStagetrace()` accept; most fields also have an environment variable. Generated from
 * the table in `option-table.ts`, which validation reads too.
 */
export interface StagetraceOptions {
  /**
   * `service.name` of spans and metrics. Allowed: a non-empty string without control characters. Default: `stagetrace`.
   * Variables: `STAGETRACE_SERVICE_NAME`, `OTEL_SERVICE_NAME`.
   */
  serviceName?: string;
  /**
   * Identifies the run in every record; also the resource's `service.instance.id` unless you set one. Allowed: up to
   * 128 letters, digits, _ . : or -. Default: `YYYYMMDD_HHMMSS_<6 hex>`. Variable: `STAGETRACE_SESSION_ID`.
   */
  sessionId?: string;
  /**
   * Ties the processes of one run together: `run_id` in every record, `stagetrace.run.id` on spans and the resource;
   * `carrierEnv()` passes it to child processes. Allowed: up to 128 letters, digits, _ . : or -. Default: the carrier's
   * baggage `stagetrace.run.id`, else `sessionId`. Variable: `STAGETRACE_RUN_ID`.
   */
  runId?: string;
  /**
   * Folder of the audit files; `false` (variable: `false`, `off` or `none`) for no files. Allowed: a folder path, or
   * false to write no files. Default: `logs`. Variable: `STAGETRACE_LOG_DIR`.
   */
  logDir?: string | false;
  /**
   * `false`: an unwritable `logDir` is reported once and the run goes on without files. Allowed: true or false.
   * Default: `true`. Variable: `STAGETRACE_REQUIRE_LOG_DIR`.
   */
  requireLogDir?: boolean;
  /**
   * `buffered` (on disk within 1 s and at every month end) or `sync` (on disk before the call returns). Allowed:
   * 'buffered' or 'sync'. Default: `buffered`. Variable: `STAGETRACE_DURABILITY`.
   */
  durability?: Durability;
  /**
   * Rotate an audit file before it passes this size. Allowed: an integer from 1024 to 1099511627776 (bytes: 1 KiB to 1
   * TiB). Default: 67108864 (64 MiB). Variable: `STAGETRACE_MAX_FILE_BYTES`.
   */
  maxFileBytes?: number;
  /**
   * Rotated generations kept per file. Allowed: an integer from 1 to 1000. Default: 10. Variable:
   * `STAGETRACE_MAX_FILES`.
   */
  maxFiles?: number;
  /** Log lines on stderr. Allowed: true or false. Default: `true`. Variable: `STAGETRACE_CONSOLE`. */
  console?: boolean;
  /**
   * Minimum level for console and files (`WARN` is read as `WARNING`). Allowed: one of 'DEBUG', 'INFO', 'WARNING',
   * 'ERROR', 'CRITICAL' (any case). Default: `INFO`. Variable: `STAGETRACE_LOG_LEVEL`.
   */
  logLevel?: LogLevel | Lowercase<LogLevel>;
  /**
   * Minimum level on the console only; `STAGES`, between `INFO` and `WARNING`, prints one line per stage and month end
   * (with its duration) plus warnings and errors, without the start, `TIMING` and `MEMORY_TRACKING` lines; the files
   * keep everything `logLevel` lets through. Allowed: one of 'DEBUG', 'INFO', 'STAGES', 'WARNING', 'ERROR', 'CRITICAL'
   * (any case). Default: `logLevel`. Variable: `STAGETRACE_CONSOLE_LEVEL`.
   */
  consoleLevel?: ConsoleLevel | Lowercase<ConsoleLevel>;
  /**
   * ANSI colours on the console. Allowed: true or false. Default: on a TTY without `NO_COLOR`. Variable:
   * `STAGETRACE_COLORS`.
   */
  colors?: boolean;
  /**
   * A live status line (month, stage, elapsed, months done, a bar and ETA for `stage.progress()`); off a TTY, a plain
   * line at most every 15 s. Allowed: true or false. Default: on when stderr is a TTY. Variable: `STAGETRACE_PROGRESS`.
   */
  progress?: boolean;
  /**
   * Months the run will process, for "month 3 of 12" and the progress line. Allowed: an integer from 1 to 1000000.
   * Default: unknown. Variable: `STAGETRACE_TOTAL_MONTHS`.
   */
  totalMonths?: number;
  /**
   * Seconds after which a stage is slow, per stage name; `default` for the rest (variable: `download=600,default=300`).
   * Allowed: an object of seconds (greater than 0, at most 2147483) per stage name, e.g. { download: 300, default: 600
   * }. Default: `{ default: 300 }`. Variable: `STAGETRACE_STAGE_THRESHOLDS`.
   */
  stageThresholds?: Record<string, number>;
  /** More secret key fragments and signed-URL query parameters to redact. */
  redact?: RedactOptions;
  /** OTLP export; without an endpoint nothing is sent and nothing tries to connect. */
  otlp?: OtlpOptions;
  /**
   * Metrics export period (metrics are also flushed at shutdown). Allowed: an integer from 100 to 2147483647
   * (milliseconds). Default: 60000. Variable: `OTEL_METRIC_EXPORT_INTERVAL`.
   */
  metricExportIntervalMillis?: number;
  /** Memory observer thresholds and period. */
  memory?: MemoryOptions;
  /**
   * Metric groups to collect (`nodejs.runtime`: event-loop delay and GC); `false` for none. Allowed: true, false, or a
   * list of system.cpu, system.memory, system.network, process.cpu, process.memory, nodejs.runtime. Default: `true`.
   * Variable: `STAGETRACE_HOST_METRICS`.
   */
  hostMetrics?: boolean | string[];
  /**
   * Each message at or above `logLevel` also as an OpenTelemetry log record (your LoggerProvider with
   * `createStagetrace()`, OTLP with `start()`); `false` leaves messages as span events only. Allowed: true or false.
   * Default: `true`. Variable: `STAGETRACE_LOGS`.
   */
  logs?: boolean;
  /** Serve metrics for Prometheus to scrape; off unless given (or `STAGETRACE_PROMETHEUS_PORT` is set). */
  prometheus?: PrometheusOptions;
  /** Post alerts to a webhook; off unless `webhookUrl` is given. */
  alerts?: AlertOptions;
  /**
   * Extra resource attributes; the variable is read by the OpenTelemetry SDK and wins on a key both set.
   * `service.instance.id` (Prometheus's `instance` label) is the session id unless either sets it. Allowed: an object
   * of attribute values (strings, finite numbers, booleans, or arrays of one of those). Default: `service.instance.id`:
   * the session id. Variable: `OTEL_RESOURCE_ATTRIBUTES`.
   */
  resourceAttributes?: Attributes;
  /**
   * Upper bound on flushing at shutdown and exit, so a dead collector cannot hold the process. Allowed: an integer from
   * 1 to 2147483647 (milliseconds). Default: 5000. Variable: `STAGETRACE_SHUTDOWN_TIMEOUT_MS`.
   */
  shutdownTimeoutMillis?: number;
  /**
   * End open stages and flush on signals no listener of yours handles (a second signal ends the process at once; a
   * signal you listen for is yours, so a worker draining on SIGTERM keeps its running stage), uncaught errors no
   * listener of yours handles, and exit; the option wins over the variable, which wins over the default. Allowed: true
   * or false. Default: `true` with `start()`, `false` with `createStagetrace()`. Variable: `STAGETRACE_HANDLE_EXIT`.
   */
  handleExit?: boolean;
}
