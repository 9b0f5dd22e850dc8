import { chmodSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Durability } from '../../config/options.js';
import { CONTEXT_PREFIX } from '../../model/attribute-names.js';
import { ERROR_LOG_FILE, HUMAN_LOG_FILE, PERFORMANCE_LOG_FILE, STRUCTURED_LOG_FILE } from '../../model/audit-schema.js';
import { CappedMap } from '../../model/capped-map.js';
import { epochNowMs } from '../../model/clock.js';
import type { ErrorInfo } from '../../model/error-info.js';
import { escapeForLine, formatHumanLine, formatLocalTimestamp, formatSeconds, formatTenths } from '../../model/human-format.js';
import { contextJson } from '../../model/json-text.js';
import type { RecordSink } from '../../model/record-sink.js';
import { type MessageRecord, type ScopeEndRecord, type ScopeRef, type ScopeStartRecord, scopeLabel } from '../../model/records.js';
import { endLines, memoryKey, startMessage } from '../../model/scope-lines.js';
import { BYTES_PER_MB, toMb } from '../../model/units.js';
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
import { endSpanFields, messageSpanFields, startSpanFields } from './span-fields.js';

export interface AuditLogOptions {
  dir: string;
  sessionId: string;
  durability: Durability;
  maxFileBytes: number;
  maxFiles: number;
  /** Buffered records reach the disk within this many milliseconds. */
  flushIntervalMs?: number;
  /** Reports a failed write (the record stays queued and is retried); the caller counts it and says it once. */
  onWriteError: (file: string, error: unknown) => void;
  /** Reports records given up after the disk refused them for too long. */
  onLost: (file: string, count: number) => void;
}

interface ScopeNames {
  /** The label as given (escaped only where a line is built from it). */
  raw: string;
  label: string;
  startMessage: string;
  startMessageEscaped: string;
  successMessage: string;
  successTail: string;
  timingHead: string;
  memoryHead: string;
}

/**
 * The four audit files of a session's log folder, written from the
 * session's records as they happen: start and end lines, messages,
 * performance records and error blocks. Independent of spans, so samplers,
 * span limits and a missing SDK cannot thin the audit trail.
 */
export class AuditLog implements RecordSink {
  readonly dir: string;
  private readonly human: AuditFile;
  private readonly structured: AuditFile;
  private readonly performance: AuditFile;
  private readonly errors: AuditFile;
  private readonly files: AuditFile[];
  private readonly flushIntervalMs: number;
  private lastFlushMs = epochNowMs();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly #names = new CappedMap<string, ScopeNames>();
  /** Record parts by month and stage name. */
  readonly #parts = new CappedMap<string, RecordParts>();
  /** Where each error's full traceback was written. */
  readonly #errorsWritten = new WeakMap<ErrorInfo, string>();

