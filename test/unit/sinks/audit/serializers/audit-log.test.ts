/**
 * The audit sink on its own: records built in the test (no session, no
 * SDK) go through AuditLog into real files, which are read back and checked
 * against the independent references, line by line and block by block.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ERROR_LOG_FILE, HUMAN_LOG_FILE, PERFORMANCE_LOG_FILE, STRUCTURED_LOG_FILE } from '../../../../../src/model/audit-schema.js';
import { epochNowMs } from '../../../../../src/model/clock.js';
import type { ErrorInfo } from '../../../../../src/model/error-info.js';
import type { MessageRecord, ScopeEndRecord, ScopeRef, ScopeStartRecord } from '../../../../../src/model/records.js';
import { AuditLog } from '../../../../../src/sinks/audit/audit-log.js';
import { endRecord, errorInfo, messageRecord, scopeRef, sessionId, startRecord } from './arbitraries.js';
import {
  BLOCK_END,
  type ExpectedBlock,
  expectErrorBlock,
  expectJsonLine,
  parseHumanLine,
  refContext,
  refEndRecord,
  refHumanSeconds,
  refHumanTenths,
  refLabel,
  refLocalTimestamp,
  refMessageRecord,
  refOutcomeLine,
  refPerformanceRecord,
  refStartMessage,
  refStartRecord,
  refTraceback,
} from './reference.js';

const SESSION = '20251104_134205_a1b2c3';
const root = mkdtempSync(join(tmpdir(), 'stagetrace-audit-log-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;

type AnyRecord = ScopeStartRecord | ScopeEndRecord | MessageRecord;

/** Writes `records` through a fresh AuditLog (durability 'sync') and returns the four files' text. */
function writeThrough(records: readonly AnyRecord[]): Record<'human' | 'structured' | 'performance' | 'errors', string> {
  const dir = join(root, `run-${++runs}`);
  const log = new AuditLog({
    dir,
    sessionId: SESSION,
    runId: SESSION,
    durability: 'sync',
    maxFileBytes: 64 * 1024 * 1024,
    maxFiles: 2,
    onWriteError: (file, error) => {
      throw new Error(`write to ${file} failed`, { cause: error });
    },
    onLost: (file, count) => {
      throw new Error(`${count} records lost in ${file}`);
    },
  });
  log.open();
  for (const r of records) {
    if (r.type === 'start') log.onStart(r);
    else if (r.type === 'end') log.onEnd(r);
    else log.onMessage(r);
  }
  log.close();
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const files = {
    human: read(HUMAN_LOG_FILE),
    structured: read(STRUCTURED_LOG_FILE),
    performance: read(PERFORMANCE_LOG_FILE),
    errors: read(ERROR_LOG_FILE),
  };
  rmSync(dir, { recursive: true, force: true });
  return files;
}

interface ExpectedHuman {
  atMs: number;
  tag: string;
  stage: string | undefined;
  message: string;
}

