/**
 * The `stagetrace` command's work: reports, session lists and comparisons
 * from the audit files alone — no running pipeline, no collector.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { escapeForLine } from '../model/human-format.js';
import { jsonForLine } from '../model/json-text.js';
import { plural } from '../model/plural.js';
import { VERSION } from '../model/version.js';
import { compareSessions, formatComparison } from '../report/compare-sessions.js';
import { formatSessionCsv } from '../report/csv-report.js';
import { alignColumns, formatDuration } from '../report/format.js';
import { htmlReportFromFiles } from '../report/html-from-files.js';
import { JAEGER_URL_ENV, JaegerUrlError, jaegerUrlOf } from '../report/jaeger-url.js';
import { listSessions } from '../report/list-sessions.js';
import { formatSessionReport } from '../report/session-report.js';
import { AuditLogError, type SkippedLine, summarizeAuditLog } from '../report/summarize-audit-log.js';
import { ReadProgress } from './read-progress.js';
import { replayCommand } from './replay-command.js';

/** Exit codes, as `stagetrace --help` documents them. */
export const EXIT = {
  ok: 0,
  regression: 1,
  usage: 2,
  files: 3,
  internal: 70,
} as const;

const EXIT_CODES = `Exit codes:
  0   done (compare: no regression found)
  1   compare found a regression
  2   usage error: unknown command or option, or a bad value
  3   the files: no such folder, no sessions in it, an unknown session id,
      a record of a newer schema version, a file that cannot be read or written
  70  an unexpected error in stagetrace itself
`;

const MAIN_HELP = `Usage: stagetrace <command> <logDir> [options]

Reports from a pipeline's audit files (the logDir it writes them to): no
running process and no collector needed.

Commands:
  report <logDir>...  the session summary: bottleneck, failed months, memory, stages, months;
                      with several folders (or --run), one run over all its processes
  sessions <logDir>   the sessions in the folder, with start, duration, months and outcome
  compare <logDir>    what changed between two sessions; exits 1 when something regressed
  replay <logDir>     send the months and stages the collector never got, from the audit files

Options:
  -h, --help          help; \`stagetrace <command> --help\` for a command's options
  -v, --version       the version

${EXIT_CODES}`;

const REPORT_HELP = `Usage: stagetrace report <logDir> [<logDir>...] [--session ID | --run ID] [--format text|json|csv|html] [--out FILE] [--jaeger-url URL]

The summary of one session rebuilt from the audit files; for a session that
ended it equals what getSessionSummary() returned in the run. With several
folders, or --run, the summary of one run: every process's records (the
sessions whose run_id is the run's), merged in time order.

Options:
  --session ID      the session (default: the latest in the folder; \`stagetrace sessions\` lists them)
  --run ID          the run (default with several folders: the run of the latest session in the first)
  --format FORMAT   text (default), json, csv (a row per stage and per month),
                    html (one self-contained page: timeline, memory chart, tables, errors)
  --out FILE        write there instead of to standard output
  --jaeger-url URL  html: link each trace id to Jaeger at URL (http or https,
                    no credentials), e.g. http://localhost:16686; default:
                    the ${JAEGER_URL_ENV} environment variable
  -h, --help        this help

${EXIT_CODES}`;

const SESSIONS_HELP = `Usage: stagetrace sessions <logDir> [--format text|json]

The sessions in a log folder, oldest first: start, duration, months, stage
executions and outcome (succeeded; failed: a month failed or was interrupted;
open: months or stages never ended — still running, or killed).

Options:
  --format FORMAT   text (default) or json
  -h, --help        this help

${EXIT_CODES}`;

