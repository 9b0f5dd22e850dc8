/**
 * The audit files and the OTLP forward of a real pipeline process, against
 * a real loopback OTLP/HTTP receiver that works, refuses, fails or hangs.
 * Whatever the forward does, the files are complete and the problem is
 * said once on stderr.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeAuditLog } from '../../../src/report/summarize-audit-log.js';
import type { NodeRun } from '../../helpers/run-node.js';
import { receiversForFile } from '../otlp-receiver.js';
import { PERFORMANCE, readJsonl, runScenario, STRUCTURED, tempDir } from './audit-support.js';

const DELIVERY = 'otlp_delivery.jsonl';

const root = tempDir('otlp');
afterAll(() => root.remove());
const receiver = receiversForFile();

type Rec = Record<string, unknown>;
type Summary = { otlp: { dropped_spans: number; export_errors: number }; audit: { write_errors: number } };

/** Runs the `otlp` scenario against `endpoint`; returns the run, its folder and the summary it printed. */
async function runPipeline(name: string, endpoint: string, env: Record<string, string>) {
  const dir = join(root.dir, name);
  // The span forward is the subject: log records (their own forward) are off, so only the spans' problems are said.
  const run = await runScenario(
    'otlp',
    { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, STAGETRACE_LOG_DIR: dir, STAGETRACE_LOGS: 'false', ...env },
    { timeoutMs: 90_000 },
  );
  const line = run.stdout.match(/^SUMMARY (.*)$/m);
  const summary = line ? (JSON.parse(line[1] as string) as Summary) : undefined;
  return { run, dir, summary };
}

/** Both JSONL files hold every start and end of `months` × `stages`. */
function expectCompleteFiles(dir: string, months: number, stages: number): void {
  const structured = readJsonl(join(dir, STRUCTURED));
  const count = (type: string, event: string) => structured.filter((r) => r.record_type === type && r.stage_event === event).length;
  expect(count('stage', 'start')).toBe(months * stages);
  expect(count('stage', 'end')).toBe(months * stages);
  expect(count('month', 'start')).toBe(months);
  expect(count('month', 'end')).toBe(months);
  expect(structured.filter((r) => r.message === 'month done')).toHaveLength(months);
  const performance = readJsonl(join(dir, PERFORMANCE));
  expect(performance.filter((r) => r.record_type === 'stage')).toHaveLength(months * stages);
  expect(performance.filter((r) => r.record_type === 'month')).toHaveLength(months);
}

/** Each line matches exactly one of `kinds`, and each kind one line: every problem said, once, in any order. */
function expectEachOnce(lines: string[], kinds: RegExp[]): void {
  expect(lines.map((line) => kinds.findIndex((kind) => kind.test(line))).sort(), lines.join('\n')).toEqual(kinds.map((_, i) => i));
}

/** stagetrace's notices on stderr: each problem is said once, not once per batch. */
function otlpLines(run: NodeRun): string[] {
  return run.stderr.split('\n').filter((line) => line.includes('stagetrace: '));
}

