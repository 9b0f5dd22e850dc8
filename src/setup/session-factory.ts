import { type Meter, metrics, type Tracer, trace } from '@opentelemetry/api';
import type { ResolvedConfig } from '../config/options.js';
import { CpuClock } from '../metrics/cpu-clock.js';
import { MemoryObserver } from '../metrics/memory-observer.js';
import { MemorySampler } from '../metrics/memory-sampler.js';
import { MeterBinding } from '../metrics/meter-binding.js';
import { StageMetrics } from '../metrics/stage-metrics.js';
import { epochNowMs } from '../model/clock.js';
import { plural } from '../model/plural.js';
import { VERSION } from '../model/version.js';
import { Session } from '../session/session.js';
import { TelemetryProblems } from '../session/telemetry-problems.js';
import { AuditLog } from '../sinks/audit/audit-log.js';
import { DeliveryJournal } from '../sinks/audit/delivery-journal.js';
import { ConsoleSink } from '../sinks/console-sink.js';
import { ProgressDisplay } from '../sinks/progress-display.js';
import { WebhookAlerts } from '../sinks/webhook-alerts.js';
import { OVERFLOW_NAME } from '../stats/cardinality.js';
import { SessionStats } from '../stats/session-stats.js';

/** Instrumentation scope name of every span and metric stagetrace makes. */
export const INSTRUMENTATION_SCOPE = 'stagetrace';

/** A session and the parts setup needs to start, flush and stop it. */
export interface BuiltSession {
  readonly session: Session;
  readonly problems: TelemetryProblems;
  readonly memory: MemorySampler;
  readonly metrics: StageMetrics;
  readonly observer: MemoryObserver;
  readonly audit: AuditLog | undefined;
  /** otlp_delivery.jsonl beside the audit files, when spans are forwarded over OTLP. */
  readonly delivery: DeliveryJournal | undefined;
  readonly alerts: WebhookAlerts | undefined;
}

export interface SessionSources {
  /** Where spans come from; asked on first use (a user's NodeSDK may start after stagetrace is created). */
  tracer?: () => Tracer;
  meter?: () => Meter;
  /** Say once if spans come without ids (no SDK started). */
  expectsSdk?: boolean;
}

/**
 * Builds a session from resolved options: memory sampler and observer,
 * statistics, metrics, and the sinks (console, audit files, alerts). An
 * unwritable `logDir` throws, unless `requireLogDir` is false: then it is
 * said once and the run goes on without files.
 */
export function buildSession(config: ResolvedConfig, sources: SessionSources = {}): BuiltSession {
  const problems = new TelemetryProblems();
  const memory = new MemorySampler(config.memory.intervalMs);
  const meterBinding = new MeterBinding(sources.meter ?? (() => metrics.getMeter(INSTRUMENTATION_SCOPE, VERSION)));
  const stageMetrics = new StageMetrics(meterBinding);
  const session = new Session({
    config,
    memory,
    cpu: new CpuClock(),
    stats: new SessionStats(epochNowMs(), {
      onOverflow: (kind, limit) => problems.sayOnce(`stats-overflow:${kind}`, overflowText(kind, limit)),
    }),
    problems,
    tracer: sources.tracer ?? (() => trace.getTracer(INSTRUMENTATION_SCOPE, VERSION)),
    metrics: stageMetrics,
    expectsSdk: sources.expectsSdk,
  });
  const observer = new MemoryObserver({
    sampler: memory,
    warningMb: config.memory.warningMb,
    criticalMb: config.memory.criticalMb,
    meterBinding,
    onCrossing: (crossing, atMs) => session.memoryCrossed(crossing, atMs),
    onError: (what, error) => problems.internalError(what, error),
  });
  const display = config.progress ? new ProgressDisplay({ stream: process.stderr, totalMonths: config.totalMonths }) : undefined;
  if (display) {
    session.addSink(display);
    session.onProgress((scope, done, total) => display.onProgress(scope, done, total));
  }
  if (config.console)
    session.addSink(new ConsoleSink({ minLevel: config.logLevel, level: config.consoleLevel, colors: config.colors, display }));
  const audit = config.logDir === undefined ? undefined : openAudit(config, config.logDir, problems);
  if (audit) session.addSink(audit);
  const alerts = config.alerts
    ? new WebhookAlerts(config.alerts, {
        sessionId: config.sessionId,
        serviceName: config.serviceName,
        meterBinding,
        failed: (key, text) => problems.add('alertFailures', key, text),
      })
    : undefined;
  if (alerts) session.addSink(alerts);
  // From here on stagetrace's own notices are records like any other: counted by the statistics, written to the files.
  problems.recordTo((text, atMs) => session.notice(text, atMs));
  const delivery = audit && config.otlp?.tracesUrl ? openDelivery(config, audit.dir, problems) : undefined;
  return { session, problems, memory, metrics: stageMetrics, observer, audit, delivery, alerts };
}

