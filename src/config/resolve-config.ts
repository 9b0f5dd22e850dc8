import { resolveAlerts } from './alerts-config.js';
import { resolveMemory } from './memory-config.js';
import { type Env, OptionReader } from './option-reader.js';
import type { ResolvedConfig, StagetraceOptions } from './options.js';
import { resolveOtlp } from './otlp-config.js';
import { resolvePrometheus } from './prometheus-config.js';
import { resolveResourceAttributes } from './resource-config.js';
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
  return {
    serviceName: read.value('serviceName'),
    sessionId,
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
    resourceAttributes: resolveResourceAttributes(read, env, sessionId),
    shutdownTimeoutMillis,
    handleExit: read.value('handleExit', callerDefaults.handleExit),
    sdkDisabled: (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true',
  };
}
