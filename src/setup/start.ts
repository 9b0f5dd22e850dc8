import { context as contextApi, metrics, propagation, trace } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { ResourceDetector } from '@opentelemetry/resources';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { StagetraceOptions } from '../config/options.js';
import { resolveConfig } from '../config/resolve-config.js';
import { whenLoaded } from '../model/deferred.js';
import { Once } from '../model/once.js';
import { VERSION } from '../model/version.js';
import { sessionRegistry } from '../session/session-registry.js';
import { type LogEmitter, LogRecordSink } from '../sinks/log-record-sink.js';
import { createForwardProcessor, createInstrumentations, createLogProcessor, createMetricReaders } from './components.js';
import { DeliveryRecorder } from './delivery-recorder.js';
import { type ExitHooks, installExitHooks } from './exit-hooks.js';
import { GlobalLogger, type LogsApi, loadLogsApi, loggerProviderRegistered, logsApiNow } from './logs-api.js';
import { OtlpConnections } from './otlp-connections.js';
import { checkOpenTelemetry, refusedGlobalProviders } from './sdk-line.js';
import { type BuiltSession, buildSession, INSTRUMENTATION_SCOPE } from './session-factory.js';

/** What a user-owned NodeSDK needs to carry stagetrace's telemetry. */
export interface StagetraceComponents {
  /** Add to `NodeSDK({ spanProcessors })`: forwards spans over OTLP when an endpoint is configured; empty otherwise. */
  readonly spanProcessors: SpanProcessor[];
  /** Add to `NodeSDK({ metricReaders })`. Empty when no metrics endpoint is configured. */
  readonly metricReaders: IMetricReader[];
  /**
   * Add to `NodeSDK({ logRecordProcessors })`: sends log records over OTLP/HTTP when a logs endpoint is configured
   * (and `logs` is on); empty otherwise. Stagetrace emits its messages through the global LoggerProvider (yours), once.
   */
  readonly logRecordProcessors: LogRecordProcessor[];
  /** Add to `NodeSDK({ instrumentations })`: host metrics, when enabled. */
  readonly instrumentations: Instrumentation[];
  /** The session id every record carries. */
  readonly sessionId: string;
}

interface StartedStagetrace {
  bundle: BuiltSession;
  components: StagetraceComponents;
  sdk: NodeSDK | undefined;
  privateProvider: TracerProvider | undefined;
  shutdownOnce: Once<[reason: string], void>;
  exitHooks: ExitHooks | undefined;
  /** Released at the end of shutdown(), so a hanging collector cannot hold the process. */
  otlpConnections: OtlpConnections | undefined;
  /** Told the forward's totals once it has shut down. */
  deliveryRecorder: DeliveryRecorder;
  /** The Logs API stagetrace emits through, once loaded; its global provider is dropped at shutdown after a start(). */
  logsApi: () => LogsApi | undefined;
}

function startedNow(): StartedStagetrace | undefined {
  return sessionRegistry.started as StartedStagetrace | undefined;
}

/** The running session's parts; internal (not exported from the package), for tests and benches. */
export function currentBundle(): BuiltSession | undefined {
  return startedNow()?.bundle;
}

function alreadyStarted(): never {
  throw new Error(
    'stagetrace: already started. Call shutdown() before starting again, or use createStagetrace() once with your own NodeSDK.',
  );
}

/**
 * The process detector without `process.command_args`: a password or token
 * passed on the command line must not leave the process with every span.
 */
function withoutArgs(processDetector: ResourceDetector): ResourceDetector {
  return {
    detect(config) {
      const detected = processDetector.detect(config);
      const { 'process.command_args': _dropped, ...attributes } = detected.attributes ?? {};
      return { ...detected, attributes };
    },
  };
}

