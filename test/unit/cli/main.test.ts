/**
 * The `stagetrace` command in-process: main() with its output streams
 * captured, over audit files written by a real stagetrace session in this
 * process and over files built record by record, so every line can be
 * checked. test/integration/report/cli.test.ts runs the same command as a child process.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT, main } from '../../../src/cli/main.js';
import { getSessionSummary, logProgress, type SessionSummary, shutdown, start, traceMonth, traceStage } from '../../../src/index.js';
import { VERSION } from '../../../src/model/version.js';
import { formatSessionReport } from '../../../src/report/session-report.js';
import { T0 } from '../../helpers/records.js';
import { writeMonthlySession } from '../../helpers/session-files.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 100;

/** A stream that keeps what is written to it; a terminal when `isTTY`. */
class Captured {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], options: { tty?: boolean; stdout?: Captured } = {}): Promise<Run> {
  const stdout = options.stdout ?? new Captured();
  const stderr = new Captured(options.tty ?? false);
  const code = await main(argv, { stdout: stdout as unknown as NodeJS.WritableStream, stderr: stderr as unknown as NodeJS.WriteStream });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A usage error: nothing on stdout, the problem in one line, then where the usage is. */
function expectUsageError(run: Run, message: string, command?: string): void {
  expect(run.code).toBe(EXIT.usage);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(`stagetrace: ${message}\nRun 'stagetrace ${command ? `${command} ` : ''}--help' for usage.\n`);
}

/** A problem with the files: nothing on stdout, one line on stderr, exit 3. */
function expectFileError(run: Run, message: string): void {
  expect(run.code).toBe(EXIT.files);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(`stagetrace: ${message}\n`);
}

let work: string;
/** Two sessions of a real in-process pipeline: one with a failed month, then one that succeeds. */
let realLogs: string;
const live: Record<string, SessionSummary> = {};
/** Two sessions built record by record: `base`, then `slower` with a slower and a failed month. */
let builtLogs: string;

async function realSession(sessionId: string, failMonth: string | undefined): Promise<void> {
  await start({
    logDir: realLogs,
    sessionId,
    serviceName: 'cli-pipeline',
    console: false,
    handleExit: false,
    hostMetrics: false,
    durability: 'sync',
  });
  for (const month of ['2024-01', '2024-02', '2024-03']) {
    await traceMonth(month, async () => {
      await traceStage('download', async () => undefined, { context: { file_key: `s3://bucket/${month}.csv` } });
      await traceStage('process', async () => {
        if (month === failMonth) throw new RangeError('negative price on line 17', { cause: new Error('row 17') });
      });
    }).catch(() => logProgress(`month ${month} failed`, { level: 'ERROR' }));
  }
  await shutdown();
  live[sessionId] = getSessionSummary();
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'stagetrace-cli-main-'));
  realLogs = join(work, 'real');
  await realSession('run-failed', '2024-02');
  await realSession('run-ok', undefined);
  builtLogs = join(work, 'built');
  mkdirSync(builtLogs);
  const months = { '2024-01': { download: 1, process: 2 }, '2024-02': { download: 1, process: 2 }, '2024-03': { download: 1, process: 2 } };
  writeMonthlySession(builtLogs, 'base', T0, months);
  writeMonthlySession(builtLogs, 'slower', T0 + 3_600_000, {
    ...months,
    '2024-02': { download: 1, process: 4 },
    '2024-03': { download: 1, process: -2 },
  });
}, 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('stagetrace without a command, --help and --version', () => {
  it('prints the usage with the commands and exit codes: exit 2 without a command, 0 when asked for', async () => {
    const bare = await cli([]);
    expect(bare.code).toBe(EXIT.usage);
    expect(bare.stdout.split('\n')[0]).toBe('Usage: stagetrace <command> <logDir> [options]');
    for (const line of [
      '  report <logDir>...  the session summary: bottleneck, failed months, memory, stages, months;',
      '  sessions <logDir>   the sessions in the folder, with start, duration, months and outcome',
      '  compare <logDir>    what changed between two sessions; exits 1 when something regressed',
      '  70  an unexpected error in stagetrace itself',
    ])
      expect(bare.stdout.split('\n')).toContain(line);
    expect(bare.stderr).toBe('');
    for (const flag of ['--help', '-h', 'help']) expect(await cli([flag])).toEqual({ code: EXIT.ok, stdout: bare.stdout, stderr: '' });
  });

  it('prints the version alone on its line', async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) expect(await cli([flag])).toEqual({ code: EXIT.ok, stdout: `${VERSION}\n`, stderr: '' });
    expect(VERSION).toBe(version);
  });

  it("gives each command's help with its options and the exit codes, reading no file", async () => {
    const options: Record<string, string[]> = {
      report: ['--session ID', '--format FORMAT', '--out FILE'],
      sessions: ['--format FORMAT'],
      compare: ['--session ID', '--base ID', '--threshold PCT', '--min-change SECONDS', '--format FORMAT'],
    };
    for (const [command, names] of Object.entries(options)) {
      for (const flag of ['--help', '-h']) {
        const run = await cli([command, join(work, 'no-such-folder'), flag]);
        expect(run.code).toBe(EXIT.ok);
        expect(run.stderr).toBe('');
        expect(run.stdout.startsWith(`Usage: stagetrace ${command} <logDir>`)).toBe(true);
        for (const name of names) expect(run.stdout).toMatch(new RegExp(`\\n  ${name} `));
        expect(run.stdout).toContain('\nExit codes:\n  0   done');
      }
    }
  });
});