const COMPARE_HELP = `Usage: stagetrace compare <logDir> [--base ID] [--session ID] [--threshold PCT] [--min-change SECONDS] [--format text|json]

Per stage (p50, p95, success rate) and per month (duration, status), what
changed from the base session to this one. A regression is a duration that
grew by more than the threshold (and by at least --min-change), a lower
success rate, or a month that no longer succeeds. Exits 1 when one is found,
so a scheduler can alert on it.

Options:
  --session ID          the session to check (default: the latest in the folder)
  --base ID             the session to compare with (default: the one before --session)
  --threshold PCT       percent a duration may grow before it counts (default 20)
  --min-change SECONDS  smallest growth that counts, against noise in short stages (default 0.05)
  --format FORMAT       text (default) or json
  -h, --help            this help

${EXIT_CODES}`;

/** A problem with the command line: said in one line, then where to find the usage. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string | undefined,
  ) {
    super(message);
  }
}

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const say = (text: string) => io.stderr.write(`stagetrace: ${text}\n`);
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      io.stdout.write(MAIN_HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (command === '-v' || command === '--version') {
      io.stdout.write(`${VERSION}\n`);
      return EXIT.ok;
    }
    switch (command) {
      case 'report':
        return await report(rest, io);
      case 'sessions':
        return await sessions(rest, io);
      case 'compare':
        return await compare(rest, io);
      case 'replay':
        // Its own module: it talks to a collector and has its own options and exit codes.
        return await replayCommand(rest);
      default:
        throw new UsageError(
          `unknown command ${JSON.stringify(command)}; the commands are report, sessions, compare and replay.`,
          undefined,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      say(error.message);
      io.stderr.write(`Run 'stagetrace ${error.command ? `${error.command} ` : ''}--help' for usage.\n`);
      return EXIT.usage;
    }
    if (error instanceof AuditLogError || error instanceof OutputError) {
      // They name files and session ids as read: escaped like every field on a terminal.
      say(escapeForLine(error.message));
      return EXIT.files;
    }
    say(
      `unexpected error: ${escapeForLine(error instanceof Error ? error.message : String(error))}${process.env.STAGETRACE_DEBUG ? '' : ' (set STAGETRACE_DEBUG=1 to see where)'}`,
    );
    if (process.env.STAGETRACE_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return EXIT.internal;
  }
}

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function parse<S extends Spec>(
  command: string,
  args: string[],
  options: S,
  manyFolders = false,
): { logDir: string | undefined; logDirs: string[]; values: Record<string, string | boolean | undefined> } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs names the option; its advice about '--' does not apply here.
    throw new UsageError((error as Error).message.split('. To specify')[0] ?? String(error), command);
  }
  const positionals = parsed.positionals;
  if (positionals.length > 1 && !manyFolders)
    throw new UsageError(`${command} takes one log folder; got ${positionals.length}: ${positionals.join(' ')}`, command);
  return { logDir: positionals[0], logDirs: positionals, values: parsed.values as Record<string, string | boolean | undefined> };
}

function need(logDir: string | undefined, command: string): string {
  if (logDir === undefined || logDir === '')
    throw new UsageError(`${command} needs the log folder: stagetrace ${command} <logDir>`, command);
  return logDir;
}

function formatOf(value: unknown, allowed: readonly string[], command: string): string {
  const format = value === undefined ? 'text' : String(value);
  if (!allowed.includes(format)) throw new UsageError(`--format ${JSON.stringify(format)} is not one of ${allowed.join(', ')}.`, command);
  return format;
}

function numberOf(value: unknown, option: string, command: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (String(value).trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${option} ${JSON.stringify(value)} is not a number of 0 or more.`, command);
  return n;
}

/** Lines remembered so that a line read twice (compare reads the files once per session) is noted once. */
const MAX_REMEMBERED_LINES = 100_000;
const NOTED_IN_FULL = 3;

