/**
 * Delivery through a collector that comes and goes, with a real pipeline
 * process and a real loopback OTLP/HTTP receiver: it refuses connections,
 * then answers 503 with Retry-After, then resets connections, then accepts.
 * Every span arrives exactly once, the pipeline's result and exit code are
 * those of a run with a healthy collector, no stage waits on the collector,
 * and otlp_delivery.jsonl records exactly what the collector acknowledged.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type LiveChild, readJsonl, STRUCTURED, spawnScript, tempDir } from './audit/audit-support.js';
import { type OtlpReceiver, receiversForFile } from './otlp-receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/outage-pipeline.ts', import.meta.url));
const PERFORMANCE = 'performance_metrics.jsonl';
const DELIVERY = 'otlp_delivery.jsonl';
const MONTHS = 12;
const STAGE_MS = 200;
/** How much longer than its own work a stage may take in the outage run: far below the 1–4 s an export wait would add. */
const STAGE_BOUND_MS = 500;

const root = tempDir('delivery');
afterAll(() => root.remove());
const startReceiver = receiversForFile();

type Rec = Record<string, unknown>;

function runPipeline(name: string, receiver: OtlpReceiver, env: Record<string, string> = {}): { live: LiveChild; dir: string } {
  const dir = join(root.dir, name);
  const live = spawnScript(
    FIXTURE,
    {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      STAGETRACE_LOG_DIR: dir,
      STAGETRACE_CONSOLE: 'false',
      STAGETRACE_HOST_METRICS: 'false',
      MONTHS: String(MONTHS),
      STAGE_MS: String(STAGE_MS),
      EXIT_CODE: '7',
      // A short export timeout: the exporter gives up its own retries soon, so the
      // forward's retries (and its reading of Retry-After) are what carries the spans.
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '1500',
      ...env,
    },
    { timeoutMs: 120_000 },
  );
  return { live, dir };
}

/** Span ids of the months and stages the files hold (one start record each). */
function spanIdsInFiles(dir: string): string[] {
  return readJsonl(join(dir, STRUCTURED))
    .filter((r) => r.stage_event === 'start')
    .map((r) => String(r.span_id));
}

describe('a collector that refuses, answers 503, resets connections, then accepts', () => {
  it('receives every span exactly once; the pipeline result, exit code and stage times are unaffected', async () => {
    // The same pipeline against a collector that always answers, for comparison.
    const healthy = await startReceiver();
    const baseline = runPipeline('healthy', healthy);
    const baselineRun = await baseline.live.exited;
    expect(baselineRun.code, baselineRun.stderr).toBe(7);

    const receiver = await startReceiver();
    receiver.retryAfterSeconds = 2;
    await receiver.refuse();
    // The pipeline holds before its shutdown until the phases are through, whatever the machine's load.
    const gate = join(root.dir, 'phases-done');
    const { live, dir } = runPipeline('outage', receiver, { HOLD_UNTIL_FILE: gate });
    const phases: string[] = [];
    // Refused until the forward has failed at least once (the notice on stderr), then 503 for two answers,
    // then resets for two, then accepted. Whatever is left switches to accepting once the pipeline is done.
    const driven = (async () => {
      await live.waitForStdout(/month 2023-02 done/, 60_000);
      await pollFor(() => /ECONNREFUSED/.test(live.stderr()), 30_000, 'the forward to meet a refused connection');
      phases.push('refused');
      receiver.setMode('unavailable');
      await receiver.accept();
      await receiver.waitFor(() => receiver.requests.filter((r) => r.status === 503).length >= 2, 30_000, 'two 503 answers');
      phases.push('503');
      receiver.setMode('reset');
      await receiver.waitFor(
        () => receiver.requests.filter((r) => r.path === '/v1/traces' && r.status === undefined).length >= 2,
        30_000,
        'two resets',
      );
      phases.push('reset');
      receiver.setMode('ok');
    })();
    let driverError: Error | undefined;
    await driven.catch((error: Error) => {
      driverError = error;
    });
    // Shutdown must meet a collector that answers, whatever became of the phases.
    receiver.setMode('ok');
    await receiver.accept();
    writeFileSync(gate, '');
    const run = await live.exited;
    expect(phases, `${driverError?.message ?? ''}\nstderr:\n${run.stderr}`).toEqual(['refused', '503', 'reset']);

    // The pipeline's own outcome does not depend on the collector.
    expect(run.code, run.stderr).toBe(7);
    expect(run.stdout.match(/^RESULT .*$/m)?.[0]).toBe(baselineRun.stdout.match(/^RESULT .*$/m)?.[0]);

    // Every month and stage the files hold arrived once, and nothing else did.
    const inFiles = spanIdsInFiles(dir);
    expect(inFiles).toHaveLength(MONTHS * 5);
    const received = receiver.spans().map((s) => s.spanId);
    const counts = new Map<string, number>();
    for (const id of received) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    expect(new Set(received)).toEqual(new Set(inFiles));

    // Retry-After was honoured: after each 503 the next try came at least two seconds later.
    const traceRequests = receiver.requests.filter((r) => r.path === '/v1/traces');
    for (let i = 1; i < traceRequests.length; i++) {
      const previous = traceRequests[i - 1];
      if (previous?.status === 503) expect((traceRequests[i]?.atMs ?? 0) - previous.atMs).toBeGreaterThanOrEqual(1900);
    }

    // No stage waited on the collector: each took its own work plus at most the bound.
    const overheadMs = (file: string) =>
      readJsonl(join(file, PERFORMANCE))
        .filter((r) => r.record_type === 'stage')
        .map((r) => Number(r.duration_seconds) * 1000 - STAGE_MS);
    const outageOverhead = Math.max(...overheadMs(dir));
    expect(outageOverhead).toBeLessThan(STAGE_BOUND_MS);
    expect(overheadMs(baseline.dir)).toHaveLength(MONTHS * 4);

    // otlp_delivery.jsonl: who the spans are from, each acknowledged span once, and nothing given up.
    const journal = readFileSync(join(dir, DELIVERY), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Rec);
    expect(journal[0]).toMatchObject({ record_type: 'session', endpoint: `${receiver.url}/v1/traces`, scope_name: 'stagetrace' });
    expect(journal[0]?.resource).toMatchObject({ 'service.name': 'outage-pipeline' });
    const acknowledged = journal.filter((r) => r.record_type === 'delivered').flatMap((r) => r.span_ids as string[]);
    expect(acknowledged.sort()).toEqual([...inFiles].sort());
    expect(journal.at(-1)).toMatchObject({ record_type: 'session_end', delivered_spans: MONTHS * 5, undelivered_spans: {} });

    // The outage was said once, with its cause; nothing was dropped.
    const notices = run.stderr.split('\n').filter((line) => line.includes('stagetrace:'));
    expect(notices).toEqual([expect.stringMatching(/the collector at http:\/\/127\.0\.0\.1:\d+ did not take \d+ spans? \(ECONNREFUSED/)]);
  }, 180_000);
});

async function pollFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
