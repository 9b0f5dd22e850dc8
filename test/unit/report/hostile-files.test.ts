/**
 * The reports read the audit files as untrusted input: forged or damaged
 * lines are skipped and noted, never a crash of the command (exit 70), and
 * nothing read from the files reaches a terminal as a control sequence.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, main } from '../../../src/cli/main.js';
import { replayCommand } from '../../../src/cli/replay-command.js';
import { PERFORMANCE_LOG_FILE, STRUCTURED_LOG_FILE } from '../../../src/model/audit-schema.js';
import { T0 } from '../../helpers/records.js';
import { writeMonthlySession } from '../../helpers/session-files.js';

/** What a terminal acts on: C0 controls but the newline, DEL and C1 controls (U+009B is a CSI on its own). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

class Captured {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliOn(false, ...argv);
}

async function cliOn(terminal: boolean, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Captured(terminal);
  const stderr = new Captured();
  const code = await main(argv, { stdout: stdout as unknown as NodeJS.WritableStream, stderr: stderr as unknown as NodeJS.WriteStream });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

let work: string;
let n = 0;
const freshDir = () => {
  const dir = join(work, `case-${++n}`);
  mkdirSync(dir);
  return dir;
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stagetrace-hostile-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Rewrites every trace id in both JSONL files of `dir` to `traceId`. */
function forgeTraceIds(dir: string, traceId: string): void {
  for (const name of [STRUCTURED_LOG_FILE, PERFORMANCE_LOG_FILE]) {
    const file = join(dir, name);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"trace_id":"[0-9a-f]{32}"/g, `"trace_id":${JSON.stringify(traceId)}`));
  }
}

describe('terminal control sequences in the files', () => {
  // OSC 52 writes the clipboard; ESC [2J clears the screen; U+009B is an 8-bit CSI.
  const month = '2024-01\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07';
  const session = (name: string) => `${name}\x1b[2J\x1b[H\u009b31m`;

  it('reach report, sessions, compare and replay output escaped, in every text and JSON format', async () => {
    const dir = freshDir();
    writeMonthlySession(dir, session('base'), T0, { [month]: { load: 1 } });
    writeMonthlySession(dir, session('now'), T0 + 60_000, { [month]: { load: -5 } });
    forgeTraceIds(dir, '\x1b[6n\x1b]0;pwned\x07');
    const runs = {
      report: await cli('report', dir),
      reportJson: await cli('report', dir, '--format', 'json'),
      sessions: await cli('sessions', dir),
      sessionsJson: await cli('sessions', dir, '--format', 'json'),
      compare: await cli('compare', dir),
      compareJson: await cli('compare', dir, '--format', 'json'),
    };
    for (const [name, run] of Object.entries(runs)) {
      expect(run.code, name).not.toBe(EXIT.internal);
      expect(run.stdout, name).not.toMatch(CONTROL);
      expect(run.stderr, name).not.toMatch(CONTROL);
    }
    // Shown, not dropped: the text says what the files hold.
    expect(runs.report.stdout).toContain('2024-01\\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\u0007');
    expect(runs.report.stdout).toContain('\\u001b[6n\\u001b]0;pwned\\u0007');
    expect(runs.compare.stdout).toContain('month 2024-01\\u001b]52;c;');
    expect(JSON.parse(runs.reportJson.stdout).months[month].trace_id).toBe('\x1b[6n\x1b]0;pwned\x07');
    expect(JSON.parse(runs.sessionsJson.stdout)[0].session_id).toBe(session('base'));

    const replayed: string[] = [];
    const code = await replayCommand([dir], { out: (t) => replayed.push(t), err: (t) => replayed.push(t) });
    expect(code).toBe(0);
    expect(replayed.join('')).toContain('session now\\u001b[2J\\u001b[H\\u009b31m:');
    expect(replayed.join('')).not.toMatch(CONTROL);
  });

  it('reach a terminal escaped in the CSV and HTML reports, and a pipe as they are', async () => {
    const dir = freshDir();
    writeMonthlySession(dir, session('s'), T0, { [month]: { load: 1 } });
    for (const format of ['csv', 'html']) {
      const terminal = await cliOn(true, 'report', dir, '--format', format);
      expect(terminal.code).toBe(EXIT.ok);
      expect(terminal.stdout).not.toMatch(CONTROL);
      expect(terminal.stdout).toContain('2024-01\\u001b]52;c;');
    }
    expect((await cliOn(false, 'report', dir, '--format', 'csv')).stdout).toContain(month);
  });

  it('reach the notes about skipped lines escaped', async () => {
    const dir = freshDir();
    writeMonthlySession(dir, 's', T0, { '2024-01': { a: 1 } });
    appendFileSync(join(dir, STRUCTURED_LOG_FILE), '\x1b]52;c;aGk=\x07 not json\n');
    const run = await cli('report', dir);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).toMatch(/^stagetrace: note: skipped .*:\d+: not JSON \(.*\\u001b\]52;c;aGk.*\)\n$/);
  });
});