/** What the four files must hold for `records`, from the references. */
function expectFiles(records: readonly AnyRecord[]): void {
  const files = writeThrough(records);
  const human: ExpectedHuman[] = [];
  const structured: unknown[] = [];
  const performance: unknown[] = [];
  const blocks: ExpectedBlock[] = [];
  const firstBlockOf = new Map<ErrorInfo, string>();
  const block = (
    atMs: number,
    scope: ScopeRef | undefined,
    label: string | undefined,
    message: string,
    error: ErrorInfo,
    real: boolean,
    context: Record<string, unknown>,
  ) => {
    const seen = firstBlockOf.get(error);
    blocks.push({
      atMs,
      sessionId: scope?.sessionId ?? SESSION,
      month: scope?.month,
      stage: label,
      message,
      errorType: error.type,
      errorMessage: error.message,
      traceback: seen === undefined ? refTraceback(error) : `(the same error: its traceback is in ${seen})`,
      context,
      traceId: scope?.traceId,
      spanId: scope?.spanId,
    });
    if (seen === undefined && real) firstBlockOf.set(error, `the block of ${label ?? '-'}${scope ? ` (span ${scope.spanId})` : ''} above`);
  };

  // While more than one month is open, a stage's human lines name its month: `2024-01/download`.
  let openMonths = 0;
  const humanLabel = (scope: ScopeRef, name?: string) => {
    const base = name ?? refLabel(scope);
    const ofStage = scope.kind === 'stage' || name !== undefined;
    return openMonths > 1 && ofStage && scope.month !== undefined ? `${scope.month}/${base}` : base;
  };
  for (const r of records) {
    if (r.type === 'start') {
      if (r.scope.kind === 'month') openMonths++;
      human.push({ atMs: r.startMs, tag: 'INFO', stage: humanLabel(r.scope), message: refStartMessage(r.scope) });
      structured.push(refStartRecord(r));
    } else if (r.type === 'end') {
      const label = refLabel(r.scope);
      const field = humanLabel(r.scope);
      if (r.scope.kind === 'month' && openMonths > 0) openMonths--;
      const seconds = refHumanSeconds(r.durationS);
      const outcome = refOutcomeLine(r);
      human.push({ atMs: r.endMs, tag: outcome.level, stage: field, message: outcome.message });
      if (r.slow)
        human.push({
          atMs: r.endMs,
          tag: 'WARNING',
          stage: field,
          message: `${label} took ${seconds} seconds, over its ${r.thresholdS} second threshold`,
        });
      human.push({ atMs: r.endMs, tag: 'TIMING', stage: field, message: `${label} completed in ${seconds} seconds` });
      const memoryKey = r.scope.kind === 'month' ? `month_${r.scope.month}` : r.scope.name;
      human.push({
        atMs: r.endMs,
        tag: 'MEMORY_TRACKING',
        stage: field,
        message: `${memoryKey}_end: ${refHumanTenths(r.rssEndBytes / 2 ** 20)} MB`,
      });
      structured.push(refEndRecord(r));
      performance.push(refPerformanceRecord(r));
      if (r.outcome !== 'success') {
        const error = r.error ?? {
          type: r.outcome === 'interrupted' ? 'Interrupted' : 'Failure',
          message: r.reason ?? 'ended with success: false',
          stack: undefined,
          causes: [],
        };
        block(r.endMs, r.scope, label, outcome.message, error, r.error !== undefined, refContext(r.context));
      }
    } else {
      const label = r.label ?? (r.scope ? refLabel(r.scope) : undefined);
      const message = r.error ? `${r.message} (${r.error.type}: ${r.error.message})` : r.message;
      human.push({ atMs: r.atMs, tag: r.level, stage: r.scope ? humanLabel(r.scope, r.label) : label, message });
      structured.push(refMessageRecord(r, SESSION));
      if (r.error) block(r.atMs, r.scope, label, r.message, r.error, true, refContext(r.context));
    }
  }

  const humanLines = files.human.split('\n');
  expect(humanLines.pop(), 'the human log ends with a newline').toBe('');
  expect(humanLines.length, 'one human line per event line').toBe(human.length);
  human.forEach((e, i) => {
    expect(parseHumanLine(`${humanLines[i]}\n`, e.stage !== undefined)).toEqual({
      timestamp: refLocalTimestamp(e.atMs),
      tag: e.tag,
      stage: e.stage,
      message: e.message,
    });
  });

  for (const [text, expected] of [
    [files.structured, structured],
    [files.performance, performance],
  ] as const) {
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(expected.length);
    expected.forEach((record, i) => {
      expectJsonLine(`${lines[i]}\n`, record);
    });
  }

  const written = files.errors.split(`${BLOCK_END}\n`);
  expect(written.pop(), 'the error log ends with a whole block').toBe('');
  expect(written.length).toBe(blocks.length);
  blocks.forEach((e, i) => {
    expectErrorBlock(`${written[i]}${BLOCK_END}\n`, e);
  });
}

