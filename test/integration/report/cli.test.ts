import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionSummary } from '../../../src/stats/session-summary.js';
import { type NodeRun, runNodeScript } from '../../helpers/run-node.js';

const CLI = 'src/cli/stagetrace.ts';
const DEMO = 'examples/monthly-pipeline.ts';
const cli = (...args: string[]) => runNodeScript(CLI, { args, timeoutMs: 60_000 });

let work: string;
let logs: string;
let failRun: NodeRun;
let slowRun: NodeRun;

/** The session id a demo run printed in its report. */
const sessionOf = (run: NodeRun) => /Session (\S+) \(/.exec(run.stdout)?.[1] as string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'stagetrace-cli-'));
  logs = join(work, 'logs');
  failRun = await runNodeScript(DEMO, { args: ['--log-dir', logs, '--fail-month', '2024-03'], timeoutMs: 90_000 });
  slowRun = await runNodeScript(DEMO, { args: ['--log-dir', logs, '--slow-month', '2024-04'], timeoutMs: 90_000 });
  expect(failRun.code, failRun.stderr).toBe(0);
  expect(slowRun.code, slowRun.stderr).toBe(0);
}, 200_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('stagetrace report', () => {
  it('prints the summary the demo printed at its end, from the files alone', async () => {
    for (const run of [failRun, slowRun]) {
      const printed = run.stdout.slice(run.stdout.indexOf('Session '), run.stdout.lastIndexOf('\n\n'));
      const report = await cli('report', logs, '--session', sessionOf(run));
      expect(report.code, report.stderr).toBe(0);
      expect(report.stdout.trimEnd()).toBe(printed.trimEnd());
    }
  }, 60_000);

  it('reports the latest session by default', async () => {
    const report = await cli('report', logs);
    // The service name comes from the session's start record in the files.
    expect(report.stdout.split('\n')[0]).toBe(`Session ${sessionOf(slowRun)} (demo-monthly-pipeline)`);
  });

  it('gives as JSON the summary getSessionSummary() returned after shutdown, field for field', async () => {
    const dir = join(work, 'live');
    const live = await runNodeScript('test/integration/report/fixtures/live-summary.ts', { args: [dir], timeoutMs: 60_000 });
    expect(live.code, live.stderr).toBe(0);
    const liveSummary = JSON.parse(live.stdout) as SessionSummary;
    const report = await cli('report', dir, '--format', 'json');
    expect(report.code, report.stderr).toBe(0);
    const offline = JSON.parse(report.stdout) as SessionSummary;
    // Field for field, thresholds and service name included (the session's start and end records carry them).
    expect(offline).toEqual(liveSummary);
    // What the fixture made happen is there.
    expect(offline.months['2024-02']).toMatchObject({
      status: 'failure',
      error: { stage: 'validate', type: 'RangeError', message: 'negative price on line 17' },
    });
    expect(offline.stages.process?.slow_count).toBeGreaterThanOrEqual(1);
    expect(offline.memory.crossings.map((c) => c.level)).toEqual(['warning', 'critical']);
    expect(offline.end).not.toBeNull();
    expect(JSON.stringify(offline)).not.toMatch(/running/);
  }, 90_000);

  it('writes CSV and HTML to --out', async () => {
    const csv = join(work, 'report.csv');
    expect((await cli('report', logs, '--format', 'csv', '--out', csv)).code).toBe(0);
    const rows = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    expect(rows[0]).toMatch(/^kind,name,status,executions,/);
    expect(rows.filter((r) => r.startsWith('stage,'))).toHaveLength(4);
    expect(rows.filter((r) => r.startsWith('month,'))).toHaveLength(6);
    const html = join(work, 'report.html');
    const run = await cli('report', logs, '--format', 'html', '--out', html);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`stagetrace: wrote ${html}\n`);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
  });
});

describe('stagetrace sessions', () => {
  it('lists each session with its start, duration, months and outcome', async () => {
    const run = await cli('sessions', logs);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`2 sessions in ${logs}`);
    expect(lines[2]).toMatch(new RegExp(`^  ${sessionOf(failRun)}  \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z +[\\d.]+ s +6 +1 +23 +failed$`));
    expect(lines[3]).toMatch(new RegExp(`^  ${sessionOf(slowRun)}  .* +6 +0 +24 +succeeded$`));
    const json = JSON.parse((await cli('sessions', logs, '--format', 'json')).stdout) as { session_id: string }[];
    expect(json.map((s) => s.session_id)).toEqual([sessionOf(failRun), sessionOf(slowRun)]);
  });
});

