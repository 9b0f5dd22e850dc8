/**
 * How much the console prints. `consoleLevel: 'STAGES'` sits between INFO and
 * WARNING: one line per stage and month end (with its duration) and the
 * warnings, without the start, TIMING and MEMORY_TRACKING lines, while the
 * audit files keep everything. With months in parallel, console and human
 * log lines name the month of each stage.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { forceFlush, logProgress, type StagetraceOptions, traceMonth, traceStage } from '../../../src/index.js';
import { escapeLabel } from '../../../src/model/human-format.js';
import type { ScopeRef } from '../../../src/model/records.js';
import { ConsoleSink } from '../../../src/sinks/console-sink.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';
import { end, ref, start, T0 } from '../../helpers/records.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;
const STAGES = ['download', 'parse', 'process', 'validate', 'upload'];
/** `[ts] [TAG] [field] message`; the field escapes `]` as `\]`. */
const LINE = /^\[[^\]]+\] \[([A-Z_]+)\] (?:\[((?:[^\]\\]|\\.)*)\] )?(.*)$/;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

let session: InMemorySession | undefined;
let stderr: StderrCapture | undefined;
afterEach(async () => {
  stderr?.restore();
  stderr = undefined;
  await session?.close();
  session = undefined;
});

function begin(options: StagetraceOptions): { out: StderrCapture; logDir: string } {
  const logDir = mkdtempSync(join(tmpdir(), 'stagetrace-console-level-'));
  dirs.push(logDir);
  session = startInMemory({ console: true, colors: false, logDir, ...options });
  stderr = captureStderr();
  return { out: stderr, logDir };
}

/** Twelve months of five stages, one after another, with an INFO and a WARNING message in each. */
async function twelveMonths(): Promise<void> {
  for (let m = 1; m <= 12; m++) {
    await traceMonth(`2024-${String(m).padStart(2, '0')}`, () => {
      for (const stage of STAGES) traceStage(stage, () => logProgress(`${stage} rows read`));
      logProgress('3 rows rejected', { level: 'WARNING' });
    });
  }
}

const parse = (line: string) => {
  const m = LINE.exec(line);
  if (m === null) throw new Error(`not a console line: ${line}`);
  return { tag: m[1] as string, field: m[2], message: m[3] as string };
};

describe("consoleLevel: 'STAGES'", () => {
  it('prints one line per stage and month end with its duration, and the warnings; the files keep every line', async () => {
    const { out, logDir } = begin({ consoleLevel: 'STAGES' });
    await twelveMonths();
    await forceFlush();
    const lines = out.lines().map(parse);
    const ends = lines.filter((l) => / completed successfully in \d+\.\d\d seconds$/.test(l.message));
    expect(ends).toHaveLength(12 * (STAGES.length + 1));
    expect(lines.filter((l) => l.tag === 'WARNING' && l.message === '3 rows rejected')).toHaveLength(12);
    expect(lines).toHaveLength(12 * (STAGES.length + 1) + 12);
    expect(lines.filter((l) => ['TIMING', 'MEMORY_TRACKING'].includes(l.tag) || l.message.startsWith('Starting'))).toEqual([]);
    // The human log is the full INFO log: starts, TIMING, MEMORY_TRACKING and the INFO messages.
    const human = readFileSync(join(logDir, 'enhanced_processing.log'), 'utf8').trim().split('\n').map(parse);
    for (const tag of ['TIMING', 'MEMORY_TRACKING']) expect(human.filter((l) => l.tag === tag)).toHaveLength(72);
    expect(human.filter((l) => l.message === 'download rows read')).toHaveLength(12);
  });

  it('keeps failures, and logLevel still wins when it is higher', async () => {
    const { out } = begin({ consoleLevel: 'stages', logLevel: 'WARNING' });
    await twelveMonths();
    try {
      traceMonth('2025-01', () =>
        traceStage('upload', () => {
          throw new Error('bucket gone');
        }),
      );
    } catch {
      // expected
    }
    const lines = out.lines().map(parse);
    expect(lines.filter((l) => l.message.includes('completed successfully'))).toEqual([]);
    expect(lines.filter((l) => l.tag === 'ERROR').map((l) => l.message)).toEqual([
      'upload failed: Error: bucket gone',
      'month 2025-01 failed: Error: bucket gone',
    ]);
  });

  it('is read from STAGETRACE_CONSOLE_LEVEL in any case; a bad value names the option and the levels', () => {
    expect(resolveConfig({}, { STAGETRACE_CONSOLE_LEVEL: 'stages' }).consoleLevel).toBe('STAGES');
    expect(resolveConfig({}, {}).consoleLevel).toBeUndefined();
    expect(() => resolveConfig({ consoleLevel: 'quiet' as 'STAGES' }, {})).toThrow(
      /option consoleLevel must be one of 'DEBUG', 'INFO', 'STAGES', 'WARNING', 'ERROR', 'CRITICAL' \(any case\); got "quiet"/,
    );
  });

  it('at INFO (the default) prints what it always did: starts, TIMING and MEMORY_TRACKING', async () => {
    const { out } = begin({});
    await twelveMonths();
    const lines = out.lines().map(parse);
    expect(lines.filter((l) => l.tag === 'TIMING')).toHaveLength(72);
    expect(lines.filter((l) => l.message.startsWith('Starting'))).toHaveLength(72);
  });
});