function auditWriteError(problems: TelemetryProblems) {
  return (file: string, error: unknown) =>
    problems.add(
      'auditWriteErrors',
      `audit-write:${file}`,
      `cannot write ${file} (${error instanceof Error ? error.message : String(error)}); its records are kept in memory and retried. Further failures are counted in the session summary.`,
    );
}

/** The delivery journal; without it spans are still forwarded, and replay would send them again. */
function openDelivery(config: ResolvedConfig, dir: string, problems: TelemetryProblems): DeliveryJournal | undefined {
  const journal = new DeliveryJournal({
    dir,
    maxFileBytes: config.maxFileBytes,
    maxFiles: config.maxFiles,
    onWriteError: auditWriteError(problems),
  });
  try {
    journal.open();
    return journal;
  } catch (error) {
    problems.sayOnce(
      'no-delivery-journal',
      `cannot write ${journal.path} (${error instanceof Error ? error.message : String(error)}); spans are forwarded, but stagetrace replay will not know which ones the collector took.`,
    );
    return undefined;
  }
}

function openAudit(config: ResolvedConfig, dir: string, problems: TelemetryProblems): AuditLog | undefined {
  const audit = new AuditLog({
    dir,
    sessionId: config.sessionId,
    runId: config.run.runId,
    durability: config.durability,
    maxFileBytes: config.maxFileBytes,
    maxFiles: config.maxFiles,
    onWriteError: auditWriteError(problems),
    onLost: (file, count) =>
      problems.add(
        'auditLostRecords',
        `audit-lost:${file}`,
        `gave up ${plural(count, 'record')} of ${file} after the disk refused them for too long; the session summary counts every lost record.`,
        count,
      ),
    onFolderRecreated: (folder) =>
      problems.sayOnce(
        'audit-folder-recreated',
        `logDir ${JSON.stringify(folder)} was removed or replaced while the session ran; created it again and went on writing the audit files there. Records written before that went with the removed folder.`,
      ),
  });
  try {
    audit.open();
    return audit;
  } catch (error) {
    if (config.requireLogDir) throw error;
    problems.sayOnce('no-log-dir', `${error instanceof Error ? error.message : String(error)} Running on without audit files.`);
    return undefined;
  }
}

/** Said once when the statistics start folding names together. */
function overflowText(kind: 'stage' | 'month', limit: number): string {
  const what = kind === 'stage' ? 'stage names' : 'months';
  const advice =
    kind === 'stage'
      ? 'a stage name should name a step of the pipeline; put ids and file names in its context'
      : 'a month should name a period of the data; put other keys in its context';
  return `more than ${limit.toLocaleString('en')} distinct ${what}: the session summary counts further ${what} together under "${OVERFLOW_NAME}" (as OpenTelemetry does for metric series past its cardinality limit), so memory stays flat; ${advice}.`;
}