/** Records that share scopes, names and error objects, so the sink's per-name caches and its "traceback above" see repeats. */
const recordsArbitrary = fc
  .tuple(
    fc.array(scopeRef(fc.oneof({ weight: 4, arbitrary: fc.constant(SESSION) }, { weight: 1, arbitrary: sessionId })), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.array(errorInfo, { minLength: 1, maxLength: 2 }),
  )
  .chain(([scopePool, errorPool]) => {
    const scopes = fc.oneof(fc.constantFrom(...scopePool), scopeRef(fc.constant(SESSION)));
    const errors = fc.oneof(fc.constantFrom(...errorPool), errorInfo);
    return fc.array(fc.oneof(startRecord(scopes), endRecord(scopes, errors), messageRecord(scopes, errors)), { maxLength: 14 });
  });

const ref = (kind: 'month' | 'stage', name: string, month: string | undefined, spanId: string): ScopeRef =>
  Object.freeze({ kind, name, month, sessionId: SESSION, runId: SESSION, traceId: 'a'.repeat(32), spanId, parentSpanId: undefined });
const start = (scope: ScopeRef, startMs: number): ScopeStartRecord =>
  Object.freeze({ type: 'start', scope, startMs, context: {}, rssBytes: 2 ** 27, heapUsedBytes: 2 ** 25 });
const end = (scope: ScopeRef, endMs: number, outcome: ScopeEndRecord['outcome'] = 'success'): ScopeEndRecord =>
  Object.freeze({
    type: 'end',
    scope,
    startMs: endMs - 1500,
    endMs,
    durationS: 1.5,
    outcome,
    slow: false,
    thresholdS: scope.kind === 'stage' ? 60 : undefined,
    rssStartBytes: 2 ** 27,
    rssEndBytes: 2 ** 27 + 2 ** 20,
    rssPeakBytes: 2 ** 28,
    heapStartBytes: 2 ** 25,
    heapEndBytes: 2 ** 25,
    cpuPercent: 12.5,
    error: undefined,
    reason: outcome === 'interrupted' ? 'SIGTERM' : undefined,
    context: {},
  });

describe('AuditLog', () => {
  it('writes every record to the four files exactly as the references say', () => {
    fc.assert(
      fc.property(recordsArbitrary, (records) => {
        expectFiles(records);
      }),
      { numRuns: 150 },
    );
  });

  it('regression: a stage named "month" inside a month gets its own records, not the month\'s', () => {
    const month = ref('month', 'month', '2024-01', '1'.repeat(16));
    const stage = ref('stage', 'month', '2024-01', '2'.repeat(16));
    expectFiles([start(month, 1730736125000), start(stage, 1730736125100), end(stage, 1730736126600), end(month, 1730736127000)]);
  });

  it("regression: a stage whose name is a NUL and a month gets its own human lines, not the month's", () => {
    const month = ref('month', 'month', '2024-01', '1'.repeat(16));
    const stage = ref('stage', '\u00002024-01', '2024-01', '2'.repeat(16));
    expectFiles([
      start(month, 1730736125000),
      start(stage, 1730736125100),
      end(stage, 1730736126600, 'failure'),
      end(month, 1730736127000, 'interrupted'),
    ]);
  });
});

describe('AuditLog on its own: opening, buffering, failures', () => {
  const files = (dir: string) => [HUMAN_LOG_FILE, STRUCTURED_LOG_FILE, PERFORMANCE_LOG_FILE, ERROR_LOG_FILE].map((name) => join(dir, name));
  const lineCount = (path: string) => readFileSync(path, 'utf8').split('\n').length - 1;
  const make = (dir: string, durability: 'sync' | 'buffered', overrides: Partial<ConstructorParameters<typeof AuditLog>[0]> = {}) =>
    new AuditLog({
      dir,
      sessionId: SESSION,
      runId: SESSION,
      durability,
      maxFileBytes: 64 * 1024 * 1024,
      maxFiles: 2,
      flushIntervalMs: 1000,
      onWriteError: () => {},
      onLost: () => {},
      ...overrides,
    });
  const stage = ref('stage', 'load', '2024-01', '3'.repeat(16));
  const month = ref('month', 'month', '2024-01', '4'.repeat(16));

  afterEach(() => {
    vi.useRealTimers();
  });

  it('open() fails with an error that names logDir, the cause and what to do, when the folder cannot be made', () => {
    const file = join(root, 'not-a-folder');
    writeFileSync(file, '');
    const log = make(join(file, 'logs'), 'sync');
    expect(() => log.open()).toThrow(
      /cannot write audit files in logDir ".*not-a-folder\/logs": a part of the path is a file, not a folder: ENOTDIR.*To fix: move the file away or choose another path .*requireLogDir: false/,
    );
  });

  it('buffered: holds records until the flush interval has passed, a month ends, or forceFlush; nothing after close', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const dir = join(root, 'buffered');
    const log = make(dir, 'buffered');
    log.open();
    const [human] = files(dir) as [string];
    log.onStart(start(stage, epochNowMs()));
    expect(lineCount(human), 'queued, not yet written').toBe(0);
    vi.advanceTimersByTime(999);
    expect(lineCount(human)).toBe(0);
    vi.advanceTimersByTime(1);
    expect(lineCount(human), 'written by the timer after the interval').toBe(1);

    // A record an interval after the last flush is written at once: a stage that blocks the event loop cannot hold records back.
    log.onStart(start(stage, epochNowMs() + 5000));
    expect(lineCount(human)).toBe(2);

    log.onStart(start(month, epochNowMs()));
    expect(lineCount(human)).toBe(2);
    log.onEnd(end(month, epochNowMs()));
    expect(lineCount(human), 'a month end flushes').toBe(2 + 1 + 3);

    log.onMessage(
      Object.freeze({
        type: 'message',
        atMs: epochNowMs(),
        level: 'INFO',
        message: 'm',
        scope: undefined,
        label: undefined,
        context: undefined,
        error: undefined,
        rssBytes: 0,
      }),
    );
    expect(lineCount(human)).toBe(6);
    await log.forceFlush();
    expect(lineCount(human)).toBe(7);

    log.onStart(start(stage, epochNowMs()));
    await log.shutdown();
    expect(lineCount(human), 'close flushes').toBe(8);
    log.close();
    log.onStart(start(stage, epochNowMs()));
    vi.advanceTimersByTime(5000);
    expect(lineCount(human), 'nothing after close').toBe(8);
    expect(log.lostRecords).toBe(0);
  });

  it('a failing file is reported by name and given up after 16 MiB and counted, while the other files are written', () => {
    const dir = join(root, 'full');
    mkdirSync(dir);
    // A real write error: a device node like /dev/full (char 1:7) refuses every write with ENOSPC. Not a symbolic
    // link to /dev/full: audit files are never opened through a link.
    execFileSync('mknod', [join(dir, HUMAN_LOG_FILE), 'c', '1', '7']);
    const errors: [string, string][] = [];
    const lost: [string, number][] = [];
    const log = make(dir, 'sync', {
      onWriteError: (file, error) => errors.push([file, (error as NodeJS.ErrnoException).code ?? String(error)]),
      onLost: (file, count) => lost.push([file, count]),
    });
    log.open();
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 20; i++) {
      log.onMessage(
        Object.freeze({
          type: 'message',
          atMs: epochNowMs(),
          level: 'INFO',
          message: big,
          scope: undefined,
          label: undefined,
          context: undefined,
          error: undefined,
          rssBytes: 0,
        }),
      );
    }
    log.close();
    expect(errors[0]).toEqual([HUMAN_LOG_FILE, 'ENOSPC']);
    expect(new Set(errors.map(([file]) => file))).toEqual(new Set([HUMAN_LOG_FILE]));
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.every(([file]) => file === join(dir, HUMAN_LOG_FILE))).toBe(true);
    const given = lost.reduce((sum, [, count]) => sum + count, 0);
    expect(given).toBeGreaterThanOrEqual(4);
    expect(log.lostRecords).toBe(given);
    expect(lineCount(join(dir, STRUCTURED_LOG_FILE)), 'the structured file is written all the same').toBe(20);
  });
});