/** Notes about skipped lines: each of the first few, then how many more and how many in all. */
function skippedNotes(io: Io): { onSkippedLine: (line: SkippedLine) => void; finish: () => void } {
  const seen = new Set<string>();
  let count = 0;
  return {
    onSkippedLine: (line) => {
      const key = `${line.line}:${line.file}`;
      if (seen.has(key)) return;
      if (seen.size < MAX_REMEMBERED_LINES) seen.add(key);
      count++;
      if (count <= NOTED_IN_FULL)
        io.stderr.write(`stagetrace: note: skipped ${escapeForLine(line.file)}:${line.line}: ${escapeForLine(line.reason)}\n`);
    },
    finish: () => {
      if (count > NOTED_IN_FULL)
        io.stderr.write(
          `stagetrace: note: skipped ${count - NOTED_IN_FULL} more lines that are not records; ${count} lines skipped in all\n`,
        );
    },
  };
}

/** JSON for standard output: what JSON.stringify leaves raw (C1 controls, line separators) escaped too. */
const jsonOut = (value: unknown) => `${jsonForLine(JSON.stringify(value, null, 2))}\n`;

class OutputError extends Error {}

/**
 * A CSV or HTML report is data for a file or a pipe, written as it is; on a
 * terminal, each of its lines is escaped as the text formats' fields are.
 */
function forTerminal(text: string): string {
  return text.split('\n').map(escapeForLine).join('\n');
}

async function emit(text: string, out: string | undefined, io: Io, escapeOnTerminal: boolean): Promise<void> {
  if (out === undefined) {
    io.stdout.write(escapeOnTerminal && (io.stdout as NodeJS.WriteStream).isTTY ? forTerminal(text) : text);
    return;
  }
  try {
    await writeFile(out, text);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOENT'
          ? 'its folder does not exist'
          : code === 'EISDIR'
            ? 'it is a folder'
            : (error as Error).message;
    throw new OutputError(`cannot write ${out}: ${why}`);
  }
}

async function report(args: string[], io: Io): Promise<number> {
  const { logDir, logDirs, values } = parse(
    'report',
    args,
    {
      session: { type: 'string' },
      run: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'jaeger-url': { type: 'string' },
    },
    true,
  );
  if (values.help) {
    io.stdout.write(REPORT_HELP);
    return EXIT.ok;
  }
  const dir = need(logDir, 'report');
  const format = formatOf(values.format, ['text', 'json', 'csv', 'html'], 'report');
  const run = values.run as string | undefined;
  const merged = logDirs.length > 1 || run !== undefined;
  if (merged && values.session !== undefined)
    throw new UsageError('--session reads one session of one folder; with several folders or --run, leave it out.', 'report');
  if (merged && format === 'html') throw new UsageError('--format html reads one session; for a run, use text, json or csv.', 'report');
  const out = values.out as string | undefined;
  if (out === '') throw new UsageError('--out needs a file name.', 'report');
  const jaegerUrl = jaegerUrlFor(values['jaeger-url'] as string | undefined, format);
  const notes = skippedNotes(io);
  const progress = new ReadProgress(io.stderr);
  const options = {
    session: values.session as string | undefined,
    run,
    onSkippedLine: notes.onSkippedLine,
    onProgress: (read: number, total: number) => progress.update(read, total),
  };
  let text: string;
  try {
    if (format === 'html') text = await htmlReportFromFiles(dir, { ...options, jaegerUrl });
    else {
      const summary = await summarizeAuditLog(merged ? logDirs : dir, options);
      text = format === 'json' ? jsonOut(summary) : format === 'csv' ? formatSessionCsv(summary) : formatSessionReport(summary);
    }
  } finally {
    progress.done();
  }
  notes.finish();
  await emit(text, out, io, format === 'csv' || format === 'html');
  if (out !== undefined) io.stderr.write(`stagetrace: wrote ${out}\n`);
  return EXIT.ok;
}

/** The checked Jaeger URL for an HTML report: the option's, else the environment's; undefined when neither gives one. */
function jaegerUrlFor(option: string | undefined, format: string): string | undefined {
  if (option !== undefined && format !== 'html')
    throw new UsageError(`--jaeger-url links trace ids in the HTML report: add --format html, or leave it out.`, 'report');
  const env = process.env[JAEGER_URL_ENV];
  const [text, source] = option !== undefined ? [option, '--jaeger-url'] : [env, JAEGER_URL_ENV];
  if (format !== 'html' || text === undefined || (option === undefined && text.trim() === '')) return undefined;
  try {
    return jaegerUrlOf(text, source);
  } catch (error) {
    if (error instanceof JaegerUrlError) throw new UsageError(error.message, 'report');
    throw error;
  }
}

