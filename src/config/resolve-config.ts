import { randomBytes } from 'node:crypto';
import { describeValue, parseLevel } from '../model/levels.js';
import type { Durability, ResolvedAlerts, ResolvedConfig, ResolvedOtlp, StagetraceOptions } from './options.js';

type Env = Record<string, string | undefined>;

const HOST_METRIC_GROUPS = ['system.cpu', 'system.memory', 'system.network', 'process.cpu', 'process.memory', 'nodejs.runtime'];

/** Names the option and its variable, so an error says where the bad value came from. */
function where(option: string, variable: string | undefined, fromEnv: boolean): string {
  return fromEnv && variable ? `${variable} (option ${option})` : `option ${option}`;
}

function fail(option: string, variable: string | undefined, fromEnv: boolean, expected: string, value: unknown): never {
  throw new TypeError(`stagetrace: ${where(option, variable, fromEnv)} must be ${expected}; got ${describeValue(value)}.`);
}

/** Reads an option, else its variable; returns the raw value and where it came from. */
function pick<T>(option: T | undefined, env: Env, variable: string): { value: T | string | undefined; fromEnv: boolean } {
  if (option !== undefined) return { value: option, fromEnv: false };
  const raw = env[variable];
  if (raw !== undefined && raw.trim() !== '') return { value: raw.trim(), fromEnv: true };
  return { value: undefined, fromEnv: false };
}

function bool(option: boolean | undefined, env: Env, name: string, variable: string, fallback: boolean): boolean {
  const { value, fromEnv } = pick(option, env, variable);
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
  }
  return fail(name, variable, fromEnv, 'true or false', value);
}

function positiveNumber(
  option: number | undefined,
  env: Env,
  name: string,
  variable: string | undefined,
  fallback: number,
  { integer = false, min = 0 } = {},
): number {
  const { value, fromEnv } = variable ? pick(option, env, variable) : { value: option, fromEnv: false };
  if (value === undefined) return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= min || (integer && !Number.isInteger(n))) {
    fail(name, variable, fromEnv, `a finite ${integer ? 'integer' : 'number'} greater than ${min}`, value);
  }
  return n;
}

function optionalPositive(option: number | undefined, env: Env, name: string, variable: string): number | undefined {
  const { value } = pick(option, env, variable);
  return value === undefined ? undefined : positiveNumber(option, env, name, variable, 0);
}

function text(option: string | undefined, env: Env, name: string, variable: string | undefined): string | undefined {
  const { value, fromEnv } = variable ? pick(option, env, variable) : { value: option, fromEnv: false };
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') fail(name, variable, fromEnv, 'a non-empty string', value);
  return value;
}

function list(option: string[] | undefined, env: Env, name: string, variable: string): string[] {
  const { value, fromEnv } = pick(option, env, variable);
  if (value === undefined) return [];
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
    fail(name, variable, fromEnv, 'an array of non-empty strings', value);
  }
  return value;
}

/** `download=300,process=600,default=900` or an object of seconds. */
function thresholds(option: Record<string, number> | undefined, env: Env): Map<string, number> {
  const variable = 'STAGETRACE_STAGE_THRESHOLDS';
  const { value, fromEnv } = pick(option, env, variable);
  const map = new Map<string, number>();
  if (value === undefined) return map;
  // [stage, seconds, what the error shows]: the pair as written, for a variable.
  let entries: [string, unknown, unknown][];
  if (typeof value === 'string') {
    entries = value.split(',').map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1 ? [pair.trim(), undefined, pair.trim()] : [pair.slice(0, eq).trim(), Number(pair.slice(eq + 1)), pair.trim()];
    });
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    entries = Object.entries(value).map(([stage, seconds]) => [stage, seconds, seconds]);
  } else {
    return fail('stageThresholds', variable, fromEnv, 'an object of seconds per stage name, e.g. { download: 300, default: 600 }', value);
  }
  for (const [stage, seconds, shown] of entries) {
    if (stage === '' || typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      fail(`stageThresholds.${stage || '?'}`, variable, fromEnv, 'a number of seconds greater than 0 (write stage=seconds pairs)', shown);
    }
    map.set(stage, seconds);
  }
  return map;
}

