/**
 * The BullMQ example (examples/parallel-months/bullmq) against a real
 * redis-server and real worker processes: twelve months run by one process
 * and by three queue workers give the same merged report, every process's
 * records carry one run id, and a loopback OTLP receiver sees each month as
 * one trace whose stages ran in the workers, children of the month (or, with
 * BullMQ's own telemetry, of BullMQ's consumer span in that month's trace).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionSummary } from '../../../src/index.js';
import { type NodeRun, runNodeScript } from '../../helpers/run-node.js';
import { OtlpReceiver, type ReceivedSpan } from '../../integration/otlp-receiver.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

const PRODUCER = 'examples/parallel-months/bullmq/producer.ts';
const MONTHS = Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}`);
const FAIL_MONTH = '2024-03';
const STAGES = ['extract', 'transform', 'validate', 'load'];
const WORKERS = 3;
const RUN_TIMEOUT_MS = 180_000;

/** The records of the structured and performance audit files in `dir`. */
async function auditRecords(dir: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const name of ['structured_processing.jsonl', 'performance_metrics.jsonl']) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) if (line !== '') out.push(JSON.parse(line));
  }
  return out;
}

async function reportJson(dirs: string[]): Promise<SessionSummary> {
  const run = await runNodeScript('src/cli/stagetrace.ts', { args: ['report', ...dirs, '--format', 'json'], timeoutMs: 60_000 });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as SessionSummary;
}

/** What must be equal between the single-process and the merged run: months, stage counts, outcomes, failures. */
function comparable(summary: SessionSummary) {
  return {
    months: Object.fromEntries(
      Object.entries(summary.months).map(([month, m]) => [
        month,
        { status: m.status, stages: m.stages, error: m.error && { stage: m.error.stage, type: m.error.type, message: m.error.message } },
      ]),
    ),
    stages: Object.fromEntries(
      Object.entries(summary.stages).map(([name, s]) => [
        name,
        { executions: s.executions, successes: s.successes, failures: s.failures, interrupted: s.interrupted },
      ]),
    ),
  };
}

function describeRun(run: NodeRun): string {
  return `exit ${run.code ?? run.signal}\n--- stdout\n${run.stdout.slice(-3000)}\n--- stderr\n${run.stderr.slice(-6000)}`;
}

