import type { Env, OptionReader } from './option-reader.js';
import type { ResolvedOtlp } from './options.js';

type Signal = 'traces' | 'metrics' | 'logs';

const OWN_OPTION = { traces: 'otlp.tracesEndpoint', metrics: 'otlp.metricsEndpoint', logs: 'otlp.logsEndpoint' } as const;

function appendPath(base: URL, path: string): string {
  const href = base.href.endsWith('/') ? base.href.slice(0, -1) : base.href;
  return href + path;
}

/**
 * One signal's URL, like the exporters would pick it: the signal's own
 * option, else `otlp.endpoint` + `/v1/<signal>`, else the signal's variable,
 * else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/<signal>`.
 */
function signalUrl(read: OptionReader, signal: Signal): string | undefined {
  const own = OWN_OPTION[signal];
  const explicit = read.option(own);
  if (explicit) return explicit.value.href;
  const base = read.option('otlp.endpoint');
  if (base) return appendPath(base.value, `/v1/${signal}`);
  const specific = read.variable(own);
  if (specific) return specific.value.href;
  const baseVariable = read.variable('otlp.endpoint');
  if (baseVariable) return appendPath(baseVariable.value, `/v1/${signal}`);
  return undefined;
}

/**
 * OTLP export: on when any endpoint is set. Options given in code are
 * checked either way; the standard variables only when export is on, as
 * only then are they read.
 */
export function resolveOtlp(read: OptionReader, env: Env, shutdownTimeoutMillis: number): ResolvedOtlp | undefined {
  const headers = read.option('otlp.headers')?.value;
  const timeoutMillis = read.option('otlp.timeoutMillis')?.value;
  const compression = read.option('otlp.compression')?.value;
  read.option('otlp.protocol');
  const maxQueueSpans = read.value('otlp.maxQueueSpans');
  const maxQueueBytes = read.value('otlp.maxQueueBytes');
  const tracesUrl = signalUrl(read, 'traces');
  const metricsUrl = signalUrl(read, 'metrics');
  // Read whether or not logs are on, so a bad logs URL is said either way.
  const logsUrl = signalUrl(read, 'logs');
  if (!tracesUrl && !metricsUrl) return undefined;

  // The exporters read these variables themselves and quietly ignore bad
  // values; checked here so a typo fails start() instead.
  for (const name of ['otlp.headers', 'otlp.timeoutMillis', 'otlp.compression'] as const) read.checkVariables(name);
  const protocol = read.value('otlp.protocol');
  const timeoutFromEnv = env.OTEL_EXPORTER_OTLP_TIMEOUT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT?.trim();
  return {
    tracesUrl: tracesUrl ?? '',
    metricsUrl: metricsUrl ?? '',
    // Logs follow the traces: a logs URL alone does not turn export on.
    logsUrl: tracesUrl ? (logsUrl ?? '') : '',
    headers,
    protocol,
    // The exporter's retry timers hold the process until its timeout; keep
    // that within the shutdown bound so a dead collector cannot hold an exit.
    // 80 % of it, so a failed export is reported before shutdown gives up on it.
    timeoutMillis:
      timeoutMillis ?? (timeoutFromEnv ? undefined : Math.max(1000, Math.min(10_000, Math.floor(shutdownTimeoutMillis * 0.8)))),
    compression,
    maxQueueSpans,
    maxQueueBytes,
  };
}
