/**
 * `stagetrace replay <logDir>`: sends what the collector never got, from
 * the audit files. The work is in replay/replay-audit-log.ts; this file is
 * the command line around it.
 */
import { parseArgs } from 'node:util';
import { escapeForLine } from '../model/human-format.js';
import { ReplayError, type ReplayResult, type ReplaySessionResult, replayAuditLog } from '../replay/replay-audit-log.js';

/** Exit codes of `stagetrace replay`, as its --help documents them. */
export const REPLAY_EXIT = {
  ok: 0,
  usage: 2,
  files: 3,
  endpoint: 4,
  internal: 70,
} as const;

export const REPLAY_HELP = `Usage: stagetrace replay <logDir> [--session ID] [--endpoint URL]

Sends the months and stages in a log folder that the collector never
acknowledged - it was down or restarting during the run, or the process was
killed before it could send them - with their original trace and span ids,
times, attributes and events, and records them in otlp_delivery.jsonl as
delivered: running it again sends nothing. A month or stage the process never
ended (killed) is sent as interrupted. Only sessions that forwarded spans over
OTLP are replayed, and not one that is still running on this host.

Options:
  --session ID     only this session (default: every session in the folder)
  --endpoint URL   the collector's OTLP/HTTP base URL, e.g. http://localhost:4318
                   (/v1/traces is appended). Default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
                   or OTEL_EXPORTER_OTLP_ENDPOINT when set, else where the run sent.
                   Headers, protocol and timeout come from the OTEL_EXPORTER_OTLP_*
                   variables, as for the run.
  -h, --help       this help

Exit codes:
  0   done: every missing span was sent, or none was missing
  2   usage error: an unknown option, no logDir, a bad value
  3   the files: no such folder or session, a record of a newer schema version,
      a file that cannot be read or written, or the session is still running
  4   the collector could not be reached or refused the spans; the batches it
      took are recorded, so running replay again sends only the rest
  70  an unexpected error in stagetrace itself
`;

export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

class UsageError extends Error {}

const readArgs = (args: string[]) =>
  parseArgs({
    args,
    options: { session: { type: 'string' }, endpoint: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });

function parse(argv: string[]): { dir: string; session: string | undefined; endpoint: string | undefined } | 'help' {
  let parsed: ReturnType<typeof readArgs>;
  try {
    parsed = readArgs(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length === 0) throw new UsageError('missing <logDir>: the folder the pipeline wrote its audit files to');
  if (positionals.length > 1) throw new UsageError(`one <logDir> expected, got ${positionals.length}: ${positionals.join(' ')}`);
  const session = values.session?.trim();
  if (session === '') throw new UsageError('--session needs a session id (`stagetrace sessions <logDir>` lists them)');
  const endpoint = values.endpoint?.trim();
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new UsageError(
        `--endpoint ${JSON.stringify(endpoint)} is not an http(s) URL; expected the collector's OTLP/HTTP base URL, e.g. http://localhost:4318`,
      );
    }
  }
  return { dir: positionals[0] as string, session, endpoint };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line about a session; its id and endpoint come from the files, escaped like every field on a terminal. */
function describeSession(result: ReplaySessionResult): string {
  const s = { ...result, sessionId: escapeForLine(result.sessionId), endpoint: result.endpoint && escapeForLine(result.endpoint) };
  if (s.skipped === 'no-otlp') return `session ${s.sessionId}: did not forward spans over OTLP; nothing to replay`;
  if (s.skipped === 'running') return `session ${s.sessionId}: still running on this host; not replayed (replay it once it has ended)`;
  const notes: string[] = [];
  if (s.alreadyDelivered > 0) notes.push(`${s.alreadyDelivered} delivered before`);
  if (s.notSampled > 0) notes.push(`${s.notSampled} not sampled`);
  if (s.notReplayable > 0) notes.push(`${s.notReplayable} written before audit schema 2, not replayable`);
  const tail = notes.length > 0 ? ` (${notes.join(', ')})` : '';
  if (s.sent === 0) return `session ${s.sessionId}: nothing to send${tail}`;
  const closed = s.closedByReplay > 0 ? `, ${s.closedByReplay} of them never ended and sent as interrupted` : '';
  return `session ${s.sessionId}: sent ${plural(s.sent, 'span')} to ${s.endpoint}${closed}${tail}`;
}

function report(result: ReplayResult, io: CommandIo): void {
  for (const s of result.sessions) io.out(`${describeSession(s)}\n`);
  io.out(`replay: ${plural(result.sent, 'span')} sent\n`);
}

/**
 * Runs `stagetrace replay` with the arguments after `replay`; resolves to
 * the exit code. Errors are one line on stderr.
 */
export async function replayCommand(argv: string[], io: CommandIo = stdio): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`stagetrace: replay: ${escapeForLine(error.message)}. See stagetrace replay --help.\n`);
    return REPLAY_EXIT.usage;
  }
  if (args === 'help') {
    io.out(REPLAY_HELP);
    return REPLAY_EXIT.ok;
  }
  try {
    const result = await replayAuditLog(args.dir, { session: args.session, endpoint: args.endpoint });
    report(result, io);
    const running = args.session === undefined ? undefined : result.sessions.find((s) => s.skipped === 'running');
    if (running !== undefined) {
      io.err(
        `stagetrace: replay: session ${escapeForLine(running.sessionId)} is still running on this host; replay it once it has ended.\n`,
      );
      return REPLAY_EXIT.files;
    }
    return REPLAY_EXIT.ok;
  } catch (error) {
    if (error instanceof ReplayError) {
      if (error.partial.sent > 0) report(error.partial, io);
      io.err(`${escapeForLine(error.message)}\n`);
      return error.kind === 'endpoint' ? REPLAY_EXIT.endpoint : REPLAY_EXIT.files;
    }
    io.err(`stagetrace: replay: unexpected error: ${escapeForLine(error instanceof Error ? error.message : String(error))}\n`);
    return REPLAY_EXIT.internal;
  }
}
