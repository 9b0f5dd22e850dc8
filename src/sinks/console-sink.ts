import { escapeForLine, escapeLabel, formatHumanLine, formatLocalTimestamp } from '../model/human-format.js';
import { LEVEL_RANK, type LogLevel } from '../model/levels.js';
import type { RecordSink } from '../model/record-sink.js';
import { type MessageRecord, type ScopeEndRecord, type ScopeStartRecord, scopeLabel } from '../model/records.js';
import { endLines, startMessage } from '../model/scope-lines.js';

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
  return LEVEL_RANK[tag as LogLevel] ?? LEVEL_RANK.INFO;
}

export interface ConsoleSinkOptions {
  minLevel: LogLevel;
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

  constructor(private readonly options: ConsoleSinkOptions) {
    this.minRank = LEVEL_RANK[options.minLevel];
    this.stream = options.stream ?? process.stderr;
  }

  private print(atMs: number, tag: string, stage: string | undefined, message: string): void {
    if (tagRank(tag) < this.minRank) return;
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
    this.print(r.startMs, 'INFO', scopeLabel(r.scope), startMessage(r.scope));
  }

  onEnd(r: ScopeEndRecord): void {
    const label = scopeLabel(r.scope);
    for (const [tag, message] of endLines(r, label)) this.print(r.endMs, tag, label, message);
  }

  onMessage(r: MessageRecord): void {
    // The reporter said it on stderr already, also with the console off.
    if (r.notice) return;
    const stage = r.label ?? (r.scope ? scopeLabel(r.scope) : undefined);
    const text = r.error ? `${r.message} (${r.error.type}: ${r.error.message})` : r.message;
    this.print(r.atMs, r.level, stage, text);
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