describe('usage errors: exit 2, naming the option or value, pointing at --help', () => {
  it('names an unknown command and lists the real ones', async () => {
    expectUsageError(
      await cli(['frobnicate', realLogs]),
      'unknown command "frobnicate"; the commands are report, sessions, compare and replay.',
    );
  });

  it('asks for the log folder, and for only one except for a run report', async () => {
    for (const command of ['report', 'sessions', 'compare'])
      expectUsageError(await cli([command]), `${command} needs the log folder: stagetrace ${command} <logDir>`, command);
    expectUsageError(await cli(['sessions', 'logs', 'more-logs']), 'sessions takes one log folder; got 2: logs more-logs', 'sessions');
    expectUsageError(
      await cli(['report', 'logs', 'more-logs', '--session', 's']),
      '--session reads one session of one folder; with several folders or --run, leave it out.',
      'report',
    );
    expectUsageError(
      await cli(['report', 'logs', '--run', 'r', '--format', 'html']),
      '--format html reads one session; for a run, use text, json or csv.',
      'report',
    );
  });

  it('names an unknown option, and an option without its value', async () => {
    expectUsageError(await cli(['report', realLogs, '--bogus']), "Unknown option '--bogus'", 'report');
    expectUsageError(await cli(['sessions', realLogs, '--session', 'x']), "Unknown option '--session'", 'sessions');
    expectUsageError(await cli(['report', realLogs, '--session']), "Option '--session <value>' argument missing", 'report');
  });

  it('names a format that is not one of the allowed ones, and lists those', async () => {
    expectUsageError(await cli(['report', realLogs, '--format', 'xml']), '--format "xml" is not one of text, json, csv, html.', 'report');
    expectUsageError(await cli(['sessions', realLogs, '--format', 'csv']), '--format "csv" is not one of text, json.', 'sessions');
    expectUsageError(await cli(['compare', realLogs, '--format', 'html']), '--format "html" is not one of text, json.', 'compare');
  });

  it('refuses an empty --out', async () => {
    expectUsageError(await cli(['report', realLogs, '--out=']), '--out needs a file name.', 'report');
  });

  it('takes any --format but the allowed ones as a usage error, quoting it on one line', async () => {
    const allowed = ['text', 'json', 'csv', 'html'];
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 20 }).filter((f) => !allowed.includes(f)),
        async (format) => {
          const run = await cli(['report', join(work, 'no-such-folder'), `--format=${format}`]);
          expectUsageError(run, `--format ${JSON.stringify(format)} is not one of text, json, csv, html.`, 'report');
          expect(run.stderr.split('\n')).toHaveLength(3);
        },
      ),
      { numRuns: runs },
    );
  });

  it('takes a --threshold or --min-change of 0 or more, and names any other value', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.double({ noNaN: false }).map(String),
      fc.integer({ min: -1000, max: 1000 }).map(String),
      fc.constantFrom('', ' ', '1e3', '0x10', 'Infinity', '-0', '.5', '5.', '1_000'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('--threshold', '--min-change'), value, async (option, text) => {
        const run = await cli(['compare', join(work, 'no-such-folder'), `${option}=${text}`]);
        const n = Number(text);
        if (text.trim() !== '' && Number.isFinite(n) && n >= 0) {
          // Taken: the command went on to the folder, which does not exist.
          expect(run.code).toBe(EXIT.files);
          expect(run.stderr).toMatch(/^stagetrace: no folder /);
        } else expectUsageError(run, `${option} ${JSON.stringify(text)} is not a number of 0 or more.`, 'compare');
      }),
      { numRuns: runs },
    );
  });
});