/** A session `s`, then `lines` appended to its structured file. */
function sessionWith(...lines: string[]): string {
  const dir = freshDir();
  writeMonthlySession(dir, 's', T0, { '2024-01': { a: 1, b: 2 }, '2024-02': { a: 1 } });
  writeMonthlySession(dir, 't', T0 + 60_000, { '2024-01': { a: 1, b: 2 } });
  appendFileSync(join(dir, STRUCTURED_LOG_FILE), lines.map((l) => `${l}\n`).join(''));
  return dir;
}

const base = {
  schema_version: 2,
  record_type: 'stage',
  timestamp: '2025-01-06T09:10:00.000Z',
  processing_time: T0 / 1000 + 600,
  session_id: 't',
  level: 'INFO',
  message: 'Finished x',
  month: '2024-01',
  stage: 'x',
  stage_event: 'end',
  stage_duration: 1,
  success_status: true,
  outcome: 'success',
  context: {},
  memory_mb: 100,
  has_error: false,
  trace_id: 'a'.repeat(32),
  span_id: 'b'.repeat(16),
};
const forged = (fields: Record<string, unknown>) => JSON.stringify({ ...base, ...fields });
const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('wrong-typed fields, absurd numbers and deep nesting', () => {
  const cases: [string, string][] = [
    ['a string processing_time', forged({ processing_time: 'soon' })],
    ['a numeric stage name', forged({ stage: 42 })],
    ['a numeric month', forged({ month: 202401 })],
    ['processing_time 1e300', forged({ processing_time: 1e300 })],
    ['a duration of 1e300 seconds', forged({ stage_duration: 1e300 })],
    ['a negative duration', forged({ stage_duration: -3 })],
    ['a context 100,000 arrays deep', `${forged({}).slice(0, -1)},"context":{"k":${deep(100_000)}}}`],
    [
      'a message context 100,000 arrays deep',
      `${forged({ record_type: 'message', stage_event: null, stage: null }).slice(0, -1)},"context":{"k":${deep(100_000)}}}`,
    ],
    ['a context that is an array', forged({ context: [1, 2] })],
    ['an unknown outcome', forged({ outcome: 'meh' })],
    ['a memory event without its fields', forged({ record_type: 'message', stage_event: null, memory_event: {} })],
  ];

  it.each(cases)('%s: the record is skipped and noted, and every command still answers', async (_, line) => {
    const dir = sessionWith(line);
    const file = join(dir, STRUCTURED_LOG_FILE);
    const lineNo = readFileSync(file, 'utf8').trimEnd().split('\n').length;
    const commands = [
      ['report', dir],
      ['report', dir, '--format', 'json'],
      ['report', dir, '--format', 'html'],
      ['sessions', dir],
      ['compare', dir],
    ];
    const runs = await Promise.all(commands.map((argv) => cli(...argv)));
    expect(Object.fromEntries(runs.map((run, i) => [commands[i]?.join(' '), run.code]))).toEqual(
      Object.fromEntries(commands.map((argv) => [argv.join(' '), EXIT.ok])),
    );
    for (const run of runs) expect(run.stderr).toContain(`stagetrace: note: skipped ${file}:${lineNo}: `);
    expect((await cli('report', dir)).stdout).toMatch(
      /^Session t \(nightly-etl\)\n.*\n {2}1 month: 1 succeeded, 0 failed · 2 stage executions, 0 failed/,
    );
  });

  it('notes a damaged line in the middle of a file, not only a torn last one', async () => {
    const dir = sessionWith('\0\0\0\0{"schema_version":2,"session', forged({}));
    const file = join(dir, STRUCTURED_LOG_FILE);
    const lineNo = readFileSync(file, 'utf8').trimEnd().split('\n').length - 1;
    for (const session of ['s', 't']) {
      const run = await cli('report', dir, '--session', session);
      expect(run.code).toBe(EXIT.ok);
      expect(run.stderr).toMatch(new RegExp(`^stagetrace: note: skipped ${file}:${lineNo}: not JSON \\(.+\\)\\n$`));
    }
  });

  it('counts skipped lines once when compare reads the files twice, and says how many in all', async () => {
    const dir = sessionWith('x1', 'x2', 'x3', 'x4', 'x5');
    const run = await cli('compare', dir);
    expect(run.code).toBe(EXIT.ok);
    const notes = run.stderr.trimEnd().split('\n');
    expect(notes).toHaveLength(4);
    expect(notes[3]).toBe('stagetrace: note: skipped 2 more lines that are not records; 5 lines skipped in all');
  });
});
