import { chmodSync, type Stats, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Durability } from '../../config/options.js';
import { CONTEXT_PREFIX } from '../../model/attribute-names.js';
import { ERROR_LOG_FILE, HUMAN_LOG_FILE, PERFORMANCE_LOG_FILE, STRUCTURED_LOG_FILE } from '../../model/audit-schema.js';
import { CappedMap } from '../../model/capped-map.js';
import { epochNowMs } from '../../model/clock.js';
import type { ErrorInfo } from '../../model/error-info.js';
import {
  escapeForLine,
  escapeLabel,
  formatHumanLine,
  formatLocalTimestamp,
  formatSeconds,
  formatTenths,
} from '../../model/human-format.js';
import { contextJson } from '../../model/json-text.js';
import type { RecordSink } from '../../model/record-sink.js';
import { type MessageRecord, type ScopeEndRecord, type ScopeRef, type ScopeStartRecord, scopeLabel } from '../../model/records.js';
import { endLines, memoryKey, startMessage } from '../../model/scope-lines.js';
import { sessionFactsContext } from '../../model/session-facts.js';
import { BYTES_PER_MB, toMb } from '../../model/units.js';
import { OpenMonths } from '../open-months.js';
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
import { logFolderError, makeLogFolder } from './log-folder.js';
import { endSpanFields, messageSpanFields, startSpanFields } from './span-fields.js';

export interface AuditLogOptions {
  dir: string;
  sessionId: string;
  /** Of messages outside any scope; a scope's records carry their own. */
  runId: string;
  durability: Durability;
  maxFileBytes: number;
  maxFiles: number;
  /** Buffered records reach the disk within this many milliseconds. */
  flushIntervalMs?: number;
  /** Reports a failed write (the record stays queued and is retried); the caller counts it and says it once. */
  onWriteError: (file: string, error: unknown) => void;
  /** Reports records given up after the disk refused them for too long. */
  onLost: (file: string, count: number) => void;
  /** Reports that logDir was removed or replaced while the session ran, and has been created again. */
  onFolderRecreated?: (dir: string) => void;
}

