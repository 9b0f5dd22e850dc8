/**
 * The BullMQ example through the real Collector, Jaeger and Prometheus: a
 * producer and three queue workers on a real redis-server each send their own
 * spans and metrics. Jaeger shows every month as a single trace — the
 * producer's month span and the stages of the worker that ran it — with the
 * months spread over all three workers; Prometheus's target_info finds every
 * process of the run by its run id, as the dashboard's run picker does.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNodeScript } from '../../helpers/run-node.js';
import { type JaegerTrace, jaegerTraces, parentOf, promLabelValues, tag } from '../support/apis.js';
import { loadDashboard, substitute, variableQuery } from '../support/dashboard.js';
import { waitFor } from '../support/processes.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type RunningStack, startStack } from '../support/stack.js';
import { findStackTools } from '../support/stack-tools.js';

const SERVICE = 'parallel-months-bullmq';
const MONTHS = Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}`);
const STAGES = ['extract', 'load', 'transform', 'validate'];
const WORKERS = 3;

/** The `service.instance.id` of the process that sent `spanProcess`. */
function instanceOf(trace: JaegerTrace, processId: string): unknown {
  return trace.processes[processId]?.tags.find((t) => t.key === 'service.instance.id')?.value;
}

describe('BullMQ months in Jaeger', () => {
  let workDir: string;
  let stack: RunningStack | undefined;
  let redis: RedisServer | undefined;
  let traces: JaegerTrace[];
  /** Each process's session id (its Prometheus instance), and the run id they share, from their audit files. */
  let sessions: string[];
  let runId: string;

  beforeAll(async () => {
    const tools = findStackTools();
    workDir = await mkdtemp(join(tmpdir(), 'stagetrace-e2e-bullmq-'));
    stack = await startStack(tools, workDir);
    redis = await startRedisServer({ logDir: workDir });
    const run = await runNodeScript('examples/parallel-months/bullmq/producer.ts', {
      args: ['--months', '12', '--workers', String(WORKERS), '--log-dir', join(workDir, 'logs'), '--queue', 'months-jaeger'],
      env: { NO_COLOR: '1', REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpUrl },
      timeoutMs: 180_000,
    });
    if (run.code !== 0) throw new Error(`producer exited ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}${redis.describe()}`);
    const ids = await Promise.all(
      ['producer', ...Array.from({ length: WORKERS }, (_, i) => `worker-${i + 1}`)].map(async (dir) => {
        const first = (await readFile(join(workDir, 'logs', dir, 'structured_processing.jsonl'), 'utf8')).split('\n')[0] as string;
        const record = JSON.parse(first) as { session_id: string; run_id: string };
        return record;
      }),
    );
    sessions = ids.map((r) => r.session_id);
    runId = ids[0]?.run_id as string;
    const jaegerUrl = stack.jaegerUrl;
    traces = await waitFor(
      'Jaeger to hold the twelve months, each with its four stages',
      async () => {
        const found = await jaegerTraces(jaegerUrl, SERVICE, {});
        const complete = found.filter((t) => t.spans.length === 1 + STAGES.length);
        return complete.length === MONTHS.length ? found : undefined;
      },
      { timeoutMs: 60_000, describe: () => stack?.describe() ?? '' },
    );
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('shows each month as a single trace: the month span and, as its children, the stages a worker ran', () => {
    expect(traces).toHaveLength(MONTHS.length);
    const months: string[] = [];
    for (const trace of traces) {
      const roots = trace.spans.filter((s) => s.operationName === 'month');
      expect(roots).toHaveLength(1);
      const root = roots[0] as (typeof roots)[number];
      months.push(tag(root, 'stagetrace.month') as string);
      const stages = trace.spans.filter((s) => s !== root);
      expect(stages.map((s) => s.operationName).sort()).toEqual(STAGES);
      for (const stage of stages) expect(parentOf(stage)).toBe(root.spanID);
      // The month from the producer, its stages from one worker: two processes in one trace.
      const stageInstances = new Set(stages.map((s) => instanceOf(trace, s.processID)));
      expect(stageInstances.size).toBe(1);
      expect(stageInstances.has(instanceOf(trace, root.processID))).toBe(false);
    }
    expect(months.sort()).toEqual(MONTHS);
  });

  it('spreads the months over all three workers', () => {
    const workers = new Set<unknown>();
    for (const trace of traces) {
      for (const span of trace.spans) if (span.operationName !== 'month') workers.add(instanceOf(trace, span.processID));
    }
    expect(workers.size).toBe(WORKERS);
  });

  it("lists every process of the run under the dashboard's run picker", async () => {
    const prometheusUrl = (stack as RunningStack).prometheusUrl;
    const variables = Object.fromEntries(loadDashboard().templating.list.map((v) => [v.name, v]));
    const query = (name: string) => variableQuery(variables[name] as ReturnType<typeof loadDashboard>['templating']['list'][number]);
    const run = query('run');
    const runs = await waitFor(
      `the dashboard's run picker to list run ${runId}`,
      async () => {
        const found = await promLabelValues(prometheusUrl, run.label, substitute(run.selector, { job: SERVICE }));
        return found.includes(runId) ? found : undefined;
      },
      { timeoutMs: 60_000, describe: () => stack?.describe() ?? '' },
    );
    expect(runs).toContain(runId);
    // With the run picked, the process picker lists the producer and every worker, each its own instance.
    const instance = query('instance');
    const instances = await waitFor(
      `the process picker to list the producer and the ${WORKERS} workers of run ${runId}`,
      async () => {
        const found = (
          await promLabelValues(prometheusUrl, instance.label, substitute(instance.selector, { job: SERVICE, run: runId }))
        ).sort();
        return found.length === WORKERS + 1 ? found : undefined;
      },
      { timeoutMs: 60_000, describe: () => stack?.describe() ?? '' },
    );
    expect(instances).toEqual([...sessions].sort());
  });
});
