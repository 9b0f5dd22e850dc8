/**
 * The README's promise: `getSessionSummary()` after `shutdown()` and `summarizeAuditLog(dir)` on the files that
 * session wrote give the same summary, whatever the run did — nested, parallel, failing and interrupted stages,
 * messages at every level, memory crossings, slow stages, and a collector that accepts, refuses with 503 or is
 * absent (whose notices are records like any other).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSessionSummary, type LogLevel, logProgress, shutdown, start, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { summarizeAuditLog } from '../../../src/report/summarize-audit-log.js';
import { resetGlobals } from '../../helpers/in-memory-sdk.js';
import { OtlpReceiver } from '../../integration/otlp-receiver.js';

const RUNS = Number(process.env.STAGETRACE_PROPERTY_RUNS ?? 25) >= 1000 ? 60 : 20;
const LEVELS: LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];

interface MessageSpec {
  level: LogLevel;
  text: string;
}
interface StageSpec {
  name: string;
  fails: boolean;
  messages: MessageSpec[];
  nested: StageSpec[];
}
interface MonthSpec {
  month: string;
  stages: StageSpec[];
  /** Stages run side by side (Promise.all) rather than one after another. */
  parallel: boolean;
  messages: MessageSpec[];
}
interface RunSpec {
  months: MonthSpec[];
  parallelMonths: boolean;
  /** Stages left open at shutdown(), ended as interrupted. */
  leftOpen: string[];
  logLevel: LogLevel;
  collector: 'accepts' | 'unavailable' | 'absent';
  /** Every stage over its threshold. */
  slow: boolean;
  /** A warning threshold below any process's RSS: the first sample crosses it. */
  memoryCrossing: boolean;
  /** Webhook alerts (failed months, memory crossings) posted to an address where nothing listens: each post fails. */
  failingAlerts: boolean;
}

const stageName = fc.oneof(
  fc.constantFrom('download', 'process', 'validate', 'upload', '__proto__', 'constructor'),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const message: fc.Arbitrary<MessageSpec> = fc.record({ level: fc.constantFrom(...LEVELS), text: fc.string({ maxLength: 40 }) });
const leafStage = fc.record({
  name: stageName,
  fails: fc.boolean(),
  messages: fc.array(message, { maxLength: 2 }),
  nested: fc.constant([] as StageSpec[]),
});
const stage: fc.Arbitrary<StageSpec> = fc.record({
  name: stageName,
  fails: fc.boolean(),
  messages: fc.array(message, { maxLength: 2 }),
  nested: fc.array(leafStage, { maxLength: 2 }),
});
const monthText = fc
  .tuple(fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 1, max: 12 }))
  .map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`);
const run: fc.Arbitrary<RunSpec> = fc.record({
  months: fc.array(
    fc.record({
      month: monthText,
      stages: fc.array(stage, { maxLength: 3 }),
      parallel: fc.boolean(),
      messages: fc.array(message, { maxLength: 2 }),
    }),
    { maxLength: 3 },
  ),
  parallelMonths: fc.boolean(),
  leftOpen: fc.array(stageName, { maxLength: 2 }),
  logLevel: fc.constantFrom(...LEVELS),
  collector: fc.constantFrom('accepts', 'unavailable', 'absent'),
  slow: fc.boolean(),
  memoryCrossing: fc.boolean(),
  failingAlerts: fc.boolean(),
});

let receiver: OtlpReceiver;
let absentUrl: string;
beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  // A port that was just free and is now closed: connections are refused, as with a collector that is down.
  const closed = await OtlpReceiver.start();
  absentUrl = closed.url;
  await closed.close();
});
afterAll(async () => {
  await receiver.close();
});

class PlannedFailure extends Error {}

function say(messages: MessageSpec[]): void {
  for (const m of messages) logProgress(m.text, { level: m.level, context: { rows: m.text.length } });
}

async function runStage(spec: StageSpec): Promise<void> {
  await traceStage(spec.name, async () => {
    say(spec.messages);
    for (const inner of spec.nested) await runStage(inner).catch(() => undefined);
    if (spec.fails) throw new PlannedFailure(`${spec.name} failed`, { cause: new Error('upstream said no') });
  });
}

async function runMonth(spec: MonthSpec): Promise<void> {
  await traceMonth(spec.month, async () => {
    say(spec.messages);
    const stages = spec.stages.map((s) => () => runStage(s).catch(() => undefined));
    if (spec.parallel) await Promise.all(stages.map((s) => s()));
    else for (const s of stages) await s();
    if (spec.stages.some((s) => s.fails)) throw new PlannedFailure(`${spec.month} failed`);
  }).catch(() => undefined);
}

/** Runs the pipeline the spec describes in this process, then returns both summaries. */
async function liveAndOffline(spec: RunSpec) {
  const dir = mkdtempSync(join(tmpdir(), 'stagetrace-live-offline-'));
  receiver.setMode(spec.collector === 'unavailable' ? 'unavailable' : 'ok');
  try {
    await start({
      serviceName: 'live-offline',
      logDir: dir,
      console: false,
      hostMetrics: false,
      handleExit: false,
      logLevel: spec.logLevel,
      otlp: { endpoint: spec.collector === 'absent' ? absentUrl : receiver.url },
      shutdownTimeoutMillis: 300,
      stageThresholds: { default: spec.slow ? 0.000001 : 60 },
      memory: spec.memoryCrossing ? { warningMb: 1, criticalMb: 2 } : {},
      ...(spec.failingAlerts ? { alerts: { webhookUrl: `${absentUrl}/hook`, minIntervalMs: 1 } } : {}),
    });
    if (spec.parallelMonths) await Promise.all(spec.months.map(runMonth));
    else for (const m of spec.months) await runMonth(m);
    for (const name of spec.leftOpen) startStage(name);
    await shutdown();
    const live = getSessionSummary();
    const offline = await summarizeAuditLog(dir);
    return { live, offline };
  } finally {
    await shutdown();
    resetGlobals();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the live summary equals the offline report', () => {
  it('for arbitrary runs: months, nested, parallel, failing and interrupted stages, messages, memory, slow stages, any collector', async () => {
    await fc.assert(
      fc.asyncProperty(run, async (spec) => {
        const { live, offline } = await liveAndOffline(spec);
        expect(offline).toEqual(live);
      }),
      { numRuns: RUNS },
    );
  });

  it('counts failed webhook alerts and memory crossings alike', async () => {
    const { live, offline } = await liveAndOffline({
      months: [{ month: '2024-02', stages: [{ name: 'validate', fails: true, messages: [], nested: [] }], parallel: false, messages: [] }],
      parallelMonths: false,
      leftOpen: [],
      logLevel: 'INFO',
      collector: 'accepts',
      slow: false,
      memoryCrossing: true,
      failingAlerts: true,
    });
    expect(live.alerts.failures).toBeGreaterThan(0);
    expect(live.memory.crossings.length).toBeGreaterThan(0);
    expect(offline).toEqual(live);
  });

  it('counts stagetrace’s own warnings alike when the collector is down for the whole run', async () => {
    const { live, offline } = await liveAndOffline({
      months: [{ month: '2024-01', stages: [{ name: 'download', fails: false, messages: [], nested: [] }], parallel: false, messages: [] }],
      parallelMonths: false,
      leftOpen: [],
      logLevel: 'INFO',
      collector: 'absent',
      slow: false,
      memoryCrossing: false,
      failingAlerts: false,
    });
    expect(live.messages_by_level.WARNING).toBeGreaterThan(0);
    expect(offline.messages_by_level).toEqual(live.messages_by_level);
    expect(offline).toEqual(live);
  });
});