describe('12 months on 3 BullMQ worker processes against a real redis-server', () => {
  let scratch: string;
  let redis: RedisServer;
  let receiver: OtlpReceiver;
  let single: NodeRun;
  let queued: NodeRun;
  const queueDirs = () =>
    ['producer', ...Array.from({ length: WORKERS }, (_, i) => `worker-${i + 1}`)].map((d) => join(scratch, 'queue', d));

  beforeAll(
    async () => {
      scratch = await mkdtemp(join(tmpdir(), 'stagetrace-bullmq-'));
      redis = await startRedisServer({ logDir: scratch });
      receiver = await OtlpReceiver.start();
      const common = ['--months', '12', '--fail-month', FAIL_MONTH];
      single = await runNodeScript(PRODUCER, {
        args: [...common, '--in-process', '--log-dir', join(scratch, 'single')],
        env: { NO_COLOR: '1' },
        timeoutMs: RUN_TIMEOUT_MS,
      });
      queued = await runNodeScript(PRODUCER, {
        args: [...common, '--workers', String(WORKERS), '--log-dir', join(scratch, 'queue'), '--queue', 'months-plain'],
        env: { NO_COLOR: '1', REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
        timeoutMs: RUN_TIMEOUT_MS,
      });
    },
    2 * RUN_TIMEOUT_MS + 30_000,
  );

  afterAll(async () => {
    await receiver?.close();
    await redis?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('both runs end with only the requested month failed', () => {
    expect(single.code, describeRun(single)).toBe(0);
    expect(queued.code, `${describeRun(queued)}${redis.describe()}`).toBe(0);
    expect(queued.stdout).toContain(`Failed months: ${FAIL_MONTH}\n`);
  });

  it('the merged report over the producer and the three workers equals the single-process one', async () => {
    const [alone, merged] = await Promise.all([reportJson([join(scratch, 'single', 'in-process')]), reportJson(queueDirs())]);
    expect(Object.keys(alone.months).sort()).toEqual(MONTHS);
    expect(Object.keys(alone.stages).sort()).toEqual([...STAGES].sort());
    expect(alone.stages.validate?.failures).toBe(1);
    expect(comparable(merged)).toEqual(comparable(alone));
  });

  it('every audit record in every folder carries the one run id, and each process keeps its own session id', async () => {
    const perDir = await Promise.all(queueDirs().map(auditRecords));
    const runIds = new Set(perDir.flat().map((r) => r.run_id));
    expect(runIds.size, [...runIds].join(', ')).toBe(1);
    expect([...runIds][0]).toEqual(expect.any(String));
    const sessions = perDir.map((records) => new Set(records.map((r) => r.session_id)));
    for (const s of sessions) expect(s.size).toBe(1);
    expect(new Set(sessions.map((s) => [...s][0])).size).toBe(WORKERS + 1);
  });

  it('each month is one trace: the month span in the producer, its stages in the workers as its children', async () => {
    await receiver.waitFor(() => receiver.spans().filter((s) => STAGES.includes(s.name)).length >= 12 * 4 - 1, 30_000, 'every stage span');
    const spans = receiver.spans();
    const months = spans.filter((s) => s.name === 'month');
    expect(months.map((m) => m.attributes['stagetrace.month']).sort()).toEqual(MONTHS);
    expect(new Set(months.map((m) => m.traceId)).size).toBe(12);
    const producer = months[0]?.resource['service.instance.id'];
    const workerInstances = new Set<unknown>();
    for (const month of months) {
      const name = month.attributes['stagetrace.month'] as string;
      const inTrace = spans.filter((s) => s.traceId === month.traceId && s !== month);
      const expected = name === FAIL_MONTH ? ['extract', 'transform', 'validate'] : STAGES;
      expect(inTrace.map((s) => s.name).sort(), name).toEqual([...expected].sort());
      for (const stage of inTrace) {
        expect(stage.parentSpanId, `${name} ${stage.name}`).toBe(month.spanId);
        expect(stage.resource['service.instance.id']).not.toBe(producer);
        workerInstances.add(stage.resource['service.instance.id']);
      }
      // One job, one worker: a month's stages all ran in the same process.
      expect(new Set(inTrace.map((s) => s.resource['service.instance.id'])).size, name).toBe(1);
      expect(month.statusCode, name).toBe(name === FAIL_MONTH ? 2 : 0);
    }
    // The twelve months spread over every worker.
    expect(workerInstances.size).toBe(WORKERS);
    // No stage span outside the months' traces.
    const monthTraces = new Set(months.map((m) => m.traceId));
    expect(spans.filter((s: ReceivedSpan) => !monthTraces.has(s.traceId))).toEqual([]);
  });
});

describe("with BullMQ's own telemetry (bullmq-otel) on, producer and workers", () => {
  const QUEUE = 'months-telemetry';
  let scratch: string;
  let redis: RedisServer;
  let receiver: OtlpReceiver;
  let run: NodeRun;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'stagetrace-bullmq-otel-'));
    redis = await startRedisServer({ logDir: scratch });
    receiver = await OtlpReceiver.start();
    run = await runNodeScript(PRODUCER, {
      args: [
        ...['--months', '12', '--fail-month', FAIL_MONTH, '--workers', String(WORKERS), '--bullmq-telemetry'],
        ...['--log-dir', join(scratch, 'logs'), '--queue', QUEUE],
      ],
      env: { NO_COLOR: '1', REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      timeoutMs: RUN_TIMEOUT_MS,
    });
  }, RUN_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await receiver?.close();
    await redis?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it("makes each stage a child of BullMQ's consumer span, in the month's trace", async () => {
    expect(run.code, `${describeRun(run)}${redis.describe()}`).toBe(0);
    await receiver.waitFor(() => receiver.spans().filter((s) => STAGES.includes(s.name)).length >= 12 * 4 - 1, 30_000, 'every stage span');
    const spans = receiver.spans();
    const months = spans.filter((s) => s.name === 'month');
    expect(months.map((m) => m.attributes['stagetrace.month']).sort()).toEqual(MONTHS);
    for (const month of months) {
      const name = month.attributes['stagetrace.month'] as string;
      const inTrace = spans.filter((s) => s.traceId === month.traceId);
      const add = inTrace.filter((s) => s.name === `add ${QUEUE}.month`);
      expect(
        add.map((s) => s.parentSpanId),
        name,
      ).toEqual([month.spanId]);
      const consumer = inTrace.filter((s) => s.name === `process ${QUEUE}`);
      expect(
        consumer.map((s) => s.parentSpanId),
        name,
      ).toEqual([add[0]?.spanId]);
      const stages = inTrace.filter((s) => STAGES.includes(s.name));
      expect(stages.length, name).toBe(name === FAIL_MONTH ? 3 : 4);
      for (const stage of stages) {
        expect(stage.parentSpanId, `${name} ${stage.name}`).toBe(consumer[0]?.spanId);
        expect(stage.resource['service.instance.id']).toBe(consumer[0]?.resource['service.instance.id']);
        expect(stage.attributes['stagetrace.month'], `${name} ${stage.name}`).toBe(name);
      }
    }
  });

  it("keeps the stages' records in their months, so the merged report still counts them per month", async () => {
    const dirs = ['producer', ...Array.from({ length: WORKERS }, (_, i) => `worker-${i + 1}`)].map((d) => join(scratch, 'logs', d));
    const merged = await reportJson(dirs);
    for (const month of MONTHS) {
      const summary = merged.months[month];
      expect(summary?.stages, month).toBe(month === FAIL_MONTH ? 3 : 4);
      expect(summary?.error?.stage ?? null, month).toBe(month === FAIL_MONTH ? 'validate' : null);
    }
  });
});