interface ScopeNames {
  /** The label as given (escaped only where a line is built from it). */
  raw: string;
  /** Escaped for the `[stage]` field. */
  field: string;
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
  /** Months open now: while several are, a stage's human lines name its month. */
  readonly #months = new OpenMonths();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Per (month, stage name): the escaped strings and record parts its lines are built from. Months keyed apart from stages. */
  readonly #stageParts = new Map<string | undefined, CappedMap<string, NamedParts>>();
  readonly #monthParts = new CappedMap<string | undefined, NamedParts>();
  /** Where each error's full traceback was written. */
  readonly #errorsWritten = new WeakMap<ErrorInfo, string>();
  /** Lost records of each file already reported through `onLost`. */
  readonly #lostReported = [0, 0, 0, 0];
  /** The folder the files were opened in, to notice it being removed or replaced. */
  #folder: Stats | undefined;
  /** Removed or replaced, and not yet created again. */
  #folderGone = false;
  #lastFolderCheckMs = 0;

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
      if (makeLogFolder(this.dir, 0o750)) chmodSync(this.dir, 0o750);
      for (const file of this.files) file.open();
      this.#folder = statSync(this.dir);
    } catch (error) {
      for (const file of this.files) file.close();
      throw logFolderError(this.dir, error);
    }
  }

  /** Buffered mode: flush when the last flush is older than the interval, else make sure a timer will. */
  private written(atMs: number): void {
    if (this.options.durability === 'sync') {
      // Each record was written (or given up) by its file already.
      this.#reportLost();
      return;
    }
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
    this.#lookAtFolder(r.startMs, scope.kind === 'month');
    const { names, parts } = this.#partsOf(scope);
    this.#months.started(scope);
    const field = this.#months.several ? escapeLabel(this.#months.label(scope)) : names.field;
    this.human.append(`[${formatLocalTimestamp(r.startMs)}] [INFO] [${field}] ${names.startMessageEscaped}\n`);
    this.structured.append(
      startLineFromParts(parts, r.startMs, r.context, toMb(r.rssBytes), scope.traceId, scope.spanId, startSpanFields(r)),
    );
    this.written(r.startMs);
  }

  /**
   * The cached strings of a scope's lines: two Map lookups on strings the
   * session already holds, no key built per record. Records of another
   * session (replayed, say) are built afresh.
   */
  #partsOf(scope: ScopeRef): NamedParts {
    if (scope.sessionId !== this.options.sessionId) return namedParts(scope);
    if (scope.kind === 'month') return this.#monthParts.peek(scope.month) ?? this.#monthParts.remember(scope.month, namedParts(scope));
    let byName = this.#stageParts.get(scope.month);
    if (byName === undefined) {
      byName = new CappedMap();
      if (this.#stageParts.size < 4096) this.#stageParts.set(scope.month, byName);
    }
    return byName.peek(scope.name) ?? byName.remember(scope.name, namedParts(scope));
  }

  onMessage(r: MessageRecord): void {
    this.#lookAtFolder(r.atMs, false);
    const scope = r.scope;
    const label = r.label ?? (scope ? scopeLabel(scope) : undefined);
    const text = r.error ? `${r.message} (${r.error.type}: ${r.error.message})` : r.message;
    const sessionId = scope?.sessionId ?? this.options.sessionId;
    const runId = scope?.runId ?? this.options.runId;
    this.human.append(formatHumanLine(r.atMs, r.level, scope ? this.#months.label(scope, r.label) : label, text));
    this.structured.append(
      structuredLine({
        recordType: 'message',
        atMs: r.atMs,
        sessionId,
        runId,
        level: r.level,
        message: r.message,
        month: scope?.month,
        stage: r.label ?? (scope?.kind === 'stage' ? scope.name : undefined),
        stageEvent: undefined,
        // The session's own facts become context keys here, at the file boundary; the report's decoder reads them back.
        attributes: r.sessionFacts === undefined ? r.context : sessionFactsContext(r.sessionFacts),
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
    this.#lookAtFolder(r.endMs, false);
    const scope = r.scope;
    const { names, parts } = this.#partsOf(scope);
    let level = 'INFO';
    let message = names.successMessage;
    // Labelled while its month still counts as open; a stage outside any month keeps its bare name.
    const field = this.#months.label(scope);
    const several = field !== names.raw;
    this.#months.ended(scope);
    if (r.outcome === 'success' && !r.slow && !several) {
      // The common case, from cached pieces.
      const ts = formatLocalTimestamp(r.endMs);
      this.human.append(
        `[${ts}${names.successTail}[${ts}${names.timingHead}${formatSeconds(r.durationS)} seconds\n[${ts}${names.memoryHead}${formatTenths(r.rssEndBytes / BYTES_PER_MB)} MB\n`,
      );
    } else {
      const lines = endLines(r, names.raw);
      [level, message] = lines[0] as [string, string];
      let text = '';
      for (const [tag, line] of lines) text += formatHumanLine(r.endMs, tag, field, line);
      this.human.append(text);
    }
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
    // A month's end is a natural checkpoint: the Python logger's users read the files per month.
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

  /**
   * Before a record is written. Buffered mode looks at the folder before
   * each flush; sync mode, which writes every record as it comes, at the
   * start of each month and at most a flush interval apart, not per record
   * (a stat costs as much as the write). Both look once per interval, for
   * the records a large burst writes between flushes.
   */
  #lookAtFolder(atMs: number, monthStart: boolean): void {
    if ((monthStart && this.options.durability === 'sync') || atMs - this.#lastFolderCheckMs >= this.flushIntervalMs)
      this.#checkFolder(atMs);
  }

  /**
   * If logDir was removed (or replaced by another folder) since the files
   * were opened, writes would go on into files nobody can read: create the
   * folder again, reopen the files there and say so once. If that fails,
   * the files stay closed, so their records are kept, retried and reported
   * as any failed write.
   */
  #checkFolder(nowMs: number): void {
    this.#lastFolderCheckMs = nowMs;
    const was = this.#folder;
    if (was === undefined || this.closed) return;
    if (!this.#folderGone) {
      let now: Stats | undefined;
      try {
        now = statSync(this.dir);
      } catch (error) {
        // A parent that is no longer searchable cannot tell: leave the files as they are.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') return;
      }
      if (now !== undefined && now.ino === was.ino && now.dev === was.dev) return;
      this.#folderGone = true;
    }
    try {
      if (makeLogFolder(this.dir, 0o750)) chmodSync(this.dir, 0o750);
      this.#folder = statSync(this.dir);
    } catch {
      // Reported below, by the files that cannot be opened; tried again at the next look.
    }
    let reopened = 0;
    for (const file of this.files) {
      try {
        file.reopen();
        reopened++;
      } catch (error) {
        this.options.onWriteError(basename(file.path), error);
      }
    }
    if (reopened < this.files.length) return;
    this.#folderGone = false;
    this.options.onFolderRecreated?.(this.dir);
  }

  /** Writes every queued record now. Never throws. */
  flushNow(): void {
    this.lastFlushMs = epochNowMs();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.#checkFolder(this.lastFlushMs);
    for (const file of this.files) file.flush();
    this.#reportLost();
  }

  /**
   * Reports records given up since the last report. A file also gives up
   * records when it writes by itself (every record in sync mode, 256 KiB in
   * buffered mode), so this compares totals rather than one flush's change.
   */
  #reportLost(): void {
    for (let i = 0; i < this.files.length; i++) {
      const file = this.files[i] as AuditFile;
      const reported = this.#lostReported[i] as number;
      if (file.lost > reported) {
        this.#lostReported[i] = file.lost;
        this.options.onLost(file.path, file.lost - reported);
      }
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
    for (const file of this.files) {
      const lostBefore = file.lost;
      file.close();
      if (file.lost > lostBefore) this.options.onLost(file.path, file.lost - lostBefore);
    }
  }
}

interface NamedParts {
  names: ScopeNames;
  parts: RecordParts;
}

function namedParts(scope: ScopeRef): NamedParts {
  const names = scopeNames(scope);
  return { names, parts: recordParts(scope.kind, scope.name, scope.month, scope, names.startMessage, names.successMessage) };
}

/** Per-name strings of a scope's lines, escaped once. */
function scopeNames(scope: ScopeRef): ScopeNames {
  const raw = scopeLabel(scope);
  const field = escapeLabel(raw);
  const label = escapeForLine(raw);
  const start = startMessage(scope);
  return {
    raw,
    field,
    startMessage: start,
    startMessageEscaped: escapeForLine(start),
    successMessage: `${raw} completed successfully`,
    successTail: `] [INFO] [${field}] ${label} completed successfully\n`,
    timingHead: `] [TIMING] [${field}] ${label} completed in `,
    memoryHead: `] [MEMORY_TRACKING] [${field}] ${escapeForLine(memoryKey(scope))}_end: `,
  };
}