describe('trace ids in the files are the ones the collector receives', () => {
  it('matches every month and stage record with a received span', async () => {
    const r = await receiver('ok');
    const { run, dir } = await runPipeline('ok', r.url, { MONTHS: '2', STAGES: '3', STAGETRACE_CONSOLE: 'false' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const spans = r.spans();
    const bySpanId = new Map(spans.map((s) => [s.spanId, s]));
    const structured = readJsonl(join(dir, STRUCTURED));
    const performance = readJsonl(join(dir, PERFORMANCE));
    const ends = structured.filter((x) => x.stage_event === 'end');
    expect(ends).toHaveLength(2 + 6);
    for (const rec of [...structured.filter((x) => x.stage_event !== null), ...performance] as Rec[]) {
      const span = bySpanId.get(String(rec.span_id));
      expect(span, `span ${rec.span_id} of ${rec.stage}`).toBeDefined();
      expect(span?.traceId).toBe(rec.trace_id);
      expect(span?.attributes['stagetrace.month']).toBe(rec.month);
    }
    // One trace per month, and the month's records carry the id of its root span's trace.
    const monthSpans = spans.filter((s) => s.attributes['stagetrace.kind'] === 'month');
    const monthTraceIds = structured.filter((x) => x.record_type === 'month' && x.stage_event === 'start').map((x) => x.trace_id);
    expect(new Set(monthTraceIds)).toEqual(new Set(monthSpans.map((s) => s.traceId)));
    expect(new Set(monthTraceIds).size).toBe(2);
    // Messages carry the ids of the span they were logged in.
    for (const message of structured.filter((x) => x.record_type === 'message')) {
      expect(monthTraceIds).toContain(message.trace_id);
    }
  }, 120_000);
});

describe('forward failures never affect the files; each kind is said once and every span is accounted for', () => {
  // 1200 stages a month in a tight loop: more spans than the forward queue holds (8 MiB: about 1,500), in several batches.
  const MONTHS = 2;
  const STAGES = 1200;
  const SPANS = MONTHS * (STAGES + 1);
  const base = { MONTHS: String(MONTHS), STAGES: String(STAGES) };

  /** otlp_delivery.jsonl's end record: what the forward delivered and gave up, by reason. */
  function deliveryEnd(dir: string): { delivered_spans: number; undelivered_spans: Record<string, number> } {
    const end = readJsonl(join(dir, DELIVERY)).find((r) => r.record_type === 'session_end');
    expect(end, `no session_end in ${DELIVERY}`).toBeDefined();
    return end as { delivered_spans: number; undelivered_spans: Record<string, number> };
  }
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

  it.concurrent('collector answers 400: files complete, said once, the refused spans dropped and counted', async () => {
    const r = await receiver('bad-request');
    const { run, dir, summary } = await runPipeline('bad-request', r.url, { ...base, FLUSH_BEFORE_SUMMARY: '1' });
    expect(run.code, run.stderr).toBe(0);
    expectCompleteFiles(dir, MONTHS, STAGES);
    expect(r.requests.filter((q) => q.path === '/v1/traces').length).toBeGreaterThan(1);
    // The refusal, said once; and the queue, which may fill before the first answer comes, said once too.
    const lines = otlpLines(run);
    expect(lines.filter((l) => /refused spans \(400: Bad Request\) and would refuse them again/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => !/refused spans|the forward queue is full/.test(l))).toEqual([]);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(summary?.otlp.dropped_spans).toBe(SPANS);
    expect(summary?.otlp.export_errors).toBeGreaterThan(0);
    expect(summary?.audit.write_errors).toBe(0);
    const end = deliveryEnd(dir);
    expect(end.delivered_spans).toBe(0);
    expect(end.undelivered_spans.rejected).toBeGreaterThan(0);
    expect(total(end.undelivered_spans)).toBe(SPANS);
    expect(Object.keys(end.undelivered_spans).sort()).toEqual(lines.length === 2 ? ['queue_full', 'rejected'] : ['rejected']);
  }, 120_000);

  it.concurrent('collector answers 200 with a partial_success: the rejected spans are counted, said once with its reason redacted, and the batch left to replay', async () => {
    const r = await receiver('partial');
    r.partialMessage = 'attribute too long; retry with token=abc123secret';
    const { run, dir } = await runPipeline('partial', r.url, {
      MONTHS: '2',
      STAGES: '3',
      FLUSH_BEFORE_SUMMARY: '1',
      STAGETRACE_CONSOLE: 'false',
    });
    expect(run.code, run.stderr).toBe(0);
    const answered = r.requests.filter((q) => q.path === '/v1/traces' && q.status === 200).length;
    expect(answered).toBeGreaterThan(0);
    const lines = otlpLines(run);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /answered 200 but rejected 1 of a batch of \d+ spans \(partial_success; its reason: "attribute too long; retry with token=\[REDACTED\]"\)/,
    );
    expect(run.stderr).not.toContain('abc123secret');
    const final = JSON.parse(run.stdout.match(/^FINAL_OTLP (.*)$/m)?.[1] ?? 'null') as Summary['otlp'] | null;
    expect(final?.dropped_spans).toBe(answered);
    // Nothing recorded as delivered: OTLP does not say which spans were rejected, so replay sends them all.
    const journal = readJsonl(join(dir, DELIVERY));
    expect(journal.filter((x) => x.record_type === 'delivered')).toEqual([]);
    expect(deliveryEnd(dir)).toMatchObject({ delivered_spans: 0, undelivered_spans: { rejected: answered } });
  }, 120_000);

  it.concurrent('collector answers 503: spans wait and are retried; what the queue cannot hold and what is left at shutdown is counted, each said once', async () => {
    const r = await receiver('unavailable');
    const { run, dir, summary } = await runPipeline('unavailable', r.url, {
      ...base,
      FLUSH_BEFORE_SUMMARY: '1',
      // A request timeout far above the receiver's answer time, so that on a loaded machine the 503 is what the
      // forward sees, not its own timeout; the shutdown bound above it, as the options require.
      ST_OPTIONS: JSON.stringify({ shutdownTimeoutMillis: 10_000, otlp: { timeoutMillis: 8000 } }),
    });
    expect(run.code, run.stderr).toBe(0);
    expectCompleteFiles(dir, MONTHS, STAGES);
    expect(r.requests.filter((q) => q.path === '/v1/traces' && q.status === 503).length).toBeGreaterThan(1);
    expectEachOnce(otlpLines(run), [
      /did not take \d+ spans? \(Export failed with retryable status\); they wait in the forward queue \(up to 2048 spans, 8 MiB\)/,
      /the forward queue is full \(2048 spans or 8 MiB; otlp.maxQueueSpans, otlp.maxQueueBytes\)/,
      /\d+ spans? could not be delivered to .* within shutdownTimeoutMillis \(10000 ms\); they are in the audit files: `stagetrace replay .* --session \S+`/,
    ]);
    // Before shutdown only what the queue could not hold is dropped; what it held is given up at shutdown.
    expect(summary?.otlp.export_errors).toBeGreaterThan(0);
    const end = deliveryEnd(dir);
    expect(end.delivered_spans).toBe(0);
    expect(Object.keys(end.undelivered_spans).sort()).toEqual(['queue_full', 'shutdown']);
    expect(summary?.otlp.dropped_spans).toBe(end.undelivered_spans.queue_full);
    expect(total(end.undelivered_spans)).toBe(SPANS);
    // The report afterwards counts what was given up and what failed during the shutdown drain too: the same OTLP
    // counts as the live summary after shutdown().
    const final = JSON.parse(run.stdout.match(/^FINAL_OTLP (.*)$/m)?.[1] ?? 'null') as Summary['otlp'] | null;
    expect(final?.dropped_spans).toBe(SPANS);
    expect(final?.export_errors).toBeGreaterThanOrEqual(summary?.otlp.export_errors ?? 0);
    expect((await summarizeAuditLog(dir)).otlp).toMatchObject({ dropped_spans: final?.dropped_spans, export_errors: final?.export_errors });
  }, 120_000);

  it.concurrent('collector down (closed port): the same, with the refused connection as the cause', async () => {
    const r = await receiver('ok');
    const url = r.url;
    await r.close(); // nothing listens on this port any more
    const { run, dir, summary } = await runPipeline('down', url, {
      ...base,
      FLUSH_BEFORE_SUMMARY: '1',
      ST_OPTIONS: JSON.stringify({ otlp: { timeoutMillis: 3000 } }),
    });
    expect(run.code, run.stderr).toBe(0);
    expectCompleteFiles(dir, MONTHS, STAGES);
    expectEachOnce(otlpLines(run), [
      /did not take \d+ spans? \(ECONNREFUSED: connect ECONNREFUSED/,
      /the forward queue is full/,
      /spans could not be delivered .* within shutdownTimeoutMillis/,
    ]);
    const end = deliveryEnd(dir);
    expect(summary?.otlp.dropped_spans).toBe(end.undelivered_spans.queue_full);
    expect(summary?.otlp.export_errors).toBeGreaterThan(0);
    expect(total(end.undelivered_spans)).toBe(SPANS);
  }, 120_000);

  it.concurrent('collector hangs: shutdown() gives up after shutdownTimeoutMillis and the process exits soon after; files complete', async () => {
    const r = await receiver('hang');
    // Default timeouts: shutdownTimeoutMillis 5000, OTLP export timeout 80 % of it.
    const { run, dir } = await runPipeline('hang', r.url, base);
    expect(run.code, run.stderr).toBe(0);
    expectCompleteFiles(dir, MONTHS, STAGES);
    const done = run.stdout.match(/^pipeline done (\d+)$/m);
    const shut = run.stdout.match(/^SHUTDOWN_MS (\d+) (\d+)$/m);
    expect(done && shut, run.stdout).toBeTruthy();
    // The hanging exports are given up by the exporter itself (its timeout is 80 % of
    // shutdownTimeoutMillis), and no new try starts that could not end in time.
    expect(Number(shut?.[1])).toBeLessThan(8000);
    // Measured from the end of the pipeline, not from process start (tsx start-up varies with
    // load): the process exits soon after shutdown() resolved, not when the hanging request would.
    expect(run.endedAtMs - Number(shut?.[2])).toBeLessThan(3000);
    expect(run.endedAtMs - Number(done?.[1])).toBeLessThan(10_000);
    // Each kind said once: the exports that timed out, the queue that filled behind them, then what
    // shutdown could not deliver (or gave up waiting for).
    expectEachOnce(otlpLines(run), [
      /did not take \d+ spans? \(Request timed out\)/,
      /the forward queue is full/,
      /spans could not be delivered|gave up waiting after 5000 ms/,
    ]);
    expect(total(deliveryEnd(dir).undelivered_spans)).toBe(SPANS);
  }, 120_000);
});
