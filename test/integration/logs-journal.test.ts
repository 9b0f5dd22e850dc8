/**
 * Log records get the delivery guarantees of spans, in real processes
 * against a real loopback OTLP/HTTP receiver: the records the collector
 * acknowledged are journaled by message number in otlp_delivery.jsonl, so a
 * collector that is down for a while still gets every message once, and
 * `stagetrace replay` sends the messages it never took — once.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { attributes as A } from '../../src/index.js';
import { freePorts } from '../e2e/support/processes.js';
import { type NodeRun, REPO_ROOT, runNodeScript } from '../helpers/run-node.js';
import { pollUntil, tempDir } from './audit/audit-support.js';
import { type OtlpReceiver, type ReceivedLogRecord, receiversForFile } from './otlp-receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/logs-journal-pipeline.ts', import.meta.url));
const CLI = join(REPO_ROOT, 'src', 'cli', 'stagetrace.ts');
const DELIVERY = 'otlp_delivery.jsonl';
/** The fixture's messages: its own seven, and the session's start and end records (notices of stagetrace's own may add more). */
const MESSAGES = 9;

const root = tempDir('logs-journal');
afterAll(() => root.remove());
const receiver = receiversForFile();

type Json = Record<string, unknown>;

function jsonLines(file: string): Json[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Json);
}

function fileMessages(dir: string): Json[] {
  const file = readdirSync(dir).find((f) => f.startsWith('structured_processing') && f.endsWith('.jsonl'));
  return jsonLines(join(dir, String(file))).filter((r) => r.record_type === 'message');
}

const journal = (dir: string) => jsonLines(join(dir, DELIVERY));

function runPipeline(dir: string, env: Record<string, string>): Promise<NodeRun> {
  return runNodeScript(FIXTURE, {
    env: {
      STAGETRACE_LOG_DIR: dir,
      STAGETRACE_LOG_LEVEL: 'DEBUG',
      STAGETRACE_CONSOLE: 'false',
      STAGETRACE_HOST_METRICS: 'false',
      OTEL_METRICS_EXPORTER: 'none',
      ...env,
    },
    timeoutMs: 90_000,
  });
}

function replay(args: string[]): Promise<NodeRun> {
  return runNodeScript(CLI, { args: ['replay', ...args], timeoutMs: 60_000 });
}

/** Every accepted log record as sent (OTLP JSON), with its resource and scope, by message number; the observed time is the sender's clock. */
function rawLogRecords(r: OtlpReceiver): Map<number, Json> {
  const out = new Map<number, Json>();
  for (const request of r.requests) {
    if (request.path !== '/v1/logs' || request.status !== 200) continue;
    const body = request.json as { resourceLogs: { resource: unknown; scopeLogs: { scope: unknown; logRecords: Json[] }[] }[] };
    for (const rl of body.resourceLogs) {
      for (const sl of rl.scopeLogs) {
        for (const { observedTimeUnixNano: _observed, ...record } of sl.logRecords) {
          const seq = (record.attributes as { key: string; value: { intValue?: unknown } }[]).find((a) => a.key === A.ATTR_MESSAGE_SEQ);
          out.set(Number(seq?.value.intValue), { record, resource: rl.resource, scope: sl.scope });
        }
      }
    }
  }
  return out;
}

