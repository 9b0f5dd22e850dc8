/**
 * Delivery through a real Collector to a real Jaeger when the collector
 * goes away: a restart during a run (the forward's queue carries the
 * spans), a collector down from mid-run until after the process exits
 * (`stagetrace replay` sends the tail), and a process killed with SIGKILL
 * while the collector is down (replay sends every month the files hold,
 * the killed one as interrupted). What a user sees is asserted in Jaeger's
 * query API: every month once, each with its stage spans once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderFingerprint } from '../helpers/folder-fingerprint.js';
import { type NodeRun, REPO_ROOT, runNodeScript } from '../helpers/run-node.js';
import { spawnScript } from '../integration/audit/audit-support.js';
import { type JaegerTrace, jaegerTraces, parentOf, tag, victoriaLogsQuery } from './support/apis.js';
import { monthsIn } from './support/months.js';
import { waitFor } from './support/processes.js';
import { type RunningStack, startStack } from './support/stack.js';
import { findStackTools } from './support/stack-tools.js';

const SERVICE = 'demo-monthly-pipeline';
const DEMO = join(REPO_ROOT, 'examples', 'monthly-pipeline.ts');
const CLI = join(REPO_ROOT, 'src', 'cli', 'stagetrace.ts');
const STAGES = ['download', 'process', 'validate', 'upload'];

let workDir: string;
let stack: RunningStack | undefined;

type Rec = Record<string, unknown>;

function jsonl(file: string): Rec[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Rec];
      } catch {
        return []; // a line being written, or torn by SIGKILL
      }
    });
}

const structured = (dir: string) => jsonl(join(dir, 'structured_processing.jsonl'));
const monthEvents = (dir: string, event: 'start' | 'end') =>
  structured(dir).filter((r) => r.record_type === 'month' && r.stage_event === event);

function runDemo(name: string, months: number, env: Record<string, string> = {}) {
  const dir = join(workDir, name);
  const done = runNodeScript(DEMO, {
    args: ['--months', String(months), '--log-dir', dir],
    env: { NO_COLOR: '1', OTEL_EXPORTER_OTLP_ENDPOINT: (stack as RunningStack).otlpHttpUrl, ...env },
    timeoutMs: 240_000,
  });
  return { dir, done };
}

function replay(args: string[], env: Record<string, string> = {}): Promise<NodeRun> {
  return runNodeScript(CLI, { args: ['replay', ...args], env, timeoutMs: 60_000 });
}

/** The message numbers of a session's log records in VictoriaLogs, one per record held. */
async function messagesInLogs(sessionId: string): Promise<string[]> {
  const records = await victoriaLogsQuery((stack as RunningStack).victoriaLogsUrl, `"stagetrace.session.id":"${sessionId}"`);
  return records.map((r) => String(r['stagetrace.message.seq']));
}

async function tracesOf(sessionId: string): Promise<JaegerTrace[]> {
  return jaegerTraces((stack as RunningStack).jaegerUrl, SERVICE, { 'stagetrace.session.id': sessionId });
}

/** Waits until Jaeger holds `months` months for the session, each with `spansPerMonth` spans. */
async function waitForMonths(sessionId: string, months: number, spansPerMonth = STAGES.length + 1): Promise<JaegerTrace[]> {
  let seen = '';
  return waitFor(
    `Jaeger to hold ${months} months of session ${sessionId} with ${spansPerMonth} spans each`,
    async () => {
      const traces = await tracesOf(sessionId);
      const byMonth = monthsIn(traces);
      seen = `${byMonth.size} months: ${JSON.stringify(Object.fromEntries(byMonth))}`;
      return byMonth.size === months && [...byMonth.values()].every((n) => n === spansPerMonth) ? traces : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, describe: () => `\nJaeger held ${seen}` },
  );
}

function sessionOf(dir: string): string {
  const first = structured(dir)[0];
  if (first === undefined) throw new Error(`no records in ${dir}`);
  return String(first.session_id);
}

async function waitForFile(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  await waitFor(what, async () => (check() ? true : undefined), {
    timeoutMs,
    intervalMs: 50,
    describe: () => (stack ? stack.describe() : ''),
  });
}

