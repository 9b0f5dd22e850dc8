import { BYTES_PER_MB } from '../model/units.js';
import {
  attributes,
  consoleLevel,
  flag,
  folderOrOff,
  groupsOrAll,
  headers,
  httpUrl,
  level,
  milliseconds,
  numberIn,
  type OptionKind,
  oneOf,
  secondsPerStage,
  secretHttpUrl,
  stringList,
  text,
} from './option-kinds.js';

/** One option: its name, variables, check, default and meaning. */
export interface OptionRow<N extends string, In, Out> {
  /** Dotted for options inside an object: `memory.warningMb`. */
  readonly name: N;
  /** Environment variables standing in for it, first set one wins; an option given in code wins over all. */
  readonly variables: readonly string[];
  readonly kind: OptionKind<In, Out>;
  /** The value when neither the option nor a variable is given; absent when computed or off. */
  readonly default?: Out;
  /** The default as the README says it (Markdown). */
  readonly defaultText: string;
  /** What it does, for the README and the option's TSDoc (Markdown). */
  readonly description: string;
  /** The exported name of the option's type, when it has one (`Durability`). */
  readonly typeName?: string;
}

/** An options object holding the dotted options of its name (`otlp` for `otlp.endpoint`): its type's name and TSDoc. */
export interface OptionGroup {
  readonly typeName: string;
  /** The type's TSDoc. */
  readonly typeDoc: string;
  /** The TSDoc of the field holding it in `StagetraceOptions`. */
  readonly description: string;
}

/** The options objects, by the prefix of their options' names. */
export const OPTION_GROUPS: Readonly<Record<string, OptionGroup>> = {
  redact: {
    typeName: 'RedactOptions',
    typeDoc: 'What to redact besides the built-in secret keys and signed-URL parameters.',
    description: 'More secret key fragments and signed-URL query parameters to redact.',
  },
  otlp: {
    typeName: 'OtlpOptions',
    typeDoc: 'OTLP export settings; unset fields fall back to the standard `OTEL_EXPORTER_OTLP_*` variables.',
    description: 'OTLP export; without an endpoint nothing is sent and nothing tries to connect.',
  },
  memory: {
    typeName: 'MemoryOptions',
    typeDoc: 'Memory observer settings.',
    description: 'Memory observer thresholds and period.',
  },
  prometheus: {
    typeName: 'PrometheusOptions',
    typeDoc: 'Prometheus scrape endpoint settings.',
    description: 'Serve metrics for Prometheus to scrape; off unless given (or `STAGETRACE_PROMETHEUS_PORT` is set).',
  },
  alerts: {
    typeName: 'AlertOptions',
    typeDoc: 'Webhook alerts for memory threshold crossings and failed months.',
    description: 'Post alerts to a webhook; off unless `webhookUrl` is given.',
  },
};

/** Keeps in the row's type whether it has a default, so reading one without a default may give `undefined`. */
function row<const N extends string, In, Out>(
  spec: Omit<OptionRow<N, In, Out>, 'default'> & { readonly default: NoInfer<Out> },
): OptionRow<N, In, Out> & { readonly default: Out };
function row<const N extends string, In, Out>(
  spec: Omit<OptionRow<N, In, Out>, 'default'> & { readonly default?: undefined },
): OptionRow<N, In, Out> & { readonly default: undefined };
function row<const N extends string, In, Out>(spec: OptionRow<N, In, Out>): OptionRow<N, In, Out> {
  return spec;
}

/** Host and runtime metric groups `hostMetrics` chooses from. */
export const HOST_METRIC_GROUPS = [
  'system.cpu',
  'system.memory',
  'system.network',
  'process.cpu',
  'process.memory',
  'nodejs.runtime',
] as const;

const MiB = BYTES_PER_MB;

/**
 * Every option, in the README's order. Validation reads it, the README's
 * options table is generated from it (`npm run docs:options`, checked by a
 * test), and `StagetraceOptions` with its TSDoc is generated from it (`src/config/option-types.ts`).
 */
