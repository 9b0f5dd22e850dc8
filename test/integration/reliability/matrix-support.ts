/**
 * The fault matrix's yardstick: every fault runs twice, in real child
 * processes of fixtures/scenario.ts — once with stagetrace and once with
 * WITHOUT_STAGETRACE=1 (never started; the API goes to the console-only
 * session) — and the two are compared: output, exit code or signal, and
 * wall time. The audit files of the stagetrace run are then checked whole:
 * valid lines, no span started or ended twice, nothing missing, no secret.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { NodeRun } from '../../helpers/run-node.js';
import { ERRORS, HUMAN, PERFORMANCE, readJsonl, readText, SCENARIO_SCRIPT, STRUCTURED, spawnScript } from '../audit/audit-support.js';

export type Rec = Record<string, unknown>;

/** The credential fixtures/scenario.ts puts in contexts and messages. */
export const SCENARIO_SECRET = 'hunter2-scenario-secret';

/** How a run is interrupted from outside. */
export interface Interruption {
  signal: NodeJS.Signals;
  /** Sent once stdout matches this. */
  when: RegExp;
}

export interface Run extends NodeRun {
  /** The variables the run was given (beyond the clean environment). */
  env: Record<string, string>;
  /** From the pipeline's first line (`t0`, after the shared imports) to the process's end. */
  wallMs: number;
  /** From `t0` to the `started` line: the time start() took (about 0 without stagetrace); undefined when it never came. */
  startMs: number | undefined;
  /** From the signal to the process's end, for interrupted runs. */
  afterSignalMs: number | undefined;
  /** stdout without the times on the `t0` and `started` lines. */
  output: string;
}

/** How much longer the stagetrace run took than the run without it. */
export interface Delays {
  /** What the fault cost: from the signal to the end when there is one, else from the end of start() to the end. */
  addedMs: number;
  /** From the pipeline's first line to the end. */
  endToEndMs: number;
  /** start() itself (loading the SDK, opening the files); 0 when it failed or came later. */
  startMs: number;
}

export interface Pair extends Delays {
  traced: Run;
  baseline: Run;
  /** The largest `addedMs` of the repetitions (the other figures are medians). */
  maxAddedMs: number;
  /** The largest `endToEndMs` of the repetitions. */
  maxEndToEndMs: number;
}

/**
 * Repetitions per fault (STAGETRACE_RELIABILITY_REPEAT, default 1): the
 * added delay reported is the median, and every repetition is checked.
 */
export const REPEAT = Math.max(1, Number(process.env.STAGETRACE_RELIABILITY_REPEAT ?? 1) || 1);

/**
 * The most a fault may add after start() (or after its signal), in the worst
 * repetition: under the default shutdownTimeoutMillis (5 s), so a run that
 * waited for a timeout fails. The medians are 0.03–0.5 s
 * (docs/RELIABILITY.md); the rest is room for a loaded 2-core machine
 * running two processes side by side.
 */
export const ADDED_DELAY_BOUND_MS = 4000;

/**
 * The most a whole run may take longer, start() included (it loads the
 * OpenTelemetry SDK: 0.3–1 s on a loaded machine): a guard against a hang.
 */
export const END_TO_END_BOUND_MS = 15_000;

/** Per row: two child processes side by side, on a loaded 2-core machine, REPEAT times. */
export const ROW_TIMEOUT_MS = 120_000 * REPEAT;

async function runOnce(scenario: string, env: Record<string, string>, interruption: Interruption | undefined): Promise<Run> {
  const live = spawnScript(SCENARIO_SCRIPT, { SCENARIO: scenario, STAGETRACE_CONSOLE: 'false', ...env }, { timeoutMs: 120_000 });
  let signalledAt: number | undefined;
  if (interruption) {
    await live.waitForStdout(interruption.when, 90_000);
    signalledAt = Date.now();
    live.child.kill(interruption.signal);
  }
  const run = await live.exited;
  const t0 = Number(run.stdout.match(/^t0 (\d+)$/m)?.[1]);
  expect(Number.isFinite(t0), `no t0 line from ${scenario}: ${run.stdout}\n${run.stderr}`).toBe(true);
  const started = run.stdout.match(/^started (\d+)$/m)?.[1];
  return {
    ...run,
    env,
    wallMs: run.endedAtMs - t0,
    startMs: started === undefined ? undefined : Number(started) - t0,
    afterSignalMs: signalledAt === undefined ? undefined : run.endedAtMs - signalledAt,
    output: run.stdout.replace(/^t0 \d+\n/m, '').replace(/^started \d+$/m, 'started'),
  };
}