/** Each message line of the files has exactly one log record with its number, text, level and ids. */
function expectEveryMessageOnce(lines: Json[], records: ReceivedLogRecord[]): void {
  const bySeq = new Map<number, ReceivedLogRecord[]>();
  for (const record of records) {
    const seq = Number(record.attributes[A.ATTR_MESSAGE_SEQ]);
    bySeq.set(seq, [...(bySeq.get(seq) ?? []), record]);
  }
  expect([...bySeq.keys()].sort((a, b) => a - b)).toEqual(lines.map((l) => l.message_seq));
  for (const line of lines) {
    const got = bySeq.get(line.message_seq as number) ?? [];
    expect(got, `message ${line.message_seq}: ${line.message}`).toHaveLength(1);
    const [record] = got as [ReceivedLogRecord];
    expect(record.body).toBe(line.message);
    expect(record.severityText).toBe(line.level);
    expect(record.traceId).toBe(line.trace_id ?? '');
    expect(record.spanId).toBe(line.span_id ?? '');
    expect(record.attributes[A.ATTR_SESSION_ID]).toBe(line.session_id);
    expect(record.attributes[A.ATTR_STAGE_NAME] ?? null).toBe(line.stage);
    expect(record.attributes[A.ATTR_EXCEPTION_TYPE]).toBe(line.error_type);
    expect(record.attributes[A.ATTR_EXCEPTION_STACKTRACE]).toBe(line.error_stack);
    expect(record.scope).toBe('stagetrace');
  }
}

