import { chmodSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Durability } from '../../config/options.js';
import { endFactsFromSpan } from '../../export/end-facts.js';
import type { MemorySampler } from '../../metrics/memory-sampler.js';
import { CONTEXT_PREFIX } from '../../model/attribute-names.js';
import { ERROR_LOG_FILE, HUMAN_LOG_FILE, PERFORMANCE_LOG_FILE, STRUCTURED_LOG_FILE } from '../../model/audit-schema.js';
import { escapeForLine, formatHumanLine, formatLocalTimestamp, formatSeconds, formatTenths } from '../../model/human-format.js';
import { contextJson } from '../../model/json-text.js';
import type { MessageEntry, ProgressSink } from '../../model/record-sink.js';
import { endLines, scopeLabel, startMessage as startMessageOf } from '../../model/scope-lines.js';
import type { Scope } from '../../session/scope.js';
import { AuditFile } from './audit-file.js';
import {
  ERROR_BLOCK_END,
  errorBlock,
  performanceLineFromParts,
  type RecordParts,
  recordParts,
  startLineFromParts,
  structuredEndLine,
  structuredLine,
  successEndLineFromParts,
} from './audit-records.js';

export interface AuditLogOptions {
  dir: string;
  sessionId: string;
  durability: Durability;
  maxFileBytes: number;
  maxFiles: number;
  /** Buffered records reach the disk within this many milliseconds. */
  flushIntervalMs?: number;
  memory: MemorySampler;
  /** Counts write failures for the session summary. */
  telemetry: { auditWriteErrors: number };
  /** Reports a write failure; called once per failure, rate-limited by the caller. */
  onWriteError: (file: string, error: unknown) => void;
}

const MB = 1024 * 1024;

interface ScopeNames {
  label: string;
  startMessage: string;
  startMessageEscaped: string;
  successMessage: string;
  successTail: string;
  timingHead: string;
  memoryHead: string;
}

/**
 * The four audit files of a session's log folder. Progress (starts and
 * messages) is written as it happens; ends, performance records and
 * failures come from spans through {@link recordSpan}, called by the audit
 * span processor as each span ends.
 */
export class AuditLog implements ProgressSink {
  readonly dir: string;
  private readonly human: AuditFile;
  private readonly structured: AuditFile;
  private readonly performance: AuditFile;
  private readonly errors: AuditFile;
  private readonly files: AuditFile[];
  private readonly flushIntervalMs: number;
  private lastFlushMs = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly names = new Map<string, ScopeNames>();
  /** Record parts by month (`''` for none), then by stage name. */
  private readonly parts = new Map<string, Map<string, RecordParts>>();

  constructor(private readonly options: AuditLogOptions) {
    this.dir = resolve(options.dir);
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    const make = (name: string, recordEnd?: string) =>
      new AuditFile(join(this.dir, name), {
        recordEnd,
        maxBytes: options.maxFileBytes,
        maxFiles: options.maxFiles,
        sync: options.durability === 'sync',
        onError: (error) => {
          options.telemetry.auditWriteErrors++;
          options.onWriteError(name, error);
        },
      });
    this.human = make(HUMAN_LOG_FILE);
    this.structured = make(STRUCTURED_LOG_FILE);
    this.performance = make(PERFORMANCE_LOG_FILE);
    this.errors = make(ERROR_LOG_FILE, ERROR_BLOCK_END);
    this.files = [this.human, this.structured, this.performance, this.errors];
  }

  /**
   * Creates the folder (0750) and opens the files (0640). Throws an error
   * naming the folder and the cause, so start() can fail clearly.
   */
  open(): void {
    try {
      const created = mkdirSync(this.dir, { recursive: true, mode: 0o750 });
      if (created !== undefined) chmodSync(this.dir, 0o750);
      for (const file of this.files) file.open();
    } catch (error) {
      for (const file of this.files) file.close();
      const cause = error instanceof Error ? error.message : String(error);
      throw new Error(
        `stagetrace: cannot write audit files in logDir ${JSON.stringify(this.dir)}: ${cause}. ` +
          'Choose a writable folder (option logDir / STAGETRACE_LOG_DIR), or set requireLogDir: false to run on without files.',
        { cause: error },
      );
    }
  }

