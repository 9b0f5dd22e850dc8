import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cleanEnv, type NodeRun, REPO_ROOT } from '../../helpers/run-node.js';

/** The child-process pipeline driven by `SCENARIO`; see fixtures/scenario.ts. */
export const SCENARIO_SCRIPT = fileURLToPath(new URL('./fixtures/scenario.ts', import.meta.url));

const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export const HUMAN = 'enhanced_processing.log';
export const STRUCTURED = 'structured_processing.jsonl';
export const PERFORMANCE = 'performance_metrics.jsonl';
export const ERRORS = 'error_details.log';

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `stagetrace-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A file's text, or '' while it does not exist. */
export function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** The session's start and end marker messages (service name, thresholds, telemetry counts for offline reports). */
export function isSessionMarker(record: Record<string, unknown>): boolean {
  const context = record.context as Record<string, unknown> | undefined;
  return record.record_type === 'message' && context !== undefined && context !== null && 'session.event' in context;
}

/**
 * The JSON records of a JSONL file, without the session's start and end
 * markers unless `markers` is set. Every line must parse except, when
 * `allowTornLast`, a last line without its newline (a write cut by SIGKILL).
 */
export function readJsonl(path: string, options: { allowTornLast?: boolean; markers?: boolean } = {}): Record<string, unknown>[] {
  const records = readAllJsonl(path, options);
  return options.markers ? records : records.filter((r) => !isSessionMarker(r));
}

function readAllJsonl(path: string, options: { allowTornLast?: boolean }): Record<string, unknown>[] {
  const text = readText(path);
  const lines = text.split('\n');
  const last = lines.pop() as string; // '' when the file ends with a newline
  const records = lines.map((line, i) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`${path}:${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
    }
  });
  if (last !== '' && !options.allowTornLast)
    throw new Error(`${path} ends in a line without a newline: ${JSON.stringify(last.slice(0, 200))}`);
  return records;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function pollUntil<T>(check: () => T | undefined | false, timeoutMs: number, what: string, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A running child whose output can be watched while it runs. */
export interface LiveChild {
  readonly child: ChildProcess;
  readonly startedAtMs: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit information (never rejects; kills the child after `timeoutMs`). */
  readonly exited: Promise<NodeRun & { endedAtMs: number }>;
  /** Waits until stdout matches. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Starts `node --import tsx <script>` with a clean environment plus `env`. */
export function spawnScript(
  script: string,
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number; args?: string[] } = {},
): LiveChild {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script, ...(options.args ?? [])], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...cleanEnv(process.env), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const startedAtMs = Date.now();
  const exited = new Promise<NodeRun & { endedAtMs: number }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out, stderr: err, endedAtMs: Date.now() });
    });
  });
  return {
    child,
    startedAtMs,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout: (pattern, timeoutMs = 30_000) =>
      pollUntil(() => out.match(pattern) ?? undefined, timeoutMs, `${pattern} on stdout; stderr so far:\n${err}`, 20),
  };
}

/** Runs a scenario of fixtures/scenario.ts to its end. */
export function runScenario(
  scenario: string,
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<NodeRun & { endedAtMs: number; startedAtMs: number }> {
  const live = spawnScript(SCENARIO_SCRIPT, { SCENARIO: scenario, ...env }, options);
  return live.exited.then((run) => ({ ...run, startedAtMs: live.startedAtMs }));
}

/** Lines of a text that match `pattern`. */
export function linesMatching(text: string, pattern: RegExp): string[] {
  return text.split('\n').filter((line) => pattern.test(line));
}