describe('log records: journaled when acknowledged, replayed when not', () => {
  it('collector down then back: every log record arrives once, and otlp_delivery.jsonl names them all', async () => {
    const collector = await receiver();
    collector.retryAfterSeconds = 0;
    collector.setMode('unavailable');
    const dir = join(root.dir, 'down-then-back');
    const pause = join(root.dir, 'paused');
    const go = join(root.dir, 'go');
    const running = runPipeline(dir, {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      STAGETRACE_SHUTDOWN_TIMEOUT_MS: '30000',
      PAUSE_FILE: pause,
      GO_FILE: go,
    });
    // The first month's log records were offered and refused (503), then the collector takes everything.
    await collector.waitFor(
      () => collector.requests.some((r) => r.path === '/v1/logs' && r.status === 503),
      60_000,
      'a refused log export',
    );
    await pollUntil(() => readdirSync(root.dir).includes('paused'), 30_000, 'the pipeline to pause');
    collector.setMode('ok');
    writeFileSync(go, '');
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('finished');

    const lines = fileMessages(dir);
    expect(lines.length).toBeGreaterThanOrEqual(MESSAGES);
    expectEveryMessageOnce(lines, collector.logRecords());
    const delivered = journal(dir).filter((r) => r.record_type === 'logs_delivered');
    expect(delivered.every((r) => r.via === 'forward' && r.endpoint === `${collector.url}/v1/logs`)).toBe(true);
    expect(delivered.flatMap((r) => r.message_seqs as number[]).sort((a, b) => a - b)).toEqual(lines.map((l) => l.message_seq));
    const sessions = journal(dir).filter((r) => r.record_type === 'session');
    expect(sessions.map((r) => r.logs_endpoint)).toContain(`${collector.url}/v1/logs`);

    // Nothing is left for replay.
    const target = await receiver();
    const again = await replay([dir, '--endpoint', target.url]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`no message to send as a log record (${lines.length} delivered before)`);
    expect(target.requests.filter((r) => r.path === '/v1/logs')).toEqual([]);

    // The same files with the log acknowledgements taken out: replay rebuilds each record exactly as the run sent it.
    const copy = join(root.dir, 'down-then-back-unacknowledged');
    cpSync(dir, copy, { recursive: true });
    const kept = journal(dir).filter((r) => r.record_type !== 'logs_delivered');
    writeFileSync(join(copy, DELIVERY), kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const rebuilt = await receiver();
    const replayed = await replay([copy, '--endpoint', rebuilt.url]);
    expect(replayed.code, replayed.stderr).toBe(0);
    const live = rawLogRecords(collector);
    expect(live.size).toBe(lines.length);
    const sent = rawLogRecords(rebuilt);
    expect([...sent.keys()].sort()).toEqual([...live.keys()].sort());
    for (const [seq, original] of live) expect(sent.get(seq), `message ${seq}`).toEqual(original);
  }, 150_000);

  it('replay sends the rest: a run whose collector was away sends every message once, a second replay none', async () => {
    const [port] = (await freePorts(1)) as [number];
    const dir = join(root.dir, 'away');
    const run = await runPipeline(dir, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      STAGETRACE_SHUTDOWN_TIMEOUT_MS: '1500',
    });
    expect(run.code, run.stderr).toBe(0);
    // Said once, with the command that sends them later.
    expect(run.stderr).toMatch(
      /log records were not sent to the collector \(shutdownTimeoutMillis ran out first\); they are in the audit files: `stagetrace replay .* --session \S+` sends them/,
    );
    expect(journal(dir).filter((r) => r.record_type === 'logs_delivered')).toEqual([]);
    const end = journal(dir).find((r) => r.record_type === 'session_end');
    expect(end).toMatchObject({ delivered_logs: 0 });
    expect((end?.undelivered_logs as Json | undefined)?.shutdown).toBeGreaterThanOrEqual(MESSAGES);

    const target = await receiver();
    const first = await replay([dir, '--endpoint', target.url]);
    expect(first.code, first.stderr).toBe(0);
    const lines = fileMessages(dir);
    expect(lines.length).toBeGreaterThanOrEqual(MESSAGES);
    expect(first.stdout).toContain(`sent ${lines.length} messages as log records to ${target.url}/v1/logs`);
    expect(first.stdout).toContain(`\nreplay: 6 spans, ${lines.length} messages as log records sent\n`);
    const records = target.logRecords();
    expectEveryMessageOnce(lines, records);
    // The resource of the session's spans.
    const resource = journal(dir).find((r) => r.record_type === 'session')?.resource as Json;
    for (const record of records) expect(record.resource).toEqual(resource);
    expect(
      journal(dir)
        .filter((r) => r.record_type === 'logs_delivered')
        .every((r) => r.via === 'replay'),
    ).toBe(true);

    const second = await replay([dir, '--endpoint', target.url]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^replay: 0 spans, 0 messages as log records sent$/m);
    expect(target.logRecords()).toHaveLength(lines.length);
  }, 150_000);

  it('sends no message of a run that had logs off', async () => {
    const [port] = (await freePorts(1)) as [number];
    const dir = join(root.dir, 'logs-off');
    const run = await runPipeline(dir, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      STAGETRACE_SHUTDOWN_TIMEOUT_MS: '1500',
      STAGETRACE_LOGS: 'false',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(journal(dir).filter((r) => r.record_type === 'session' && r.logs_endpoint !== undefined)).toEqual([]);
    const target = await receiver();
    const replayed = await replay([dir, '--endpoint', target.url]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(/^replay: 6 spans sent$/m);
    expect(target.spans()).toHaveLength(6);
    expect(target.requests.filter((r) => r.path === '/v1/logs')).toEqual([]);
  }, 150_000);

  it('does not record log records the collector answered with a partial_success: the next replay sends them again', async () => {
    const [port] = (await freePorts(1)) as [number];
    const dir = join(root.dir, 'partial');
    const run = await runPipeline(dir, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      STAGETRACE_SHUTDOWN_TIMEOUT_MS: '1500',
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = fileMessages(dir);
    const target = await receiver();
    target.setMode('partial', '/v1/logs');
    target.partialMessage = 'log record too old';
    const first = await replay([dir, '--endpoint', target.url]);
    expect(first.code).toBe(4);
    expect(first.stdout).toContain(`sent 0 messages as log records to ${target.url}/v1/logs (1 rejected by the collector, to send again)`);
    expect(first.stderr).toContain('rejected 1 log record (partial_success; its reason: "log record too old")');
    expect(journal(dir).filter((r) => r.record_type === 'logs_delivered')).toEqual([]);

    target.setMode('ok', '/v1/logs');
    target.clear();
    const second = await replay([dir, '--endpoint', target.url]);
    expect(second.code, second.stderr).toBe(0);
    expectEveryMessageOnce(lines, target.logRecords());
  }, 150_000);
});