function delays(traced: Run, baseline: Run): Delays {
  const startMs = traced.startMs !== undefined && baseline.startMs !== undefined ? traced.startMs - baseline.startMs : 0;
  const endToEndMs = traced.wallMs - baseline.wallMs;
  const addedMs =
    traced.afterSignalMs !== undefined && baseline.afterSignalMs !== undefined
      ? traced.afterSignalMs - baseline.afterSignalMs
      : endToEndMs - startMs;
  return { addedMs, endToEndMs, startMs };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * Runs `scenario` with and without stagetrace (side by side, so both see the
 * same load), REPEAT times; `check` sees every stagetrace run with its own
 * log folder. Returns the last pair, with the median added delay.
 */
export async function runPair(
  scenario: string,
  env: (run: number) => Record<string, string>,
  options: { interruption?: Interruption; check?: (pair: Pair, run: number) => void } = {},
): Promise<Pair> {
  const all: Delays[] = [];
  let last: Pair | undefined;
  for (let i = 0; i < REPEAT; i++) {
    const [traced, baseline] = await Promise.all([
      runOnce(scenario, env(i), options.interruption),
      runOnce(scenario, { ...env(i), WITHOUT_STAGETRACE: '1' }, options.interruption),
    ]);
    const measured = delays(traced, baseline);
    all.push(measured);
    last = { traced, baseline, ...measured, maxAddedMs: measured.addedMs, maxEndToEndMs: measured.endToEndMs };
    options.check?.(last, i);
  }
  const pick = (key: keyof Delays) => all.map((d) => d[key]);
  return {
    ...(last as Pair),
    addedMs: median(pick('addedMs')),
    endToEndMs: median(pick('endToEndMs')),
    startMs: median(pick('startMs')),
    maxAddedMs: Math.max(...pick('addedMs')),
    maxEndToEndMs: Math.max(...pick('endToEndMs')),
  };
}

/** stagetrace's own lines on stderr (its notices use the human log's format). */
const OWN_LINE = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[[A-Z_]+\] /;

/** The stderr lines stagetrace wrote. */
export function ownStderr(stderr: string): string[] {
  return stderr.split('\n').filter((line) => OWN_LINE.test(line));
}

/**
 * What the application (and Node) wrote to stderr, without stagetrace's own
 * notices and without the source line Node prints above a fatal error: for
 * an error stagetrace handed back to Node after writing the files, that is
 * the line where it was thrown again (see docs/RELIABILITY.md). The error,
 * its stack and causes that follow are compared as they are.
 */
export function appStderr(stderr: string): string {
  return withoutOwnLines(stderr).replace(SOURCE_ARROW, '');
}

/** `file:line`, the source line and a caret, then blank lines: how Node's fatal report begins. */
const SOURCE_ARROW = /^[^\n]*:\d+\n[^\n]*\n *\^\n\n+/;

function withoutOwnLines(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !OWN_LINE.test(line))
    .join('\n');
}

/** The pipeline behaves as without stagetrace: same stdout, exit code, signal and application stderr. */
export function expectSameResult({ traced, baseline }: Pair): void {
  const why = `stagetrace run stderr:\n${traced.stderr.slice(-3000)}\nbaseline stderr:\n${baseline.stderr.slice(-3000)}`;
  expect({ code: traced.code, signal: traced.signal }, why).toEqual({ code: baseline.code, signal: baseline.signal });
  expect(traced.output, why).toBe(baseline.output);
  expect(appStderr(traced.stderr), why).toBe(appStderr(baseline.stderr));
}

