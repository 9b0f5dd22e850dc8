/**
 * The production stack: history that survives restarts, a collector queue
 * that outlasts a Jaeger outage, and the two-tier deployment (agents beside
 * the workers, a gateway in front of Jaeger and Prometheus) with a gateway
 * outage. Real Collector, Jaeger (Badger) and Prometheus processes on
 * loopback, run with the shipped files, their data folders kept across
 * restarts as docker-compose.yml keeps them on volumes. What a user sees is
 * asserted where the user sees it: Jaeger's query API and Prometheus's.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeRun, runNodeScript } from '../helpers/run-node.js';
import { byLabels, type JaegerTrace, jaegerTraces, promQuery, promSeries } from './support/apis.js';
import { monthsIn, SERVICE, sessionOf, stageCountsInFiles, structured, waitForRunInJaeger } from './support/months.js';
import { waitFor } from './support/processes.js';
import { type RunningStack, startStack } from './support/stack.js';
import { findStackTools } from './support/stack-tools.js';

/** How long Jaeger, or the gateway, stays away mid-run. */
const OUTAGE_MS = 20_000;

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'stagetrace-e2e-production-'));
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function runDemo(stack: RunningStack, name: string, args: string[], otlpUrl = stack.otlpHttpUrl) {
  const dir = join(workDir, name);
  const done: Promise<NodeRun> = runNodeScript('examples/monthly-pipeline.ts', {
    args: [...args, '--log-dir', dir],
    env: { NO_COLOR: '1', OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl },
    timeoutMs: 240_000,
  });
  return { dir, done };
}

async function finished(run: { dir: string; done: Promise<NodeRun> }): Promise<string> {
  const result = await run.done;
  if (result.code !== 0) throw new Error(`demo in ${run.dir} exited ${result.code}\n${result.stderr}`);
  return run.dir;
}

const monthsEnded = (dir: string) => structured(dir).filter((r) => r.record_type === 'month' && r.stage_event === 'end').length;

async function waitForMonthsEnded(stack: RunningStack, dir: string, months: number): Promise<void> {
  await waitFor(`${months} months to end in ${dir}`, async () => (monthsEnded(dir) >= months ? true : undefined), {
    timeoutMs: 120_000,
    intervalMs: 100,
    describe: () => stack.describe(),
  });
}

/** Prometheus's stage executions of one run by `stage/outcome`, at `time` (seconds) or now. */
async function stageCountsInPrometheus(stack: RunningStack, sessionId: string, time?: number): Promise<Record<string, number>> {
  const expr = `stagetrace_stage_executions_total{job="${SERVICE}",instance="${sessionId}"}`;
  return byLabels(await promQuery(stack.prometheusUrl, expr, time), 'stagetrace_stage_name', 'stagetrace_outcome');
}

async function waitForCountsInPrometheus(stack: RunningStack, dir: string): Promise<void> {
  const sessionId = sessionOf(dir);
  const files = stageCountsInFiles(dir);
  let seen = '';
  await waitFor(
    `Prometheus to hold the stage executions of ${sessionId} as its files count them: ${JSON.stringify(files)}`,
    async () => {
      const counts = await stageCountsInPrometheus(stack, sessionId);
      seen = JSON.stringify(sortKeys(counts));
      return seen === JSON.stringify(sortKeys(files)) ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500, describe: () => `\nPrometheus held ${seen}${stack.describe()}` },
  );
}

const sortKeys = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

/** Trace id → span count. */
const shape = (traces: JaegerTrace[]) => Object.fromEntries(traces.map((t) => [t.traceID, t.spans.length]).sort());