describe('stagetrace report', () => {
  it('gives as JSON, field for field, the summary the session returned after shutdown()', async () => {
    for (const id of ['run-failed', 'run-ok']) {
      const run = await cli(['report', realLogs, '--session', id, '--format', 'json']);
      expect(run.code, run.stderr).toBe(EXIT.ok);
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual(live[id]);
    }
    const failed = live['run-failed'] as SessionSummary;
    expect(failed.months['2024-02']).toMatchObject({
      status: 'failure',
      error: { stage: 'process', type: 'RangeError', message: 'negative price on line 17' },
    });
    expect(failed.totals).toMatchObject({ months: 3, months_failed: 1, stage_executions: 6, stage_failures: 1 });
  });

  it('prints the text the session would print of itself, of the latest session by default', async () => {
    const latest = await cli(['report', realLogs]);
    expect(latest).toEqual({ code: EXIT.ok, stdout: formatSessionReport(live['run-ok'] as SessionSummary), stderr: '' });
    expect(latest.stdout.split('\n')[0]).toBe('Session run-ok (cli-pipeline)');
    const failed = await cli(['report', realLogs, '--session', 'run-failed']);
    const lines = failed.stdout.split('\n');
    expect(lines[0]).toBe('Session run-failed (cli-pipeline)');
    expect(lines).toContain('Failed months: 1');
    expect(lines.find((l) => l.startsWith('  2024-02: '))).toMatch(
      /^ {2}2024-02: process failed after [\d.]+ (ms|µs|s) \(month ran [\d.]+ (ms|µs|s)\) — RangeError: negative price on line 17 \(caused by Error: row 17\)$/,
    );
  });

  it('gives a CSV row per stage and per month, with the failed month’s error', async () => {
    const run = await cli(['report', realLogs, '--session', 'run-failed', '--format', 'csv']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout.endsWith('\r\n')).toBe(true);
    const rows = run.stdout.trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'kind,name,status,executions,successes,failures,interrupted,success_rate,total_seconds,mean_seconds,min_seconds,max_seconds,p50_seconds,p95_seconds,p99_seconds,share_of_time,slow_count,threshold_seconds,peak_memory_mb,dominant_stage,error_stage,error_type,error_message,start,end,trace_id,wall_clock_seconds,bottleneck_rank,bottleneck_reasons,error_stage_seconds,error_causes,attempts,failed_attempts,rss_growth_mb,peak_heap_mb,cpu_seconds,cpu_share,overlapped_executions',
    );
    expect(rows.map((r) => r.split(',').slice(0, 2).join(','))).toEqual([
      'kind,name',
      'stage,download',
      'stage,process',
      'month,2024-01',
      'month,2024-02',
      'month,2024-03',
    ]);
    expect(rows[2]?.split(',').slice(3, 8)).toEqual(['3', '2', '1', '0', '0.667']);
    const month = rows[4]?.split(',') ?? [];
    expect(month.slice(2, 4)).toEqual(['failure', '2']);
    expect(month.slice(20, 23)).toEqual(['process', 'RangeError', 'negative price on line 17']);
    expect(month[25]).toBe(live['run-failed']?.months['2024-02']?.trace_id);
  });

  it('writes an HTML page to --out, saying where on stderr, with the error and its traceback from error_details.log', async () => {
    const out = join(work, 'report.html');
    const run = await cli(['report', realLogs, '--session', 'run-failed', '--format', 'html', '--out', out]);
    expect(run).toEqual({ code: EXIT.ok, stdout: '', stderr: `stagetrace: wrote ${out}\n` });
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!doctype html>\n')).toBe(true);
    expect(html).toContain('<title>stagetrace · run-failed</title>');
    expect(html.match(/<div class="bar /g)).toHaveLength(6);
    expect(html.match(/<div class="bar failure[ "]/g)).toHaveLength(1);
    // The failed stage is named: beside its bar when the bar is too narrow to hold its name (it usually runs well
    // under a millisecond in a session of some), else inside it.
    expect(html).toMatch(
      /<span class="flag failure" style="left:[\d.]+%">✕ process [\d.]+ (µs|ms|s)<\/span>|<div class="bar failure[^"]*"[^>]*><span>process<\/span><\/div>/,
    );
    expect(html).toContain('data-tip="download · 2024-01\n');
    expect(html).toContain('file_key: s3://bucket/2024-01.csv');
    expect(html).toMatch(
      /<summary><span class="time">[\d: .-]{23}<\/span> 2024-02 · process — <b>RangeError<\/b>: negative price on line 17<\/summary>/,
    );
    expect(html).toMatch(/<pre>RangeError: negative price on line 17\n[^<]*\nCaused by: Error: row 17\n/);
  });

  it('links trace ids to Jaeger from --jaeger-url, else from STAGETRACE_JAEGER_URL, and refuses an unusable URL', async () => {
    const traceId = live['run-failed']?.months['2024-02']?.trace_id ?? '';
    const html = async (...extra: string[]) => cli(['report', realLogs, '--session', 'run-failed', '--format', 'html', ...extra]);
    expect((await html('--jaeger-url', 'http://localhost:16686/')).stdout).toContain(`href="http://localhost:16686/trace/${traceId}"`);
    vi.stubEnv('STAGETRACE_JAEGER_URL', 'https://jaeger.example');
    expect((await html()).stdout).toContain(`href="https://jaeger.example/trace/${traceId}"`);
    expect((await html('--jaeger-url', 'http://other:16686')).stdout).toContain(`href="http://other:16686/trace/${traceId}"`);
    vi.stubEnv('STAGETRACE_JAEGER_URL', 'https://admin:hunter2@jaeger.example');
    const leaked = await html();
    expectUsageError(
      leaked,
      'STAGETRACE_JAEGER_URL holds a user name or password; the report would carry it to everyone it is sent to. Give the URL without credentials.',
      'report',
    );
    vi.stubEnv('STAGETRACE_JAEGER_URL', '');
    expect((await html()).stdout).not.toContain('href=');
    expectUsageError(
      await html('--jaeger-url', 'ftp://jaeger'),
      "--jaeger-url must be an http or https URL, not ftp: give Jaeger's address, e.g. http://localhost:16686.",
      'report',
    );
    expectUsageError(
      await cli(['report', realLogs, '--jaeger-url', 'http://localhost:16686']),
      '--jaeger-url links trace ids in the HTML report: add --format html, or leave it out.',
      'report',
    );
  });

  it('writes JSON to --out byte for byte as it would print it', async () => {
    const out = join(work, 'summary.json');
    const run = await cli(['report', realLogs, '--format', 'json', '--out', out]);
    expect(run).toEqual({ code: EXIT.ok, stdout: '', stderr: `stagetrace: wrote ${out}\n` });
    expect(readFileSync(out, 'utf8')).toBe((await cli(['report', realLogs, '--format', 'json'])).stdout);
  });

  it('says why it cannot write --out, and exits 3', async () => {
    const missing = join(work, 'no-such-folder', 'report.txt');
    expectFileError(await cli(['report', realLogs, '--out', missing]), `cannot write ${missing}: its folder does not exist`);
    expectFileError(await cli(['report', realLogs, '--out', work]), `cannot write ${work}: it is a folder`);
  });
});