  constructor(private readonly options: AuditLogOptions) {
    this.dir = resolve(options.dir);
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    const make = (name: string, recordEnd?: string) =>
      new AuditFile(join(this.dir, name), {
        recordEnd,
        maxBytes: options.maxFileBytes,
        maxFiles: options.maxFiles,
        sync: options.durability === 'sync',
        onError: (error) => options.onWriteError(name, error),
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

  onStart(r: ScopeStartRecord): void {
    const scope = r.scope;
    const names = this.#namesOf(scope);
    this.human.append(`[${formatLocalTimestamp(r.startMs)}] [INFO] [${names.label}] ${names.startMessageEscaped}\n`);
    const parts = this.#partsOf(scope, names);
    this.structured.append(
      startLineFromParts(parts, r.startMs, r.context, toMb(r.rssBytes), scope.traceId, scope.spanId, startSpanFields(r)),
    );
    this.written(r.startMs);
  }

  /** Record parts per (session, month, stage name); a different session id (a replayed record) is built afresh. */
  #partsOf(scope: ScopeRef, names: ScopeNames): RecordParts {
    const key = `${scope.month ?? ''}\u0000${scope.name}`;
    const ownSession = scope.sessionId === this.options.sessionId;
    const cached = ownSession ? this.#parts.peek(key) : undefined;
    if (cached !== undefined) return cached;
    const parts = recordParts(scope.kind, scope.name, scope.month, scope.sessionId, names.startMessage, names.successMessage);
    return ownSession ? this.#parts.remember(key, parts) : parts;
  }

  /** Per-name strings, escaped once: a run repeats a handful of names millions of times. */
  #namesOf(scope: ScopeRef): ScopeNames {
    const key = scope.kind === 'month' ? `\u0000${scope.month}` : scope.name;
    return this.#names.peek(key) ?? this.#names.remember(key, scopeNames(scope));
  }

  onMessage(r: MessageRecord): void {
    const scope = r.scope;
    const label = r.label ?? (scope ? scopeLabel(scope) : undefined);
    const text = r.error ? `${r.message} (${r.error.type}: ${r.error.message})` : r.message;
    const sessionId = scope?.sessionId ?? this.options.sessionId;
    this.human.append(formatHumanLine(r.atMs, r.level, label, text));
    this.structured.append(
      structuredLine({
        recordType: 'message',
        atMs: r.atMs,
        sessionId,
        level: r.level,
        message: r.message,
        month: scope?.month,
        stage: r.label ?? (scope?.kind === 'stage' ? scope.name : undefined),
        stageEvent: undefined,
        attributes: r.context,
        memoryMb: toMb(r.rssBytes),
        errorType: r.error?.type,
        errorMessage: r.error?.message,
        traceId: scope?.traceId,
        spanId: scope?.spanId,
        tail: messageSpanFields(r),
      }),
    );
    if (r.error) this.#errorBlock(r.atMs, sessionId, scope?.month, label, r.message, r.error, r.context, scope);
    this.written(r.atMs);
  }

  /**
   * Writes the end of a month or stage: the structured `end` line, the
   * performance line, the human end lines and, for failures, an error block.
   */
  onEnd(r: ScopeEndRecord): void {
    const scope = r.scope;
    const names = this.#namesOf(scope);
    let level = 'INFO';
    let message = names.successMessage;
    if (r.outcome === 'success' && !r.slow) {
      // The common case, from cached pieces.
      const ts = formatLocalTimestamp(r.endMs);
      this.human.append(
        `[${ts}${names.successTail}[${ts}${names.timingHead}${formatSeconds(r.durationS)} seconds\n[${ts}${names.memoryHead}${formatTenths(r.rssEndBytes / BYTES_PER_MB)} MB\n`,
      );
    } else {
      const lines = endLines(r, names.raw);
      [level, message] = lines[0] as [string, string];
      let text = '';
      for (const [tag, line] of lines) text += formatHumanLine(r.endMs, tag, names.raw, line);
      this.human.append(text);
    }
    const parts = this.#partsOf(scope, names);
    const context = contextJson(r.context, CONTEXT_PREFIX); // once for both records
    const tail = endSpanFields(r);
    this.structured.append(
      r.outcome === 'success' ? successEndLineFromParts(parts, r, context, tail) : structuredEndLine(r, message, level, tail),
    );
    this.performance.append(performanceLineFromParts(parts, r, context));
    if (r.outcome !== 'success') {
      const error: ErrorInfo = r.error ?? {
        type: r.outcome === 'interrupted' ? 'Interrupted' : 'Failure',
        message: r.reason ?? 'ended with success: false',
        stack: undefined,
        causes: [],
      };
      this.#errorBlock(r.endMs, scope.sessionId, scope.month, names.raw, message, error, r.context, scope);
    }
    // A month's end is a natural checkpoint: the seed's users read the files per month.
    if (scope.kind === 'month') this.flushNow();
    else this.written(r.endMs);
  }

  /**
   * One error block. An error written already (a stage's failure that
   * propagated to its month, then was logged) is not written again in full:
   * the later block names the block that has its traceback.
   */
  #errorBlock(
    atMs: number,
    sessionId: string,
    month: string | undefined,
    label: string | undefined,
    message: string,
    error: ErrorInfo,
    context: Readonly<Record<string, unknown>> | undefined,
    scope: ScopeRef | undefined,
  ): void {
    const first = this.#errorsWritten.get(error);
    this.errors.append(
      errorBlock({
        atMs,
        sessionId,
        month,
        stage: label,
        message,
        errorType: error.type,
        errorMessage: error.message,
        stack: first === undefined ? error.stack : undefined,
        causes: first === undefined ? error.causes : undefined,
        seeAbove: first,
        attributes: context,
        traceId: scope?.traceId,
        spanId: scope?.spanId,
      }),
    );
    if (first === undefined && typeof error === 'object') {
      this.#errorsWritten.set(error, `the block of ${label ?? '-'}${scope ? ` (span ${scope.spanId})` : ''} above`);
    }
  }

  /** Writes every queued record now. Never throws. */
  flushNow(): void {
    this.lastFlushMs = epochNowMs();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const file of this.files) {
      const lostBefore = file.lost;
      file.flush();
      if (file.lost > lostBefore) this.options.onLost(file.path, file.lost - lostBefore);
    }
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

/** Per-name strings of a scope's lines, escaped once. */
function scopeNames(scope: ScopeRef): ScopeNames {
  const raw = scopeLabel(scope);
  const label = escapeForLine(raw);
  const start = startMessage(scope);
  return {
    raw,
    label,
    startMessage: start,
    startMessageEscaped: escapeForLine(start),
    successMessage: `${raw} completed successfully`,
    successTail: `] [INFO] [${label}] ${label} completed successfully\n`,
    timingHead: `] [TIMING] [${label}] ${label} completed in `,
    memoryHead: `] [MEMORY_TRACKING] [${label}] ${escapeForLine(memoryKey(scope))}_end: `,
  };
}