function endpointUrl(raw: string, name: string, variable: string | undefined, fromEnv: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(name, variable, fromEnv, 'an absolute http:// or https:// URL', raw);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(name, variable, fromEnv, 'an absolute http:// or https:// URL', raw);
  }
  return url;
}

function appendPath(base: URL, path: string): string {
  const href = base.href.endsWith('/') ? base.href.slice(0, -1) : base.href;
  return href + path;
}

/**
 * The exporters read these variables themselves and quietly ignore bad
 * values; checked here so a typo fails start() instead.
 */
function checkExporterVariables(env: Env): void {
  for (const signal of ['', 'TRACES_', 'METRICS_']) {
    const timeout = `OTEL_EXPORTER_OTLP_${signal}TIMEOUT`;
    if (env[timeout]?.trim()) positiveNumber(undefined, env, 'otlp.timeoutMillis', timeout, 0, { integer: true });
    const compression = `OTEL_EXPORTER_OTLP_${signal}COMPRESSION`;
    const c = env[compression]?.trim();
    if (c && c !== 'gzip' && c !== 'none') fail('otlp.compression', compression, true, "'gzip' or 'none'", c);
    const headers = `OTEL_EXPORTER_OTLP_${signal}HEADERS`;
    const h = env[headers]?.trim();
    // biome-ignore lint/complexity/useOptionalChain: an empty value ('') must pass, and `h?.split` would check it.
    if (h && h.split(',').some((pair) => !/^\s*[^=\s]+\s*=/.test(pair))) {
      // The value is not shown: headers usually carry credentials.
      throw new TypeError(
        `stagetrace: ${headers} (option otlp.headers) must be comma-separated key=value pairs, e.g. authorization=Bearer%20xyz; got a value that is not (not shown, as it may hold credentials).`,
      );
    }
  }
}

