import {
  type Attributes,
  type Context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { ResolvedConfig } from '../config/options.js';
import type { CpuTime } from '../metrics/cpu-clock.js';
import type { MemorySampler } from '../metrics/memory-sampler.js';
import type { StageMetrics } from '../metrics/stage-metrics.js';
import * as A from '../model/attribute-names.js';
import { CappedMap } from '../model/capped-map.js';
import { type Carrier, carrierProblemText, type RemoteParent, readCarrier, writeCarrier } from '../model/carrier.js';
import { epochNowMs, secondsBetween } from '../model/clock.js';
import { DEFAULT_FLATTEN_LIMITS, flattenContext } from '../model/context-attributes.js';
import { type ErrorInfo, stackWithCauses, toErrorInfo } from '../model/error-info.js';
import type { LogLevel } from '../model/levels.js';
import type { ThresholdCrossing } from '../model/memory-crossing.js';
import { withoutOwnFrames } from '../model/own-frames.js';
import type { RecordSink } from '../model/record-sink.js';
import type { MessageRecord, ScopeEndRecord, ScopeRef, ScopeStartRecord } from '../model/records.js';
import { Redactor } from '../model/redaction.js';
import { type SessionFacts, sessionFactsText } from '../model/session-facts.js';
import {
  endAttributes,
  errorStatusMessage,
  exceptionOf,
  logEventAttributes,
  memoryEventAttributes,
  monthStartAttributes,
  slowEventAttributes,
  stageStartAttributes,
} from '../model/span-facts.js';
import { toMb } from '../model/units.js';
import type { SessionStats } from '../stats/session-stats.js';
import { buildSessionSummary, type SessionSummary } from '../stats/session-summary.js';
import { activeScope, OpenScope, remoteMonth, remoteParentContext } from './open-scope.js';
import { OpenScopes } from './open-scopes.js';
import { RecordFanout } from './record-fanout.js';
import type { TelemetryProblems } from './telemetry-problems.js';

/** What a session is built from; setup/ provides it. */
export interface SessionParts {
  config: ResolvedConfig;
  memory: MemorySampler;
  /** The process's CPU time at each start and end. */
  cpu: CpuTime;
  stats: SessionStats;
  problems: TelemetryProblems;
  /** Resolved on first use: a user-owned NodeSDK registers its provider after stagetrace is created. */
  tracer: () => Tracer;
  metrics: StageMetrics;
  /** Say once when spans have no ids because no SDK was started (createStagetrace() without sdk.start()). */
  expectsSdk?: boolean;
}

/** A message for {@link Session.log}. */
export interface LogEntry {
  /** The month or stage it belongs to; none for a message outside any. */
  readonly scope: OpenScope | undefined;
  /** Already validated. */
  readonly level: LogLevel;
  /** Any value: strings are scrubbed and capped, objects written as redacted JSON. */
  readonly message: unknown;
  readonly context?: unknown;
  readonly error?: unknown;
  /** A stage named with the message (`logProgress({ stage })`) that is not an open stage. */
  readonly label?: string;
  /** The memory observer's crossing this message reports, and when and on which spans it was recorded. */
  readonly memory?: ThresholdCrossing;
  readonly memoryEvent?: MessageRecord['memoryEvent'];
}

/** What {@link Session} needs to record a month or stage it has just started a span for. */
interface OpenedScope {
  readonly kind: A.ScopeKind;
  readonly name: string;
  readonly month: string | undefined;
  readonly span: Span;
  readonly parentCtx: Context;
  readonly parent: OpenScope | undefined;
  /** The span id of the parent, when there is one. */
  readonly parentSpanId: string | undefined;
  readonly startMs: number;
  readonly cpuStartMicros: number;
  readonly sample: { readonly rssBytes: number; readonly heapUsedBytes: number };
  readonly thresholdS: number | undefined;
  readonly context: Readonly<Attributes>;
  /** Opened by startStage(): found again by name. */
  readonly byName: boolean;
}

const NO_CONTEXT: Readonly<Attributes> = Object.freeze({});
const INVALID_TRACE_ID = '00000000000000000000000000000000';

/**
 * One stagetrace session: it opens and ends months and stages, builds one
 * frozen record per start, end and message, and hands that same record to
 * the span, the statistics, the metrics and every sink. Nothing downstream
 * reads facts back from spans, so samplers and span limits cannot change
 * what the audit files say.
 */
export class Session {
  readonly sessionId: string;
  /** Shared by every process of one run. */
  readonly runId: string;
  /** What sessions and run ids the span attributes carry. */
  readonly #ids: { readonly sessionId: string; readonly runId: string };
  /** The environment carrier's span: parent of stages outside any month, link of every month. */
  readonly #envParent: RemoteParent | undefined;
  readonly #envLinks: Link[] | undefined;
  readonly config: ResolvedConfig;
  readonly redactor: Redactor;
  readonly memory: MemorySampler;
  readonly #cpu: CpuTime;
  readonly #stats: SessionStats;
  readonly problems: TelemetryProblems;
  readonly #open = new OpenScopes();
  /** The one path from a record to the statistics, the metrics and every sink. */
  readonly #fanout: RecordFanout;
  readonly #tracerSource: () => Tracer;
  #tracer: Tracer | undefined;
  /** Stage names after redaction: a handful of names repeat millions of times. */
  readonly #names = new CappedMap<string, string>();
  /** The ErrorInfo of each thrown object, so an error that propagates from a stage to its month is one record. */
  readonly #errors = new WeakMap<object, ErrorInfo>();
  readonly #usageWarned = new Set<string>();
  readonly #expectsSdk: boolean;
  #memoryThresholds: { warningBytes: number; criticalBytes: number } | undefined;
  #ended = false;
  /** The last message record's `seq`. */
  #messageSeq = 0;
  readonly #progressListeners: ((scope: ScopeRef, done: number, total: number | undefined) => void)[] = [];

  constructor(parts: SessionParts) {
    this.config = parts.config;
    this.sessionId = parts.config.sessionId;
    this.runId = parts.config.run.runId;
    this.#ids = Object.freeze({ sessionId: this.sessionId, runId: this.runId });
    this.#envParent = parts.config.run.envParent;
    this.#envLinks = this.#envParent === undefined ? undefined : [{ context: this.#envParent.spanContext }];
    this.redactor = new Redactor({ extraKeys: parts.config.redactKeys, extraQueryParams: parts.config.redactQueryParams });
    this.memory = parts.memory;
    this.#cpu = parts.cpu;
    this.#stats = parts.stats;
    this.problems = parts.problems;
    this.#tracerSource = parts.tracer;
    this.#expectsSdk = parts.expectsSdk ?? false;
    this.#fanout = new RecordFanout({
      minLevel: parts.config.logLevel,
      onError: (what, error) => this.problems.internalError(what, error),
    });
    // Statistics first: a sink that reads the summary sees the record counted.
    this.#fanout.add(parts.stats);
    this.#fanout.add(parts.metrics);
  }

  /** Adds a sink after the statistics and metrics; records reach sinks in the order they were added. */
  addSink(sink: RecordSink): void {
    this.#fanout.add(sink);
  }

  #getTracer(): Tracer {
    this.#tracer ??= this.#tracerSource();
    return this.#tracer;
  }

  /** The latest open stage of this (already redacted) name that startStage() opened, for logProgress({ stage, stageEvent }). */
  latestOpenStage(name: string): OpenScope | undefined {
    return this.#open.latestNamed(name);
  }

  flatten(context: unknown): Readonly<Attributes> {
    return flattenContext(context, A.CONTEXT_PREFIX, this.redactor);
  }

  thresholdFor(stage: string): number {
    return this.config.stageThresholds.get(stage) ?? this.config.defaultThresholdS;
  }

  /** A stage name as it may leave the process: redacted (a URL with a password is not a name to keep). */
  stageName(name: string): string {
    return this.#names.peek(name) ?? this.#names.remember(name, this.redactor.scrubText(name));
  }

  /**
   * Opens a month: the root of its own trace (with a link to the environment
   * carrier's span, if the process has one), or with a `remote` parent, a child of it.
   */
  openMonth(month: string, context: unknown, activeCtx: Context, remote?: RemoteParent): OpenScope {
    const sample = this.memory.sampleNow();
    const ctxAttributes = context === undefined ? NO_CONTEXT : this.flatten(context);
    const attributes = monthStartAttributes(this.#ids, month, sample.rssBytes, sample.heapUsedBytes);
    for (const key in ctxAttributes) attributes[key] = ctxAttributes[key];
    const startMs = epochNowMs();
    const cpuStartMicros = this.#cpu.nowMicros(startMs);
    const parentCtx = remote === undefined ? activeCtx : remoteParentContext(activeCtx, remote);
    const span = this.#getTracer().startSpan(
      A.MONTH_SPAN_NAME,
      remote === undefined
        ? { root: true, kind: SpanKind.INTERNAL, attributes, startTime: startMs, links: this.#envLinks }
        : { kind: SpanKind.INTERNAL, attributes, startTime: startMs },
      parentCtx,
    );
    return this.#opened({
      kind: 'month',
      name: A.MONTH_SPAN_NAME,
      month,
      span,
      parentCtx,
      parent: undefined,
      parentSpanId: remote?.spanContext.spanId,
      startMs,
      cpuStartMicros,
      sample,
      thresholdS: undefined,
      context: ctxAttributes,
      byName: false,
    });
  }

  /**
   * Opens a stage in `parentCtx`: a child of the scope active there, else of
   * the span active there (a remote parent's, a user's), else of the
   * environment carrier's span.
   */
  openStage(rawName: string, context: unknown, thresholdS: number | undefined, parentCtx: Context, byName = false): OpenScope {
    const name = this.stageName(rawName);
    const parent = activeScope(parentCtx);
    let month = parent?.ref.month;
    if (parent === undefined) {
      if (this.#envParent !== undefined && trace.getSpanContext(parentCtx) === undefined) {
        parentCtx = remoteParentContext(parentCtx, this.#envParent);
      }
      month = remoteMonth(parentCtx);
    }
    const ctxAttributes = context === undefined ? NO_CONTEXT : this.flatten(context);
    const sample = this.memory.latest;
    // The session and run ids are on the month span; a stage repeats them only when it has no month.
    const attributes = stageStartAttributes(name, month, this.#ids, sample.rssBytes, sample.heapUsedBytes);
    for (const key in ctxAttributes) attributes[key] = ctxAttributes[key];
    const startMs = epochNowMs();
    const cpuStartMicros = this.#cpu.nowMicros(startMs);
    const span = this.#getTracer().startSpan(name, { kind: SpanKind.INTERNAL, attributes, startTime: startMs }, parentCtx);
    const threshold = thresholdS ?? this.thresholdFor(name);
    return this.#opened({
      kind: 'stage',
      name,
      month,
      span,
      parentCtx,
      parent,
      parentSpanId: trace.getSpanContext(parentCtx)?.spanId,
      startMs,
      cpuStartMicros,
      sample,
      thresholdS: threshold,
      context: ctxAttributes,
      byName,
    });
  }

  #opened(o: OpenedScope): OpenScope {
    const { kind, span, parentCtx, startMs, sample, context } = o;
    const ids = span.spanContext();
    if (this.#expectsSdk && ids.traceId === INVALID_TRACE_ID) this.#noSdk();
    const ref: ScopeRef = Object.freeze({
      kind,
      name: o.name,
      month: o.month,
      sessionId: this.sessionId,
      runId: this.runId,
      traceId: ids.traceId,
      spanId: ids.spanId,
      parentSpanId: o.parentSpanId,
      sampled: (ids.traceFlags & TraceFlags.SAMPLED) !== 0,
    });
    const scope = new OpenScope({
      ref,
      span,
      parentCtx,
      parent: o.parent,
      startMs,
      rssStartBytes: sample.rssBytes,
      heapStartBytes: sample.heapUsedBytes,
      cpuStartMicros: o.cpuStartMicros,
      thresholdS: o.thresholdS,
      context,
    });
    if (o.byName) this.#open.addNamed(scope);
    else this.#open.add(scope);
    this.memory.listeners.add(scope);
    const record: ScopeStartRecord = Object.freeze({
      type: 'start',
      scope: ref,
      startMs,
      context,
      rssBytes: sample.rssBytes,
      heapUsedBytes: sample.heapUsedBytes,
    });
    this.#fanout.onStart(record);
    return scope;
  }

  /**
   * The carrier of the month or stage active in `ctx`; outside any, the
   * environment carrier this process was started with (work handed on from
   * here continues the trace the process continues), else undefined. Never throws.
   */
  carrier(ctx: Context): Carrier | undefined {
    const scope = activeScope(ctx);
    const env = this.#envParent;
    try {
      if (scope === undefined) {
        return env === undefined ? undefined : writeCarrier(remoteParentContext(ctx, env), env.spanContext, this.runId, env.month);
      }
      return writeCarrier(ctx, scope.span.spanContext(), this.runId, scope.ref.month);
    } catch (error) {
      this.problems.internalError('writing a carrier', error);
      return undefined;
    }
  }

  /**
   * A `parent` option read: the remote parent, or undefined when there is
   * none or it is malformed (then said once per field, naming it, never its value).
   */
  remoteParent(value: unknown, where: string): RemoteParent | undefined {
    if (value === undefined) return undefined;
    const reading = readCarrier(value);
    if (reading.problem !== undefined) {
      this.usageWarning(`carrier:${reading.problem.field}`, carrierProblemText(reading.problem, `${where} option parent`, 'it runs'));
    }
    return reading.parent;
  }

  #noSdk(): void {
    this.problems.sayOnce(
      'no-sdk',
      'no OpenTelemetry SDK is started, so months and stages are not exported (trace ids are all zeros). The audit files are still written. ' +
        'With createStagetrace(), start your NodeSDK with its spanProcessors before the first month.',
    );
  }

  /** Adds caller context to an open scope; it goes on the span and into the end record. */
  addContext(scope: OpenScope, context: unknown): void {
    if (scope.ended) return;
    try {
      const merged: Attributes = { ...scope.context };
      let count = Object.keys(merged).length;
      const added: Attributes = {};
      for (const [key, value] of Object.entries(this.flatten(context))) {
        // The same cap as one context: the span keeps room for stagetrace's own attributes.
        if (!(key in merged) && count >= DEFAULT_FLATTEN_LIMITS.maxAttributes) continue;
        if (!(key in merged)) count++;
        merged[key] = value;
        added[key] = value;
      }
      scope.span.setAttributes(added);
      scope.context = Object.freeze(merged);
    } catch (error) {
      this.problems.internalError('adding context', error);
    }
  }

  /** The redacted ErrorInfo of a thrown value, the same object each time the same value is seen. */
  errorInfo(error: unknown): ErrorInfo {
    if (typeof error !== 'object' || error === null) return withoutOwnFramesInfo(toErrorInfo(error, this.redactor));
    let info = this.#errors.get(error);
    if (info === undefined) {
      info = withoutOwnFramesInfo(toErrorInfo(error, this.redactor));
      this.#errors.set(error, info);
    }
    return info;
  }

  /**
   * Ends a month or stage: builds its end record once, puts it on the span,
   * ends the span at the record's end time, and hands the record to
   * statistics, metrics and sinks. A second call does nothing. Never throws.
   */
  endScope(scope: OpenScope, outcome: A.Outcome, error?: unknown, reason?: string): void {
    if (scope.end !== undefined) return;
    let record: ScopeEndRecord;
    try {
      // Before the scope leaves the registry: a sync stage that blocked the
      // sampler gets its end sample (peak, threshold events) while still open.
      const sample = this.memory.refreshIfStale();
      this.#open.delete(scope);
      this.memory.listeners.delete(scope);
      const endMs = epochNowMs();
      const cpuMicros = this.#cpu.nowMicros(endMs) - scope.cpuStartMicros;
      const durationS = secondsBetween(scope.startMs, endMs);
      const thresholdS = scope.thresholdS;
      const peak = Math.max(sample.rssBytes, scope.peakRssBytes);
      record = Object.freeze({
        type: 'end',
        scope: scope.ref,
        startMs: scope.startMs,
        endMs,
        durationS,
        outcome,
        slow: thresholdS !== undefined && durationS > thresholdS,
        thresholdS,
        rssStartBytes: scope.rssStartBytes,
        rssEndBytes: sample.rssBytes,
        rssPeakBytes: peak,
        heapStartBytes: scope.heapStartBytes,
        heapEndBytes: sample.heapUsedBytes,
        heapPeakBytes: Math.max(sample.heapUsedBytes, scope.peakHeapBytes),
        cpuPercent: sample.cpuPercent,
        cpuSeconds: cpuMicros > 0 ? cpuMicros / 1e6 : 0,
        overlapped: scope.overlapped,
        error: outcome !== 'success' && error !== undefined ? this.errorInfo(error) : undefined,
        reason: reason === undefined ? undefined : this.redactor.scrubText(reason),
        context: scope.context,
      });
      scope.end = record;
    } catch (err) {
      this.#open.delete(scope);
      this.memory.listeners.delete(scope);
      this.problems.internalError('ending a scope', err);
      return;
    }
    this.#endSpan(scope, record);
    this.#fanout.onEnd(record);
  }

  #endSpan(scope: OpenScope, r: ScopeEndRecord): void {
    try {
      const span = scope.span;
      if (!span.isRecording()) {
        span.end(r.endMs);
        return;
      }
      const slow = slowEventAttributes(r);
      if (slow !== undefined) span.addEvent(A.EVENT_SLOW, slow, r.endMs);
      if (r.outcome !== 'success') {
        if (r.error !== undefined) span.recordException(exceptionOf(r.error, stackWithCauses(r.error)), r.endMs);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorStatusMessage(r) });
      }
      span.setAttributes(endAttributes(r));
      span.end(r.endMs);
    } catch (err) {
      this.problems.internalError('ending a span', err);
    }
  }

  /**
   * Logs a message against `scope` (or none): a span event on the scope at
   * every level, and a record for the fan-out when the level passes the
   * configured minimum. `level` is already validated.
   */
  log(entry: LogEntry): void {
    const { scope, level, message, context, error, label } = entry;
    // Any value: strings scrubbed and capped, objects as redacted JSON; never throws.
    const text = this.redactor.toText(message);
    const ctxAttributes = context === undefined ? undefined : this.flatten(context);
    const info = error === undefined ? undefined : this.errorInfo(error);
    const atMs = epochNowMs();
    if (scope !== undefined && scope.end === undefined) {
      try {
        const span = scope.span;
        if (span.isRecording()) {
          span.addEvent(A.EVENT_LOG, logEventAttributes(ctxAttributes, level, text), atMs);
          if (info !== undefined) span.recordException(exceptionOf(info, stackWithCauses(info)), atMs);
        }
      } catch (err) {
        this.problems.internalError('adding a log event', err);
      }
    }
    if (!this.#fanout.accepts(level)) return;
    this.#fanout.onMessage(
      Object.freeze({
        type: 'message',
        atMs,
        seq: ++this.#messageSeq,
        level,
        message: text,
        scope: scope?.ref,
        label: label === undefined ? undefined : this.stageName(label),
        context: ctxAttributes,
        error: info,
        rssBytes: this.memory.latest.rssBytes,
        memory: entry.memory,
        memoryEvent: entry.memoryEvent,
      }) satisfies MessageRecord,
    );
  }

  /**
   * A notice of stagetrace's own about its telemetry (a failed write, spans
   * the collector never took), already said on stderr by TelemetryProblems: a
   * WARNING for every sink whatever the minimum level, so the summary counts
   * what the files hold; the console does not print it twice.
   */
  notice(text: string, atMs: number): void {
    this.#fanout.onOwnMessage(
      Object.freeze({
        type: 'message',
        atMs,
        seq: ++this.#messageSeq,
        level: 'WARNING',
        message: text,
        scope: undefined,
        label: undefined,
        context: undefined,
        error: undefined,
        rssBytes: this.memory.latest.rssBytes,
        notice: true,
      }) satisfies MessageRecord,
    );
  }

  /**
   * The session's first record: service name and thresholds, written
   * whatever the minimum level, so that a report rebuilt from the files
   * knows what the live session knew. Called once sinks are attached.
   */
  begin(memoryThresholds: { warningBytes: number; criticalBytes: number }): void {
    this.#memoryThresholds = memoryThresholds;
    this.#mark(
      {
        event: 'start',
        serviceName: this.config.serviceName,
        defaultThresholdS: this.config.defaultThresholdS,
        stageThresholds: this.config.stageThresholds,
        memoryWarningMb: toMb(memoryThresholds.warningBytes),
        memoryCriticalMb: toMb(memoryThresholds.criticalBytes),
      },
      this.#stats.startedAtMs,
    );
    const envProblem = this.config.run.envProblem;
    if (envProblem !== undefined) {
      this.usageWarning(
        `carrier:env:${envProblem.field}`,
        carrierProblemText(
          envProblem,
          'the environment carrier (TRACEPARENT, TRACESTATE, BAGGAGE)',
          "this process's months and stages start",
        ),
      );
    }
  }

  /** The session's last record, with the counts of telemetry problems; then the statistics end. Only the first call counts. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const atMs = epochNowMs();
    this.#mark({ event: 'end', telemetry: this.problems.counts }, atMs);
    this.#stats.end(atMs);
  }

  #mark(facts: SessionFacts, atMs: number): void {
    this.#fanout.onOwnMessage(
      Object.freeze({
        type: 'message',
        atMs,
        seq: ++this.#messageSeq,
        level: 'INFO',
        message: sessionFactsText(this.sessionId, facts),
        scope: undefined,
        label: undefined,
        context: undefined,
        error: undefined,
        rssBytes: this.memory.latest.rssBytes,
        sessionFacts: Object.freeze(facts),
      }) satisfies MessageRecord,
    );
  }

  /** Who hears of `stage.progress()` calls (the progress display). */
  onProgress(listener: (scope: ScopeRef, done: number, total: number | undefined) => void): void {
    this.#progressListeners.push(listener);
  }

  /**
   * A stage reported how far it got. Listeners hear every call; the span
   * gets an event only at coarse steps (each tenth of the total, or each
   * doubling without one), so a loop may call this per row.
   */
  progress(scope: OpenScope, done: number, total: number | undefined): void {
    if (scope.end !== undefined) return;
    for (const listener of this.#progressListeners) {
      try {
        listener(scope.ref, done, total);
      } catch (err) {
        this.problems.internalError('showing progress', err);
      }
    }
    const mark =
      total !== undefined && total > 0
        ? Math.floor((Math.min(done, total) / total) * 10)
        : done >= 1
          ? 2 ** Math.floor(Math.log2(done))
          : 0;
    if (mark <= scope.progressMark) return;
    scope.progressMark = mark;
    try {
      const attributes: Attributes = { [A.EVENT_ATTR_PROGRESS_DONE]: done };
      if (total !== undefined) attributes[A.EVENT_ATTR_PROGRESS_TOTAL] = total;
      scope.span.addEvent(A.EVENT_PROGRESS, attributes, epochNowMs());
    } catch (err) {
      this.problems.internalError('recording progress', err);
    }
  }

  /** A warning about how stagetrace is used (a stage ended twice, say), logged once per key. */
  usageWarning(key: string, text: string): void {
    if (this.#usageWarned.has(key)) return;
    this.#usageWarned.add(key);
    this.log({ scope: undefined, level: 'WARNING', message: `stagetrace: ${text}` });
  }

  /** A memory threshold crossing: an event on every open scope, and a log line about the innermost. */
  memoryCrossed(c: ThresholdCrossing, atMs: number): void {
    const attributes = memoryEventAttributes(c);
    let innermost: OpenScope | undefined;
    const spanIds: string[] = [];
    for (const scope of this.#open) {
      try {
        scope.span.addEvent(A.EVENT_MEMORY_THRESHOLD, attributes, atMs);
      } catch (err) {
        this.problems.internalError('adding a memory event', err);
      }
      spanIds.push(scope.ref.spanId);
      innermost = scope;
    }
    const rssMb = toMb(c.rssBytes);
    const thresholdMb = toMb(c.thresholdBytes);
    const text =
      c.direction === 'up'
        ? `Memory ${c.level}: RSS ${rssMb} MB reached the ${c.threshold} threshold of ${thresholdMb} MB`
        : `Memory ${c.level === 'ok' ? 'back to ok' : `down to ${c.level}`}: RSS ${rssMb} MB fell below the ${c.threshold} threshold of ${thresholdMb} MB`;
    const context = {
      memory: { level: c.level, direction: c.direction, threshold: c.threshold, rss_mb: rssMb, threshold_mb: thresholdMb },
    };
    const level: LogLevel = c.level === 'critical' ? 'CRITICAL' : c.level === 'warning' ? 'WARNING' : 'INFO';
    this.log({
      scope: innermost,
      level,
      message: text,
      context,
      memory: c,
      memoryEvent: Object.freeze({ atMs, spanIds: Object.freeze(spanIds) }),
    });
  }

  /** Ends every open stage and month, innermost first, as interrupted. */
  interruptOpenScopes(reason: string, error?: unknown): number {
    const open = [...this.#open].reverse();
    for (const scope of open) this.endScope(scope, 'interrupted', error, reason);
    return open.length;
  }

  /** A snapshot of the session so far, with the counts of telemetry problems. */
  summary(): SessionSummary {
    return buildSessionSummary(this.#stats, {
      sessionId: this.sessionId,
      serviceName: this.config.serviceName,
      nowMs: epochNowMs(),
      openScopes: this.#open.size,
      currentRssBytes: this.memory.latest.rssBytes,
      telemetry: this.problems.counts,
      memoryThresholds: this.#memoryThresholds,
      slowThresholds: { defaultSeconds: this.config.defaultThresholdS, stages: this.config.stageThresholds },
    });
  }

  forceFlush(): Promise<void> {
    return this.#fanout.forceFlush();
  }

  shutdownSinks(): Promise<void> {
    return this.#fanout.shutdown();
  }
}

/** The error with stagetrace's own stack frames left out, causes included. */
function withoutOwnFramesInfo(info: ErrorInfo): ErrorInfo {
  return {
    ...info,
    stack: withoutOwnFrames(info.stack),
    causes: info.causes.map((cause) => ({ ...cause, stack: withoutOwnFrames(cause.stack) })),
  };
}