describe('file problems: exit 3, one line saying what to do', () => {
  it('names a missing folder, a file given as the folder, and a folder without audit files', async () => {
    const missing = join(work, 'missing');
    for (const command of ['report', 'sessions', 'compare'])
      expectFileError(await cli([command, missing]), `no folder ${missing}: give the logDir your pipeline writes its audit files to.`);
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a folder');
    expectFileError(
      await cli(['report', file]),
      `${file} is a file, not a folder: give the logDir your pipeline writes its audit files to.`,
    );
    const empty = join(work, 'empty');
    mkdirSync(empty);
    expectFileError(
      await cli(['sessions', empty]),
      `${empty} holds no sessions: there is no structured_processing.jsonl in it. Is it the folder the pipeline's logDir names?`,
    );
  });

  it('names an unknown session and the command that lists them', async () => {
    const message = `no session "nope" in ${realLogs}: \`stagetrace sessions ${realLogs}\` lists the sessions there.`;
    expectFileError(await cli(['report', realLogs, '--session', 'nope']), message);
    expectFileError(await cli(['compare', realLogs, '--session', 'nope']), message);
  });

  it('refuses a record of a newer schema version, naming the file and line', async () => {
    const newer = join(work, 'newer');
    mkdirSync(newer);
    writeMonthlySession(newer, 's', T0, { '2024-01': { a: 1 } });
    const file = join(newer, 'structured_processing.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').length;
    appendFileSync(file, '{"schema_version":4,"session_id":"s"}\n');
    const message = `${file}:${lines} has schema_version 4, newer than this reader's 3: upgrade stagetrace to read it.`;
    expectFileError(await cli(['report', newer]), message);
    expectFileError(await cli(['sessions', newer]), message);
  });
});

