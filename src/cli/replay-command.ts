/**
 * `stagetrace replay <logDir>`: sends what the collector never got, from
 * the audit files. The work is in replay/replay-audit-log.ts; this file is
 * the command line around it.
 */
import { parseArgs } from 'node:util';
import { escapeForLine } from '../model/human-format.js';
import { Redactor } from '../model/redaction.js';
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

The files are read as untrusted input: a span whose trace, span or parent id
is not lowercase hex of the right length (or is all zero), or whose times lie
outside the session (from a day before it began to a day after now), is
reported and not sent, so it cannot make the collector refuse the others;
names, attributes, events and messages are cut to the sizes a live run allows.
A batch the collector answers with a partial_success rejecting spans is not
recorded as delivered (OTLP does not say which spans it rejected): the next
replay sends it again.

A session that also sent its messages as OpenTelemetry log records gets the
messages whose log records the collector never acknowledged sent as well, to
the logs endpoint (/v1/logs), rebuilt as the run built them (body, severity,
trace and span ids, attributes, exception), and recorded by message number:
a second replay sends none. Messages of a run with logs off are not sent.

Options:
  --session ID     only this session (default: every session in the folder)
  --endpoint URL   the collector's OTLP/HTTP base URL, e.g. http://localhost:4318
                   (/v1/traces is appended, /v1/logs for log records). Default:
                   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (_LOGS_ENDPOINT)
                   or OTEL_EXPORTER_OTLP_ENDPOINT when set, else where the run sent
                   (as otlp_delivery.jsonl says) - and then WITHOUT the headers of
                   OTEL_EXPORTER_OTLP_HEADERS: whoever can edit that file must not
                   receive your credentials. Headers, protocol and timeout come from
                   the OTEL_EXPORTER_OTLP_* variables, as for the run.
  -h, --help       this help

Exit codes:
  0   done: every missing span and message was sent, or none was missing
  2   usage error: an unknown option, no logDir, a bad value
  3   the files: no such folder or session, a record of a newer schema version,
      a file that cannot be read or written, or the session is still running
  4   the collector could not be reached or refused the spans or log records
      (also in part, with a partial_success); the batches it took are
      recorded, so running replay again sends only the rest
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
  if (s.invalid > 0) notes.push(`${s.invalid} invalid, not sent`);
  if (s.rejected > 0) notes.push(`${s.rejected} rejected by the collector, to send again`);
  const tail = notes.length > 0 ? ` (${notes.join(', ')})` : '';
  const messages = forwardedLogs(result) ? `; ${describeMessages(result)}` : '';
  if (s.sent === 0 && s.rejected === 0) return `session ${s.sessionId}: nothing to send${tail}${messages}`;
  const closed = s.closedByReplay > 0 ? `, ${s.closedByReplay} of them never ended and sent as interrupted` : '';
  return `session ${s.sessionId}: sent ${plural(s.sent, 'span')} to ${s.endpoint}${closed}${tail}${messages}`;
}

/** The session forwarded its messages as log records (every such session has at least its own start record). */
function forwardedLogs(s: ReplaySessionResult): boolean {
  return s.messagesSent + s.messagesAlreadyDelivered + s.messagesNotReplayable + s.messagesInvalid + s.messagesRejected > 0;
}

function describeMessages(s: ReplaySessionResult): string {
  const notes: string[] = [];
  if (s.messagesAlreadyDelivered > 0) notes.push(`${s.messagesAlreadyDelivered} delivered before`);
  if (s.messagesNotReplayable > 0) notes.push(`${s.messagesNotReplayable} written without message_seq, not replayable`);
  if (s.messagesInvalid > 0) notes.push(`${s.messagesInvalid} invalid, not sent`);
  if (s.messagesRejected > 0) notes.push(`${s.messagesRejected} rejected by the collector, to send again`);
  const tail = notes.length > 0 ? ` (${notes.join(', ')})` : '';
  if (s.messagesSent === 0 && s.messagesRejected === 0) return `no message to send as a log record${tail}`;
  return `sent ${plural(s.messagesSent, 'message')} as log records to ${escapeForLine(s.logsEndpoint ?? '')}${tail}`;
}

