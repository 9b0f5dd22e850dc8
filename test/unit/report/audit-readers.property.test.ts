/**
 * Every reader of the audit files, and the command over them, takes any
 * line: any JSON of any types and nesting, forged records, random bytes.
 * None throws anything but the documented AuditLogError, the command never
 * exits 70 ("a bug in stagetrace"), its text and JSON output hold no
 * terminal control character, and each read stays fast and small.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, main } from '../../../src/cli/main.js';
import { DELIVERY_LOG_FILE, ERROR_LOG_FILE, PERFORMANCE_LOG_FILE, STRUCTURED_LOG_FILE } from '../../../src/model/audit-schema.js';
import { AuditLogError } from '../../../src/report/audit-log-error.js';
import { readErrorDetails } from '../../../src/report/error-details.js';
import { htmlReportFromFiles } from '../../../src/report/html-from-files.js';
import { listSessions } from '../../../src/report/list-sessions.js';
import { readAuditLog } from '../../../src/report/read-audit-log.js';
import { summarizeAuditLog } from '../../../src/report/summarize-audit-log.js';
import { T0 } from '../../helpers/records.js';
import { writeMonthlySession } from '../../helpers/session-files.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 40;
const FILES = [STRUCTURED_LOG_FILE, PERFORMANCE_LOG_FILE, DELIVERY_LOG_FILE, ERROR_LOG_FILE];
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/** Generous: a case reads a few kilobytes; the bound is there to catch a read that is not linear. */
const MAX_CASE_MS = 10_000;

class Captured {
  text = '';
  readonly isTTY = false;
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }
}

let work: string;
let n = 0;
/** The files of two good sessions, to which each case appends its lines. */
const good: Record<string, string> = {};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stagetrace-readers-property-'));
  const dir = join(work, 'good');
  mkdirSync(dir);
  writeMonthlySession(dir, 's', T0, { '2024-01': { a: 1, b: -2 }, '2024-02': { a: 1 } });
  writeMonthlySession(dir, 't', T0 + 60_000, { '2024-01': { a: 2, b: 1 } });
  for (const name of FILES) good[name] = readFileSync(join(dir, name), { encoding: 'utf8', flag: 'a+' });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const record = {
  schema_version: 2,
  record_type: 'stage',
  timestamp: '2025-01-06T09:10:00.000Z',
  processing_time: T0 / 1000 + 600,
  session_id: 't',
  level: 'INFO',
  message: 'Starting x',
  month: '2024-03',
  stage: 'x',
  stage_event: 'end',
  stage_duration: 1,
  outcome: 'success',
  context: {},
  memory_mb: 100,
  has_error: false,
  trace_id: 'a'.repeat(32),
  span_id: 'b'.repeat(16),
  // Performance and delivery fields, so that one forged object is a candidate record of every file.
  duration_seconds: 1,
  undelivered_spans: {},
  span_ids: [],
};
const FIELDS = [...Object.keys(record), 'memory_event', 'export_errors', 'delivered_spans', 'via', 'error_type'];

const deepValue = fc
  .tuple(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom('[', '{"k":'))
  .map(([depth, open]) => `${open.repeat(depth)}${(open === '[' ? ']' : '}').repeat(depth)}`);
/** Any JSON value as text: primitives of any type, absurd numbers, deep nesting. */
const anyValue = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.constantFrom('1e300', '-1e300', '1e400', '-0', '0.1', 'null', 'true', '"\\u001b]52;c;aGk=\\u0007"', '"__proto__"'),
  deepValue,
);
/** A record of either session with some fields set to anything. */
const forgedRecord = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...FIELDS), anyValue), { minLength: 1, maxLength: 4 }), fc.constantFrom('s', 't'))
  .map(([fields, session]) => {
    const base = JSON.stringify({ ...record, session_id: session }).slice(0, -1);
    return `${base}${fields.map(([k, v]) => `,${JSON.stringify(k)}:${v}`).join('')}}`;
  });
