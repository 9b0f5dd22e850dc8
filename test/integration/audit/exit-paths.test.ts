/**
 * Every way a pipeline process ends, in a real child process
 * (`node --import tsx fixtures/scenario.ts`), judged by the audit files it
 * leaves behind and by how the process itself ended.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { receiversForFile } from '../otlp-receiver.js';
import {
  ERRORS,
  HUMAN,
  isSessionMarker,
  PERFORMANCE,
  pollUntil,
  readJsonl,
  readText,
  runScenario,
  SCENARIO_SCRIPT,
  STRUCTURED,
  spawnScript,
  tempDir,
} from './audit-support.js';

const root = tempDir('exit');
afterAll(() => root.remove());
const startReceiver = receiversForFile();

let n = 0;
function logDir(): string {
  n++;
  return join(root.dir, `run-${n}`);
}

type Rec = Record<string, unknown>;

const isStart = (kind: string) => (r: Rec) => r.record_type === kind && r.stage_event === 'start';
const isEnd = (kind: string) => (r: Rec) => r.record_type === kind && r.stage_event === 'end';

/** The month and its download stage ended as interrupted, for `reason`, in every file. */
function expectInterrupted(dir: string, reason: RegExp): { stageEnd: Rec; monthEnd: Rec } {
  const structured = readJsonl(join(dir, STRUCTURED));
  const stageEnd = structured.find(isEnd('stage')) as Rec;
  const monthEnd = structured.find(isEnd('month')) as Rec;
  for (const end of [stageEnd, monthEnd]) {
    expect(end).toBeDefined();
    expect(end).toMatchObject({ success_status: false, outcome: 'interrupted', has_error: true });
    expect(String(end.message)).toMatch(/interrupted after [\d.]+ seconds: /);
    expect(`${end.message} ${end.error_message}`).toMatch(reason);
  }
  expect(stageEnd.stage).toBe('download');
  expect(monthEnd.stage).toBe('month_processing');
  // The stage ends before the month that holds it.
  expect(structured.indexOf(stageEnd)).toBeLessThan(structured.indexOf(monthEnd));

  const performance = readJsonl(join(dir, PERFORMANCE));
  expect(performance.map((p) => [p.stage, p.success, p.outcome])).toEqual([
    ['download', false, 'interrupted'],
    ['month_processing', false, 'interrupted'],
  ]);
  const human = readText(join(dir, HUMAN));
  expect(human).toMatch(/\[ERROR\] \[download\] download interrupted after [\d.]+ seconds/);
  expect(human).toMatch(/\[TIMING\] \[download\] download completed in [\d.]+ seconds/);
  expect(human).toMatch(/\[ERROR\] \[month 2024-03\] month 2024-03 interrupted after/);
  const errors = readText(join(dir, ERRORS));
  expect(errors).toMatch(/Stage: download/);
  expect(errors).toMatch(/Stage: month 2024-03/);
  return { stageEnd, monthEnd };
}