function build(options: StagetraceOptions | undefined, handleExitDefault: boolean, userSdk: boolean) {
  const config = resolveConfig(options, process.env, { handleExit: handleExitDefault });
  let tracerSource = () => trace.getTracer(INSTRUMENTATION_SCOPE, VERSION);
  // A user's NodeSDK usually starts after createStagetrace(): its providers are
  // checked again when the first span needs them.
  const firstTracer = () => {
    const refused = refusedGlobalProviders();
    if (refused !== undefined) bundle.problems.sayOnce('api-refused', refused);
    return tracerSource();
  };
  const bundle = buildSession(config, { tracer: firstTracer, expectsSdk: userSdk });
  const deliveryRecorder = new DeliveryRecorder(bundle, config);
  const forward = createForwardProcessor(config, deliveryRecorder);
  const metricReaders = createMetricReaders(config, bundle.problems);
  const logProcessor = createLogProcessor(config, deliveryRecorder);
  const logs = logRecords(bundle, config.logs && (userSdk || (logProcessor !== undefined && !config.sdkDisabled)));
  const components: StagetraceComponents = {
    spanProcessors: forward === undefined ? [] : [forward.processor],
    metricReaders,
    logRecordProcessors: logProcessor === undefined ? [] : [logProcessor],
    // A user-owned SDK may bring its own readers, so host metrics are offered regardless.
    instrumentations: createInstrumentations(config, userSdk ? undefined : metricReaders),
    sessionId: config.sessionId,
  };
  const useTracer = (source: () => ReturnType<typeof trace.getTracer>) => {
    tracerSource = source;
  };
  // The packages of exporters, readers and instrumentations, loading since the components were made.
  const loaded = () =>
    whenLoaded([forward?.exporter, ...components.metricReaders, ...components.logRecordProcessors, ...components.instrumentations, logs]);
  return { config, bundle, components, useTracer, deliveryRecorder, loaded, logsApi: logs.api };
}

/**
 * Adds the log-record sink when stagetrace's messages go somewhere as log
 * records: always to a user's LoggerProvider, with start() only when they are
 * exported. Emits through the global Logs API, loading on the 2.x line.
 */
function logRecords(bundle: BuiltSession, wanted: boolean): { loaded: Promise<unknown>; api: () => LogsApi | undefined } {
  if (!wanted) return { loaded: Promise.resolve(), api: () => undefined };
  let api = logsApiNow();
  const loggerOf = (found: LogsApi) => new GlobalLogger(found, INSTRUMENTATION_SCOPE, VERSION);
  let logger: LogEmitter | undefined = api === undefined ? undefined : loggerOf(api);
  const loaded =
    api !== undefined
      ? Promise.resolve()
      : loadLogsApi().then((found) => {
          api = found;
          logger = found === undefined ? undefined : loggerOf(found);
          if (found === undefined)
            bundle.problems.sayOnce(
              'no-logs-api',
              'the OpenTelemetry Logs API (@opentelemetry/api-logs on the 2.x line) is not installed, so messages are not sent as log records; they stay span events and lines of the audit files. Install @opentelemetry/sdk-logs of your SDK line, or set logs: false.',
            );
        });
  bundle.session.addSink(
    new LogRecordSink({
      sessionId: bundle.session.sessionId,
      logger: () => (logger !== undefined && loggerProviderRegistered() ? logger : undefined),
      loaded,
    }),
  );
  return { loaded, api: () => api };
}

function begin(
  bundle: BuiltSession,
  components: StagetraceComponents,
  deliveryRecorder: DeliveryRecorder,
  sdk: NodeSDK | undefined,
  privateProvider: TracerProvider | undefined,
  logsApi: () => LogsApi | undefined,
): void {
  bundle.memory.start();
  bundle.session.begin(bundle.observer.levels);
  const config = bundle.session.config;
  const started: StartedStagetrace = {
    bundle,
    components,
    sdk,
    privateProvider,
    shutdownOnce: new Once((reason: string) => stop(started, reason)),
    exitHooks: undefined,
    otlpConnections: config.otlp ? new OtlpConnections([config.otlp.tracesUrl, config.otlp.metricsUrl, config.otlp.logsUrl]) : undefined,
    deliveryRecorder,
    logsApi,
  };
  started.exitHooks = config.handleExit ? exitHooksFor(started) : undefined;
  sessionRegistry.started = started;
  sessionRegistry.current = bundle.session;
}

/**
 * For applications that already run their own NodeSDK: returns stagetrace's
 * span processors, metric readers and instrumentations to add to it, and
 * activates the stagetrace API. Spans and metrics then go through your
 * providers — no second global provider, no duplicate spans. The audit
 * files are written whatever your sampler decides.
 *
 * Works with a NodeSDK of OpenTelemetry JS 2.x or 3.x. Throws when the
 * `@opentelemetry/api` it loads does not fit that SDK line, or cannot see
 * providers already registered through another copy of the api.
 *
 * @example
 * const st = createStagetrace({ logDir: 'logs' });
 * const sdk = new NodeSDK({ spanProcessors: [...st.spanProcessors, mine], metricReaders: st.metricReaders });
 * sdk.start();
 */