describe('months in parallel', () => {
  it('name the month in console and human log lines of their stages while more than one is open', async () => {
    const { out, logDir } = begin({});
    let release!: () => void;
    const bothOpen = new Promise<void>((resolve) => {
      release = resolve;
    });
    let opened = 0;
    const month = (m: string) =>
      traceMonth(m, async () => {
        if (++opened === 2) release();
        await bothOpen;
        await traceStage('download', async () => logProgress('fetched'));
      });
    await Promise.all([month('2024-01'), month('2024-02')]);
    await traceMonth('2024-03', () => traceStage('download', () => undefined));
    await forceFlush();
    const human = readFileSync(join(logDir, 'enhanced_processing.log'), 'utf8').trim().split('\n');
    for (const lines of [out.lines(), human]) {
      const fields = lines.map(parse).filter((l) => l.field?.includes('download'));
      for (const m of ['2024-01', '2024-02']) {
        expect(fields.filter((l) => l.field === `${m}/download`).map((l) => l.tag)).toEqual([
          'INFO',
          'INFO',
          'INFO',
          'TIMING',
          'MEMORY_TRACKING',
        ]);
      }
      // One month open: the stage name alone, as before.
      expect(fields.filter((l) => l.field === 'download')).toHaveLength(4);
      expect(fields).toHaveLength(14);
    }
  });

  it('for any stage names and months: a stage line names its month exactly when several months are open', () => {
    const month = fc.tuple(fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 1, max: 12 }));
    fc.assert(
      fc.property(
        fc.uniqueArray(month, { minLength: 1, maxLength: 4, selector: ([y, m]) => y * 100 + m }),
        fc.array(fc.string({ minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('INFO', 'STAGES'),
        (months, names, level: 'INFO' | 'STAGES') => {
          const written: string[] = [];
          const sink = new ConsoleSink({ minLevel: 'INFO', level, colors: false, stream: { write: (t: string) => written.push(t) } });
          const monthRefs = months.map(([y, m]) => ref('month', 'month', `${y}-${String(m).padStart(2, '0')}`));
          for (const [i, scope] of monthRefs.entries()) sink.onStart(start(scope, T0 + i));
          const expected: string[] = [];
          for (const [i, name] of names.entries()) {
            const parent = monthRefs[i % monthRefs.length] as ScopeRef;
            const stage = ref('stage', name, parent.month, parent);
            const field = escapeLabel(monthRefs.length > 1 ? `${parent.month}/${name}` : name);
            written.length = 0;
            sink.onStart(start(stage, T0 + 10));
            sink.onEnd(end(stage, T0 + 10, 0.5));
            const fields = written.map((line) => parse(line.replace(/\n$/, '')).field);
            expect(fields.length).toBeGreaterThan(0);
            for (const f of fields) expect(f).toBe(field);
            expected.push(field);
          }
          expect(expected).toHaveLength(names.length);
        },
      ),
      { numRuns: runs },
    );
  });
});