/** Longest collector text shown: it is untrusted. */
const MAX_REASON_CHARS = 300;

/** What the user must know about a session beyond what was sent, one line each, for stderr. */
function warnings(s: ReplaySessionResult): string[] {
  const lines: string[] = [];
  if (s.headersWithheld) {
    lines.push(
      `stagetrace: replay: session ${s.sessionId}: sent to ${s.endpoint ?? s.logsEndpoint}, the endpoint written in otlp_delivery.jsonl, without the OTEL_EXPORTER_OTLP_HEADERS credentials (whoever can edit the file could collect them); pass --endpoint or set OTEL_EXPORTER_OTLP_ENDPOINT to send with them.`,
    );
  }
  if (s.invalid > 0) {
    lines.push(
      `stagetrace: replay: session ${s.sessionId}: ${plural(s.invalid, 'span')} not sent, as a collector would refuse the whole request: ${s.invalidReasons.map(cut).join('; ')}${s.invalid > s.invalidReasons.length ? '; …' : ''}.`,
    );
  }
  if (s.messagesInvalid > 0) {
    lines.push(
      `stagetrace: replay: session ${s.sessionId}: ${plural(s.messagesInvalid, 'message')} not sent as log records: ${s.messagesInvalidReasons.map(cut).join('; ')}${s.messagesInvalid > s.messagesInvalidReasons.length ? '; …' : ''}.`,
    );
  }
  if (s.rejected > 0) lines.push(rejectedLine(s, plural(s.rejected, 'span'), s.endpoint));
  if (s.messagesRejected > 0) lines.push(rejectedLine(s, plural(s.messagesRejected, 'log record'), s.logsEndpoint));
  return lines;
}

/** A partial success the collector answered, with its (untrusted, cut) reason. */
function rejectedLine(s: ReplaySessionResult, what: string, endpoint: string | undefined): string {
  const said =
    s.rejectedReason === undefined || s.rejectedReason === '' ? 'no reason given' : `its reason: ${JSON.stringify(cut(s.rejectedReason))}`;
  return `stagetrace: replay: session ${s.sessionId}: the collector at ${endpoint} rejected ${what} (partial_success; ${said}); their batches are not recorded as delivered, so the next replay sends them again.`;
}

/** Text from the files or the collector, redacted and bounded (JSON-quoting then escapes what could move the terminal). */
function cut(text: string): string {
  return new Redactor().scrubText(text, MAX_REASON_CHARS);
}

function report(result: ReplayResult, io: CommandIo): void {
  for (const s of result.sessions) io.out(`${describeSession(s)}\n`);
  const messages = result.sessions.some(forwardedLogs) ? `, ${plural(result.messagesSent, 'message')} as log records` : '';
  io.out(`replay: ${plural(result.sent, 'span')}${messages} sent\n`);
  for (const s of result.sessions) for (const line of warnings(s)) io.err(`${line}\n`);
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
    return result.sessions.some((s) => s.rejected > 0 || s.messagesRejected > 0) ? REPLAY_EXIT.endpoint : REPLAY_EXIT.ok;
  } catch (error) {
    if (error instanceof ReplayError) {
      if (error.partial.sent > 0 || error.partial.messagesSent > 0) report(error.partial, io);
      io.err(`${escapeForLine(error.message)}\n`);
      return error.kind === 'endpoint' ? REPLAY_EXIT.endpoint : REPLAY_EXIT.files;
    }
    io.err(`stagetrace: replay: unexpected error: ${escapeForLine(error instanceof Error ? error.message : String(error))}\n`);
    return REPLAY_EXIT.internal;
  }
}