describe('delivery when the collector goes away', () => {
  beforeAll(async () => {
    const tools = findStackTools();
    workDir = await mkdtemp(join(tmpdir(), 'stagetrace-e2e-delivery-'));
    stack = await startStack(tools, workDir, { prometheus: false });
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('a 120-month run with the collector stopped and restarted twice: Jaeger holds every month once, no replay needed', async () => {
    const s = stack as RunningStack;
    const { dir, done } = runDemo('restarts', 120);
    const outage = async (afterMonths: number) => {
      await waitForFile(`${afterMonths} months to end`, () => monthEvents(dir, 'end').length >= afterMonths);
      await s.stopCollector();
      await sleep(4000);
      await s.startCollector();
    };
    await outage(25);
    await outage(70);
    const run = await done;
    expect(run.code, run.stderr).toBe(0);
    expect(monthEvents(dir, 'end')).toHaveLength(120);
    const sessionId = sessionOf(dir);
    const traces = await waitForMonths(sessionId, 120);
    // Each month's trace: the month span and its four stages, each once, with the ids the files hold.
    const ids = new Set(
      structured(dir)
        .filter((r) => r.stage_event === 'start')
        .map((r) => String(r.span_id)),
    );
    const inJaeger = traces.flatMap((t) => t.spans.map((sp) => sp.spanID));
    expect(inJaeger).toHaveLength(600);
    expect(new Set(inJaeger)).toEqual(ids);
    for (const t of traces) {
      const month = t.spans.find((sp) => sp.operationName === 'month');
      expect(
        t.spans
          .filter((sp) => sp.operationName !== 'month')
          .map((sp) => sp.operationName)
          .sort(),
      ).toEqual([...STAGES].sort());
      for (const stage of t.spans) if (stage !== month) expect(parentOf(stage)).toBe(month?.spanID);
    }
    // Nothing was given up: the queue carried the spans across both outages.
    const end = jsonl(join(dir, 'otlp_delivery.jsonl')).find((r) => r.record_type === 'session_end');
    expect(end).toMatchObject({ delivered_spans: 600, undelivered_spans: {} });
    expect(run.stderr).toMatch(/did not take \d+ spans \(ECONNREFUSED/);
    expect(run.stderr).not.toMatch(/could not be delivered|queue is full/);
  }, 300_000);

  it('collector down from mid-run past exit: replay brings Jaeger to every month and VictoriaLogs to every message once; a second replay adds nothing; a dead endpoint changes nothing', async () => {
    const s = stack as RunningStack;
    const { dir, done } = runDemo('down-past-exit', 12);
    await waitForFile('5 months to end', () => monthEvents(dir, 'end').length >= 5);
    await s.stopCollector();
    const run = await done;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /spans could not be delivered to .* within shutdownTimeoutMillis \(5000 ms\); they are in the audit files: `stagetrace replay .* --session \S+`/,
    );
    const sessionId = sessionOf(dir);
    await s.startCollector();
    // The tail is missing: the months that ended while the collector was down. (How many arrived before it
    // stopped depends on the batch timers and the machine's load, so only the missing tail is asserted.)
    const before = monthsIn(await tracesOf(sessionId));
    expect(before.size).toBeLessThan(12);

    // The collector down again: replay fails in one line and writes nothing.
    await s.stopCollector();
    const untouched = folderFingerprint(dir);
    const dead = await replay([dir, '--session', sessionId]);
    expect(dead.code).toBe(4);
    expect(dead.stderr.split('\n')).toEqual([
      expect.stringMatching(
        /^stagetrace: replay: the collector at http:\/\/127\.0\.0\.1:\d+\/v1\/traces did not take session \S+'s spans \(ECONNREFUSED: .*\); nothing was sent\. Run replay again once it answers\.$/,
      ),
      '',
    ]);
    expect(folderFingerprint(dir)).toEqual(untouched);

    // Back up: replay (to where the run sent, recorded in otlp_delivery.jsonl) completes Jaeger.
    await s.startCollector();
    const first = await replay([dir, '--session', sessionId]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(
        `^session ${sessionId}: sent \\d+ spans to ${s.otlpHttpUrl}/v1/traces \\(\\d+ delivered before\\); ` +
          `sent \\d+ messages as log records to ${s.otlpHttpUrl}/v1/logs \\(\\d+ delivered before\\)\\n`,
      ),
    );
    await waitForMonths(sessionId, 12);
    // The messages too: each message record of the files is in VictoriaLogs once, the forwarded and the replayed.
    const messages = structured(dir).filter((r) => r.record_type === 'message').length;
    const inLogs = await waitFor(
      `VictoriaLogs to hold the ${messages} messages of session ${sessionId}`,
      async () => {
        const found = await messagesInLogs(sessionId);
        return found.length >= messages ? found : undefined;
      },
      { timeoutMs: 60_000, describe: () => s.describe() },
    );
    expect(inLogs.length).toBe(messages);
    expect(new Set(inLogs).size).toBe(messages);

    const second = await replay([dir, '--session', sessionId]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(
      `session ${sessionId}: nothing to send (60 delivered before); no message to send as a log record (${messages} delivered before)\n` +
        'replay: 0 spans, 0 messages as log records sent\n',
    );
    await sleep(2500); // longer than the collector's batch timeout: anything sent would be in Jaeger by now
    const after = monthsIn(await tracesOf(sessionId));
    expect(after.size).toBe(12);
    expect([...after.values()].every((n) => n === 5)).toBe(true);
    expect(await messagesInLogs(sessionId)).toHaveLength(messages);
  }, 300_000);

  it('SIGKILL during a run with the collector down, then replay: every month the files hold reaches Jaeger, the killed one as interrupted', async () => {
    const s = stack as RunningStack;
    await s.stopCollector();
    const dir = join(workDir, 'killed');
    // Records written as they happen (durability 'sync'), so the test sees the seventh month start and kills inside it.
    const live = spawnScript(
      DEMO,
      { NO_COLOR: '1', OTEL_EXPORTER_OTLP_ENDPOINT: s.otlpHttpUrl, STAGETRACE_DURABILITY: 'sync' },
      { timeoutMs: 120_000, args: ['--months', '12', '--log-dir', dir] },
    );
    await waitForFile(
      'the 7th month to start',
      () => monthEvents(dir, 'start').length >= 7 && monthEvents(dir, 'end').length === 6,
      60_000,
    );
    live.child.kill('SIGKILL');
    const killed = await live.exited;
    expect(killed.signal).toBe('SIGKILL');
    const starts = monthEvents(dir, 'start');
    const ends = monthEvents(dir, 'end');
    const killedMonth = starts.find((r) => !ends.some((e) => e.span_id === r.span_id));
    expect(killedMonth?.month).toBe('2024-07');
    const sessionId = sessionOf(dir);

    await s.startCollector();
    const run = await replay([dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`session ${sessionId}: sent \\d+ spans to .*, \\d+ of them never ended and sent as interrupted`));

    // Every month the files hold: six complete, the killed one with what it had started.
    const stagesOfKilled = structured(dir).filter(
      (r) => r.record_type === 'stage' && r.stage_event === 'start' && r.month === '2024-07',
    ).length;
    let traces: JaegerTrace[] = [];
    await waitFor(
      `Jaeger to hold the 7 months of the killed session ${sessionId}`,
      async () => {
        traces = await tracesOf(sessionId);
        const byMonth = monthsIn(traces);
        const complete = [...byMonth].filter(([m, n]) => m !== '2024-07' && n === 5).length;
        return complete === 6 && byMonth.get('2024-07') === 1 + stagesOfKilled ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const trace = traces.find((t) => t.spans.some((sp) => tag(sp, 'stagetrace.month') === '2024-07' && sp.operationName === 'month'));
    const month = trace?.spans.find((sp) => sp.operationName === 'month');
    expect(month?.spanID).toBe(killedMonth?.span_id);
    expect(tag(month ?? { tags: [] }, 'stagetrace.outcome')).toBe('interrupted');
    expect(tag(month ?? { tags: [] }, 'otel.status_code')).toBe('ERROR');
    expect(String(tag(month ?? { tags: [] }, 'stagetrace.interrupted.reason'))).toMatch(/closed by stagetrace replay/);
  }, 300_000);
});
