import { ERROR_LOG_FILE } from '../model/audit-schema.js';
import { AuditLogError } from './audit-log-error.js';
import { forEachLine, LineReader, OVERLONG_LINE, UnreadableFileError } from './line-reader.js';
import { auditFileGenerations } from './read-audit-log.js';

/** One block of error_details.log. */
export interface ErrorDetail {
  /** As the file writes it: local time, milliseconds. */
  time: string;
  month: string | null;
  stage: string | null;
  message: string | null;
  type: string;
  errorMessage: string;
  /** The traceback, `Caused by:` sections included, without the file's indentation. */
  stack: string;
  context: string;
  traceId: string | null;
  spanId: string | null;
}

const BLOCK_END = '----------------------------------------';
const HEADER = /^\[([0-9: .-]{23})\] ERROR DETAILS:$/;
/** A block holds its header fields and a traceback (messages and stacks are capped when written); a runaway one is cut. */
const MAX_BLOCK_LINES = 400;
const MAX_BLOCK_CHARS = 256 * 1024;

/**
 * The error blocks of one session, in file order: the first `limit` in
 * full, the rest counted. Blocks of other sessions are skipped.
 */
export async function readErrorDetails(dir: string, sessionId: string, limit = 100): Promise<{ errors: ErrorDetail[]; more: number }> {
  const reader = new LineReader(auditFileGenerations(dir, ERROR_LOG_FILE));
  const errors: ErrorDetail[] = [];
  let more = 0;
  let block: string[] | undefined;
  let blockChars = 0;
  try {
    await forEachLine(reader, (line) => {
      if (block === undefined) {
        if (HEADER.test(line)) {
          block = [line];
          blockChars = line.length;
        }
        return;
      }
      if (line !== BLOCK_END) {
        if (line === OVERLONG_LINE || block.length >= MAX_BLOCK_LINES || blockChars + line.length > MAX_BLOCK_CHARS) return;
        block.push(line);
        blockChars += line.length;
        return;
      }
      const detail = parseBlock(block);
      block = undefined;
      if (detail === undefined || detail.session !== sessionId) return;
      if (errors.length < limit) errors.push(detail.error);
      else more++;
    });
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new AuditLogError('unreadable', error.message, { cause: error });
    throw error;
  }
  return { errors, more };
}

function parseBlock(lines: string[]): { session: string; error: ErrorDetail } | undefined {
  const time = HEADER.exec(lines[0] as string)?.[1];
  if (time === undefined) return undefined;
  const fields = new Map<string, string>();
  const stack: string[] = [];
  let inTrace = false;
  for (const line of lines.slice(1)) {
    if (inTrace) {
      if (line.startsWith('  ')) {
        stack.push(line.slice(2));
        continue;
      }
      inTrace = false;
    }
    if (line === 'Traceback:') {
      inTrace = true;
      continue;
    }
    const colon = line.indexOf(': ');
    if (colon > 0 && !fields.has(line.slice(0, colon))) fields.set(line.slice(0, colon), line.slice(colon + 2));
  }
  const session = fields.get('Session');
  if (session === undefined) return undefined;
  const orNull = (value: string | undefined) => (value === undefined || value === '-' ? null : value);
  const ids = /^(\S+) Span: (\S+)$/.exec(fields.get('Trace') ?? '');
  return {
    session,
    error: {
      time,
      month: orNull(fields.get('Month')),
      stage: orNull(fields.get('Stage')),
      message: fields.get('Message') ?? null,
      type: fields.get('Error Type') ?? 'Error',
      errorMessage: fields.get('Error Message') ?? '',
      stack: stack.join('\n'),
      context: fields.get('Context') ?? '{}',
      traceId: orNull(ids?.[1]),
      spanId: orNull(ids?.[2]),
    },
  };
}