const randomBytes = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1'));
const errorBlock = fc
  .array(fc.string({ unit: 'binary', maxLength: 80 }), { maxLength: 6 })
  .map((lines) =>
    ['[2025-01-06 09:00:00.000] ERROR DETAILS:', 'Session: t', ...lines, '----------------------------------------'].join('\n'),
  );
const line = fc.oneof(
  forgedRecord,
  fc.json({ maxDepth: 3 }),
  deepValue,
  randomBytes,
  fc.string({ unit: 'binary', maxLength: 200 }),
  errorBlock,
);
/** Lines for each file, and whether each file's last line ends without a newline (torn). */
const damage = fc.record({
  lines: fc.array(fc.tuple(fc.constantFrom(...FILES), line), { minLength: 1, maxLength: 8 }),
  torn: fc.boolean(),
});

function folderWith(d: { lines: [string, string][]; torn: boolean }): string {
  const dir = join(work, `case-${++n}`);
  mkdirSync(dir);
  for (const name of FILES) writeFileSync(join(dir, name), good[name] ?? '');
  for (const [name, text] of d.lines) appendFileSync(join(dir, name), `${text}\n`);
  if (d.torn) appendFileSync(join(dir, STRUCTURED_LOG_FILE), '{"schema_version":2,"session_id":"t","time');
  return dir;
}

/** Runs `read`; an AuditLogError (a newer schema version, say) is an answer, anything else fails the case. */
async function answers(read: () => Promise<unknown>): Promise<void> {
  try {
    await read();
  } catch (error) {
    if (!(error instanceof AuditLogError)) throw error;
  }
}

async function collect(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable);
}

describe('readers of the audit files, on any line', () => {
  it('never throw but AuditLogError, in bounded time', async () => {
    await fc.assert(
      fc.asyncProperty(damage, async (d) => {
        const dir = folderWith(d);
        const started = performance.now();
        await answers(() => collect(readAuditLog(dir, { onInvalidLine: () => undefined })));
        await answers(() => collect(readAuditLog(dir, { file: 'performance', sessionId: 't' })));
        await answers(() => collect(readAuditLog(dir, { file: 'delivery' })));
        await answers(() => summarizeAuditLog(dir, { onSkippedLine: () => undefined }));
        await answers(() => summarizeAuditLog(dir, { session: 's' }));
        await answers(() => listSessions(dir));
        await answers(() => readErrorDetails(dir, 't'));
        await answers(() => htmlReportFromFiles(dir, { session: 't' }));
        expect(performance.now() - started).toBeLessThan(MAX_CASE_MS);
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: runs },
    );
  }, 300_000);

  it('the command never exits 70, and writes no control character to a terminal, in bounded time and memory', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(damage, async (d) => {
        const dir = folderWith(d);
        for (const argv of [
          ['report', dir],
          ['report', dir, '--format', 'json'],
          ['report', dir, '--format', 'csv'],
          ['report', dir, '--format', 'html', '--session', 's'],
          ['sessions', dir],
          ['sessions', dir, '--format', 'json'],
          ['compare', dir],
          ['compare', dir, '--format', 'json', '--base', 's', '--session', 't'],
        ]) {
          const stdout = new Captured();
          const stderr = new Captured();
          const started = performance.now();
          const code = await main(argv, {
            stdout: stdout as unknown as NodeJS.WritableStream,
            stderr: stderr as unknown as NodeJS.WriteStream,
          });
          const what = `${argv.join(' ')}\n${stderr.text}`;
          expect(performance.now() - started, what).toBeLessThan(MAX_CASE_MS);
          expect([EXIT.ok, EXIT.regression, EXIT.files], what).toContain(code);
          expect(stderr.text, what).not.toMatch(CONTROL);
          if (!argv.includes('csv') && !argv.includes('html')) expect(stdout.text, what).not.toMatch(CONTROL);
        }
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: runs },
    );
    // Nothing read is kept between commands: the heap grows by the test's own garbage at most.
    expect((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toBeLessThan(256);
  }, 300_000);
});