describe('exit paths of a real pipeline process', () => {
  it.concurrent('writes start records and messages while the stage still runs (buffered: on disk within about a second)', async () => {
    const dir = logDir();
    const live = spawnScript(SCENARIO_SCRIPT, { SCENARIO: 'wait', WAIT_MS: '6000', STAGETRACE_LOG_DIR: dir, STAGETRACE_CONSOLE: 'false' });
    try {
      await live.waitForStdout(/^waiting$/m, 60_000);
      // The records were handed over before "waiting" was printed; buffered mode writes them within its 1 s interval.
      const handedOver = performance.now();
      const structured = await pollUntil(
        () => {
          const records = readJsonl(join(dir, STRUCTURED), { allowTornLast: true });
          return records.some((r) => r.stage_event === 'start' && r.record_type === 'stage') ? records : undefined;
        },
        5000,
        'the start records on disk',
      );
      expect(performance.now() - handedOver).toBeLessThan(3000);
      const human = readText(join(dir, HUMAN));
      expect(live.child.exitCode, 'the stage must still be waiting when the files are read').toBeNull();
      expect(structured.find(isStart('month'))).toMatchObject({
        month: '2024-03',
        stage: 'month_processing',
        context: { source: 'scenario' },
      });
      expect(structured.find(isStart('stage'))).toMatchObject({
        month: '2024-03',
        stage: 'download',
        context: { file_key: 'raw/2024-03.csv' },
      });
      expect(structured.find((r) => r.record_type === 'message')).toMatchObject({
        message: 'waiting for the bucket',
        stage: 'download',
        context: { attempt: 1 },
      });
      expect(structured.some((r) => r.stage_event === 'end')).toBe(false);
      expect(human).toMatch(/\[INFO\] \[download\] Starting download/);
      expect(human).toMatch(/\[INFO\] \[download\] waiting for the bucket/);
    } finally {
      live.child.kill('SIGKILL');
      await live.exited;
    }
  }, 90_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it.concurrent(`${signal} mid-stage: open stage and month end as interrupted, then the process dies by ${signal}`, async () => {
      const dir = logDir();
      const live = spawnScript(SCENARIO_SCRIPT, { SCENARIO: 'wait', STAGETRACE_LOG_DIR: dir, STAGETRACE_CONSOLE: 'false' });
      await live.waitForStdout(/^waiting$/m, 60_000);
      live.child.kill(signal);
      const run = await live.exited;
      expect(run.signal, run.stderr).toBe(signal);
      expect(run.code).toBeNull();
      expect(run.stdout).not.toMatch(/pipeline done/);
      expectInterrupted(dir, new RegExp(`${signal} received`));
      expect(readText(join(dir, ERRORS))).toMatch(/Error Type: Interrupted/);
    }, 90_000);
  }

  it.concurrent('SIGTERM during a CPU-bound last stage followed by shutdown(): the process still dies by SIGTERM, as plain Node does', async () => {
    const dir = logDir();
    const live = spawnScript(SCENARIO_SCRIPT, {
      SCENARIO: 'cpu-last-stage',
      // Long enough that the signal arrives during the stage on a loaded machine.
      WAIT_MS: '4000',
      STAGETRACE_LOG_DIR: dir,
      STAGETRACE_CONSOLE: 'false',
    });
    await live.waitForStdout(/^busy$/m, 60_000);
    live.child.kill('SIGTERM');
    const run = await live.exited;
    // Without stagetrace the signal kills the process (exit code 143); the shutdown that followed must not swallow it.
    expect(run.signal, run.stderr).toBe('SIGTERM');
    expect(run.stdout).not.toMatch(/pipeline done/);
    const human = readText(join(dir, HUMAN));
    expect(human).toMatch(/\[WARNING\] stagetrace: SIGTERM received while shutting down; the process ends with SIGTERM/);
    // The files are complete and valid: the stage ran to its end before the signal could be handled.
    const structured = readJsonl(join(dir, STRUCTURED));
    expect(structured.filter((r) => r.stage_event === 'end')).toHaveLength(2);
  });

  it.concurrent('an application with its own SIGTERM listener decides how the process ends', async () => {
    const dir = logDir();
    const live = spawnScript(SCENARIO_SCRIPT, { SCENARIO: 'own-sigterm', STAGETRACE_LOG_DIR: dir, STAGETRACE_CONSOLE: 'false' });
    await live.waitForStdout(/^waiting$/m, 60_000);
    live.child.kill('SIGTERM');
    const run = await live.exited;
    // Not killed by stagetrace re-raising the signal: the application's handler ran and exited 0.
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/app: SIGTERM handler\napp: cleanup done/);
    expectInterrupted(dir, /SIGTERM received/);
  }, 90_000);

  it.concurrent('a worker that drains on its own SIGTERM listener keeps its running stage: it ends as success, nothing is interrupted', async () => {
    const dir = logDir();
    const live = spawnScript(SCENARIO_SCRIPT, {
      SCENARIO: 'drain-sigterm',
      // Long enough that the signal arrives during the stage on a loaded machine.
      WAIT_MS: '4000',
      STAGETRACE_LOG_DIR: dir,
      STAGETRACE_CONSOLE: 'false',
    });
    await live.waitForStdout(/^waiting$/m, 60_000);
    live.child.kill('SIGTERM');
    const run = await live.exited;
    // As without stagetrace: the listener drains, the program ends by itself.
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/app: draining\n[\s\S]*drained/);
    const structured = readJsonl(join(dir, STRUCTURED));
    const ends = structured.filter((r) => r.stage_event === 'end');
    expect(ends.map((r) => [r.stage, r.outcome])).toEqual([
      ['download', 'success'],
      ['month_processing', 'success'],
    ]);
    // The signal is in the files, said once, and what it did (nothing to the stages) with it.
    const notes = structured.filter((r) => String(r.message).includes('SIGTERM received'));
    expect(notes).toHaveLength(1);
    expect(String(notes[0]?.message)).toMatch(/the application handles it/);
  }, 90_000);

  for (const [handled, signal] of [
    ['rejection', 'SIGTERM'],
    ['exception', 'SIGINT'],
  ] as const) {
    it.concurrent(`after the application handles ${handled === 'exception' ? 'an' : 'a'} ${handled} itself, ${signal} still ends the process at once`, async () => {
      const dir = logDir();
      const live = spawnScript(SCENARIO_SCRIPT, {
        SCENARIO: 'handled-fatal',
        HANDLED: handled,
        WAIT_MS: '20000',
        STAGETRACE_LOG_DIR: dir,
        STAGETRACE_CONSOLE: 'false',
      });
      await live.waitForStdout(/^waiting$/m, 60_000);
      expect(live.stdout()).toMatch(/app: handled flaky socket/);
      const sentAtMs = Date.now();
      live.child.kill(signal);
      const run = await live.exited;
      expect(run.signal, run.stderr).toBe(signal);
      // The stage had 20 s left; the signal must not wait for it.
      expect(run.endedAtMs - sentAtMs).toBeLessThan(8000);
      expect(run.stdout).not.toMatch(/pipeline done/);
      expectInterrupted(dir, new RegExp(`${signal} received`));
    }, 90_000);

    it.concurrent(`${handled === 'exception' ? 'an' : 'a'} ${handled} the application handles itself interrupts nothing: the month goes on and succeeds`, async () => {
      const dir = logDir();
      const run = await runScenario(
        'handled-fatal',
        { HANDLED: handled, WAIT_MS: '100', STAGETRACE_LOG_DIR: dir, STAGETRACE_CONSOLE: 'false' },
        { timeoutMs: 60_000 },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/app: handled flaky socket[\s\S]*pipeline done/);
      const structured = readJsonl(join(dir, STRUCTURED));
      const ends = structured.filter((r) => r.stage_event === 'end');
      expect(ends.map((r) => [r.record_type, r.stage, r.outcome, r.month])).toEqual([
        ['stage', 'download', 'success', '2024-03'],
        ['stage', 'upload', 'success', '2024-03'],
        ['month', 'month_processing', 'success', '2024-03'],
      ]);
      // The later stage belongs to the month's trace, as the first one does.
      const month = ends[2] as Rec;
      for (const stage of ends.slice(0, 2)) expect(stage.trace_id).toBe(month.trace_id);
      expect(readText(join(dir, HUMAN))).not.toMatch(/interrupted/);
      expect(readJsonl(join(dir, PERFORMANCE)).map((p) => p.outcome)).toEqual(['success', 'success', 'success']);
    }, 90_000);
  }

  it.concurrent("the application's own beforeExit work (an upload) completes before stagetrace shuts down", async () => {
    const dir = logDir();
    const run = await runScenario(
      'app-before-exit',
      { WAIT_MS: '1500', STAGETRACE_LOG_DIR: dir, STAGETRACE_CONSOLE: 'false' },
      { timeoutMs: 60_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/pipeline done\napp: uploading\napp: upload done\n/);
    // Logged by the upload, before the shutdown: in the files, before the session's end marker.
    const records = readJsonl(join(dir, STRUCTURED), { markers: true });
    const uploadDone = records.findIndex((r) => r.message === 'app: upload done');
    expect(uploadDone).toBeGreaterThan(-1);
    expect(uploadDone).toBeLessThan(records.length - 1);
    expect(isSessionMarker(records.at(-1) as Rec)).toBe(true);
    const ends = records.filter((r) => r.stage_event === 'end');
    expect(ends.map((r) => [r.stage, r.outcome])).toEqual([
      ['download', 'success'],
      ['month_processing', 'success'],
    ]);
  }, 90_000);

  it.concurrent('a second SIGINT while shutdown waits on a hanging collector ends the process at once, files written', async () => {
    const collector = await startReceiver('hang');
    const dir = logDir();
    const live = spawnScript(
      SCENARIO_SCRIPT,
      {
        SCENARIO: 'wait',
        STAGETRACE_LOG_DIR: dir,
        STAGETRACE_CONSOLE: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        // The shutdown would wait up to 40 s for this collector.
        STAGETRACE_SHUTDOWN_TIMEOUT_MS: '40000',
      },
      { timeoutMs: 80_000 },
    );
    await live.waitForStdout(/^waiting$/m, 60_000);
    live.child.kill('SIGINT');
    // The first SIGINT wrote the interrupted ends and now waits on the collector.
    await pollUntil(() => collector.requests.some((r) => r.path === '/v1/traces'), 30_000, 'the export of the interrupted spans');
    await pollUntil(() => readJsonl(join(dir, STRUCTURED), { allowTornLast: true }).some(isEnd('month')), 30_000, 'the month end record');
    expect(live.child.exitCode, 'the shutdown must still be waiting').toBeNull();
    const secondAtMs = Date.now();
    live.child.kill('SIGINT');
    const run = await live.exited;
    expect(run.signal, run.stderr).toBe('SIGINT');
    expect(run.endedAtMs - secondAtMs).toBeLessThan(5000);
    expectInterrupted(dir, /SIGINT received/);
    const said = /SIGINT received again while shutting down: the process ends now/;
    expect(run.stderr).toMatch(said);
    expect(readText(join(dir, HUMAN))).toMatch(said);
  }, 120_000);

  it.concurrent('uncaught exception: Node still prints it and exits 1; the exception is in error_details.log', async () => {
    const dir = logDir();
    const run = await runScenario('uncaught', { STAGETRACE_LOG_DIR: dir, STAGETRACE_CONSOLE: 'false' }, { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/Error: boom in download/);
    expect(run.stderr).toMatch(/\n\s+at .*scenario\.ts/); // the stack
    expect(run.stderr).toMatch(/socket hang up/); // Node prints the cause too
    const { stageEnd } = expectInterrupted(dir, /uncaught exception: Error: boom in download/);
    expect(stageEnd.error_type).toBe('Error');
    const errors = readText(join(dir, ERRORS));
    expect(errors).toMatch(/Error Message: boom in download/);
    expect(errors).toMatch(/Traceback:\n {2}Error: boom in download\n {2}\s*at /);
    expect(errors).toMatch(/Caused by: Error: socket hang up/);
    expect(errors).toMatch(/Context: \{"file_key":"raw\/2024-03.csv"\}/);
  }, 90_000);

  it.concurrent('unhandled rejection: exits 1 with the rejection printed; records as for a crash', async () => {
    const dir = logDir();
    const run = await runScenario('rejection', { STAGETRACE_LOG_DIR: dir, STAGETRACE_CONSOLE: 'false' }, { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/rejected in download/);
    expectInterrupted(dir, /unhandled rejection: Error: rejected in download/);
    expect(readText(join(dir, ERRORS))).toMatch(/Error Message: rejected in download/);
  }, 90_000);

  it.concurrent('process.exit(3) mid-month keeps exit code 3 and writes the end records', async () => {
    const dir = logDir();
    const run = await runScenario('exit3', { STAGETRACE_LOG_DIR: dir, STAGETRACE_CONSOLE: 'false' }, { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(3);
    expect(run.signal).toBeNull();
    expectInterrupted(dir, /process exited with code 3/);
    expect(readJsonl(join(dir, STRUCTURED)).some((r) => r.message === 'about to exit')).toBe(true);
  }, 90_000);

  it.concurrent('a script that ends without shutdown() while a stage handle is open still gets its end record', async () => {
    const dir = logDir();
    const run = await runScenario('no-shutdown', { STAGETRACE_LOG_DIR: dir, STAGETRACE_CONSOLE: 'false' }, { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/leaving/);
    const structured = readJsonl(join(dir, STRUCTURED));
    expect(structured.find(isStart('stage'))).toMatchObject({ stage: 'upload', month: null });
    expect(structured.find((r) => r.record_type === 'message')).toMatchObject({ message: 'uploading', stage: 'upload' });
    expect(structured.find(isEnd('stage'))).toMatchObject({ stage: 'upload', success_status: false, outcome: 'interrupted' });
    expect(readJsonl(join(dir, PERFORMANCE))).toEqual([expect.objectContaining({ stage: 'upload', success: false })]);
    expect(readText(join(dir, HUMAN))).toMatch(/\[TIMING\] \[upload\] upload completed in [\d.]+ seconds/);
  }, 90_000);

  /** Starts the writer, lets it write for `runForMs` after its first record, then SIGKILLs it. */
  async function killWriter(durability: 'sync' | 'buffered', runForMs: number) {
    const dir = logDir();
    const live = spawnScript(SCENARIO_SCRIPT, {
      SCENARIO: 'writer',
      STAGETRACE_LOG_DIR: dir,
      STAGETRACE_DURABILITY: durability,
      STAGETRACE_CONSOLE: 'false',
    });
    const first = await live.waitForStdout(/^wrote 1 (\d+)$/m, 60_000);
    await pollUntil(() => Date.now() - Number(first[1]) >= runForMs, runForMs + 30_000, 'the writer to run');
    const killedAtMs = Date.now();
    live.child.kill('SIGKILL');
    const run = await live.exited;
    expect(run.signal, `code ${run.code}, stderr: ${run.stderr.slice(-2000)}`).toBe('SIGKILL');
    // Each "wrote i t" was printed after logProgress(`record i`) returned, at time t.
    const wrote = [...run.stdout.matchAll(/^wrote (\d+) (\d+)$/gm)].map((m) => ({ i: Number(m[1]), atMs: Number(m[2]) }));
    // Every line is a whole record, except possibly the one the kill cut.
    const messages = readJsonl(join(dir, STRUCTURED), { allowTornLast: true }).filter((r) => r.record_type === 'message');
    const inFile = new Set(messages.map((r) => r.message));
    const humanLines = readText(join(dir, HUMAN)).split('\n');
    humanLines.pop(); // '' or a torn last line
    for (const line of humanLines) expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[[A-Z_]+\] /);
    return { wrote, inFile, killedAtMs, messages };
  }

  it.concurrent("SIGKILL with durability 'sync': every record whose call returned is on disk", async () => {
    const { wrote, inFile, messages } = await killWriter('sync', 1500);
    expect(wrote.length).toBeGreaterThan(10);
    const missing = wrote.filter((w) => !inFile.has(`record ${w.i}`)).map((w) => w.i);
    expect(missing).toEqual([]);
    // In order, nothing duplicated.
    expect(messages.slice(0, wrote.length).map((r) => r.message)).toEqual(wrote.map((w) => `record ${w.i}`));
  }, 90_000);

  it.concurrent("SIGKILL with durability 'buffered': records older than about a second before the kill are on disk", async () => {
    const { wrote, inFile, killedAtMs } = await killWriter('buffered', 3000);
    // 1.5 s: the 1 s flush interval plus slack for a loaded machine.
    const old = wrote.filter((w) => w.atMs < killedAtMs - 1500);
    expect(old.length).toBeGreaterThan(10);
    const missing = old.filter((w) => !inFile.has(`record ${w.i}`)).map((w) => w.i);
    expect(missing).toEqual([]);
  }, 90_000);
});