describe('stagetrace sessions', () => {
  it('lists every session, oldest first, with start, duration, months, failures, stage runs and outcome', async () => {
    const run = await cli(['sessions', builtLogs]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      [
        `2 sessions in ${builtLogs}`,
        '  session                     start  duration  months  failed  stage runs    outcome',
        '  base     2025-01-06T09:00:00.000Z    9.00 s       3       0           6  succeeded',
        '  slower   2025-01-06T10:00:00.000Z   11.00 s       3       1           6     failed',
        '',
      ].join('\n'),
    );
  });

  it('gives the same as JSON', async () => {
    const run = await cli(['sessions', builtLogs, '--format', 'json']);
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toEqual([
      {
        session_id: 'base',
        run_id: 'base',
        start: '2025-01-06T09:00:00.000Z',
        last_record: '2025-01-06T09:00:09.000Z',
        duration_seconds: 9,
        months: 3,
        months_failed: 0,
        stage_executions: 6,
        stage_failures: 0,
        outcome: 'succeeded',
      },
      {
        session_id: 'slower',
        run_id: 'slower',
        start: '2025-01-06T10:00:00.000Z',
        last_record: '2025-01-06T10:00:11.000Z',
        duration_seconds: 11,
        months: 3,
        months_failed: 1,
        stage_executions: 6,
        stage_failures: 1,
        outcome: 'failed',
      },
    ]);
  });

  it('says "1 session" and keeps a session id with control characters on its line', async () => {
    const dir = join(work, 'odd-id');
    mkdirSync(dir);
    writeMonthlySession(dir, 'night\n\x1b[2Jly', T0, { '2024-01': { a: 1 } }, { ended: false, openMonth: '2024-02' });
    const run = await cli(['sessions', dir]);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`1 session in ${dir}`);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^ {2}night\\n\\u001b\[2Jly {2}2025-01-06T09:00:00\.000Z +1\.00 s +2 +0 +1 +open$/);
  });

  it('notes the first three lines that are not records, then how many more', async () => {
    const dir = join(work, 'garbage');
    mkdirSync(dir);
    writeMonthlySession(dir, 's', T0, { '2024-01': { a: 1 } });
    const file = join(dir, 'structured_processing.jsonl');
    const before = readFileSync(file, 'utf8').trimEnd().split('\n').length;
    appendFileSync(file, 'not json\n{"no":"version"}\n[1,2\n{"schema_version":1}\nnull\n');
    const run = await cli(['sessions', dir]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^stagetrace: note: skipped ${file}:${before + 1}: not JSON \\(.+\\)$`)),
      `stagetrace: note: skipped ${file}:${before + 2}: not an audit record (no schema_version)`,
      expect.stringMatching(new RegExp(`^stagetrace: note: skipped ${file}:${before + 3}: not JSON \\(.+\\)$`)),
      'stagetrace: note: skipped 2 more lines that are not records; 5 lines skipped in all',
      '',
    ]);
    expect(run.stdout.split('\n')[0]).toBe(`1 session in ${dir}`);
  });

  it('draws a progress bar on a terminal while it reads big files, and erases it before the list', async () => {
    const dir = join(work, 'big');
    mkdirSync(dir);
    writeMonthlySession(dir, 'big', T0, { '2024-01': { a: 1 } });
    const filler = `${JSON.stringify({ schema_version: 1, session_id: 'big', processing_time: T0 / 1000, record_type: 'message', message: 'x'.repeat(1000) })}\n`;
    appendFileSync(join(dir, 'structured_processing.jsonl'), filler.repeat(Math.ceil((9 * 1024 * 1024) / filler.length)));
    const onTerminal = await cli(['sessions', dir], { tty: true });
    expect(onTerminal.code).toBe(EXIT.ok);
    expect(onTerminal.stderr.startsWith('\r\x1b[Kreading audit files [')).toBe(true);
    expect(onTerminal.stderr).toMatch(/reading audit files \[[#.]{30}\] +\d+% +\d+ of 9 MB/);
    expect(onTerminal.stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(onTerminal.stdout.split('\n')[0]).toBe(`1 session in ${dir}`);
    const piped = await cli(['sessions', dir]);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toBe(onTerminal.stdout);
  });
});

describe('stagetrace compare', () => {
  it('lists what regressed against the session before, and exits 1', async () => {
    const run = await cli(['compare', builtLogs]);
    expect(run.code).toBe(EXIT.regression);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'Session slower compared with base',
      '  a regression: 20% and 50.0 ms slower, a lower success rate, or a month that no longer succeeds',
      '',
    ]);
    // p95 is the value at rank ⌊0.95 · (n − 1)⌋: with three runs, the middle one, which did not change.
    expect(lines.slice(3)).toEqual([
      'Regressions: 3',
      '  stage process: success rate 100.0% → 66.7%',
      '  month 2024-02: 3.00 s → 5.00 s (+66.7%), mostly process (2.00 s → 4.00 s)',
      '  month 2024-03: success → failure, process failed: RangeError: process broke',
      '',
      'Stages',
      '  stage     p50 base  p50 now  change  p95 base  p95 now  change  success base  success now',
      '  download    1.00 s   1.00 s    0.0%    1.00 s   1.00 s    0.0%        100.0%       100.0%',
      '  process     2.00 s   2.00 s    0.0%    2.00 s   2.00 s    0.0%        100.0%      66.7% ◀',
      '',
      'Months',
      '  month      base     now    change  status base  status now',
      '  2024-01  3.00 s  3.00 s      0.0%      success     success',
      '  2024-02  3.00 s  5.00 s  +66.7% ◀      success     success',
      '  2024-03  3.00 s  3.00 s      0.0%      success   failure ◀',
      '',
    ]);
  });

  it('gives the comparison as JSON, and exits 0 when nothing regressed', async () => {
    const run = await cli(['compare', builtLogs, '--base', 'slower', '--session', 'base', '--format', 'json']);
    expect(run.code).toBe(EXIT.ok);
    const comparison = JSON.parse(run.stdout);
    expect(comparison).toMatchObject({ base: 'slower', current: 'base', threshold_percent: 20, min_change_seconds: 0.05, regressions: [] });
    expect(comparison.months.map((m: { month: string; status: { current: string } }) => `${m.month} ${m.status.current}`)).toEqual([
      '2024-01 success',
      '2024-02 success',
      '2024-03 success',
    ]);
  });

  it('takes --threshold and --min-change', async () => {
    const lenient = await cli(['compare', builtLogs, '--threshold', '150', '--min-change', '0.5']);
    expect(lenient.code).toBe(EXIT.regression); // the lower success rate and the failed month still count
    expect(lenient.stdout).toContain('\n  a regression: 150% and 500 ms slower,');
    expect(lenient.stdout).not.toContain('month 2024-02: 3.00 s');
    expect(lenient.stdout).toContain('\nRegressions: 2\n');
  });

  it('needs a session before the one compared, and says to name one with --base', async () => {
    expectFileError(
      await cli(['compare', builtLogs, '--session', 'base']),
      `${builtLogs} has no session before base to compare it with; name one with --base.`,
    );
  });
});

describe('an unexpected error', () => {
  const failing = () => {
    const out = new Captured();
    out.write = () => {
      throw new Error('write EIO');
    };
    return out;
  };

  it('exits 70 with the error in one line and how to see where it happened', async () => {
    expect(await cli(['--version'], { stdout: failing() })).toEqual({
      code: EXIT.internal,
      stdout: '',
      stderr: 'stagetrace: unexpected error: write EIO (set STAGETRACE_DEBUG=1 to see where)\n',
    });
  });

  it('prints the stack with STAGETRACE_DEBUG set', async () => {
    vi.stubEnv('STAGETRACE_DEBUG', '1');
    const run = await cli(['sessions', builtLogs], { stdout: failing() });
    expect(run.code).toBe(EXIT.internal);
    const lines = run.stderr.split('\n');
    expect(lines[0]).toBe('stagetrace: unexpected error: write EIO');
    expect(lines[1]).toBe('Error: write EIO');
    expect(lines[2]).toMatch(/^ {4}at /);
  });
});