function resolveOtlp(options: StagetraceOptions, env: Env): ResolvedOtlp | undefined {
  const o = options.otlp ?? {};
  const signalUrl = (signal: 'traces' | 'metrics', explicit: string | undefined): string | undefined => {
    const option = signal === 'traces' ? 'otlp.tracesEndpoint' : 'otlp.metricsEndpoint';
    const variable = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`;
    if (explicit !== undefined) return endpointUrl(explicit, option, undefined, false).href;
    if (o.endpoint !== undefined) return appendPath(endpointUrl(o.endpoint, 'otlp.endpoint', undefined, false), `/v1/${signal}`);
    const specific = env[variable]?.trim();
    if (specific) return endpointUrl(specific, option, variable, true).href;
    const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
    if (base) return appendPath(endpointUrl(base, 'otlp.endpoint', 'OTEL_EXPORTER_OTLP_ENDPOINT', true), `/v1/${signal}`);
    return undefined;
  };
  const tracesUrl = signalUrl('traces', o.tracesEndpoint);
  const metricsUrl = signalUrl('metrics', o.metricsEndpoint);
  if (!tracesUrl && !metricsUrl) return undefined;
  checkExporterVariables(env);

  const protoVariable = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim()
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const { value: protocol, fromEnv } = pick(o.protocol, env, protoVariable);
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    fail(
      'otlp.protocol',
      protoVariable,
      fromEnv,
      "'http/json' or 'http/protobuf' (gRPC is not supported; point at the collector's 4318 port)",
      protocol,
    );
  }
  if (o.compression !== undefined && o.compression !== 'gzip' && o.compression !== 'none') {
    fail('otlp.compression', undefined, false, "'gzip' or 'none'", o.compression);
  }
  if (
    o.headers !== undefined &&
    (typeof o.headers !== 'object' || o.headers === null || Object.values(o.headers).some((v) => typeof v !== 'string'))
  ) {
    fail('otlp.headers', undefined, false, 'an object of string header values', o.headers);
  }
  return {
    tracesUrl: tracesUrl ?? '',
    metricsUrl: metricsUrl ?? '',
    headers: o.headers,
    protocol: (protocol as ResolvedOtlp['protocol'] | undefined) ?? 'http/json',
    timeoutMillis:
      o.timeoutMillis === undefined ? undefined : positiveNumber(o.timeoutMillis, env, 'otlp.timeoutMillis', undefined, 10_000),
    compression: o.compression,
  };
}

function resolvePrometheus(options: StagetraceOptions, env: Env): ResolvedConfig['prometheus'] {
  const o = options.prometheus;
  if (o !== undefined && (typeof o !== 'object' || o === null || Array.isArray(o))) {
    fail('prometheus', undefined, false, 'an object such as { port: 9464, host: "127.0.0.1" }', o);
  }
  const portPick = pick(o?.port, env, 'STAGETRACE_PROMETHEUS_PORT');
  const host = text(o?.host, env, 'prometheus.host', 'STAGETRACE_PROMETHEUS_HOST');
  if (o === undefined && portPick.value === undefined && host === undefined) return undefined;
  const port = positiveNumber(o?.port, env, 'prometheus.port', 'STAGETRACE_PROMETHEUS_PORT', 9464, { integer: true });
  if (port > 65535) fail('prometheus.port', 'STAGETRACE_PROMETHEUS_PORT', portPick.fromEnv, 'a TCP port from 1 to 65535', port);
  return { port, host: host ?? '127.0.0.1' };
}

function resolveAlerts(options: StagetraceOptions, env: Env): ResolvedAlerts | undefined {
  const o = options.alerts;
  if (o !== undefined && (typeof o !== 'object' || o === null || Array.isArray(o))) {
    fail('alerts', undefined, false, 'an object such as { webhookUrl: "https://hooks.slack.com/services/…" }', o);
  }
  const { value, fromEnv } = pick(o?.webhookUrl, env, 'STAGETRACE_ALERTS_WEBHOOK_URL');
  if (value === undefined) return undefined;
  // The URL is a secret (Slack puts the token in its path): errors never echo it.
  const source = where('alerts.webhookUrl', 'STAGETRACE_ALERTS_WEBHOOK_URL', fromEnv);
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TypeError(
      `stagetrace: ${source} must be an absolute http:// or https:// URL (the value is not shown because webhook URLs carry a secret).`,
    );
  }
  return {
    webhookUrl: url.href,
    minIntervalMs: positiveNumber(o?.minIntervalMs, env, 'alerts.minIntervalMs', 'STAGETRACE_ALERTS_MIN_INTERVAL_MS', 60_000),
    timeoutMs: positiveNumber(o?.timeoutMs, env, 'alerts.timeoutMs', 'STAGETRACE_ALERTS_TIMEOUT_MS', 5000),
  };
}

