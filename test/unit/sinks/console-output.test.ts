import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { logProgress, type StagetraceOptions, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';
import { runNodeScript } from '../../helpers/run-node.js';

/** `[YYYY-MM-DD HH:MM:SS.mmm] [LEVEL] [stage] message`, the stage part optional. */
const LINE = /^\[(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})\] \[([A-Z_]+)\] (?:\[([^\]]+)\] )?(.*)$/;
const ANSI = '\x1b[';

let session: InMemorySession | undefined;
let stderr: StderrCapture | undefined;

function begin(options: StagetraceOptions): StderrCapture {
  session = startInMemory({ console: true, ...options });
  stderr = captureStderr();
  return stderr;
}

afterEach(async () => {
  stderr?.restore();
  stderr = undefined;
  await session?.close();
  session = undefined;
});

function runSmallPipeline(): void {
  traceMonth('2024-01', () => {
    traceStage('download', () => logProgress('Downloaded 3 files'));
    try {
      traceStage('process', () => {
        throw new Error('bad row');
      });
    } catch {
      logProgress('Skipping the rest of the month', { level: 'WARNING' });
    }
  });
  logProgress('All months done');
}

describe('console lines', () => {
  it('follow [YYYY-MM-DD HH:MM:SS.mmm] [LEVEL] [stage] message in local time', () => {
    const out = begin({ colors: false });
    const before = Date.now();
    runSmallPipeline();
    const after = Date.now();
    const lines = out.lines();
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      const m = LINE.exec(line);
      expect(m, line).not.toBeNull();
      if (!m) continue;
      const [, y, mo, d, h, mi, s, ms] = m.map(Number);
      const at = new Date(y as number, (mo as number) - 1, d, h, mi, s, ms).getTime();
      expect(at).toBeGreaterThanOrEqual(before - 1);
      expect(at).toBeLessThanOrEqual(after + 1);
    }
    expect(lines.some((l) => / \[INFO\] \[download\] Downloaded 3 files$/.test(l))).toBe(true);
    expect(lines.some((l) => / \[ERROR\] \[process\] process failed: Error: bad row$/.test(l))).toBe(true);
    expect(lines.some((l) => / \[INFO\] \[month 2024-01\] Starting month 2024-01$/.test(l))).toBe(true);
    expect(lines.some((l) => / \[WARNING\] \[month 2024-01\] Skipping the rest of the month$/.test(l))).toBe(true);
    expect(lines.some((l) => /\d\] \[INFO\] All months done$/.test(l))).toBe(true);
  });

  it('keep a multi-line message on one line', () => {
    const out = begin({ colors: false });
    logProgress('first\nsecond\r\nthird');
    expect(out.lines()).toHaveLength(1);
    expect(out.lines()[0]).toMatch(/\[INFO\] first\\nsecond\\r\\nthird$/);
  });

  it('carry no ANSI colours with colors: false, and do with colors: true', async () => {
    const plain = begin({ colors: false });
    runSmallPipeline();
    plain.restore();
    expect(plain.text()).not.toContain(ANSI);
    await session?.close();

    const coloured = begin({ colors: true });
    runSmallPipeline();
    coloured.restore();
    expect(coloured.text()).toContain(ANSI);
    expect(coloured.text()).toContain('Downloaded 3 files');
  });

  it('respect the minimum level', () => {
    const out = begin({ colors: false, logLevel: 'WARNING' });
    runSmallPipeline();
    const levels = new Set(out.lines().map((l) => LINE.exec(l)?.[8]));
    expect([...levels].sort()).toEqual(['ERROR', 'WARNING']);
  });

  it('show DEBUG only when logLevel is DEBUG', async () => {
    const quiet = begin({ colors: false });
    logProgress('details', { level: 'DEBUG' });
    quiet.restore();
    expect(quiet.text()).toBe('');
    await session?.close();

    const verbose = begin({ colors: false, logLevel: 'debug' });
    logProgress('details', { level: 'DEBUG' });
    expect(verbose.lines()).toHaveLength(1);
    expect(verbose.lines()[0]).toMatch(/\[DEBUG\] details$/);
  });

  it('are not printed at all with console: false', () => {
    const out = begin({ console: false });
    runSmallPipeline();
    logProgress('critical', { level: 'CRITICAL' });
    const stage = startStage('twice');
    stage.end();
    stage.end();
    expect(out.text()).toBe('');
  });
});

describe('colour default', () => {
  const isTTY = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');

  afterEach(() => {
    if (isTTY) Object.defineProperty(process.stderr, 'isTTY', isTTY);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
  });

  it('is off when stderr is not a terminal, on when it is, and off with NO_COLOR', () => {
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true, writable: true });
    expect(resolveConfig({}, {}).colors).toBe(false);
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true, writable: true });
    expect(resolveConfig({}, {}).colors).toBe(true);
    expect(resolveConfig({}, { NO_COLOR: '1' }).colors).toBe(false);
    expect(resolveConfig({ colors: false }, {}).colors).toBe(false);
  });

  it('gives plain, well-formed lines from a real process whose stderr is a pipe', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'stagetrace-console-'));
    try {
      const fixture = fileURLToPath(new URL('../../integration/fixtures/two-months.ts', import.meta.url));
      const run = await runNodeScript(fixture, { cwd: workDir, env: { STAGETRACE_LOG_DIR: 'false' }, timeoutMs: 90_000 });
      expect(run.code).toBe(0);
      expect(run.stderr).not.toContain('\x1b');
      const lines = run.stderr.split('\n').filter((l) => l !== '');
      expect(lines.length).toBeGreaterThan(10);
      for (const line of lines) expect(line).toMatch(LINE);
      expect(lines.some((l) => / \[ERROR\] \[process\] process failed: Error: corrupt input for 2024-02$/.test(l))).toBe(true);
      expect(run.stdout).toBe('');
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }, 120_000);
});