export function createStagetrace(options?: StagetraceOptions): StagetraceComponents {
  if (startedNow()) alreadyStarted();
  checkOpenTelemetry();
  const { bundle, components, deliveryRecorder, logsApi } = build(options, false, true);
  begin(bundle, components, deliveryRecorder, undefined, undefined, logsApi);
  return components;
}

/**
 * Starts stagetrace: tracing, metrics and the async context manager, the
 * console and the audit files. Without an OTLP endpoint nothing tries to
 * connect. A second `start()` without `shutdown()` throws, and so does an
 * `@opentelemetry/api` that does not fit the SDK line installed beside it.
 * Await it before the first month: the SDK is loaded and started in between.
 */
export async function start(options?: StagetraceOptions): Promise<StagetraceComponents> {
  if (startedNow() || starting) alreadyStarted();
  checkOpenTelemetry();
  starting = true;
  try {
    return await startNow(options);
  } finally {
    starting = false;
  }
}

/** Set while start() awaits the SDK's packages, so that a second start() in between is refused. */
let starting = false;

async function startNow(options: StagetraceOptions | undefined): Promise<StagetraceComponents> {
  // Loaded after the check, not at import: the 3.x sdk-node fails while
  // loading beside an api 1.9 (CommonJS) with an error that names neither,
  // and an application that runs its own NodeSDK never needs stagetrace's.
  const [
    { NodeSDK },
    { envDetector, hostDetector, processDetector, resourceFromAttributes },
    { AsyncLocalStorageContextManager },
    { AlwaysOffSampler, NoopSpanProcessor, TracerProvider },
    { samplerFromEnv },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/sdk-trace'),
    import('./env-sampler.js'),
  ]);
  const { config, bundle, components, useTracer, deliveryRecorder, loaded, logsApi } = build(options, true, false);
  await loaded();
  // Nothing exports spans without an endpoint: they still get ids (the files
  // and the user's own context need them) but are not recorded, which costs
  // far less. The SDK registers no provider at all for an empty list.
  const exporting = components.spanProcessors.length > 0;
  const sampler = exporting ? samplerFromEnv(process.env) : new AlwaysOffSampler();
  const spanProcessors = exporting ? components.spanProcessors : [new NoopSpanProcessor()];
  let sdk: NodeSDK | undefined;
  let privateProvider: TracerProvider | undefined;
  if (config.sdkDisabled) {
    // OTEL_SDK_DISABLED turns off OpenTelemetry export, not the audit trail:
    // a private provider gives spans their ids without registering anything global.
    const provider = new TracerProvider({ spanProcessors, sampler });
    privateProvider = provider;
    contextApi.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    useTracer(() => provider.getTracer(INSTRUMENTATION_SCOPE, VERSION));
  } else {
    sdk = new NodeSDK({
      serviceName: config.serviceName,
      sampler,
      resource: resourceFromAttributes(config.resourceAttributes),
      resourceDetectors: [envDetector, withoutArgs(processDetector), hostDetector],
      spanProcessors,
      metricReaders: components.metricReaders,
      logRecordProcessors: components.logRecordProcessors,
      instrumentations: components.instrumentations,
    });
    sdk.start();
  }
  begin(bundle, components, deliveryRecorder, sdk, privateProvider, logsApi);
  return components;
}

/** Signal, crash and exit handling when `handleExit` is on (default with `start()`, opt-in with `createStagetrace()`). */
function exitHooksFor(started: StartedStagetrace): ExitHooks {
  const { session, audit } = started.bundle;
  return installExitHooks({
    interruptSync: (reason, error) => {
      session.interruptOpenScopes(reason, error);
      audit?.flushNow();
    },
    shutdown: (reason) => started.shutdownOnce.call(reason),
    signalDuringShutdown: (signal) =>
      session.log({
        scope: undefined,
        level: 'WARNING',
        message: `stagetrace: ${signal} received while shutting down; the process ends with ${signal} once the files are written`,
      }),
    signalForApplication: (signal) =>
      session.log({
        scope: undefined,
        level: 'WARNING',
        message: `stagetrace: ${signal} received; the application handles it, so open months and stages go on until they end (or end as interrupted if the process exits first)`,
      }),
    quitNow: (signal) => {
      started.bundle.problems.sayOnce(
        'signal-quit',
        `${signal} received again while shutting down: the process ends now, without waiting for the OTLP export; the audit files hold every record and stagetrace replay sends what the collector did not get`,
      );
      audit?.flushNow();
    },
  });
}