describe('one collector in front of Jaeger (Badger) and Prometheus', () => {
  let stack: RunningStack;

  beforeAll(async () => {
    stack = await startStack(findStackTools(), workDir);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('keeps history across restarts: after Jaeger and Prometheus stop and start again, the same traces and series are there', async () => {
    const dir = await finished(runDemo(stack, 'history', ['--months', '6', '--fail-month', '2024-03']));
    const sessionId = sessionOf(dir);
    const before = await waitForRunInJaeger(stack.jaegerUrl, dir, stack.describe);
    await waitForCountsInPrometheus(stack, dir);
    const scrapedAt = Date.now() / 1000;
    const seriesBefore = await promSeries(stack.prometheusUrl, `{instance="${sessionId}"}`);
    const countsBefore = await stageCountsInPrometheus(stack, sessionId, scrapedAt);
    expect(before).toHaveLength(6);

    await Promise.all([stack.jaeger.stop(), stack.prometheus.stop()]);
    await Promise.all([stack.jaeger.start(), stack.prometheus.start()]);

    const after = await jaegerTraces(stack.jaegerUrl, SERVICE, { 'stagetrace.session.id': sessionId });
    expect(shape(after)).toEqual(shape(before));
    expect(monthsIn(after).size).toBe(6);
    // What Prometheus scraped before it stopped, read back at that time: from
    // its data folder, not from scrapes since (the collector still exports).
    expect(await stageCountsInPrometheus(stack, sessionId, scrapedAt)).toEqual(countsBefore);
    expect(countsBefore).toEqual(sortKeys(stageCountsInFiles(dir)));
    const seriesAfter = await promSeries(stack.prometheusUrl, `{instance="${sessionId}"}`);
    expect(seriesAfter.map((s) => JSON.stringify(s)).sort()).toEqual(
      expect.arrayContaining(seriesBefore.map((s) => JSON.stringify(s)).sort()),
    );
  }, 180_000);

  it('Jaeger away for 20 s mid-run while the collector runs: every month arrives, each once, from the collector queue', async () => {
    const run = runDemo(stack, 'jaeger-outage', ['--months', '60']);
    await waitForMonthsEnded(stack, run.dir, 8);
    await stack.jaeger.stop();
    const stoppedAt = monthsEnded(run.dir);
    await sleep(OUTAGE_MS);
    const duringOutage = monthsEnded(run.dir) - stoppedAt;
    await stack.jaeger.start();
    const dir = await finished(run);
    // The outage was mid-run: months ended while Jaeger was away.
    expect(duringOutage).toBeGreaterThan(0);
    const traces = await waitForRunInJaeger(stack.jaegerUrl, dir, stack.describe);
    expect(monthsIn(traces).size).toBe(60);
    expect([...monthsIn(traces).values()].every((n) => n === 5)).toBe(true);
    // The collector took every span while Jaeger was away; nothing waited in the process.
    const journal = readFileSync(join(dir, 'otlp_delivery.jsonl'), 'utf8');
    expect(journal).toMatch(/"record_type":"session_end".*"delivered_spans":300.*"undelivered_spans":\{\}/);
    expect(stack.services.filter((s) => s.name === 'otelcol').map((s) => s.exitInfo)).toEqual([undefined]);
  }, 240_000);

  it('the collector restarted while Jaeger is away: the spans it had taken wait on disk and reach Jaeger once it is back', async () => {
    await stack.jaeger.stop();
    const dir = await finished(runDemo(stack, 'queue-on-disk', ['--months', '6']));
    // The process handed every span to the collector, which could not pass them on.
    expect(readFileSync(join(dir, 'otlp_delivery.jsonl'), 'utf8')).toMatch(
      /"record_type":"session_end".*"delivered_spans":30.*"undelivered_spans":\{\}/,
    );
    // A restart of the collector with its queue in memory would lose them here.
    await stack.collector.stop();
    await stack.collector.start();
    await stack.jaeger.start();
    const traces = await waitForRunInJaeger(stack.jaegerUrl, dir, stack.describe);
    expect([...monthsIn(traces).values()]).toEqual([5, 5, 5, 5, 5, 5]);
  }, 120_000);
});

describe('two agents and a gateway in front of Jaeger and Prometheus', () => {
  let stack: RunningStack;

  beforeAll(async () => {
    stack = await startStack(findStackTools(), workDir, { topology: 'gateway' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('4 processes × 30 months through two agents: complete traces, and Prometheus counts each run once, as its files do', async () => {
    const runs = [0, 1, 2, 3].map((i) =>
      runDemo(stack, `tier-${i}`, ['--months', '30', ...(i === 1 ? ['--fail-month', '2025-05'] : [])], stack.agentUrls[i % 2]),
    );
    const dirs = await Promise.all(runs.map(finished));
    const sessions = dirs.map(sessionOf);
    expect(new Set(sessions).size).toBe(4);
    for (const dir of dirs) {
      const traces = await waitForRunInJaeger(stack.jaegerUrl, dir, stack.describe);
      expect(monthsIn(traces).size).toBe(30);
      await waitForCountsInPrometheus(stack, dir);
    }
    // One series per stage, outcome and error type per run, with the labels a single collector gives it
    // (error_type only on failed and interrupted executions, as the semantic conventions record errors).
    for (const sessionId of sessions) {
      const series = await promSeries(stack.prometheusUrl, `stagetrace_stage_executions_total{instance="${sessionId}"}`);
      const keys = series.map((s) => `${s.stagetrace_stage_name}/${s.stagetrace_outcome}/${s.error_type ?? ''}`);
      expect(new Set(keys).size, sessionId).toBe(keys.length);
      for (const s of series) {
        expect(s.job).toBe(SERVICE);
        expect(Object.keys(s).sort()).toEqual([
          '__name__',
          ...(s.stagetrace_outcome === 'success' ? [] : ['error_type']),
          'instance',
          'job',
          'otel_scope_name',
          'otel_scope_version',
          'stagetrace_outcome',
          'stagetrace_stage_name',
        ]);
      }
      expect(await promQuery(stack.prometheusUrl, `target_info{instance="${sessionId}"}`)).toHaveLength(1);
    }
    const perRun = byLabels(
      await promQuery(stack.prometheusUrl, `sum by (instance) (stagetrace_stage_executions_total{job="${SERVICE}"})`),
      'instance',
    );
    for (const [i, sessionId] of sessions.entries()) {
      const files = Object.values(stageCountsInFiles(dirs[i] as string)).reduce((a, b) => a + b, 0);
      expect(perRun[sessionId], sessionId).toBe(files);
    }
  }, 240_000);

  it('the gateway away for 20 s mid-run while the agents run: every month arrives, each once, from the agents’ queues', async () => {
    const runs = [0, 1].map((i) => runDemo(stack, `gateway-outage-${i}`, ['--months', '50'], stack.agentUrls[i]));
    await waitForMonthsEnded(stack, runs[0]?.dir as string, 8);
    await stack.collector.stop();
    const stoppedAt = monthsEnded(runs[0]?.dir as string);
    await sleep(OUTAGE_MS);
    const duringOutage = monthsEnded(runs[0]?.dir as string) - stoppedAt;
    await stack.collector.start();
    const dirs = await Promise.all(runs.map(finished));
    expect(duringOutage).toBeGreaterThan(0);
    for (const dir of dirs) {
      const traces = await waitForRunInJaeger(stack.jaegerUrl, dir, stack.describe);
      expect(monthsIn(traces).size).toBe(50);
      expect([...monthsIn(traces).values()].every((n) => n === 5)).toBe(true);
      // The metrics waited in the agents' queues as well.
      await waitForCountsInPrometheus(stack, dir);
    }
    // The agents kept running throughout.
    expect(stack.services.filter((s) => s.name.startsWith('otelcol-agent')).map((s) => s.exitInfo)).toEqual([undefined, undefined]);
  }, 240_000);
  it('an agent restarted while the gateway is away: the spans it had taken wait on disk and reach Jaeger once the gateway is back', async () => {
    await stack.collector.stop();
    const dir = await finished(runDemo(stack, 'agent-queue-on-disk', ['--months', '6'], stack.agentUrls[1]));
    expect(readFileSync(join(dir, 'otlp_delivery.jsonl'), 'utf8')).toMatch(
      /"record_type":"session_end".*"delivered_spans":30.*"undelivered_spans":\{\}/,
    );
    await stack.agents[1]?.stop();
    await stack.agents[1]?.start();
    await stack.collector.start();
    const traces = await waitForRunInJaeger(stack.jaegerUrl, dir, stack.describe);
    expect([...monthsIn(traces).values()]).toEqual([5, 5, 5, 5, 5, 5]);
    await waitForCountsInPrometheus(stack, dir);
  }, 120_000);
});
