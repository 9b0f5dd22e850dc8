import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import type { StagetraceOptions } from '../../../src/index.js';

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

  it('sends log records to /v1/logs of the base endpoint, or to the logs endpoint verbatim, and only beside traces', () => {
    expect(resolveConfig({}, ENDPOINT).otlp?.logsUrl).toBe(`${ENDPOINT.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/logs`);
    const own = { ...ENDPOINT, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs.example.test:9428/insert/opentelemetry/v1/logs' };
    expect(resolveConfig({}, own).otlp?.logsUrl).toBe('http://logs.example.test:9428/insert/opentelemetry/v1/logs');
    expect(resolveConfig({ otlp: { logsEndpoint: 'http://other.test/l' } }, own).otlp?.logsUrl).toBe('http://other.test/l');
    // A logs endpoint alone turns nothing on; metrics alone send no logs.
    expect(resolveConfig({}, { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://l.test/v1/logs' }).otlp).toBeUndefined();
    expect(resolveConfig({}, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m.test/v1/metrics' }).otlp?.logsUrl).toBe('');
    expect(() => resolveConfig({}, { ...ENDPOINT, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'not a url' })).toThrow(
      'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
    );
    expect(resolveConfig({}, { STAGETRACE_LOGS: 'false' }).logs).toBe(false);
    expect(resolveConfig({}, {}).logs).toBe(true);
  });

  it('sizes the OTLP forward queue: 2048 spans and 8 MiB unless told', () => {
    expect(resolveConfig({}, ENDPOINT).otlp).toMatchObject({ maxQueueSpans: 2048, maxQueueBytes: 8 * 1024 * 1024 });
    const env = { ...ENDPOINT, STAGETRACE_OTLP_MAX_QUEUE_SPANS: '10000', STAGETRACE_OTLP_MAX_QUEUE_BYTES: '65536' };
    expect(resolveConfig({}, env).otlp).toMatchObject({ maxQueueSpans: 10_000, maxQueueBytes: 65_536 });
    expect(resolveConfig({ otlp: { maxQueueSpans: 1, maxQueueBytes: 2 ** 30 } }, env).otlp).toMatchObject({
      maxQueueSpans: 1,
      maxQueueBytes: 2 ** 30,
    });
  });

  it('accepts every bound itself', () => {
    const max = 2 ** 31 - 1;
    const config = resolveConfig(
      {
        maxFiles: 1000,
        maxFileBytes: 2 ** 40,
        metricExportIntervalMillis: max,
        shutdownTimeoutMillis: max,
        memory: { intervalMs: max, warningMb: 2 ** 24 - 1, criticalMb: 2 ** 24 },
        prometheus: { port: 65535 },
        alerts: { webhookUrl: 'https://hooks.example.com/x', minIntervalMs: max, timeoutMs: 1 },
        otlp: { endpoint: 'http://127.0.0.1:4318', timeoutMillis: max },
      },
      {},
    );
    expect(config).toMatchObject({ maxFiles: 1000, metricExportIntervalMillis: max, shutdownTimeoutMillis: max });
    expect(config.memory.intervalMs).toBe(max);
    expect(config.otlp?.timeoutMillis).toBe(max);
    expect(resolveConfig({ maxFiles: 1, memory: { intervalMs: 10 }, prometheus: { port: 1 } }, {}).prometheus?.port).toBe(1);
  });

  it('treats a blank OTEL_SERVICE_NAME as unset', () => {
    expect(resolveConfig({}, { OTEL_SERVICE_NAME: '   ' }).serviceName).toBe('stagetrace');
  });
});

describe('resolveConfig: bad variables name the variable and the value', () => {
  type Kind = typeof TypeError | typeof RangeError;
  const cases: [string, string, Kind, Record<string, string>?][] = [
    ['STAGETRACE_LOG_LEVEL', 'LOUD', TypeError],
    ['STAGETRACE_DURABILITY', 'fast', TypeError],
    ['STAGETRACE_STAGE_THRESHOLDS', 'download=abc', TypeError],
    ['STAGETRACE_STAGE_THRESHOLDS', 'download', TypeError],
    ['STAGETRACE_STAGE_THRESHOLDS', 'process=-5', RangeError],
    ['STAGETRACE_HOST_METRICS', 'system.disk', TypeError],
    ['STAGETRACE_MEMORY_WARNING_MB', 'lots', TypeError],
    ['STAGETRACE_MEMORY_CRITICAL_MB', '-1', RangeError],
    ['STAGETRACE_MEMORY_INTERVAL_MS', '5', RangeError],
    ['STAGETRACE_SESSION_ID', 'has spaces', TypeError],
    ['STAGETRACE_CONSOLE', 'maybe', TypeError],
    ['STAGETRACE_COLORS', 'sometimes', TypeError],
    ['STAGETRACE_HANDLE_EXIT', 'perhaps', TypeError],
    ['STAGETRACE_HANDLE_EXIT', '2', TypeError],
    ['STAGETRACE_MAX_FILE_BYTES', '100', RangeError],
    ['STAGETRACE_MAX_FILES', '2.5', TypeError],
    ['STAGETRACE_MAX_FILES', '1000000', RangeError],
    ['STAGETRACE_SHUTDOWN_TIMEOUT_MS', 'soon', TypeError],
    ['STAGETRACE_SHUTDOWN_TIMEOUT_MS', '3e9', RangeError],
    ['STAGETRACE_PROMETHEUS_PORT', '0', RangeError],
    ['STAGETRACE_PROMETHEUS_PORT', '65536', RangeError],
    ['STAGETRACE_ALERTS_MIN_INTERVAL_MS', '3e9', RangeError],
    ['STAGETRACE_ALERTS_TIMEOUT_MS', '0', RangeError],
    ['STAGETRACE_OTLP_MAX_QUEUE_SPANS', '0', RangeError],
    ['STAGETRACE_OTLP_MAX_QUEUE_BYTES', '1024', RangeError],
    ['STAGETRACE_REDACT_KEYS', 'x'.repeat(300), TypeError],
    ['OTEL_METRIC_EXPORT_INTERVAL', '1s', TypeError],
    ['OTEL_METRIC_EXPORT_INTERVAL', '3e9', RangeError],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', TypeError],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url', TypeError],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector/v1/traces', TypeError],
    ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', '//collector:4318', TypeError],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', TypeError, ENDPOINT],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/xml', TypeError, ENDPOINT],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', 'abc', TypeError, ENDPOINT],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', '3e9', RangeError, ENDPOINT],
    ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', '-3', RangeError, ENDPOINT],
    ['OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', '0', RangeError, ENDPOINT],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', 'brotli', TypeError, ENDPOINT],
    ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'zip', TypeError, ENDPOINT],
  ];

  it.each(cases)('%s=%j fails', (variable, value, kind, extra) => {
    const error = errorOf({}, { ...extra, [variable]: value });
    expect(error).toBeInstanceOf(kind);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value));
    expect(error.message).toContain(`Correct or unset ${variable}`);
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
  type Kind = typeof TypeError | typeof RangeError;
  const cases: [string, StagetraceOptions, string, Kind][] = [
    ['logLevel', { logLevel: 'LOUD' as 'INFO' }, '"LOUD"', TypeError],
    ['logDir', { logDir: 42 as unknown as string }, '42', TypeError],
    ['logDir', { logDir: 'logs\0x' }, '"logs\\u0000x"', TypeError],
    ['durability', { durability: 'fast' as 'sync' }, '"fast"', TypeError],
    ['stageThresholds.download', { stageThresholds: { download: -1 } }, '-1', RangeError],
    ['stageThresholds.download', { stageThresholds: { download: Number.NaN } }, 'NaN', TypeError],
    ['stageThresholds.download', { stageThresholds: { download: Number.POSITIVE_INFINITY } }, 'Infinity', RangeError],
    ['stageThresholds.process', { stageThresholds: { process: '5' as unknown as number } }, '"5"', TypeError],
    ['serviceName', { serviceName: '' }, '""', TypeError],
    ['sessionId', { sessionId: 'a/b c' }, '"a/b c"', TypeError],
    ['maxFiles', { maxFiles: 0 }, '0', RangeError],
    ['maxFiles', { maxFiles: 1e6 }, '1000000', RangeError],
    ['maxFileBytes', { maxFileBytes: 2 ** 40 + 1 }, '1099511627777', RangeError],
    ['metricExportIntervalMillis', { metricExportIntervalMillis: Number.POSITIVE_INFINITY }, 'Infinity', RangeError],
    ['metricExportIntervalMillis', { metricExportIntervalMillis: 3e9 }, '3000000000', RangeError],
    ['shutdownTimeoutMillis', { shutdownTimeoutMillis: -5 }, '-5', RangeError],
    ['shutdownTimeoutMillis', { shutdownTimeoutMillis: 3e9 }, '3000000000', RangeError],
    ['hostMetrics', { hostMetrics: ['system.disk'] }, 'a list holding "system.disk"', TypeError],
    ['memory.warningMb', { memory: { warningMb: 0 } }, '0', RangeError],
    ['memory.intervalMs', { memory: { intervalMs: 3e9 } }, '3000000000', RangeError],
    ['otlp.endpoint', { otlp: { endpoint: 'localhost:4318' } }, '"localhost:4318"', TypeError],
    ['otlp.protocol', { otlp: { endpoint: 'http://127.0.0.1:4318', protocol: 'grpc' as 'http/json' } }, '"grpc"', TypeError],
    ['otlp.compression', { otlp: { endpoint: 'http://127.0.0.1:4318', compression: 'br' as 'gzip' } }, '"br"', TypeError],
    ['otlp.timeoutMillis', { otlp: { endpoint: 'http://127.0.0.1:4318', timeoutMillis: 0 } }, '0', RangeError],
    ['otlp.timeoutMillis', { otlp: { timeoutMillis: 3e9 } }, '3000000000', RangeError],
    ['otlp.maxQueueSpans', { otlp: { maxQueueSpans: 2_000_000 } }, '2000000', RangeError],
    ['otlp.maxQueueBytes', { otlp: { maxQueueBytes: 2 ** 31 } }, '2147483648', RangeError],
    ['prometheus.port', { prometheus: { port: 0 } }, '0', RangeError],
    ['alerts.minIntervalMs', { alerts: { minIntervalMs: 3e9 } }, '3000000000', RangeError],
    ['alerts.timeoutMs', { alerts: { timeoutMs: 1.5 } }, '1.5', TypeError],
    ['redact.keys', { redact: { keys: ['ok', ''] } }, 'a list holding ""', TypeError],
    ['resourceAttributes.team', { resourceAttributes: { team: { nested: true } as unknown as string } }, 'an object', TypeError],
    ['resourceAttributes', { resourceAttributes: new Map() as unknown as Record<string, string> }, 'an instance of Map', TypeError],
    ['console', { console: 'loud' as unknown as boolean }, '"loud"', TypeError],
    ['console', { console: 'false' as unknown as boolean }, '"false"', TypeError],
    ['handleExit', { handleExit: 1 as unknown as boolean }, '1', TypeError],
    ['otlp', { otlp: 'http://127.0.0.1:4318' as unknown as StagetraceOptions['otlp'] }, '"http://127.0.0.1:4318"', TypeError],
    ['memory', { memory: 512 as unknown as StagetraceOptions['memory'] }, '512', TypeError],
    ['alerts', { alerts: [] as unknown as StagetraceOptions['alerts'] }, 'an array of length 0', TypeError],
    ['prometheus', { prometheus: null as unknown as StagetraceOptions['prometheus'] }, 'null', TypeError],
  ];

  it.each(cases)('%s', (option, options, shown, kind) => {
    const error = errorOf(options);
    expect(error).toBeInstanceOf(kind);
    expect(error.message).toContain(`option ${option} must be`);
    expect(error.message).toContain(`got ${shown}`);
    expect(error.message).toMatch(/\. Correct it, or leave \S+ out/);
  });

  it('rejects unknown option names, naming them and the closest known one', () => {
    expect(errorOf({ logdir: 'x' } as unknown as StagetraceOptions).message).toMatch(/unknown option "logdir" \(did you mean "logDir"\?\)/);
    expect(errorOf({ serviceNmae: 'x' } as unknown as StagetraceOptions).message).toContain('"serviceNmae" (did you mean "serviceName"?)');
    // A nested name written at the top level points to its place.
    expect(errorOf({ webhookUrl: 'https://h/x' } as unknown as StagetraceOptions).message).toContain('(did you mean "alerts.webhookUrl"?)');
    expect(errorOf({ zzz: 1 } as unknown as StagetraceOptions).message).toMatch(/unknown option "zzz"; known options are serviceName, /);
  });

  const nested: [string, Record<string, unknown>, string, string][] = [
    ['alerts', { webhook: 'https://hooks.example.com/services/SECRET' }, 'alerts.webhook', 'alerts.webhookUrl'],
    ['memory', { warnMb: 100 }, 'memory.warnMb', 'memory.warningMb'],
    ['otlp', { endpiont: 'http://127.0.0.1:4318' }, 'otlp.endpiont', 'otlp.endpoint'],
    ['prometheus', { prot: 9464 }, 'prometheus.prot', 'prometheus.port'],
    ['redact', { key: ['x'] }, 'redact.key', 'redact.keys'],
  ];

  it.each(nested)('rejects a typo inside %s, naming it, the closest name and the known ones', (group, value, typo, near) => {
    const message = errorOf({ [group]: value } as StagetraceOptions).message;
    expect(message).toContain(`unknown option "${typo}" (did you mean "${near}"?)`);
    expect(message).toMatch(new RegExp(`known ${group} options are \\w+, `));
    expect(message).not.toContain('SECRET');
  });

  it.each([
    ['a string', 'verbose', '"verbose"'],
    ['a number', 42, '42'],
    ['null', null, 'null'],
    ['an array', ['logDir'], 'an array of length 1'],
    ['a Map', new Map([['logDir', 'x']]), 'an instance of Map'],
    [
      'a class instance',
      new (class Settings {
        logDir = 'x';
      })(),
      'an instance of Settings',
    ],
  ])('rejects %s as the options argument as a whole', (_, value, shown) => {
    const message = errorOf(value as unknown as StagetraceOptions).message;
    expect(message).toBe(`stagetrace: options must be an object such as { logDir: 'logs' }; got ${shown}.`);
  });

  it('accepts objects without a prototype, and treats undefined values as not given', () => {
    const bare = Object.assign(Object.create(null), { logDir: 'x', console: undefined });
    expect(resolveConfig(bare, {})).toMatchObject({ logDir: 'x', console: true });
    expect(resolveConfig(undefined, {}).logDir).toBe('logs');
  });

  it('turns a throwing getter or proxy into one stagetrace error', () => {
    const getter = {
      get logDir(): string {
        throw new Error('deep');
      },
    };
    expect(errorOf(getter).message).toBe('stagetrace: option logDir could not be read (a getter or proxy threw); pass plain values.');
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(errorOf(proxy).message).toMatch(/^stagetrace: options could not be read/);
    expect(
      errorOf({
        memory: new Proxy(
          {},
          {
            ownKeys: () => {
              throw new Error('deep');
            },
          },
        ),
      }).message,
    ).toMatch(/^stagetrace: option memory could not be read/);
  });
});

describe("resolveConfig: precedence of handleExit (option, then variable, then the caller's default)", () => {
  it.each([
    [{}, {}, true, true],
    [{}, {}, false, false],
    [{}, { STAGETRACE_HANDLE_EXIT: 'false' }, true, false],
    [{}, { STAGETRACE_HANDLE_EXIT: 'true' }, false, true],
    [{ handleExit: true }, { STAGETRACE_HANDLE_EXIT: 'false' }, false, true],
    [{ handleExit: false }, { STAGETRACE_HANDLE_EXIT: 'on' }, true, false],
  ])('options %j, env %j, caller default %s: %s', (options, env, callerDefault, expected) => {
    expect(resolveConfig(options, env, { handleExit: callerDefault }).handleExit).toBe(expected);
  });

  it('rejects STAGETRACE_HANDLE_EXIT=2 even when the caller has a default', () => {
    expect(() => resolveConfig({}, { STAGETRACE_HANDLE_EXIT: '2' }, { handleExit: true })).toThrow(
      /^stagetrace: STAGETRACE_HANDLE_EXIT \(option handleExit\) must be true or false.*got "2"/,
    );
  });
});

describe('resolveConfig: service.instance.id', () => {
  it('is the session id, so two runs are two Prometheus instances', () => {
    const a = resolveConfig({}, {});
    const b = resolveConfig({}, {});
    expect(a.resourceAttributes['service.instance.id']).toBe(a.sessionId);
    expect(b.resourceAttributes['service.instance.id']).not.toBe(a.resourceAttributes['service.instance.id']);
    expect(resolveConfig({ sessionId: 'run-7', resourceAttributes: { team: 'data' } }, {}).resourceAttributes).toEqual({
      team: 'data',
      'service.instance.id': 'run-7',
      'stagetrace.run.id': 'run-7',
    });
  });

  it('is left to the user when they set it, in code or in OTEL_RESOURCE_ATTRIBUTES', () => {
    expect(resolveConfig({ sessionId: 's1', resourceAttributes: { 'service.instance.id': 'pod-3' } }, {}).resourceAttributes).toEqual({
      'service.instance.id': 'pod-3',
      'stagetrace.run.id': 's1',
    });
    const env = { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, service.instance.id = pod-4, stagetrace.run.id=r9' };
    expect(resolveConfig({}, env).resourceAttributes).toEqual({});
    expect(resolveConfig({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.instance.idx=1' }).resourceAttributes).toHaveProperty(
      'service.instance.id',
    );
  });

  it('keeps a __proto__ key a plain attribute', () => {
    const attributes = JSON.parse('{"__proto__": "x", "team": "data"}');
    const resolved = resolveConfig({ resourceAttributes: attributes }, {}).resourceAttributes;
    expect(Object.getPrototypeOf(resolved)).toBe(Object.prototype);
    expect(Object.keys(resolved)).toEqual(['__proto__', 'team', 'service.instance.id', 'stagetrace.run.id']);
  });
});