  /** Buffered mode: flush when the last flush is older than the interval, else make sure a timer will. */
  private written(atMs: number): void {
    if (this.options.durability === 'sync') return;
    // Checked on every record, not only by the timer: a stage that blocks the
    // event loop would otherwise hold records in memory for its whole run.
    if (atMs - this.lastFlushMs >= this.flushIntervalMs) {
      this.flushNow();
    } else if (this.timer === undefined && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushNow();
      }, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  scopeStarted(scope: Scope): void {
    const ctx = scope.span.spanContext();
    const names = this.namesOf(scope.kind, scope.name, scope.month);
    this.human.append(`[${formatLocalTimestamp(scope.startedAtMs)}] [INFO] [${names.label}] ${names.startMessageEscaped}\n`);
    const parts = this.partsOf(scope.kind, scope.name, scope.month, scope.runtime.sessionId, names);
    this.structured.append(
      startLineFromParts(
        parts,
        scope.startedAtMs,
        scope.contextAttributes,
        Math.round((scope.startRssBytes / MB) * 10) / 10,
        ctx.traceId,
        ctx.spanId,
      ),
    );
    this.written(scope.startedAtMs);
  }

  private partsOf(kind: 'month' | 'stage', name: string, month: string | undefined, sessionId: string, names: ScopeNames): RecordParts {
    let byName = this.parts.get(month ?? '');
    if (byName === undefined) {
      byName = new Map();
      if (this.parts.size < 1024) this.parts.set(month ?? '', byName);
    }
    let parts = byName.get(name);
    if (parts === undefined || sessionId !== this.options.sessionId) {
      parts = recordParts(kind, name, month, sessionId, names.startMessage, names.successMessage);
      if (byName.size < 4096 && sessionId === this.options.sessionId) byName.set(name, parts);
    }
    return parts;
  }

  /** Per-name strings, escaped once: a run repeats a handful of names millions of times. */
  private namesOf(kind: 'month' | 'stage', name: string, month: string | undefined): ScopeNames {
    const key = kind === 'month' ? `\u0000${month}` : name;
    let names = this.names.get(key);
    if (names === undefined) {
      const label = escapeForLine(scopeLabel(kind, name, month));
      const startMessage = startMessageOf(kind, name, month);
      names = {
        label,
        startMessage,
        startMessageEscaped: escapeForLine(startMessage),
        successMessage: `${scopeLabel(kind, name, month)} completed successfully`,
        successTail: `] [INFO] [${label}] ${label} completed successfully\n`,
        timingHead: `] [TIMING] [${label}] ${label} completed in `,
        memoryHead: `] [MEMORY_TRACKING] [${label}] ${escapeForLine(kind === 'month' ? `month_${month}` : name)}_end: `,
      };
      if (this.names.size < 4096) this.names.set(key, names);
    }
    return names;
  }

  /** Ends are written from the span (see recordSpan), so nothing here. */
  scopeEnded(_scope: Scope): void {}

  message(entry: MessageEntry): void {
    const scope = entry.scope;
    const ctx = scope?.span.spanContext();
    const label = entry.label ?? (scope ? scopeLabel(scope.kind, scope.name, scope.month) : undefined);
    const text = entry.error ? `${entry.message} (${entry.error.type}: ${entry.error.message})` : entry.message;
    this.human.append(formatHumanLine(entry.atMs, entry.level, label, text));
    this.structured.append(
      structuredLine({
        recordType: 'message',
        atMs: entry.atMs,
        sessionId: this.sessionIdOf(scope),
        level: entry.level,
        message: entry.message,
        month: scope?.month,
        stage: entry.label ?? (scope?.kind === 'stage' ? scope.name : undefined),
        stageEvent: undefined,
        attributes: entry.context,
        memoryMb: Math.round((this.options.memory.latest.rssBytes / MB) * 10) / 10,
        errorType: entry.error?.type,
        errorMessage: entry.error?.message,
        traceId: ctx?.traceId,
        spanId: ctx?.spanId,
      }),
    );
    if (entry.error) {
      this.errors.append(
        errorBlock({
          atMs: entry.atMs,
          sessionId: this.sessionIdOf(scope),
          month: scope?.month,
          stage: label,
          message: entry.message,
          errorType: entry.error.type,
          errorMessage: entry.error.message,
          stack: entry.error.stack,
          causes: entry.error.causes,
          attributes: entry.context,
          traceId: ctx?.traceId,
          spanId: ctx?.spanId,
        }),
      );
    }
    this.written(entry.atMs);
  }

  private sessionIdOf(scope: Scope | undefined): string {
    return scope?.runtime.sessionId ?? this.options.sessionId;
  }

  /**
   * Writes the end records of a month or stage span: the structured `end`
   * line, the performance line, the human end lines and, for failures, an
   * error block. Other spans are ignored. Returns false for those.
   */
  recordSpan(span: ReadableSpan): boolean {
    const e = endFactsFromSpan(span);
    if (e === undefined) return false;
    if (e.sessionId === '') e.sessionId = this.options.sessionId;
    const names = this.namesOf(e.kind, e.name, e.month);
    let level = 'INFO';
    let message = names.successMessage;
    const ts = formatLocalTimestamp(e.endMs);
    if (e.outcome === 'success' && !e.slow) {
      // The common case, from cached pieces.
      this.human.append(
        `[${ts}${names.successTail}[${ts}${names.timingHead}${formatSeconds(e.durationS)} seconds\n[${ts}${names.memoryHead}${formatTenths(e.rssEndMb)} MB\n`,
      );
    } else {
      const lines = endLines(e);
      [level, message] = lines[0] as [string, string];
      let text = '';
      for (const [tag, line] of lines) text += formatHumanLine(e.endMs, tag, scopeLabel(e.kind, e.name, e.month), line);
      this.human.append(text);
    }
    const parts = this.partsOf(e.kind, e.name, e.month, e.sessionId, names);
    const context = contextJson(e.attributes, CONTEXT_PREFIX); // once for both records
    this.structured.append(e.outcome === 'success' ? successEndLineFromParts(parts, e, context) : structuredEndLine(e, message, level));
    this.performance.append(performanceLineFromParts(parts, e, this.options.memory.latest.cpuPercent, context));
    if (e.outcome !== 'success') {
      this.errors.append(
        errorBlock({
          atMs: e.endMs,
          sessionId: e.sessionId,
          month: e.month,
          stage: scopeLabel(e.kind, e.name, e.month),
          message,
          errorType: e.errorType ?? (e.outcome === 'interrupted' ? 'Interrupted' : 'Failure'),
          errorMessage: e.errorMessage ?? e.reason ?? 'ended with success: false',
          stack: e.errorStack,
          attributes: e.attributes,
          traceId: e.traceId,
          spanId: e.spanId,
        }),
      );
    }
    // A month's end is a natural checkpoint: the seed's users read the files per month.
    if (e.kind === 'month') this.flushNow();
    else this.written(e.endMs);
    return true;
  }

  /** Writes every queued record now. Never throws. */
  flushNow(): void {
    this.lastFlushMs = Date.now();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const file of this.files) file.flush();
  }

  /** Records given up because the disk refused them for too long. */
  get lostRecords(): number {
    let lost = 0;
    for (const file of this.files) lost += file.lost;
    return lost;
  }

  async forceFlush(): Promise<void> {
    this.flushNow();
  }

  async shutdown(): Promise<void> {
    this.close();
  }

  /** Flushes and closes the files. Synchronous so exit handlers can call it. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flushNow();
    this.closed = true;
    for (const file of this.files) file.close();
  }
}
