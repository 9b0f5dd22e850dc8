/**
 * The four audit files as a user reads them: where they are, their modes,
 * their line formats and fields, when records reach the disk, and that no
 * message can forge a line. In-process, through the public API.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { logProgress, type StagetraceOptions, shutdown, start, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { ERRORS, HUMAN, PERFORMANCE, pollUntil, readJsonl, readText, STRUCTURED, tempDir } from './audit-support.js';

const root = tempDir('files');
let n = 0;
let capture: StderrCapture | undefined;

afterEach(async () => {
  await shutdown();
  capture?.restore();
  capture = undefined;
});
afterAll(() => root.remove());

function freshDir(): string {
  n++;
  return join(root.dir, `case-${n}`, 'nested', 'logs');
}

async function startIn(dir: string, options: StagetraceOptions = {}): Promise<void> {
  await start({ logDir: dir, console: false, handleExit: false, hostMetrics: false, ...options });
}

const HUMAN_LINE =
  /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[(DEBUG|INFO|WARNING|ERROR|CRITICAL|TIMING|MEMORY_TRACKING)\] (\[[^\]]+\] )?\S/;
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
type Rec = Record<string, unknown>;

describe('the four files of logDir', () => {
  it('creates logDir (0750) and the files (0640) and writes every record in its documented shape', async () => {
    const dir = freshDir();
    await startIn(dir, { sessionId: 'sess-formats', durability: 'sync' });
    expect(statSync(dir).mode & 0o777).toBe(0o750);
    for (const name of [HUMAN, STRUCTURED, PERFORMANCE, ERRORS]) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o640);

    await traceMonth(
      '2024-05',
      async () => {
        await traceStage(
          'download',
          async () => {
            logProgress('Downloaded 3 files', { context: { files: 3 } });
          },
          { context: { file_key: 'raw/2024-05.csv' } },
        );
        await traceStage('process', async () => {
          throw new Error('corrupt row 17', { cause: new TypeError('not a number: "x"') });
        }).catch(() => undefined);
      },
      { context: { source: 'unit' } },
    );
    await shutdown();

    // enhanced_processing.log: the seed's human lines.
    const human = readText(join(dir, HUMAN)).split('\n');
    expect(human.pop()).toBe('');
    for (const line of human) expect(line).toMatch(HUMAN_LINE);
    const text = human.join('\n');
    expect(text).toMatch(/\] \[INFO\] \[month 2024-05\] Starting month 2024-05$/m);
    expect(text).toMatch(/\] \[INFO\] \[download\] Starting download$/m);
    expect(text).toMatch(/\] \[INFO\] \[download\] Downloaded 3 files$/m);
    expect(text).toMatch(/\] \[TIMING\] \[download\] download completed in \d+\.\d+ seconds$/m);
    expect(text).toMatch(/\] \[MEMORY_TRACKING\] \[download\] download_end: \d+\.\d MB$/m);
    expect(text).toMatch(/\] \[ERROR\] \[process\] process failed: Error: corrupt row 17$/m);
    expect(text).toMatch(/\] \[TIMING\] \[process\] process completed in \d+\.\d+ seconds$/m);
    expect(text).toMatch(/\] \[MEMORY_TRACKING\] \[month 2024-05\] month_2024-05_end: \d+\.\d MB$/m);

    // structured_processing.jsonl: every message, every start and end.
    const structured = readJsonl(join(dir, STRUCTURED));
    const kinds = structured.map((r) => `${r.record_type}:${r.stage}:${r.stage_event}`);
    expect(kinds).toEqual([
      'month:month_processing:start',
      'stage:download:start',
      'message:download:null',
      'stage:download:end',
      'stage:process:start',
      'stage:process:end',
      'month:month_processing:end',
    ]);
    for (const r of structured) {
      expect(r).toMatchObject({ schema_version: 3, session_id: 'sess-formats', run_id: 'sess-formats', month: '2024-05' });
      expect(r.timestamp).toMatch(ISO_MS);
      expect(r.processing_time).toBeCloseTo(Date.parse(String(r.timestamp)) / 1000, 3);
      expect(typeof r.memory_mb).toBe('number');
      expect(typeof r.has_error).toBe('boolean');
      expect(r.trace_id).toMatch(HEX32);
      expect(r.span_id).toMatch(HEX16);
      for (const key of ['level', 'message', 'stage', 'stage_event', 'context']) expect(r).toHaveProperty(key);
      if (r.stage_event === 'end') {
        expect(typeof r.stage_duration).toBe('number');
        expect(typeof r.success_status).toBe('boolean');
      } else {
        expect(r).not.toHaveProperty('stage_duration');
        expect(r).not.toHaveProperty('success_status');
      }
    }
    const [monthStart, downloadStart, message, downloadEnd, , processEnd, monthEnd] = structured as Record<string, unknown>[];
    expect(monthStart).toMatchObject({ level: 'INFO', message: 'Starting month 2024-05', context: { source: 'unit' }, has_error: false });
    expect(downloadStart).toMatchObject({ message: 'Starting download', context: { file_key: 'raw/2024-05.csv' } });
    expect(message).toMatchObject({ level: 'INFO', message: 'Downloaded 3 files', context: { files: 3 }, span_id: downloadStart?.span_id });
    expect(downloadEnd).toMatchObject({ success_status: true, has_error: false, span_id: downloadStart?.span_id });
    expect(processEnd).toMatchObject({
      level: 'ERROR',
      success_status: false,
      has_error: true,
      error_type: 'Error',
      error_message: 'corrupt row 17',
    });
    expect(monthEnd).toMatchObject({ success_status: true, trace_id: monthStart?.trace_id, span_id: monthStart?.span_id });

    // Schema 2: what replay needs to rebuild each span, after span_id (schema 1's last field).
    const tailOf = (r: Record<string, unknown>) => {
      const keys = Object.keys(r);
      return keys.slice(keys.indexOf('span_id') + 1);
    };
    const startTail = ['parent_span_id', 'epoch_ms', 'rss_bytes', 'heap_used_bytes', 'sampled'];
    const endTail = [
      'parent_span_id',
      'start_epoch_ms',
      'epoch_ms',
      'rss_start_bytes',
      'rss_end_bytes',
      'rss_peak_bytes',
      'heap_start_bytes',
      'heap_end_bytes',
    ];
    expect(tailOf(monthStart as Rec)).toEqual(startTail);
    expect(tailOf(downloadStart as Rec)).toEqual(startTail);
    // A message's number in its session, which otlp_delivery.jsonl names once the collector took its log record.
    expect(tailOf(message as Rec)).toEqual(['epoch_ms', 'message_seq']);
    expect(tailOf(downloadEnd as Rec)).toEqual([...endTail, 'threshold_s', 'sampled']);
    expect(tailOf(processEnd as Rec)).toEqual([...endTail, 'threshold_s', 'error_stack', 'error_causes', 'sampled']);
    expect(tailOf(monthEnd as Rec)).toEqual([...endTail, 'sampled']);
    expect(monthStart).toMatchObject({ parent_span_id: null, sampled: false }); // no OTLP endpoint: nothing is exported
    expect(downloadStart).toMatchObject({ parent_span_id: monthStart?.span_id });
    expect(downloadEnd).toMatchObject({ parent_span_id: monthStart?.span_id, start_epoch_ms: downloadStart?.epoch_ms, threshold_s: 300 });
    for (const r of structured as Rec[]) {
      // The same instant as `timestamp`, with the fraction of a millisecond it leaves out.
      expect(Math.floor(Number(r.epoch_ms))).toBe(Date.parse(String(r.timestamp)));
    }
    for (const end of [downloadEnd, processEnd, monthEnd] as Rec[]) {
      expect(Number(end.stage_duration)).toBeCloseTo((Number(end.epoch_ms) - Number(end.start_epoch_ms)) / 1000, 5);
      expect(end.rss_peak_bytes).toBeGreaterThanOrEqual(Math.max(Number(end.rss_start_bytes), Number(end.rss_end_bytes)));
      expect(Number.isInteger(end.heap_end_bytes)).toBe(true);
    }
    expect(String(processEnd?.error_stack)).toMatch(/^Error: corrupt row 17\n\s+at .*\nCaused by: TypeError: not a number: "x"\n\s+at /s);
    expect(processEnd?.error_causes).toEqual([{ type: 'TypeError', message: 'not a number: "x"' }]);

    // performance_metrics.jsonl: one line per ended stage and month.
    const performance = readJsonl(join(dir, PERFORMANCE));
    expect(performance.map((p) => [p.stage, p.success])).toEqual([
      ['download', true],
      ['process', false],
      ['month_processing', true],
    ]);
    for (const p of performance) {
      expect(p.timestamp).toMatch(ISO_MS);
      expect(p).toMatchObject({ session_id: 'sess-formats', run_id: 'sess-formats', month: '2024-05' });
      for (const key of ['duration_seconds', 'memory_mb', 'memory_delta_mb', 'cpu_percent']) expect(typeof p[key]).toBe('number');
      expect(p.trace_id).toMatch(HEX32);
      expect(p.span_id).toMatch(HEX16);
    }
    expect(performance[0]?.context).toEqual({ file_key: 'raw/2024-05.csv' });

    // error_details.log: a block per error with the stack and the cause chain.
    const errors = readText(join(dir, ERRORS));
    const blocks = errors.split('----------------------------------------\n').filter((b) => b !== '');
    expect(blocks).toHaveLength(1);
    const block = blocks[0] as string;
    expect(block).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] ERROR DETAILS:\n/);
    expect(block).toMatch(/^Session: sess-formats$/m);
    expect(block).toMatch(/^Month: 2024-05$/m);
    expect(block).toMatch(/^Stage: process$/m);
    expect(block).toMatch(/^Error Type: Error$/m);
    expect(block).toMatch(/^Error Message: corrupt row 17$/m);
    expect(block).toMatch(/^Traceback:\n {2}Error: corrupt row 17\n {2}\s+at .*audit-files\.test\.ts/m);
    expect(block).toMatch(/^ {2}Caused by: TypeError: not a number: "x"$/m);
    expect(block).toMatch(/^Context: \{\}$/m);
    expect(block).toMatch(new RegExp(`^Trace: ${String(processEnd?.trace_id)} Span: ${String(processEnd?.span_id)}$`, 'm'));
  });

  it('writes a logged error with its stack, cause chain and context to error_details.log', async () => {
    const dir = freshDir();
    await startIn(dir, { durability: 'sync' });
    await traceMonth('2024-06', () =>
      traceStage('upload', () =>
        logProgress('upload failed, will retry', {
          level: 'ERROR',
          error: new Error('upload refused', { cause: new Error('403 from bucket', { cause: new Error('clock skew') }) }),
          context: { file_key: 'out/2024-06.parquet', attempt: 2 },
        }),
      ),
    );
    const block = readText(join(dir, ERRORS));
    expect(block).toMatch(/^Month: 2024-06$/m);
    expect(block).toMatch(/^Stage: upload$/m);
    expect(block).toMatch(/^Message: upload failed, will retry$/m);
    expect(block).toMatch(/^Error Type: Error$/m);
    expect(block).toMatch(/^Error Message: upload refused$/m);
    expect(block).toMatch(/^ {2}\s+at .*audit-files\.test\.ts/m);
    expect(block).toMatch(/^ {2}Caused by: Error: 403 from bucket$/m);
    expect(block).toMatch(/^ {2}Caused by: Error: clock skew$/m);
    expect(block).toMatch(/^Context: \{"file_key":"out\/2024-06.parquet","attempt":2\}$/m);
    const message = readJsonl(join(dir, STRUCTURED)).find((r) => r.record_type === 'message');
    expect(message).toMatchObject({ level: 'ERROR', has_error: true, error_type: 'Error', error_message: 'upload refused' });
  });
});

describe('durability', () => {
  it("'sync': a record is in the file when the call returns", async () => {
    const dir = freshDir();
    await startIn(dir, { durability: 'sync' });
    const stage = startStage('download');
    expect(readText(join(dir, STRUCTURED))).toContain('"message":"Starting download"');
    logProgress('sync-marker-1');
    expect(readFileSync(join(dir, STRUCTURED), 'utf8')).toContain('"message":"sync-marker-1"');
    expect(readFileSync(join(dir, HUMAN), 'utf8')).toMatch(/\[INFO\] sync-marker-1\n$/);
    stage.end();
    expect(readFileSync(join(dir, PERFORMANCE), 'utf8')).toContain('"stage":"download"');
    expect(readFileSync(join(dir, HUMAN), 'utf8')).toMatch(/\[MEMORY_TRACKING\] \[download\] download_end: [\d.]+ MB\n$/);
  });

  it("'buffered': a record reaches the file within about a second", async () => {
    const dir = freshDir();
    await startIn(dir, { durability: 'buffered' });
    const loggedAt = Date.now();
    logProgress('buffered-marker-1');
    await pollUntil(() => readText(join(dir, STRUCTURED)).includes('buffered-marker-1'), 5000, 'the buffered record', 20);
    // 1 s flush interval; the rest is slack for a loaded machine.
    expect(Date.now() - loggedAt).toBeLessThan(2500);
    expect(readText(join(dir, HUMAN))).toContain('buffered-marker-1');
  });

  it("'buffered': a month's records are on disk when traceMonth resolves", async () => {
    const dir = freshDir();
    await startIn(dir, { durability: 'buffered' });
    await traceMonth('2024-07', async () => {
      traceStage('validate', () => logProgress('validated 10 rows'));
      await traceStage('upload', async () => undefined);
    });
    // No waiting: the month end flushed the files before traceMonth resolved.
    const structured = readJsonl(join(dir, STRUCTURED));
    expect(structured.map((r) => `${r.stage}:${r.stage_event ?? r.message}`)).toEqual([
      'month_processing:start',
      'validate:start',
      'validate:validated 10 rows',
      'validate:end',
      'upload:start',
      'upload:end',
      'month_processing:end',
    ]);
    expect(readJsonl(join(dir, PERFORMANCE)).map((p) => p.stage)).toEqual(['validate', 'upload', 'month_processing']);
    expect(readText(join(dir, HUMAN))).toMatch(/\[MEMORY_TRACKING\] \[month 2024-07\] month_2024-07_end: [\d.]+ MB\n$/);
  });
});

describe('log injection', () => {
  const forged = '[2025-01-01 00:00:00.000] [INFO] forged';
  const messages = [`line one\n${forged}`, `carriage\r${forged}`, 'ansi \x1b[2J\x1b[1;31mred\x1b[0m \x9b31m', `sep\u2028${forged}`];

  async function writeHostile(colors: boolean): Promise<string> {
    const dir = freshDir();
    capture = captureStderr();
    await startIn(dir, { durability: 'sync', console: true, colors });
    for (const message of messages) logProgress(message);
    traceStage(`evil\n${forged}`, () => undefined, { context: { note: `ctx\n${forged}` } });
    logProgress('failed', { level: 'ERROR', error: new Error(`bad\n${forged}`) });
    await shutdown();
    return dir;
  }

  it('a message cannot forge a line in enhanced_processing.log, error_details.log or on the console', async () => {
    const dir = await writeHostile(false);
    const consoleText = capture?.text() ?? '';
    for (const text of [readText(join(dir, HUMAN)), consoleText]) {
      for (const ch of ['\r', '\x1b', '\x9b', '\u2028']) expect(text).not.toContain(ch);
      const lines = text.split('\n');
      expect(lines.pop()).toBe('');
      for (const line of lines) expect(line).toMatch(HUMAN_LINE);
      expect(lines.filter((l) => l.startsWith('[2025-01-01'))).toEqual([]);
      expect(text).toContain('line one\\n[2025-01-01 00:00:00.000] [INFO] forged');
      expect(text).toContain('carriage\\r[2025-01-01');
    }
    const errors = readText(join(dir, ERRORS));
    expect(errors.split('\n').filter((l) => l.startsWith('[2025-01-01'))).toEqual([]);
    expect(errors).toContain('Error Message: bad\\n[2025-01-01 00:00:00.000] [INFO] forged');
  });

  it('JSONL stays one record per line, with the message text intact', async () => {
    const dir = await writeHostile(false);
    const structured = readJsonl(join(dir, STRUCTURED));
    expect(structured.filter((r) => r.record_type === 'message').map((r) => r.message)).toEqual([...messages, 'failed']);
    expect(structured.find((r) => r.stage_event === 'start' && r.record_type === 'stage')).toMatchObject({
      stage: `evil\n${forged}`,
      context: { note: `ctx\n${forged}` },
    });
    expect(readJsonl(join(dir, PERFORMANCE))).toHaveLength(1);
  });

  it('with colours on, only stagetrace itself writes escape sequences to the console', async () => {
    await writeHostile(true);
    const text = capture?.text() ?? '';
    expect(text).not.toContain('\x1b[2J');
    expect(text).toContain('\\u001b[2J');
    expect(text.split('\n').filter((l) => l.startsWith('[2025-01-01'))).toEqual([]);
  });
});

describe('logDir that cannot be written', () => {
  it('fails start() with an error naming the folder and the cause', async () => {
    const parent = join(root.dir, `not-a-folder-${++n}`);
    writeFileSync(parent, 'a regular file');
    const dir = join(parent, 'logs');
    await expect(startIn(dir)).rejects.toThrow(/logDir ".*not-a-folder-\d+\/logs".*ENOTDIR/);
    // Nothing was left half-started: a corrected start() works.
    const good = freshDir();
    await startIn(good, { durability: 'sync' });
    logProgress('after the retry');
    expect(readText(join(good, STRUCTURED))).toContain('after the retry');
  });

  it('requireLogDir: false runs on without files and says so once on stderr', async () => {
    const parent = join(root.dir, `not-a-folder-${++n}`);
    writeFileSync(parent, 'a regular file');
    const dir = join(parent, 'logs');
    capture = captureStderr();
    await startIn(dir, { requireLogDir: false, console: true });
    await traceMonth('2024-08', () => traceStage('download', () => logProgress('still running')));
    logProgress('and again');
    await shutdown();
    const lines = capture.lines();
    const notices = lines.filter((l) => l.includes('cannot write audit files'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/WARNING.*not-a-folder-\d+\/logs.*ENOTDIR.*Running on without audit files/);
    expect(lines.some((l) => l.includes('still running'))).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });
});
