import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import type { StagetraceOptions } from '../../src/index.js';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

/** The error resolveConfig throws, or a failure when it does not throw. */
function errorOf(options: StagetraceOptions, env: Record<string, string> = {}): Error {
  try {
    resolveConfig(options, env);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`resolveConfig accepted ${JSON.stringify(options)} with ${JSON.stringify(env)}`);
}

describe('resolveConfig: defaults', () => {
  it('works with no options and no variables', () => {
    const config = resolveConfig({}, {});
    expect(config).toMatchObject({
      serviceName: 'stagetrace',
      logDir: 'logs',
      console: true,
      logLevel: 'INFO',
      durability: 'buffered',
      defaultThresholdS: 300,
      otlp: undefined,
      metricExportIntervalMillis: 60_000,
      shutdownTimeoutMillis: 5000,
      sdkDisabled: false,
    });
    expect(config.sessionId).toMatch(/^\d{8}_\d{6}_[0-9a-f]{6}$/);
  });

  it('reads the variables when no option is given, and prefers options', () => {
    const env = {
      STAGETRACE_LOG_LEVEL: 'warning',
      STAGETRACE_LOG_DIR: 'false',
      STAGETRACE_CONSOLE: 'off',
      STAGETRACE_STAGE_THRESHOLDS: 'download=30, process=600,default=900',
      STAGETRACE_SESSION_ID: 'run-42',
      OTEL_SERVICE_NAME: 'billing',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      ...ENDPOINT,
    };
    const config = resolveConfig({}, env);
    expect(config.logLevel).toBe('WARNING');
    expect(config.logDir).toBeUndefined();
    expect(config.console).toBe(false);
    expect(config.stageThresholds.get('download')).toBe(30);
    expect(config.stageThresholds.get('process')).toBe(600);
    expect(config.defaultThresholdS).toBe(900);
    expect(config.sessionId).toBe('run-42');
    expect(config.serviceName).toBe('billing');
    expect(config.metricExportIntervalMillis).toBe(1000);
    expect(config.otlp?.tracesUrl).toBe('http://127.0.0.1:4318/v1/traces');
    expect(config.otlp?.metricsUrl).toBe('http://127.0.0.1:4318/v1/metrics');

    const overridden = resolveConfig({ logLevel: 'ERROR', serviceName: 'mine', console: true }, env);
    expect(overridden.logLevel).toBe('ERROR');
    expect(overridden.serviceName).toBe('mine');
    expect(overridden.console).toBe(true);
  });

  it('uses signal-specific endpoints verbatim', () => {
    const config = resolveConfig({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom/traces' });
    expect(config.otlp?.tracesUrl).toBe('http://collector:4318/custom/traces');
    expect(config.otlp?.metricsUrl).toBe('');
  });

  it('treats a blank OTEL_SERVICE_NAME as unset', () => {
    expect(resolveConfig({}, { OTEL_SERVICE_NAME: '   ' }).serviceName).toBe('stagetrace');
  });
});

describe('resolveConfig: bad variables name the variable and the value', () => {
  const cases: [string, string, Record<string, string>?][] = [
    ['STAGETRACE_LOG_LEVEL', 'LOUD'],
    ['STAGETRACE_DURABILITY', 'fast'],
    ['STAGETRACE_STAGE_THRESHOLDS', 'download=abc'],
    ['STAGETRACE_STAGE_THRESHOLDS', 'download'],
    ['STAGETRACE_STAGE_THRESHOLDS', 'process=-5'],
    ['STAGETRACE_HOST_METRICS', 'system.disk'],
    ['STAGETRACE_MEMORY_WARNING_MB', 'lots'],
    ['STAGETRACE_MEMORY_CRITICAL_MB', '-1'],
    ['STAGETRACE_MEMORY_INTERVAL_MS', '5'],
    ['STAGETRACE_SESSION_ID', 'has spaces'],
    ['STAGETRACE_CONSOLE', 'maybe'],
    ['STAGETRACE_COLORS', 'sometimes'],
    ['STAGETRACE_HANDLE_EXIT', 'perhaps'],
    ['STAGETRACE_MAX_FILE_BYTES', '100'],
    ['STAGETRACE_MAX_FILES', '2.5'],
    ['STAGETRACE_SHUTDOWN_TIMEOUT_MS', 'soon'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '1s'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector/v1/traces'],
    ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', '//collector:4318'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', ENDPOINT],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/xml', ENDPOINT],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', 'abc', ENDPOINT],
    ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', '-3', ENDPOINT],
    ['OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', '0', ENDPOINT],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', 'brotli', ENDPOINT],
    ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'zip', ENDPOINT],
  ];

  it.each(cases)('%s=%j fails', (variable, value, extra) => {
    const error = errorOf({}, { ...extra, [variable]: value });
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(value);
  });

  it('names a malformed OTEL_EXPORTER_OTLP_HEADERS without printing its secret value', () => {
    const error = errorOf({}, { ...ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS: 'Bearer s3cr3t-token' });
    expect(error.message).toContain('OTEL_EXPORTER_OTLP_HEADERS');
    expect(error.message).not.toContain('s3cr3t');
    expect(() => resolveConfig({}, { ...ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20x,x-tenant=a' })).not.toThrow();
  });

  it('reports memory thresholds in the wrong order', () => {
    const error = errorOf({}, { STAGETRACE_MEMORY_WARNING_MB: '900', STAGETRACE_MEMORY_CRITICAL_MB: '100' });
    expect(error.message).toMatch(/criticalMb.*100.*warningMb.*900/);
  });

  it('accepts the documented spellings', () => {
    expect(() =>
      resolveConfig(
        {},
        {
          STAGETRACE_LOG_LEVEL: 'debug',
          STAGETRACE_DURABILITY: 'sync',
          STAGETRACE_CONSOLE: 'true',
          STAGETRACE_COLORS: '0',
          STAGETRACE_HOST_METRICS: 'process.cpu,process.memory',
          STAGETRACE_MAX_FILES: '3',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
          OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
          ...ENDPOINT,
        },
      ),
    ).not.toThrow();
  });
});

describe('resolveConfig: bad options name the option and the value', () => {
  const cases: [string, StagetraceOptions, string][] = [
    ['logLevel', { logLevel: 'LOUD' as 'INFO' }, '"LOUD"'],
    ['logDir', { logDir: 42 as unknown as string }, '42'],
    ['durability', { durability: 'fast' as 'sync' }, '"fast"'],
    ['stageThresholds.download', { stageThresholds: { download: -1 } }, '-1'],
    ['stageThresholds.process', { stageThresholds: { process: '5' as unknown as number } }, '"5"'],
    ['serviceName', { serviceName: '' }, '""'],
    ['sessionId', { sessionId: 'a/b c' }, '"a/b c"'],
    ['maxFiles', { maxFiles: 0 }, '0'],
    ['metricExportIntervalMillis', { metricExportIntervalMillis: Number.POSITIVE_INFINITY }, 'Infinity'],
    ['shutdownTimeoutMillis', { shutdownTimeoutMillis: -5 }, '-5'],
    ['hostMetrics', { hostMetrics: ['system.disk'] }, 'array'],
    ['memory.warningMb', { memory: { warningMb: 0 } }, '0'],
    ['otlp.endpoint', { otlp: { endpoint: 'localhost:4318' } }, '"localhost:4318"'],
    ['otlp.protocol', { otlp: { endpoint: 'http://127.0.0.1:4318', protocol: 'grpc' as 'http/json' } }, '"grpc"'],
    ['otlp.compression', { otlp: { endpoint: 'http://127.0.0.1:4318', compression: 'br' as 'gzip' } }, '"br"'],
    ['otlp.timeoutMillis', { otlp: { endpoint: 'http://127.0.0.1:4318', timeoutMillis: 0 } }, '0'],
    ['console', { console: 'loud' as unknown as boolean }, '"loud"'],
    ['otlp', { otlp: 'http://127.0.0.1:4318' as unknown as StagetraceOptions['otlp'] }, '"http://127.0.0.1:4318"'],
    ['memory', { memory: 512 as unknown as StagetraceOptions['memory'] }, '512'],
  ];

  it.each(cases)('%s', (option, options, shown) => {
    const error = errorOf(options);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain(option);
    expect(error.message).toContain(shown);
  });

  it('rejects unknown option names, naming them', () => {
    expect(errorOf({ logdir: 'x' } as unknown as StagetraceOptions).message).toMatch(/unknown option "logdir"/);
    expect(errorOf({ serviceNmae: 'x' } as unknown as StagetraceOptions).message).toContain('serviceNmae');
  });

  it('rejects unknown names inside nested options', () => {
    const typo = { otlp: { endpiont: 'http://127.0.0.1:4318' } } as unknown as StagetraceOptions;
    expect(errorOf(typo).message).toContain('otlp.endpiont');
    expect(errorOf({ memory: { warnMb: 100 } } as unknown as StagetraceOptions).message).toContain('memory.warnMb');
    expect(errorOf({ redact: { key: ['x'] } } as unknown as StagetraceOptions).message).toContain('redact.key');
  });

  it('rejects a non-object options argument', () => {
    expect(errorOf('verbose' as unknown as StagetraceOptions).message).toContain('"verbose"');
  });
});