function withTimeout<T>(promise: Promise<T>, bundle: BuiltSession, what: string): Promise<T | undefined> {
  const { config } = bundle.session;
  const ms = config.shutdownTimeoutMillis;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      const otlp = config.otlp;
      const where = otlp ? ` for the OTLP endpoint ${new URL(otlp.tracesUrl || otlp.metricsUrl).origin}` : '';
      bundle.problems.sayOnce(
        `timeout:${what}`,
        `gave up ${what} after ${ms} ms (shutdownTimeoutMillis)${where}; what was not sent by then is not in the collector, and the audit files hold every record.`,
      );
      resolve(undefined);
    }, ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Writes everything recorded so far to the files and hands it to the
 * exporters. Call it at the end of a month or before a risky step.
 * Bounded by `shutdownTimeoutMillis`; never rejects.
 */
export async function forceFlush(): Promise<void> {
  const started = startedNow();
  if (!started) return;
  const { bundle, components } = started;
  const flushing = (async () => {
    await bundle.session.forceFlush();
    await Promise.all([
      ...components.spanProcessors.map((p) => p.forceFlush()),
      ...components.metricReaders.map((r) => r.forceFlush()),
      ...components.logRecordProcessors.map((p) => p.forceFlush()),
    ]);
  })().catch((err) => bundle.problems.internalError('flushing exporters', err));
  await withTimeout(flushing, bundle, 'waiting');
}

/**
 * Ends open stages and months as interrupted, flushes every exporter within
 * `shutdownTimeoutMillis`, and stops. Idempotent; never rejects.
 */
export function shutdown(): Promise<void> {
  const started = startedNow();
  if (!started) return Promise.resolve();
  return started.shutdownOnce.call('shutdown() was called while it was running');
}

async function stop(started: StartedStagetrace, reason: string): Promise<void> {
  const { bundle, components, sdk, privateProvider } = started;
  const { session } = bundle;
  const hooks = started.exitHooks;
  hooks?.beginShutdown();
  if (hooks) {
    // A few turns of the event loop first, so that a signal which arrived
    // while a synchronous stage blocked the loop is handled (libuv delivers
    // it on the second turn) while the files are still open: it is written
    // down, names why open scopes end, and still ends the process.
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
  }
  const signal = hooks?.caughtSignal;
  session.interruptOpenScopes(signal === undefined ? reason : `${signal} received`);
  bundle.memory.stop();
  const stopping = (async () => {
    await session.forceFlush();
    // After the flush, which waits for the alerts the interruptions raised: the session's last record counts their failures.
    session.end();
    if (sdk) await sdk.shutdown();
    else if (privateProvider) await privateProvider.shutdown();
    else
      await Promise.all([
        ...components.spanProcessors.map((p) => p.shutdown()),
        ...components.metricReaders.map((r) => r.shutdown()),
        ...components.logRecordProcessors.map((p) => p.shutdown()),
      ]);
  })().catch((err) => bundle.problems.internalError('shutting down exporters', err));
  await withTimeout(stopping, bundle, 'waiting');
  // When the wait gave up before the flush ended; a second call does nothing.
  session.end();
  started.otlpConnections?.release();
  started.deliveryRecorder.finish();
  bundle.delivery?.close();
  await session.shutdownSinks();
  if (sdk) {
    // NodeSDK.shutdown() leaves its global registrations in place; drop them
    // so a later start() in the same process registers afresh.
    trace.disable();
    metrics.disable();
    propagation.disable();
    started.logsApi()?.disable();
  }
  if (sdk || privateProvider) contextApi.disable();
  sessionRegistry.ended = session;
  sessionRegistry.current = undefined;
  sessionRegistry.started = undefined;
  // A signal kept during the shutdown now ends the process, before the program goes on after shutdown().
  started.exitHooks?.finish();
}
