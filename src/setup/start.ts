import { context as contextApi, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { StagetraceOptions } from '../config/options.js';
import { resolveConfig } from '../config/resolve-config.js';
import { VERSION } from '../model/version.js';
import { hasStartedRuntime, INSTRUMENTATION_SCOPE, Runtime, setRuntime, shared } from '../session/session.js';
import { AuditSampler, samplerFromEnv } from './audit-sampler.js';
import { createAuditPipeline, createInstrumentations, createMetricReaders } from './components.js';
import { installExitHooks } from './exit-hooks.js';
import { OtlpConnections } from './otlp-connections.js';

/** What a user-owned NodeSDK needs to carry stagetrace's telemetry. */
export interface StagetraceComponents {
  /** Add to `NodeSDK({ spanProcessors })`, before your own. */
  readonly spanProcessors: SpanProcessor[];
  /** Add to `NodeSDK({ metricReaders })`. Empty when no metrics endpoint is configured. */
  readonly metricReaders: IMetricReader[];
  /** Add to `NodeSDK({ instrumentations })`: host metrics, when enabled. */
  readonly instrumentations: Instrumentation[];
  /** The session id every record carries. */
  readonly sessionId: string;
}

interface Started {
  runtime: Runtime;
  components: StagetraceComponents;
  sdk: NodeSDK | undefined;
  privateProvider: BasicTracerProvider | undefined;
  shutdownPromise: Promise<void> | undefined;
  removeExitHooks: (() => void) | undefined;
  /** Released at the end of shutdown(), so a hanging collector cannot hold the process. */
  otlpConnections?: OtlpConnections;
}

/** The started session, shared across the ESM and CommonJS builds (see runtime.ts). */
const state = shared as { started: Started | undefined };

function alreadyStarted(): never {
  throw new Error(
    'stagetrace: already started. Call shutdown() before starting again, or use createStagetrace() once with your own NodeSDK.',
  );
}

function build(
  options: StagetraceOptions | undefined,
  defaults: { handleExit: boolean; userSdk?: boolean },
): { runtime: Runtime; components: StagetraceComponents } {
  const config = resolveConfig({ handleExit: defaults.handleExit, ...options });
  const runtime = new Runtime(config);
  const metricReaders = createMetricReaders(config, runtime);
  const components: StagetraceComponents = {
    spanProcessors: [createAuditPipeline(config, runtime)],
    metricReaders,
    // A user-owned SDK may bring its own readers, so host metrics are offered regardless.
    instrumentations: createInstrumentations(config, defaults.userSdk ? undefined : metricReaders),
    sessionId: config.sessionId,
  };
  return { runtime, components };
}

/**
 * For applications that already run their own NodeSDK: returns stagetrace's
 * span processors, metric readers and instrumentations to add to it, and
 * activates the stagetrace API. Spans and metrics then go through your
 * providers — no second global provider, no duplicate spans.
 *
 * @example
 * const st = createStagetrace({ logDir: 'logs' });
 * const sdk = new NodeSDK({ spanProcessors: [...st.spanProcessors, mine], metricReaders: st.metricReaders });
 * sdk.start();
 */
export function createStagetrace(options?: StagetraceOptions): StagetraceComponents {
  if (state.started || hasStartedRuntime()) alreadyStarted();
  const { runtime, components } = build(options, { handleExit: false, userSdk: true });
  runtime.memory.start();
  state.started = {
    runtime,
    components,
    sdk: undefined,
    privateProvider: undefined,
    shutdownPromise: undefined,
    removeExitHooks: exitHooksFor(runtime),
  };
  setRuntime(runtime);
  return components;
}

/**
 * Starts stagetrace: tracing, metrics and the async context manager, the
 * console and the audit files. Without an OTLP endpoint nothing tries to
 * connect. A second `start()` without `shutdown()` throws.
 */
export async function start(options?: StagetraceOptions): Promise<StagetraceComponents> {
  if (state.started || hasStartedRuntime()) alreadyStarted();
  const sampler = new AuditSampler(samplerFromEnv(process.env));
  const { runtime, components } = build(options, { handleExit: true });
  const config = runtime.config;
  let sdk: NodeSDK | undefined;
  let privateProvider: BasicTracerProvider | undefined;
  if (config.sdkDisabled) {
    // OTEL_SDK_DISABLED turns off OpenTelemetry export, not the audit trail:
    // a private provider feeds the files without registering anything global.
    privateProvider = new BasicTracerProvider({ spanProcessors: components.spanProcessors, sampler });
    const provider = privateProvider;
    contextApi.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    runtime.setTracerSource(() => provider.getTracer(INSTRUMENTATION_SCOPE, VERSION));
  } else {
    sdk = new NodeSDK({
      serviceName: config.serviceName,
      sampler,
      resource: resourceFromAttributes(config.resourceAttributes),
      spanProcessors: components.spanProcessors,
      metricReaders: components.metricReaders,
      logRecordProcessors: [],
      instrumentations: components.instrumentations,
    });
    sdk.start();
  }
  runtime.memory.start();
  const removeExitHooks = exitHooksFor(runtime);
  const otlpConnections = config.otlp ? new OtlpConnections([config.otlp.tracesUrl, config.otlp.metricsUrl]) : undefined;
  state.started = { runtime, components, sdk, privateProvider, shutdownPromise: undefined, removeExitHooks, otlpConnections };
  setRuntime(runtime);
  return components;
}

/** Signal, crash and exit handling when `handleExit` is on (default with `start()`, opt-in with `createStagetrace()`). */
function exitHooksFor(runtime: Runtime): (() => void) | undefined {
  if (!runtime.config.handleExit) return undefined;
  return installExitHooks({
    interruptSync: (reason, error) => {
      runtime.interruptOpenScopes(reason, error);
      runtime.audit?.flushNow();
    },
    shutdown: shutdownWith,
  });
}

function withTimeout<T>(promise: Promise<T>, runtime: Runtime, what: string): Promise<T | undefined> {
  const ms = runtime.config.shutdownTimeoutMillis;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      const otlp = runtime.config.otlp;
      const where = otlp ? ` for the OTLP endpoint ${new URL(otlp.tracesUrl || otlp.metricsUrl).origin}` : '';
      runtime.warnOnce(
        `timeout:${what}`,
        `gave up ${what} after ${ms} ms (shutdownTimeoutMillis)${where}; what was not sent by then is not in the collector, and the audit files hold every record.`,
        true,
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
  const current = state.started;
  if (!current) return;
  const { runtime, components } = current;
  const flushing = (async () => {
    await runtime.forceFlush();
    await Promise.all([...components.spanProcessors.map((p) => p.forceFlush()), ...components.metricReaders.map((r) => r.forceFlush())]);
  })().catch((err) => runtime.reportInternalError('flushing exporters', err));
  await withTimeout(flushing, runtime, 'waiting');
}

/**
 * Ends open stages and months as interrupted, flushes every exporter within
 * `shutdownTimeoutMillis`, and stops. Idempotent; never rejects.
 */
export function shutdown(): Promise<void> {
  return shutdownWith('shutdown() was called while it was running');
}

/** `shutdown()`, naming why open stages and months are interrupted. */
function shutdownWith(reason: string): Promise<void> {
  const current = state.started;
  if (!current) return Promise.resolve();
  current.shutdownPromise ??= (async () => {
    const { runtime, components, sdk, privateProvider } = current;
    current.removeExitHooks?.();
    runtime.interruptOpenScopes(reason);
    runtime.stats.end(Date.now());
    runtime.memory.stop();
    const stopping = (async () => {
      await runtime.forceFlush();
      if (sdk) await sdk.shutdown();
      else if (privateProvider) await privateProvider.shutdown();
      else {
        await Promise.all([...components.spanProcessors.map((p) => p.shutdown()), ...components.metricReaders.map((r) => r.shutdown())]);
      }
    })().catch((err) => runtime.reportInternalError('shutting down exporters', err));
    await withTimeout(stopping, runtime, 'waiting');
    current.otlpConnections?.release();
    await runtime.shutdownSinks();
    if (sdk) {
      // NodeSDK.shutdown() leaves its global registrations in place; drop them
      // so a later start() in the same process registers afresh.
      trace.disable();
      metrics.disable();
      propagation.disable();
    }
    if (sdk || privateProvider) contextApi.disable();
    setRuntime(undefined);
    state.started = undefined;
  })();
  return current.shutdownPromise;
}