/** The audit files of one run, read strictly (every line whole), with the checks every fault shares. */
export interface Trail {
  structured: Rec[];
  performance: Rec[];
  human: string;
  errors: string;
  /** Error blocks in error_details.log. */
  errorBlocks: string[];
  starts: Map<string, Rec>;
  ends: Map<string, Rec>;
  /** Span ids with a second start or end line, or a second performance line. */
  duplicated: string[];
  /** Span ids that started and never ended. */
  unended: string[];
}

export interface TrailOptions {
  /** A last line cut by SIGKILL. */
  allowTornLast?: boolean;
  /** Start lines may be missing (they were in files removed by the fault). */
  startsMayBeGone?: boolean;
}

export function readTrail(dir: string, options: TrailOptions = {}): Trail {
  const structured = readJsonl(join(dir, STRUCTURED), options);
  const performance = readJsonl(join(dir, PERFORMANCE), options);
  const human = readText(join(dir, HUMAN));
  const errors = readText(join(dir, ERRORS));
  const starts = new Map<string, Rec>();
  const ends = new Map<string, Rec>();
  const duplicated = new Set<string>();
  for (const r of structured) {
    if (r.stage_event !== 'start' && r.stage_event !== 'end') continue;
    const id = String(r.span_id);
    const map = r.stage_event === 'start' ? starts : ends;
    if (map.has(id)) duplicated.add(id);
    map.set(id, r);
  }
  const performanceIds = new Set<string>();
  for (const p of performance) {
    const id = String(p.span_id);
    if (performanceIds.has(id)) duplicated.add(id);
    performanceIds.add(id);
  }
  // Every end has its start and its performance line, and nothing else has one.
  if (!options.startsMayBeGone) for (const id of ends.keys()) expect(starts.has(id), `end without start for span ${id}`).toBe(true);
  expect([...performanceIds].sort()).toEqual([...ends.keys()].sort());
  const lines = human.split('\n');
  const tail = lines.pop();
  if (!options.allowTornLast) expect(tail, 'the human log ends with a newline').toBe('');
  for (const line of lines) expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[[A-Z_]+\] /);
  const errorBlocks = errors.split('----------------------------------------\n').filter((b) => b.trim() !== '');
  return {
    structured,
    performance,
    human,
    errors,
    errorBlocks,
    starts,
    ends,
    duplicated: [...duplicated],
    unended: [...starts.keys()].filter((id) => !ends.has(id)),
  };
}

/**
 * Where the scenario's secret got out through stagetrace: files under `dir`
 * (recursively), stagetrace's own stderr lines, and stdout or stderr beyond
 * what the run without stagetrace printed (Node printing the application's
 * own uncaught error is not stagetrace's doing).
 */
export function secretLeaks(dir: string | undefined, run: NodeRun, baseline?: NodeRun): string[] {
  const leaks: string[] = [];
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (readFileSync(path, 'latin1').includes(SCENARIO_SECRET)) leaks.push(path);
    }
  };
  if (dir !== undefined && existsSync(dir)) visit(dir);
  const occurrences = (text: string) => text.split(SCENARIO_SECRET).length - 1;
  if (occurrences(run.stdout) > occurrences(baseline?.stdout ?? '')) leaks.push('stdout');
  if (occurrences(run.stderr) > occurrences(baseline?.stderr ?? '')) leaks.push('stderr');
  if (ownStderr(run.stderr).some((line) => line.includes(SCENARIO_SECRET))) leaks.push("stagetrace's stderr lines");
  return leaks;
}

/** Records that should be in the files: `lost` counts those that are not. */
export interface Expected {
  /** Spans that must have a start line. */
  starts: number;
  /** Spans that must have an end line (fewer than starts only where nothing could run, as after SIGKILL). */
  ends: number;
  /** Messages (record_type 'message') that must be there, by text. */
  messages?: readonly (string | RegExp)[];
}