export const OPTION_TABLE = [
  row({
    name: 'serviceName',
    variables: ['STAGETRACE_SERVICE_NAME', 'OTEL_SERVICE_NAME'],
    kind: text(),
    default: 'stagetrace',
    defaultText: '`stagetrace`',
    description: '`service.name` of spans and metrics',
  }),
  row({
    name: 'sessionId',
    variables: ['STAGETRACE_SESSION_ID'],
    kind: text({ expected: 'up to 128 letters, digits, _ . : or -', maxLength: 128, accepts: (s) => /^[\w.:-]+$/.test(s) }),
    defaultText: '`YYYYMMDD_HHMMSS_<6 hex>`',
    description: "identifies the run in every record; also the resource's `service.instance.id` unless you set one",
  }),
  row({
    name: 'runId',
    variables: ['STAGETRACE_RUN_ID'],
    kind: text({ expected: 'up to 128 letters, digits, _ . : or -', maxLength: 128, accepts: (s) => /^[\w.:-]+$/.test(s) }),
    defaultText: "the carrier's baggage `stagetrace.run.id`, else `sessionId`",
    description:
      'ties the processes of one run together: `run_id` in every record, `stagetrace.run.id` on spans and the resource; `carrierEnv()` passes it to child processes',
  }),
  row({
    name: 'logDir',
    variables: ['STAGETRACE_LOG_DIR'],
    kind: folderOrOff(),
    default: 'logs',
    defaultText: '`logs`',
    description: 'folder of the audit files; `false` (variable: `false`, `off` or `none`) for no files',
  }),
  row({
    name: 'requireLogDir',
    variables: ['STAGETRACE_REQUIRE_LOG_DIR'],
    kind: flag(),
    default: true,
    defaultText: '`true`',
    description: '`false`: an unwritable `logDir` is reported once and the run goes on without files',
  }),
  row({
    name: 'durability',
    variables: ['STAGETRACE_DURABILITY'],
    kind: oneOf(['buffered', 'sync']),
    typeName: 'Durability',
    default: 'buffered',
    defaultText: '`buffered`',
    description: '`buffered` (on disk within 1 s and at every month end) or `sync` (on disk before the call returns)',
  }),
  row({
    name: 'maxFileBytes',
    variables: ['STAGETRACE_MAX_FILE_BYTES'],
    kind: numberIn({ min: 1024, max: 2 ** 40, integer: true, unit: 'bytes: 1 KiB to 1 TiB' }),
    default: 64 * MiB,
    defaultText: '67108864 (64 MiB)',
    description: 'rotate an audit file before it passes this size',
  }),
  row({
    name: 'maxFiles',
    variables: ['STAGETRACE_MAX_FILES'],
    kind: numberIn({ min: 1, max: 1000, integer: true, why: 'since every rotation renames each kept file' }),
    default: 10,
    defaultText: '10',
    description: 'rotated generations kept per file',
  }),
  row({
    name: 'console',
    variables: ['STAGETRACE_CONSOLE'],
    kind: flag(),
    default: true,
    defaultText: '`true`',
    description: 'log lines on stderr',
  }),
  row({
    name: 'logLevel',
    variables: ['STAGETRACE_LOG_LEVEL'],
    kind: level(),
    default: 'INFO',
    defaultText: '`INFO`',
    description: 'minimum level for console and files (`WARN` is read as `WARNING`)',
  }),
  row({
    name: 'consoleLevel',
    variables: ['STAGETRACE_CONSOLE_LEVEL'],
    kind: consoleLevel(),
    defaultText: '`logLevel`',
    description:
      'minimum level on the console only; `STAGES`, between `INFO` and `WARNING`, prints one line per stage and month end (with its duration) plus warnings and errors, without the start, `TIMING` and `MEMORY_TRACKING` lines; the files keep everything `logLevel` lets through',
  }),
  row({
    name: 'colors',
    variables: ['STAGETRACE_COLORS'],
    kind: flag(),
    defaultText: 'on a TTY without `NO_COLOR`',
    description: 'ANSI colours on the console',
  }),
  row({
    name: 'progress',
    variables: ['STAGETRACE_PROGRESS'],
    kind: flag(),
    defaultText: 'on when stderr is a TTY',
    description:
      'a live status line (month, stage, elapsed, months done, a bar and ETA for `stage.progress()`); off a TTY, a plain line at most every 15 s',
  }),
  row({
    name: 'totalMonths',
    variables: ['STAGETRACE_TOTAL_MONTHS'],
    kind: numberIn({ min: 1, max: 1_000_000, integer: true }),
    defaultText: 'unknown',
    description: 'months the run will process, for "month 3 of 12" and the progress line',
  }),
  row({
    name: 'stageThresholds',
    variables: ['STAGETRACE_STAGE_THRESHOLDS'],
    kind: secondsPerStage(),
    defaultText: '`{ default: 300 }`',
    description: 'seconds after which a stage is slow, per stage name; `default` for the rest (variable: `download=600,default=300`)',
  }),
  row({
    name: 'redact.keys',
    variables: ['STAGETRACE_REDACT_KEYS'],
    kind: stringList({ maxItems: 1000, maxLength: 256 }),
    default: [],
    defaultText: '—',
    description: 'more secret key fragments (variable: a comma list)',
  }),
  row({
    name: 'redact.queryParams',
    variables: ['STAGETRACE_REDACT_QUERY_PARAMS'],
    kind: stringList({ maxItems: 1000, maxLength: 256 }),
    default: [],
    defaultText: '—',
    description: 'more secret URL query parameters (variable: a comma list)',
  }),
  row({
    name: 'otlp.endpoint',
    variables: ['OTEL_EXPORTER_OTLP_ENDPOINT'],
    kind: httpUrl(),
    defaultText: 'none: nothing is sent',
    description: 'base URL; `/v1/traces`, `/v1/metrics` and `/v1/logs` are appended',
  }),
  row({
    name: 'otlp.tracesEndpoint',
    variables: ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
    kind: httpUrl(),
    defaultText: 'from `otlp.endpoint`',
    description: 'full traces URL, used as given; wins over `otlp.endpoint`',
  }),
  row({
    name: 'otlp.metricsEndpoint',
    variables: ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'],
    kind: httpUrl(),
    defaultText: 'from `otlp.endpoint`',
    description: 'full metrics URL, used as given; wins over `otlp.endpoint`',
  }),
  row({
    name: 'otlp.logsEndpoint',
    variables: ['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'],
    kind: httpUrl(),
    defaultText: 'from `otlp.endpoint`',
    description: 'full logs URL, used as given; wins over `otlp.endpoint`',
  }),
  row({
    name: 'otlp.headers',
    variables: ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'],
    kind: headers(),
    defaultText: '—',
    description: 'e.g. an auth token; never logged, never shown in errors (variables: `key=value` pairs, read by the exporter)',
  }),
  row({
    name: 'otlp.protocol',
    variables: ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    kind: oneOf(['http/json', 'http/protobuf'], { note: "(gRPC is not supported; point at the collector's 4318 port)" }),
    default: 'http/protobuf',
    defaultText: '`http/protobuf`',
    description: 'OTLP/HTTP encoding (protobuf is the OTLP default and the smaller, cheaper body)',
  }),
  row({
    name: 'otlp.timeoutMillis',
    variables: ['OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT'],
    kind: milliseconds(),
    defaultText: '80 % of `shutdownTimeoutMillis`, within 1000..10000',
    description: 'per export, retries included',
  }),
  row({
    name: 'otlp.compression',
    variables: ['OTEL_EXPORTER_OTLP_COMPRESSION', 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION'],
    kind: oneOf(['gzip', 'none']),
    defaultText: '`none`',
    description: 'request compression',
  }),
  row({
    name: 'otlp.maxQueueSpans',
    variables: ['STAGETRACE_OTLP_MAX_QUEUE_SPANS'],
    kind: numberIn({ min: 1, max: 1_000_000, integer: true }),
    default: 2048,
    defaultText: '2048',
    description: 'most spans waiting for the collector (queued or in flight); beyond it the newest are dropped and counted',
  }),
  row({
    name: 'otlp.maxQueueBytes',
    variables: ['STAGETRACE_OTLP_MAX_QUEUE_BYTES'],
    kind: numberIn({ min: 64 * 1024, max: 1024 * MiB, integer: true, unit: 'bytes: 64 KiB to 1 GiB' }),
    default: 8 * MiB,
    defaultText: '8388608 (8 MiB)',
    description: 'most estimated bytes (resident memory) of spans waiting for the collector; beyond it the newest are dropped and counted',
  }),
  row({
    name: 'metricExportIntervalMillis',
    variables: ['OTEL_METRIC_EXPORT_INTERVAL'],
    kind: milliseconds(100),
    default: 60_000,
    defaultText: '60000',
    description: 'metrics export period (metrics are also flushed at shutdown)',
  }),
  row({
    name: 'memory.intervalMs',
    variables: ['STAGETRACE_MEMORY_INTERVAL_MS'],
    kind: milliseconds(10),
    default: 1000,
    defaultText: '1000',
    description: 'memory sampling period',
  }),
  row({
    name: 'memory.warningMb',
    variables: ['STAGETRACE_MEMORY_WARNING_MB'],
    kind: numberIn({ min: 0, exclusive: true, max: 2 ** 24, integer: false, unit: 'MB' }),
    defaultText: '70 % of available memory',
    description: 'RSS above which a WARNING is raised (see [docs/metrics.md](docs/metrics.md))',
  }),
  row({
    name: 'memory.criticalMb',
    variables: ['STAGETRACE_MEMORY_CRITICAL_MB'],
    kind: numberIn({ min: 0, exclusive: true, max: 2 ** 24, integer: false, unit: 'MB' }),
    defaultText: '90 % of available memory',
    description: 'RSS above which a CRITICAL is raised; must be above `memory.warningMb`',
  }),
  row({
    name: 'hostMetrics',
    variables: ['STAGETRACE_HOST_METRICS'],
    kind: groupsOrAll(HOST_METRIC_GROUPS),
    default: [...HOST_METRIC_GROUPS],
    defaultText: '`true`',
    description: 'metric groups to collect (`nodejs.runtime`: event-loop delay and GC); `false` for none',
  }),
  row({
    name: 'logs',
    variables: ['STAGETRACE_LOGS'],
    kind: flag(),
    default: true,
    defaultText: '`true`',
    description:
      'each message at or above `logLevel` also as an OpenTelemetry log record (your LoggerProvider with `createStagetrace()`, OTLP with `start()`); `false` leaves messages as span events only',
  }),
  row({
    name: 'prometheus.port',
    variables: ['STAGETRACE_PROMETHEUS_PORT'],
    kind: numberIn({ min: 1, max: 65535, integer: true, noun: 'a TCP port' }),
    default: 9464,
    defaultText: '9464',
    description: 'serve a Prometheus scrape endpoint on this port (off unless `prometheus` or one of its variables is given)',
  }),
  row({
    name: 'prometheus.host',
    variables: ['STAGETRACE_PROMETHEUS_HOST'],
    kind: text(),
    default: '127.0.0.1',
    defaultText: '`127.0.0.1`',
    description: 'interface the scrape endpoint listens on',
  }),
  row({
    name: 'alerts.webhookUrl',
    variables: ['STAGETRACE_ALERTS_WEBHOOK_URL'],
    kind: secretHttpUrl(),
    defaultText: 'off',
    description: 'Slack-compatible webhook for threshold crossings and failed months; a secret: only its origin is ever printed',
  }),
  row({
    name: 'alerts.minIntervalMs',
    variables: ['STAGETRACE_ALERTS_MIN_INTERVAL_MS'],
    kind: milliseconds(),
    default: 60_000,
    defaultText: '60000',
    description: 'rate limit per alert kind',
  }),
  row({
    name: 'alerts.timeoutMs',
    variables: ['STAGETRACE_ALERTS_TIMEOUT_MS'],
    kind: milliseconds(),
    default: 5000,
    defaultText: '5000',
    description: 'per webhook request; a slow webhook never delays the pipeline',
  }),
  row({
    name: 'resourceAttributes',
    variables: ['OTEL_RESOURCE_ATTRIBUTES'],
    kind: attributes(),
    defaultText: '`service.instance.id`: the session id',
    description:
      "extra resource attributes; the variable is read by the OpenTelemetry SDK and wins on a key both set. `service.instance.id` (Prometheus's `instance` label) is the session id unless either sets it",
  }),
  row({
    name: 'shutdownTimeoutMillis',
    variables: ['STAGETRACE_SHUTDOWN_TIMEOUT_MS'],
    kind: milliseconds(),
    default: 5000,
    defaultText: '5000',
    description: 'upper bound on flushing at shutdown and exit, so a dead collector cannot hold the process',
  }),
  row({
    name: 'handleExit',
    variables: ['STAGETRACE_HANDLE_EXIT'],
    kind: flag(),
    default: true,
    defaultText: '`true` with `start()`, `false` with `createStagetrace()`',
    description:
      'end open stages and flush on signals no listener of yours handles (a second signal ends the process at once; a signal you listen for is yours, so a worker draining on SIGTERM keeps its running stage), uncaught errors no listener of yours handles, and exit; the option wins over the variable, which wins over the default',
  }),
] as const;

/** Standard variables without an option of their own, listed in the README after the options. */
export const VARIABLE_ONLY_ROWS: readonly { variables: readonly string[]; expected: string; defaultText: string; description: string }[] = [
  {
    variables: ['OTEL_SDK_DISABLED'],
    expected: '`true` or `false`',
    defaultText: '`false`',
    description: 'no OpenTelemetry export and no global providers; console and audit files still work',
  },
  {
    variables: ['OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG'],
    expected: 'a sampler name and its argument',
    defaultText: '`parentbased_always_on`',
    description: 'which traces are exported; unsampled months are still in the audit files',
  },
];

export type OptionRows = (typeof OPTION_TABLE)[number];
export type OptionName = OptionRows['name'];

/** What the resolved value of an option is. */
export type OptionOutput<N extends OptionName> = OptionRows extends infer R
  ? R extends { name: N; kind: OptionKind<unknown, infer O> }
    ? O
    : never
  : never;

/** `undefined` when the option has no default in the table (computed elsewhere, or off). */
export type OptionDefault<N extends OptionName> = Extract<OptionRows, { name: N }>['default'];