async function sessions(args: string[], io: Io): Promise<number> {
  const { logDir, values } = parse('sessions', args, { format: { type: 'string' } });
  if (values.help) {
    io.stdout.write(SESSIONS_HELP);
    return EXIT.ok;
  }
  const dir = need(logDir, 'sessions');
  const format = formatOf(values.format, ['text', 'json'], 'sessions');
  const notes = skippedNotes(io);
  const progress = new ReadProgress(io.stderr);
  let list: Awaited<ReturnType<typeof listSessions>>;
  try {
    list = await listSessions(dir, { onSkippedLine: notes.onSkippedLine, onProgress: (read, total) => progress.update(read, total) });
  } finally {
    progress.done();
  }
  notes.finish();
  if (format === 'json') {
    io.stdout.write(jsonOut(list));
    return EXIT.ok;
  }
  const rows = [['session', 'start', 'duration', 'months', 'failed', 'stage runs', 'outcome']];
  for (const s of list) {
    rows.push([
      escapeForLine(s.session_id),
      s.start,
      formatDuration(s.duration_seconds),
      String(s.months),
      String(s.months_failed),
      String(s.stage_executions),
      s.outcome,
    ]);
  }
  io.stdout.write(
    `${plural(list.length, 'session')} in ${escapeForLine(dir)}\n${alignColumns(rows)
      .map((r) => `  ${r}`)
      .join('\n')}\n`,
  );
  return EXIT.ok;
}

async function compare(args: string[], io: Io): Promise<number> {
  const { logDir, values } = parse('compare', args, {
    base: { type: 'string' },
    session: { type: 'string' },
    threshold: { type: 'string' },
    'min-change': { type: 'string' },
    format: { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(COMPARE_HELP);
    return EXIT.ok;
  }
  const dir = need(logDir, 'compare');
  const format = formatOf(values.format, ['text', 'json'], 'compare');
  const thresholdPercent = numberOf(values.threshold, '--threshold', 'compare', 20);
  const minChangeSeconds = numberOf(values['min-change'], '--min-change', 'compare', 0.05);
  const notes = skippedNotes(io);
  let current = values.session as string | undefined;
  let base = values.base as string | undefined;
  if (current === undefined || base === undefined) {
    const ids = (await listSessions(dir, { onSkippedLine: notes.onSkippedLine })).map((s) => s.session_id);
    current ??= ids[ids.length - 1] as string;
    if (!ids.includes(current))
      throw new AuditLogError(
        'unknown-session',
        `no session ${JSON.stringify(current)} in ${dir}: \`stagetrace sessions ${dir}\` lists the sessions there.`,
      );
    if (base === undefined) {
      const before = ids[ids.indexOf(current) - 1];
      if (before === undefined)
        throw new AuditLogError('no-records', `${dir} has no session before ${current} to compare it with; name one with --base.`);
      base = before;
    }
  }
  const progress = new ReadProgress(io.stderr);
  let comparison: ReturnType<typeof compareSessions>;
  try {
    const onProgress = (read: number, total: number) => progress.update(read, total);
    const baseSummary = await summarizeAuditLog(dir, { session: base, onSkippedLine: notes.onSkippedLine, onProgress });
    const currentSummary = await summarizeAuditLog(dir, { session: current, onSkippedLine: notes.onSkippedLine, onProgress });
    comparison = compareSessions(baseSummary, currentSummary, { thresholdPercent, minChangeSeconds });
  } finally {
    progress.done();
  }
  notes.finish();
  io.stdout.write(format === 'json' ? jsonOut(comparison) : formatComparison(comparison));
  return comparison.regressions.length > 0 ? EXIT.regression : EXIT.ok;
}