describe('stagetrace compare', () => {
  it('flags the month made slower on purpose and exits 1', async () => {
    const byDefault = await cli('compare', logs);
    expect(byDefault.code, byDefault.stderr).toBe(1);
    expect(byDefault.stdout).toMatch(/\n {2}month 2024-04: /);
    // Past the noise of a loaded test machine: only the month a second slower.
    const run = await cli('compare', logs, '--min-change', '0.5');
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout.split('\n')[0]).toBe(`Session ${sessionOf(slowRun)} compared with ${sessionOf(failRun)}`);
    expect(run.stdout).toMatch(/\n {2}month 2024-04: \d+ ms → 1\.\d\d s \(\+\d+(\.\d)?%\), mostly download \(\d+ ms → 1\.\d\d s\)\n/);
    const regressions = run.stdout.slice(
      run.stdout.indexOf('Regressions:'),
      run.stdout.indexOf('\n\n', run.stdout.indexOf('Regressions:')),
    );
    expect(regressions).not.toMatch(/2024-0[1235]/);
  });

  it('flags a month that no longer succeeds, and exits 0 when nothing regressed', async () => {
    const run = await cli(
      'compare',
      logs,
      '--base',
      sessionOf(slowRun),
      '--session',
      sessionOf(failRun),
      '--min-change',
      '0.5',
      '--format',
      'json',
    );
    const comparison = JSON.parse(run.stdout) as { regressions: { kind: string; month: string | null }[] };
    // Going back: 2024-04 is faster, but 2024-03 now fails.
    expect(comparison.regressions).toEqual([
      expect.objectContaining({ kind: 'stage_success_rate', stage: 'validate', text: 'stage validate: success rate 100.0% → 83.3%' }),
      expect.objectContaining({
        kind: 'month_status',
        month: '2024-03',
        text: 'month 2024-03: success → failure, validate failed: Error: 2024-03: 1 trade(s) with a negative price; refusing to publish a VWAP built on them',
      }),
    ]);
    expect(run.code).toBe(1);
    const same = await cli('compare', logs, '--base', sessionOf(slowRun), '--session', sessionOf(slowRun));
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('\nRegressions: none\n');
  });
});

describe('errors and notes', () => {
  const oneLine = (run: NodeRun, code: number, message: RegExp) => {
    expect(run.code).toBe(code);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  it('says what is wrong in one line and exits 3 for file problems', async () => {
    oneLine(await cli('report', join(work, 'missing')), 3, /^stagetrace: no folder .*missing: give the logDir/);
    const empty = join(work, 'empty');
    mkdirSync(empty);
    oneLine(await cli('report', empty), 3, /^stagetrace: .*empty holds no sessions: there is no structured_processing\.jsonl/);
    oneLine(
      await cli('report', logs, '--session', 'nope'),
      3,
      /^stagetrace: no session "nope" in .*: `stagetrace sessions .*` lists the sessions there\.$/,
    );
    const newer = join(work, 'newer');
    cpSync(logs, newer, { recursive: true });
    appendFileSync(join(newer, 'structured_processing.jsonl'), `{"schema_version":4,"session_id":"${sessionOf(slowRun)}"}\n`);
    oneLine(
      await cli('report', newer),
      3,
      /^stagetrace: .*structured_processing\.jsonl:\d+ has schema_version 4, newer than this reader's 3: upgrade stagetrace to read it\.$/,
    );
    const unreadable = join(work, 'unreadable');
    mkdirSync(join(unreadable, 'structured_processing.jsonl'), { recursive: true });
    oneLine(await cli('sessions', unreadable), 3, /^stagetrace: cannot read .*structured_processing\.jsonl: it is a folder, not a file$/);
  }, 60_000);

  it('exits 2 for usage errors, pointing at --help', async () => {
    oneLine(await cli('report', logs, '--bogus'), 2, /^stagetrace: Unknown option '--bogus'$/);
    oneLine(await cli('report', logs, '--format', 'xml'), 2, /^stagetrace: --format "xml" is not one of text, json, csv, html\.$/);
    oneLine(await cli('compare', logs, '--threshold', 'lots'), 2, /^stagetrace: --threshold "lots" is not a number of 0 or more\.$/);
    oneLine(await cli('frobnicate'), 2, /^stagetrace: unknown command "frobnicate"/);
    oneLine(await cli('report'), 2, /^stagetrace: report needs the log folder/);
    expect((await cli('report', logs, '--bogus')).stderr).toContain("Run 'stagetrace report --help' for usage.");
  }, 60_000);

  it('skips a torn last line with a note', async () => {
    const torn = join(work, 'torn');
    cpSync(logs, torn, { recursive: true });
    writeFileSync(join(torn, 'structured_processing.jsonl'), `{"schema_version":1,"session_id":"${sessionOf(slowRun)}","timest`, {
      flag: 'a',
    });
    const run = await cli('report', torn);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^stagetrace: note: skipped .*structured_processing\.jsonl:\d+: torn last line \(the process was stopped while writing it\)\n$/,
    );
    expect(run.stdout).toContain('24 stage executions');
  });

  it('has --help on every command, with the exit codes', async () => {
    for (const args of [['--help'], ['report', '--help'], ['sessions', '-h'], ['compare', '--help']]) {
      const run = await cli(...args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: stagetrace /);
      expect(run.stdout).toContain('Exit codes:\n  0 ');
    }
  }, 60_000);
});