/** `20251104_134205_a1b2c3`: sortable like the seed's ids, and unique across concurrent runs. */
export function newSessionId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}_${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stamp}_${randomBytes(3).toString('hex')}`;
}

/** Options that take an object, with the names each accepts: a typo inside must not be ignored. */
const NESTED_OPTIONS: Record<string, readonly string[]> = {
  otlp: ['endpoint', 'tracesEndpoint', 'metricsEndpoint', 'headers', 'protocol', 'timeoutMillis', 'compression'],
  memory: ['intervalMs', 'warningMb', 'criticalMb'],
  redact: ['keys', 'queryParams'],
};

function checkNestedOptions(options: StagetraceOptions): void {
  for (const [name, keys] of Object.entries(NESTED_OPTIONS)) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail(name, undefined, false, `an object with any of ${keys.join(', ')}`, value);
    }
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) {
        throw new TypeError(
          `stagetrace: unknown option ${JSON.stringify(`${name}.${key}`)}; known ${name} options are ${keys.join(', ')}.`,
        );
      }
    }
  }
}

const KNOWN_OPTIONS = new Set([
  'serviceName',
  'sessionId',
  'logDir',
  'requireLogDir',
  'console',
  'logLevel',
  'colors',
  'stageThresholds',
  'durability',
  'maxFileBytes',
  'maxFiles',
  'redact',
  'otlp',
  'metricExportIntervalMillis',
  'memory',
  'hostMetrics',
  'resourceAttributes',
  'shutdownTimeoutMillis',
  'handleExit',
  'prometheus',
  'alerts',
]);

/**
 * Merges options over `STAGETRACE_*` and `OTEL_*` variables over defaults,
 * and validates everything up front so a typo fails `start()` rather than a
 * month three hours in.
 */
export function resolveConfig(options: StagetraceOptions = {}, env: Env = process.env): ResolvedConfig {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`stagetrace: start(options) expects an options object; got ${describeValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new TypeError(`stagetrace: unknown option ${JSON.stringify(key)}; known options are ${[...KNOWN_OPTIONS].join(', ')}.`);
    }
  }
  checkNestedOptions(options);
  const logLevelPick = pick(options.logLevel as string | undefined, env, 'STAGETRACE_LOG_LEVEL');
  let logLevel: ResolvedConfig['logLevel'] = 'INFO';
  if (logLevelPick.value !== undefined) {
    logLevel = parseLevel(logLevelPick.value, where('logLevel', 'STAGETRACE_LOG_LEVEL', logLevelPick.fromEnv));
  }

  const logDirPick = pick(options.logDir as string | false | undefined, env, 'STAGETRACE_LOG_DIR');
  let logDir: string | undefined = 'logs';
  if (
    logDirPick.value === false ||
    (typeof logDirPick.value === 'string' && ['false', 'off', 'none'].includes(logDirPick.value.toLowerCase()) && logDirPick.fromEnv)
  ) {
    logDir = undefined;
  } else if (logDirPick.value !== undefined) {
    if (typeof logDirPick.value !== 'string' || logDirPick.value.trim() === '') {
      fail('logDir', 'STAGETRACE_LOG_DIR', logDirPick.fromEnv, 'a folder path, or false to write no files', logDirPick.value);
    }
    logDir = logDirPick.value;
  }

  const durabilityPick = pick(options.durability as string | undefined, env, 'STAGETRACE_DURABILITY');
  if (durabilityPick.value !== undefined && durabilityPick.value !== 'buffered' && durabilityPick.value !== 'sync') {
    fail('durability', 'STAGETRACE_DURABILITY', durabilityPick.fromEnv, "'buffered' or 'sync'", durabilityPick.value);
  }

  const stageThresholds = thresholds(options.stageThresholds, env);
  const defaultThresholdS = stageThresholds.get('default') ?? 300;
  stageThresholds.delete('default');

  const hostPick = pick(options.hostMetrics as boolean | string[] | undefined, env, 'STAGETRACE_HOST_METRICS');
  let hostMetrics: string[] | false = HOST_METRIC_GROUPS;
  if (hostPick.value !== undefined) {
    const v = hostPick.value;
    if (v === false || (typeof v === 'string' && ['false', '0', 'off', 'none'].includes(v.toLowerCase()))) hostMetrics = false;
    else if (v === true || (typeof v === 'string' && ['true', '1', 'on', 'all'].includes(v.toLowerCase())))
      hostMetrics = HOST_METRIC_GROUPS;
    else {
      const groups = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
      if (!Array.isArray(groups) || groups.some((g) => !HOST_METRIC_GROUPS.includes(g))) {
        fail('hostMetrics', 'STAGETRACE_HOST_METRICS', hostPick.fromEnv, `true, false, or a list of ${HOST_METRIC_GROUPS.join(', ')}`, v);
      }
      hostMetrics = groups;
    }
  }

  const memory = options.memory ?? {};
  const warningMb = optionalPositive(memory.warningMb, env, 'memory.warningMb', 'STAGETRACE_MEMORY_WARNING_MB');
  const criticalMb = optionalPositive(memory.criticalMb, env, 'memory.criticalMb', 'STAGETRACE_MEMORY_CRITICAL_MB');
  if (warningMb !== undefined && criticalMb !== undefined && criticalMb <= warningMb) {
    throw new TypeError(`stagetrace: memory.criticalMb (${criticalMb}) must be greater than memory.warningMb (${warningMb}).`);
  }

  const sessionId = text(options.sessionId, env, 'sessionId', 'STAGETRACE_SESSION_ID') ?? newSessionId();
  if (!/^[\w.:-]{1,128}$/.test(sessionId)) {
    fail('sessionId', 'STAGETRACE_SESSION_ID', options.sessionId === undefined, 'up to 128 letters, digits, _ . : or -', sessionId);
  }

  if (options.resourceAttributes !== undefined && (typeof options.resourceAttributes !== 'object' || options.resourceAttributes === null)) {
    fail('resourceAttributes', undefined, false, 'an object of attribute values', options.resourceAttributes);
  }

  const shutdownTimeoutMillis = positiveNumber(
    options.shutdownTimeoutMillis,
    env,
    'shutdownTimeoutMillis',
    'STAGETRACE_SHUTDOWN_TIMEOUT_MS',
    5000,
    { integer: true },
  );
  const otlp = resolveOtlp(options, env);
  if (
    otlp &&
    otlp.timeoutMillis === undefined &&
    !env.OTEL_EXPORTER_OTLP_TIMEOUT?.trim() &&
    !env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT?.trim()
  ) {
    // The exporter's retry timers hold the process until its timeout; keep
    // that within the shutdown bound so a dead collector cannot hold an exit.
    // 80 % of it, so a failed export is reported before shutdown gives up on it.
    otlp.timeoutMillis = Math.max(1000, Math.min(10_000, Math.floor(shutdownTimeoutMillis * 0.8)));
  }

  return {
    serviceName:
      text(options.serviceName, env, 'serviceName', 'STAGETRACE_SERVICE_NAME') ?? (env.OTEL_SERVICE_NAME?.trim() || 'stagetrace'),
    sessionId,
    logDir,
    requireLogDir: bool(options.requireLogDir, env, 'requireLogDir', 'STAGETRACE_REQUIRE_LOG_DIR', true),
    console: bool(options.console, env, 'console', 'STAGETRACE_CONSOLE', true),
    logLevel,
    colors: bool(options.colors, env, 'colors', 'STAGETRACE_COLORS', Boolean(process.stderr.isTTY) && !env.NO_COLOR),
    stageThresholds,
    defaultThresholdS,
    durability: (durabilityPick.value as Durability | undefined) ?? 'buffered',
    maxFileBytes: positiveNumber(options.maxFileBytes, env, 'maxFileBytes', 'STAGETRACE_MAX_FILE_BYTES', 64 * 1024 * 1024, {
      integer: true,
      min: 1023,
    }),
    maxFiles: positiveNumber(options.maxFiles, env, 'maxFiles', 'STAGETRACE_MAX_FILES', 10, { integer: true }),
    redactKeys: list(options.redact?.keys, env, 'redact.keys', 'STAGETRACE_REDACT_KEYS'),
    redactQueryParams: list(options.redact?.queryParams, env, 'redact.queryParams', 'STAGETRACE_REDACT_QUERY_PARAMS'),
    otlp,
    metricExportIntervalMillis: positiveNumber(
      options.metricExportIntervalMillis,
      env,
      'metricExportIntervalMillis',
      'OTEL_METRIC_EXPORT_INTERVAL',
      60_000,
      { integer: true },
    ),
    memory: {
      intervalMs: positiveNumber(memory.intervalMs, env, 'memory.intervalMs', 'STAGETRACE_MEMORY_INTERVAL_MS', 1000, {
        integer: true,
        min: 9,
      }),
      warningMb,
      criticalMb,
    },
    hostMetrics,
    prometheus: resolvePrometheus(options, env),
    alerts: resolveAlerts(options, env),
    resourceAttributes: options.resourceAttributes ?? {},
    shutdownTimeoutMillis,
    handleExit: bool(options.handleExit, env, 'handleExit', 'STAGETRACE_HANDLE_EXIT', true),
    sdkDisabled: (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true',
  };
}
