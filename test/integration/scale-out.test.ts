/**
 * One run across processes and threads, with real processes: the month
 * whose stages run here, in a child process started with carrierEnv() and in
 * a worker thread is one trace at a loopback OTLP receiver, with the right
 * parents; a month opened in a process started with a carrier links to it;
 * and the merged report over the run's three folders equals the report of
 * the same work done in one process.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeAuditLog } from '../../src/index.js';
import type { SessionSummary } from '../../src/stats/session-summary.js';
import { type NodeRun, runNodeScript } from '../helpers/run-node.js';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/scale-run.ts', import.meta.url));
const MONTHS = Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}`);

let workDir: string;
let receiver: OtlpReceiver;
let single: NodeRun;
let split: NodeRun;
const dirs = { single: '', main: '', child: '', worker: '' };

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'stagetrace-scale-'));
  for (const key of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[key] = join(workDir, key);
  receiver = await OtlpReceiver.start();
  const common = { STAGETRACE_CONSOLE: 'false', STAGETRACE_HOST_METRICS: 'false', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  single = await runNodeScript(FIXTURE, { args: ['single'], env: { ...common, STAGETRACE_LOG_DIR: dirs.single }, timeoutMs: 120_000 });
  split = await runNodeScript(FIXTURE, {
    args: ['split'],
    env: {
      ...common,
      STAGETRACE_LOG_DIR: dirs.main,
      CHILD_LOG_DIR: dirs.child,
      WORKER_LOG_DIR: dirs.worker,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    },
    timeoutMs: 180_000,
  });
}, 300_000);

afterAll(async () => {
  await receiver?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** What must be equal between the one-process and the split run. */
function essentials(s: SessionSummary) {
  return {
    months: Object.fromEntries(
      Object.entries(s.months).map(([month, m]) => [
        month,
        { status: m.status, stages: m.stages, failed_stages: m.failed_stages, error: m.error && { ...m.error, stage_seconds: null } },
      ]),
    ),
    stages: Object.fromEntries(
      Object.entries(s.stages).map(([name, st]) => [
        name,
        { executions: st.executions, successes: st.successes, failures: st.failures, interrupted: st.interrupted },
      ]),
    ),
    totals: { months: s.totals.months, months_failed: s.totals.months_failed, stage_executions: s.totals.stage_executions },
  };
}

describe('one run across a main process, child processes and a worker thread', () => {
  it('both runs end cleanly', () => {
    expect(single.code, single.stderr).toBe(0);
    expect(split.code, split.stderr).toBe(0);
  });

  it('the merged report over the three folders has the months, stage counts, outcomes and failures of the one-process run', async () => {
    const alone = await summarizeAuditLog(dirs.single);
    const merged = await summarizeAuditLog([dirs.main, dirs.child, dirs.worker]);
    expect(Object.keys(merged.months).sort()).toEqual(MONTHS);
    expect(merged.months['2024-07']?.error).toMatchObject({ stage: 'parse', type: 'RangeError', message: 'bad row 17 in 2024-07.csv' });
    expect(essentials(merged)).toEqual(essentials(alone));
    // The CLI gives the same.
    const cli = await runNodeScript(join(fileURLToPath(new URL('../../src/cli/stagetrace.ts', import.meta.url))), {
      args: ['report', dirs.main, dirs.child, dirs.worker, '--format', 'json'],
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(essentials(JSON.parse(cli.stdout) as SessionSummary)).toEqual(essentials(alone));
  });

  it('every record in every folder carries the run id of the main process, and each process its own session id', async () => {
    const sessions = new Set<string>();
    const runs = new Set<string>();
    for (const dir of [dirs.main, dirs.child, dirs.worker]) {
      for (const file of ['structured_processing.jsonl', 'performance_metrics.jsonl']) {
        for (const line of (await readFile(join(dir, file), 'utf8')).split('\n').filter(Boolean)) {
          const record = JSON.parse(line) as { run_id?: string; session_id: string };
          runs.add(String(record.run_id));
          sessions.add(record.session_id);
        }
      }
    }
    expect(runs.size).toBe(1);
    // The main process, twelve children, one worker.
    expect(sessions.size).toBe(14);
    const mainSession = JSON.parse((await readFile(join(dirs.main, 'structured_processing.jsonl'), 'utf8')).split('\n')[0] as string);
    expect([...runs]).toEqual([mainSession.session_id]);
  });

  it('each month is one trace: the stages of this process, the child and the worker are children of the month span', async () => {
    await receiver.waitFor(() => receiver.spans().filter((s) => s.name === 'upload').length >= 11, 60_000, 'every month exported');
    const spans = receiver.spans();
    const months = spans.filter((s) => s.name === 'month');
    expect(months).toHaveLength(12);
    const instances = new Set<unknown>();
    for (const month of months) {
      const inTrace = spans.filter((s) => s.traceId === month.traceId);
      const named = (name: string) => inTrace.filter((s) => s.name === name);
      expect(month.parentSpanId).toBe('');
      const expected =
        month.attributes['stagetrace.month'] === '2024-07' ? ['download', 'parse'] : ['download', 'parse', 'validate', 'upload'];
      for (const name of expected) {
        const [stage, ...more] = named(name) as [ReceivedSpan, ...ReceivedSpan[]];
        expect(more, name).toEqual([]);
        expect(stage.parentSpanId, name).toBe(month.spanId);
        expect(stage.attributes['stagetrace.month'], name).toBe(month.attributes['stagetrace.month']);
        expect(stage.resource['stagetrace.run.id']).toBe(month.attributes['stagetrace.run.id']);
        instances.add(stage.resource['service.instance.id']);
      }
      // The child's parse stage is another process: another instance, the same run.
      const parse = named('parse')[0] as ReceivedSpan;
      expect(parse.resource['service.instance.id']).not.toBe(month.resource['service.instance.id']);
    }
    // The main process, twelve children, one worker.
    expect(instances.size).toBe(14);
  });

  it('a month opened in a process started with a carrier keeps its own trace and links to the carrier span', async () => {
    const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    receiver.clear();
    const run = await runNodeScript(FIXTURE, {
      args: ['child-month'],
      env: {
        STAGETRACE_CONSOLE: 'false',
        STAGETRACE_LOG_DIR: join(workDir, 'linked'),
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        TRACEPARENT: `00-${parent.traceId}-${parent.spanId}-01`,
        BAGGAGE: 'stagetrace.run.id=nightly-42',
      },
    });
    expect(run.code, run.stderr).toBe(0);
    await receiver.waitFor(() => receiver.spans().some((s) => s.name === 'month'));
    const body = receiver.traceRequests() as { resourceSpans: { scopeSpans: { spans: { name: string; links?: unknown[] }[] }[] }[] }[];
    const raw = body.flatMap((b) => b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    const month = raw.find((s) => s.name === 'month');
    expect(month?.links).toEqual([expect.objectContaining(parent)]);
    const monthSpan = receiver.spans().find((s) => s.name === 'month') as ReceivedSpan;
    expect(monthSpan.traceId).not.toBe(parent.traceId);
    expect(monthSpan.parentSpanId).toBe('');
    expect(monthSpan.attributes['stagetrace.run.id']).toBe('nightly-42');
    expect(receiver.spans().find((s) => s.name === 'inside')?.parentSpanId).toBe(monthSpan.spanId);
  });
});
