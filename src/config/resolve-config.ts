import type { Attributes } from '@opentelemetry/api';
import type { ValueSource } from './config-error.js';
import { type Env, OptionReader } from './option-reader.js';
import type { ResolvedAlerts, ResolvedConfig, StagetraceOptions } from './options.js';
import { resolveOtlp } from './otlp-config.js';
import { resolveRun } from './run-config.js';
import { newSessionId } from './session-id.js';

export { newSessionId } from './session-id.js';

/** Defaults that depend on the entry point rather than on the user: `start()` handles exit, `createStagetrace()` does not. */
export interface CallerDefaults {
  handleExit?: boolean;
}

/** Stage thresholds, with the `default` entry split out (300 s when absent). */
function resolveThresholds(read: OptionReader): Pick<ResolvedConfig, 'stageThresholds' | 'defaultThresholdS'> {
  const stageThresholds = new Map(read.given('stageThresholds')?.value);
  const defaultThresholdS = stageThresholds.get('default') ?? 300;
  stageThresholds.delete('default');
  return { stageThresholds, defaultThresholdS };
}

/** Webhook alerts: on when a webhook URL is given. Their timings are checked either way. */
function resolveAlerts(read: OptionReader): ResolvedAlerts | undefined {
  const minIntervalMs = read.value('alerts.minIntervalMs');
  const timeoutMs = read.value('alerts.timeoutMs');
  const webhookUrl = read.given('alerts.webhookUrl')?.value;
  return webhookUrl === undefined ? undefined : { webhookUrl, minIntervalMs, timeoutMs };
}

function said(value: number, source: ValueSource): string {
  return source.variable ? `${value}, from ${source.variable}` : String(value);
}

/** The memory observer's period and thresholds; a critical level must lie above the warning level. */
function resolveMemory(read: OptionReader): ResolvedConfig['memory'] {
  const warning = read.given('memory.warningMb');
  const critical = read.given('memory.criticalMb');
  if (warning && critical && critical.value <= warning.value) {
    throw new RangeError(
      `stagetrace: memory.criticalMb (${said(critical.value, critical.source)}) must be greater than ` +
        `memory.warningMb (${said(warning.value, warning.source)}). Raise criticalMb or lower warningMb.`,
    );
  }
  return { intervalMs: read.value('memory.intervalMs'), warningMb: warning?.value, criticalMb: critical?.value };
}

/** The scrape endpoint: on when `prometheus` (even `{}`) or one of its variables is given. */
function resolvePrometheus(read: OptionReader): ResolvedConfig['prometheus'] {
  const port = read.given('prometheus.port');
  const host = read.given('prometheus.host');
  if (!read.hasGroup('prometheus') && port === undefined && host === undefined) return undefined;
  return { port: port?.value ?? read.value('prometheus.port'), host: host?.value ?? read.value('prometheus.host') };
}

/** Prometheus turns it into the `instance` label: one per run, so two runs never overwrite each other's series. */
const SERVICE_INSTANCE_ID = 'service.instance.id';

/** True when `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`) sets `key`. */
function variableSets(env: Env, key: string): boolean {
  const text = env.OTEL_RESOURCE_ATTRIBUTES;
  if (!text) return false;
  return text.split(',').some((pair) => {
    const eq = pair.indexOf('=');
    return eq !== -1 && pair.slice(0, eq).trim() === key;
  });
}

/** The run id on the resource, so a dashboard can pick a run and see every process of it. */
const RUN_ID = 'stagetrace.run.id';

/**
 * The user's resource attributes, with `service.instance.id` = the session id
 * and `stagetrace.run.id` = the run id, each unless they or the variable set it.
 */
function resolveResourceAttributes(read: OptionReader, env: Env, ids: { sessionId: string; runId: string }): Attributes {
  const out = { ...(read.option('resourceAttributes')?.value ?? {}) };
  if (!Object.hasOwn(out, SERVICE_INSTANCE_ID) && !variableSets(env, SERVICE_INSTANCE_ID)) out[SERVICE_INSTANCE_ID] = ids.sessionId;
  if (!Object.hasOwn(out, RUN_ID) && !variableSets(env, RUN_ID)) out[RUN_ID] = ids.runId;
  return out;
}

/**
 * Merges options over `STAGETRACE_*` and `OTEL_*` variables over defaults,
 * and validates everything up front so a typo fails `start()` rather than a
 * month three hours in. Precedence for each option: the value given here,
 * then its variable, then `callerDefaults`, then the table's default.
 * A bad value throws one TypeError (wrong kind of value) or RangeError
 * (out of bounds) naming the option or variable, the value and what is allowed.
 */
export function resolveConfig(options?: StagetraceOptions, env: Env = process.env, callerDefaults: CallerDefaults = {}): ResolvedConfig {
  const read = new OptionReader(options, env);
  const sessionId = read.value('sessionId') ?? newSessionId();
  const shutdownTimeoutMillis = read.value('shutdownTimeoutMillis');
  const run = resolveRun(read.value('runId'), env, sessionId);
  return {
    serviceName: read.value('serviceName'),
    sessionId,
    run,
    logDir: read.value('logDir'),
    requireLogDir: read.value('requireLogDir'),
    console: read.value('console'),
    logLevel: read.value('logLevel'),
    consoleLevel: read.value('consoleLevel'),
    colors: read.value('colors') ?? (Boolean(process.stderr.isTTY) && !env.NO_COLOR),
    progress: read.value('progress') ?? Boolean(process.stderr.isTTY),
    totalMonths: read.value('totalMonths'),
    ...resolveThresholds(read),
    durability: read.value('durability'),
    maxFileBytes: read.value('maxFileBytes'),
    maxFiles: read.value('maxFiles'),
    redactKeys: read.value('redact.keys'),
    redactQueryParams: read.value('redact.queryParams'),
    otlp: resolveOtlp(read, env, shutdownTimeoutMillis),
    metricExportIntervalMillis: read.value('metricExportIntervalMillis'),
    memory: resolveMemory(read),
    hostMetrics: read.value('hostMetrics'),
    logs: read.value('logs'),
    prometheus: resolvePrometheus(read),
    alerts: resolveAlerts(read),
    resourceAttributes: resolveResourceAttributes(read, env, { sessionId, runId: run.runId }),
    shutdownTimeoutMillis,
    handleExit: read.value('handleExit', callerDefaults.handleExit),
    sdkDisabled: (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true',
  };
}
