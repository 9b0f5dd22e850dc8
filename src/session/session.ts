import {
  type Attributes,
  type Context,
  context as contextApi,
  diag,
  type Meter,
  metrics,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { ResolvedConfig } from '../config/options.js';
import { resolveConfig } from '../config/resolve-config.js';
import type { AuditExportReporter } from '../export/audit-span-exporter.js';
import { MemoryObserver } from '../metrics/memory-observer.js';
import { MemorySampler } from '../metrics/memory-sampler.js';
import { MeterBinding } from '../metrics/meter-binding.js';
import { StageMetrics } from '../metrics/stage-metrics.js';
import * as A from '../model/attribute-names.js';
import { flattenContext } from '../model/context-attributes.js';
import { LEVEL_RANK, type LogLevel } from '../model/levels.js';
import type { MessageEntry, ProgressSink } from '../model/record-sink.js';
import { Redactor } from '../model/redaction.js';
import { VERSION } from '../model/version.js';
import type { AuditLog } from '../sinks/audit/audit-log.js';
import { ConsoleSink } from '../sinks/console-sink.js';
import { WebhookAlerts } from '../sinks/webhook-alerts.js';
import type { TelemetryCounters } from '../stats/session-markers.js';
import { SessionStats } from '../stats/session-stats.js';
import { activeScope, Scope } from './scope.js';
import { endRecordOf, messageRecordOf, startRecordOf } from './scope-records.js';

export const INSTRUMENTATION_SCOPE = 'stagetrace';

/**
 * One stagetrace session: configuration, the sinks progress goes to, the
 * statistics behind the summary, and every open month and stage.
 * The API functions find it through {@link getRuntime}.
 */
export class Runtime {
  readonly sessionId: string;
  readonly redactor: Redactor;
  readonly memory: MemorySampler;
  /** The meter, once a MeterProvider exists (see MeterBinding). */
  readonly meterBinding: MeterBinding;
  /** RSS thresholds, memory gauges. */
  readonly memoryObserver: MemoryObserver;
  /** Webhook alerts, when `alerts.webhookUrl` is set. */
  readonly alerts: WebhookAlerts | undefined;
  readonly stats = new SessionStats(Date.now());
  /** Telemetry's own trouble, for the summary. */
  readonly telemetry: TelemetryCounters = {
    auditWriteErrors: 0,
    auditLostRecords: 0,
    otlpDroppedSpans: 0,
    otlpExportErrors: 0,
    alertFailures: 0,
  };
  readonly sinks: ProgressSink[] = [];
  /** Open months and stages, oldest first: ended as interrupted at shutdown. */
  readonly open = new Set<Scope>();
  /** The audit files, when this session writes them. */
  audit: AuditLog | undefined;
  /** Stages opened through `logProgress({ stage, stageEvent: 'start' })`, by name. */
  readonly namedStages = new Map<string, Scope[]>();
  private readonly minRank: number;
  private tracer: Tracer | undefined;
  private stageMetrics: StageMetrics | undefined;
  private readonly warned = new Set<string>();

  constructor(
    readonly config: ResolvedConfig,
    private tracerSource: () => Tracer = () => trace.getTracer(INSTRUMENTATION_SCOPE, VERSION),
    private readonly meterSource: () => Meter = () => metrics.getMeter(INSTRUMENTATION_SCOPE, VERSION),
  ) {
    this.sessionId = config.sessionId;
    this.redactor = new Redactor({ extraKeys: config.redactKeys, extraQueryParams: config.redactQueryParams });
    this.memory = new MemorySampler(config.memory.intervalMs);
    this.minRank = LEVEL_RANK[config.logLevel];
    if (config.console) this.sinks.push(new ConsoleSink({ minLevel: config.logLevel, colors: config.colors }));
    this.meterBinding = new MeterBinding(() => this.meterSource());
    this.alerts = config.alerts ? new WebhookAlerts(config.alerts, this) : undefined;
    if (this.alerts) this.sinks.push(this.alerts);
    this.memoryObserver = new MemoryObserver(this);
  }

  /**
   * Resolved on first use, not at construction: with a user-owned NodeSDK
   * the global providers only exist once the user has started it.
   */
  getTracer(): Tracer {
    this.tracer ??= this.tracerSource();
    return this.tracer;
  }

  /** Replaces where spans come from (a private provider when OTEL_SDK_DISABLED is set). */
  setTracerSource(source: () => Tracer): void {
    this.tracerSource = source;
    this.tracer = undefined;
  }

  get metrics(): StageMetrics {
    this.stageMetrics ??= new StageMetrics(this.meterBinding);
    return this.stageMetrics;
  }

  flatten(context: unknown, into?: Attributes): Attributes {
    return flattenContext(context, A.CONTEXT_PREFIX, this.redactor, undefined, into);
  }

  thresholdFor(stage: string): number {
    return this.config.stageThresholds.get(stage) ?? this.config.defaultThresholdS;
  }

  openMonth(month: string, context: unknown, parentCtx: Context = contextApi.active()): Scope {
    this.memory.sampleNow();
    const contextAttributes = context === undefined ? {} : this.flatten(context);
    const attributes: Attributes = {
      [A.ATTR_KIND]: A.KIND_MONTH,
      [A.ATTR_SESSION_ID]: this.sessionId,
      [A.ATTR_MONTH]: month,
      [A.ATTR_RSS_START_MB]: mb(this.memory.latest.rssBytes),
      [A.ATTR_HEAP_START_MB]: mb(this.memory.latest.heapUsedBytes),
      ...contextAttributes,
    };
    const span = this.getTracer().startSpan(A.MONTH_SPAN_NAME, { root: true, kind: SpanKind.INTERNAL, attributes }, parentCtx);
    const scope = new Scope(this, 'month', A.MONTH_SPAN_NAME, month, span, parentCtx, activeScope(parentCtx), 0, contextAttributes);
    this.opened(scope);
    return scope;
  }

  openStage(name: string, context: unknown, thresholdS: number | undefined, parentCtx: Context = contextApi.active()): Scope {
    const parent = activeScope(parentCtx);
    const month = parent?.month;
    const contextAttributes = context === undefined ? NO_CONTEXT : this.flatten(context);
    const sample = this.memory.latest;
    const attributes: Attributes = {
      [A.ATTR_KIND]: A.KIND_STAGE,
      [A.ATTR_STAGE_NAME]: name,
      [A.ATTR_RSS_START_MB]: mb(sample.rssBytes),
      [A.ATTR_HEAP_START_MB]: mb(sample.heapUsedBytes),
    };
    // The session id is on the month span; a stage repeats it only when it has no month.
    if (month !== undefined) attributes[A.ATTR_MONTH] = month;
    else attributes[A.ATTR_SESSION_ID] = this.sessionId;
    if (contextAttributes !== NO_CONTEXT) for (const key in contextAttributes) attributes[key] = contextAttributes[key];
    const span = this.getTracer().startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parentCtx);
    const scope = new Scope(this, 'stage', name, month, span, parentCtx, parent, thresholdS ?? this.thresholdFor(name), contextAttributes);
    this.opened(scope);
    return scope;
  }

  private opened(scope: Scope): void {
    this.open.add(scope);
    this.memory.listeners.add(scope);
    try {
      this.stats.onStart(startRecordOf(scope));
    } catch (err) {
      this.reportInternalError('recording statistics', err);
    }
    for (const sink of this.sinks) sink.scopeStarted(scope);
  }

  /** Called by a scope as it ends, before its span ends. */
  closeScope(scope: Scope): void {
    // Before the scope leaves `open`: a sync stage that blocked the sampler
    // gets its end sample (peak, threshold events) while still open.
    this.memory.refreshIfStale();
    this.open.delete(scope);
    this.memory.listeners.delete(scope);
    if (scope.kind === 'stage') {
      const named = this.namedStages.get(scope.name);
      if (named) {
        const i = named.indexOf(scope);
        if (i !== -1) named.splice(i, 1);
        if (named.length === 0) this.namedStages.delete(scope.name);
      }
    }
  }

  /** Called by a scope after its span ended: statistics, metrics, sinks. */
  scopeEnded(scope: Scope): void {
    try {
      this.stats.onEnd(endRecordOf(scope));
      this.metrics.scopeEnded(scope);
    } catch (err) {
      this.reportInternalError('recording statistics', err);
    }
    for (const sink of this.sinks) {
      try {
        sink.scopeEnded(scope);
      } catch (err) {
        this.reportInternalError('writing a scope end', err);
      }
    }
  }

  /** True when a message at this level passes the minimum level. */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.minRank;
  }

  /** Hands a filtered, redacted message to every sink. Counted by the metrics at every level, by the summary past the minimum. */
  message(entry: MessageEntry): void {
    const rank = LEVEL_RANK[entry.level];
    try {
      this.metrics.message(entry.level);
    } catch (err) {
      this.reportInternalError('counting a message', err);
    }
    if (rank < this.minRank) return;
    try {
      // Counted as the files hold them: past the minimum level.
      this.stats.onMessage(messageRecordOf(entry, this.memory.latest.rssBytes));
    } catch (err) {
      this.reportInternalError('counting a message', err);
    }
    for (const sink of this.sinks) {
      try {
        sink.message(entry);
      } catch (err) {
        this.reportInternalError('writing a message', err);
      }
    }
  }

  /** Telemetry's own trouble so far, for the summary. */
  telemetryCounters(): TelemetryCounters {
    return {
      ...this.telemetry,
      auditLostRecords: this.audit?.lostRecords ?? 0,
      alertFailures: this.alerts?.totals.failed ?? 0,
    };
  }

  /** A warning about how stagetrace is used, printed once per key. */
  warnOnce(key: string, text: string, telemetryProblem = false): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    if (telemetryProblem && !this.config.console) {
      // With the console off, trouble with the telemetry itself still reaches stderr once.
      try {
        process.stderr.write(`stagetrace: ${text}\n`);
      } catch {
        // Nothing left to tell.
      }
    }
    this.message({
      atMs: Date.now(),
      level: 'WARNING',
      message: `stagetrace: ${text}`,
      scope: undefined,
      context: undefined,
      error: undefined,
    });
  }

  /** A fault inside stagetrace: reported once per kind, never thrown at the caller. */
  reportInternalError(what: string, err: unknown): void {
    const key = `internal:${what}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    const text = `stagetrace: internal error while ${what}: ${err instanceof Error ? err.message : String(err)} (further errors of this kind are not shown)`;
    diag.error(text);
    try {
      process.stderr.write(`${text}\n`);
    } catch {
      // Nothing left to tell.
    }
  }

  /** Counts and reports what the audit exporter could not do. */
  readonly exportReporter: AuditExportReporter = {
    auditFailed: (error) => {
      this.telemetry.auditWriteErrors++;
      this.reportInternalError('writing audit records', error);
    },
    forwardDropped: (count, reason, error) => {
      this.telemetry.otlpDroppedSpans += count;
      if (reason === 'export_failed' || reason === 'timeout') this.telemetry.otlpExportErrors++;
      try {
        this.metrics.droppedSpans(count, reason);
      } catch {
        // Counting must not fail the export path.
      }
      const why =
        reason === 'queue_full'
          ? 'the forward queue is full'
          : reason === 'timeout'
            ? 'the export timed out'
            : reason === 'collector_unavailable'
              ? 'the collector failed just before'
              : describeError(error);
      this.warnOnce(
        'otlp-drop',
        `spans could not be sent over OTLP (${why}); the audit files still hold them. Further drops are counted in the session summary.`,
        true,
      );
    },
  };

  /** Ends every open stage and month, innermost first, as interrupted. */
  interruptOpenScopes(reason: string, error?: unknown): number {
    const open = [...this.open].reverse();
    for (const scope of open) scope.finish('interrupted', error, reason);
    return open.length;
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.forceFlush().catch((err) => this.reportInternalError('flushing', err))));
  }

  async shutdownSinks(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.shutdown().catch((err) => this.reportInternalError('shutting down', err))));
  }
}

/** Shared empty context of stages given none; Scope copies it before adding to it. */
export const NO_CONTEXT: Attributes = Object.freeze({}) as Attributes;

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code === undefined ? error.message : `${code}: ${error.message}`;
  }
  return error === undefined ? 'export failed' : String(error);
}

function mb(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}

/**
 * Process-wide state, kept on globalThis: an application that loads both
 * the ESM and the CommonJS build (an ESM app with a CommonJS library, say)
 * must still have one session, not one per copy.
 */
interface SharedState {
  current: Runtime | undefined;
  fallback: Runtime | undefined;
  started: unknown;
}
const STATE_KEY = Symbol.for('stagetrace.state');
const globalSlots = globalThis as Record<symbol, SharedState | undefined>;
if (globalSlots[STATE_KEY] === undefined) globalSlots[STATE_KEY] = { current: undefined, fallback: undefined, started: undefined };
export const shared: SharedState = globalSlots[STATE_KEY];

/**
 * The active runtime. Before `start()` (or `createStagetrace()`), a default
 * one logs to the console only and creates spans through the global API, so
 * instrumented code runs unchanged in tests and scripts that never start us.
 */
export function getRuntime(): Runtime {
  if (shared.current) return shared.current;
  if (!shared.fallback) {
    let config: ResolvedConfig;
    try {
      config = resolveConfig({ logDir: false, handleExit: false });
    } catch {
      // A bad variable is reported by start(); before it, run on defaults.
      config = resolveConfig({ logDir: false, handleExit: false }, {});
    }
    shared.fallback = new Runtime(config);
  }
  return shared.fallback;
}

export function setRuntime(runtime: Runtime | undefined): void {
  // After shutdown() the ended session stays readable: getSessionSummary()
  // and generateSessionReport() after shutdown() report it, not an empty one.
  if (runtime === undefined && shared.current !== undefined) shared.fallback = shared.current;
  shared.current = runtime;
}

export function hasStartedRuntime(): boolean {
  return shared.current !== undefined;
}