/** How many expected records are missing. */
export function lostRecords(trail: Trail, expected: Expected): number {
  let lost = Math.max(0, expected.starts - trail.starts.size) + Math.max(0, expected.ends - trail.ends.size);
  const messages = trail.structured.filter((r) => r.record_type === 'message').map((r) => String(r.message));
  for (const want of expected.messages ?? []) {
    if (!messages.some((m) => (typeof want === 'string' ? m === want : want.test(m)))) lost++;
  }
  return lost;
}

/** One measured row of the matrix, appended to STAGETRACE_RELIABILITY_REPORT (JSON lines) when set. */
export interface MatrixResult {
  row: string;
  /** Medians over the repetitions, and the worst of them; see {@link Delays}. */
  addedMs: number;
  maxAddedMs: number;
  endToEndMs: number;
  startMs: number;
  lost: number;
  duplicated: number;
  leaked: number;
  note?: string;
}

/** The measured delays of a pair, as a row reports them. */
export function delaysOf(pair: Pair): Pick<MatrixResult, 'addedMs' | 'maxAddedMs' | 'endToEndMs' | 'startMs'> {
  return { addedMs: pair.addedMs, maxAddedMs: pair.maxAddedMs, endToEndMs: pair.endToEndMs, startMs: pair.startMs };
}

export function report(result: MatrixResult): void {
  const file = process.env.STAGETRACE_RELIABILITY_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ ...result, repeat: REPEAT })}\n`);
}

/** Lines of `text` that match `pattern`. */
export function count(text: string, pattern: RegExp): number {
  return text.split('\n').filter((line) => pattern.test(line)).length;
}

/** One fault of the matrix, run with and without stagetrace. */
export interface FaultRow {
  /** The row's name in docs/RELIABILITY.md. */
  row: string;
  scenario: string;
  env?: Record<string, string>;
  interruption?: Interruption;
  expected: Expected;
  /** The most the stagetrace run may take longer than the baseline after start() or after the signal (see {@link Delays}). */
  boundMs: number;
  /** Records the fault itself may cost (SIGKILL in buffered mode); 0 unless said. */
  mayLose?: number;
  /** How strictly to read the files. */
  trail?: TrailOptions;
  /** The row's own checks of the files and the runs. */
  check?: (trail: Trail, pair: Pair, dir: string) => void;
}

/**
 * Runs one row: the same result as without stagetrace, whole files with
 * nothing duplicated or missing, no secret anywhere, the added delay within
 * the bound. Reports the measurements.
 */
export async function runFaultRow(spec: FaultRow, freshDir: () => string): Promise<MatrixResult> {
  let lost = 0;
  let duplicated = 0;
  let leaked = 0;
  const pair = await runPair(spec.scenario, () => ({ STAGETRACE_LOG_DIR: freshDir(), ...spec.env }), {
    interruption: spec.interruption,
    check: (p) => {
      const dir = p.traced.env.STAGETRACE_LOG_DIR as string;
      expectSameResult(p);
      // The baseline is stagetrace-free: it never opened its log folder.
      expect(existsSync(p.baseline.env.STAGETRACE_LOG_DIR as string)).toBe(false);
      const trail = readTrail(dir, spec.trail);
      lost = Math.max(lost, lostRecords(trail, spec.expected));
      duplicated = Math.max(duplicated, trail.duplicated.length);
      const leaks = secretLeaks(dir, p.traced, p.baseline);
      leaked = Math.max(leaked, leaks.length);
      expect(trail.duplicated, 'span ids with two starts or two ends').toEqual([]);
      expect(leaks).toEqual([]);
      expect(lost).toBeLessThanOrEqual(spec.mayLose ?? 0);
      spec.check?.(trail, p, dir);
    },
  });
  expect(pair.maxAddedMs, `added delay of ${spec.row}`).toBeLessThan(spec.boundMs);
  expect(pair.maxEndToEndMs, `added delay of ${spec.row}, end to end`).toBeLessThan(END_TO_END_BOUND_MS);
  const result = { row: spec.row, ...delaysOf(pair), lost, duplicated, leaked };
  report(result);
  return result;
}
