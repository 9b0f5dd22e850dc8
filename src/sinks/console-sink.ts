import { type ConsoleLevel, consoleRank } from '../model/console-level.js';
import { escapeForLine, escapeLabel, formatHumanLine, formatLocalTimestamp, formatSeconds } from '../model/human-format.js';
import { isLevel, LEVEL_RANK, type LogLevel } from '../model/levels.js';
import type { RecordSink } from '../model/record-sink.js';
import { type MessageRecord, type ScopeEndRecord, type ScopeStartRecord, scopeLabel } from '../model/records.js';
import { endLines, startMessage } from '../model/scope-lines.js';
import { OpenMonths } from './open-months.js';

const COLOURS: Record<string, string> = {
  DEBUG: '\x1b[90m',
  INFO: '\x1b[36m',
  WARNING: '\x1b[33m',
  ERROR: '\x1b[31m',
  CRITICAL: '\x1b[1;31m',
  TIMING: '\x1b[35m',
  MEMORY_TRACKING: '\x1b[34m',
};
const RESET = '\x1b[0m';

/** The level a tag is filtered at: the Python logger's TIMING and MEMORY_TRACKING lines count as INFO. */
function tagRank(tag: string): number {
  return isLevel(tag) ? LEVEL_RANK[tag] : LEVEL_RANK.INFO;
}

export interface ConsoleSinkOptions {
  /** The session's `logLevel`: the console never shows less than the files would. */
  minLevel: LogLevel;
  /** `consoleLevel`, when given: prints less than `minLevel` lets through (`STAGES`: one line per stage end). */
  level?: ConsoleLevel;
  colors: boolean;
  /** A live status line on the same stream, cleared before each line and drawn again after it. */
  display?: { suspend(): void; resume(): void };
  /** Defaults to `process.stderr`: a pipeline's stdout stays its own. */
  stream?: { write(text: string): unknown };
}

/** Prints progress lines in the Python logger's format, coloured only on a terminal. */
export class ConsoleSink implements RecordSink {
  private readonly minRank: number;
  private readonly stream: { write(text: string): unknown };
  /** `STAGES`: a stage's end is one line, its duration included, whatever its tag's rank. */
  readonly #stagesOnly: boolean;
  readonly #months = new OpenMonths();

  constructor(private readonly options: ConsoleSinkOptions) {
    this.minRank = Math.max(LEVEL_RANK[options.minLevel], options.level === undefined ? 0 : consoleRank(options.level));
    this.#stagesOnly = this.minRank === consoleRank('STAGES');
    this.stream = options.stream ?? process.stderr;
  }

  private print(atMs: number, tag: string, stage: string | undefined, message: string): void {
    if (tagRank(tag) < this.minRank) return;
    this.#write(atMs, tag, stage, message);
  }

  #write(atMs: number, tag: string, stage: string | undefined, message: string): void {
    const line = this.options.colors
      ? `\x1b[2m[${formatLocalTimestamp(atMs)}]${RESET} ${COLOURS[tag] ?? ''}[${tag}]${RESET} ${stage === undefined ? '' : `[${escapeLabel(stage)}] `}${escapeForLine(message)}\n`
      : formatHumanLine(atMs, tag, stage, message);
    // A closed stderr (a pipe whose reader went away) takes no more lines.
    if ((this.stream as { destroyed?: boolean }).destroyed === true) return;
    try {
      this.options.display?.suspend();
      this.stream.write(line);
      this.options.display?.resume();
    } catch {
      // A closed stderr must not break the pipeline.
    }
  }

  onStart(r: ScopeStartRecord): void {
    this.#months.started(r.scope);
    this.print(r.startMs, 'INFO', this.#months.label(r.scope), startMessage(r.scope));
  }

  onEnd(r: ScopeEndRecord): void {
    const field = this.#months.label(r.scope);
    const [outcome, ...rest] = endLines(r, scopeLabel(r.scope));
    this.#months.ended(r.scope);
    if (outcome !== undefined && this.#stagesOnly) {
      const [tag, message] = outcome;
      this.#write(r.endMs, tag, field, r.outcome === 'success' ? `${message} in ${formatSeconds(r.durationS)} seconds` : message);
    } else if (outcome !== undefined) {
      this.print(r.endMs, outcome[0], field, outcome[1]);
    }
    for (const [tag, message] of rest) this.print(r.endMs, tag, field, message);
  }

  onMessage(r: MessageRecord): void {
    // TelemetryProblems said it on stderr already, also with the console off.
    if (r.notice) return;
    const stage = r.scope ? this.#months.label(r.scope, r.label) : r.label;
    const text = r.error ? `${r.message} (${r.error.type}: ${r.error.message})` : r.message;
    this.print(r.atMs, r.level, stage, text);
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
