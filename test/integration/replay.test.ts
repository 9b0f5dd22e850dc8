/**
 * `stagetrace replay` as a user runs it — the command in a child process —
 * against real pipeline runs and a real loopback OTLP/HTTP receiver.
 *
 * Exactness: a run sends its spans to receiver A and writes its files; the
 * same files with the acknowledgements taken out are replayed to receiver
 * B; B must receive what A received, byte for byte in each span's OTLP
 * JSON (ids, parent, name, kind, times in nanoseconds, attributes, events
 * with their times, status), with the same resource and scope.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayError, replayAuditLog } from '../../src/index.js';
import { freePorts } from '../e2e/support/processes.js';
import { folderFingerprint } from '../helpers/folder-fingerprint.js';
import { type NodeRun, REPO_ROOT, runNodeScript } from '../helpers/run-node.js';
import { pollUntil, STRUCTURED, spawnScript, tempDir } from './audit/audit-support.js';
import { type OtlpReceiver, receiversForFile } from './otlp-receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/replay-pipeline.ts', import.meta.url));
const CLI = join(REPO_ROOT, 'src', 'cli', 'stagetrace.ts');
const DELIVERY = 'otlp_delivery.jsonl';

const root = tempDir('replay');
afterAll(() => root.remove());
const receiver = receiversForFile();

function replay(args: string[], env: Record<string, string> = {}): Promise<NodeRun> {
  return runNodeScript(CLI, { args: ['replay', ...args], env, timeoutMs: 60_000 });
}

type Json = Record<string, unknown>;

/** Every span of the accepted trace requests as sent, with its resource and scope, by span id. */
function rawSpans(r: OtlpReceiver): Map<string, { span: Json; resource: unknown; scope: unknown }> {
  const out = new Map<string, { span: Json; resource: unknown; scope: unknown }>();
  for (const body of r.traceRequests() as { resourceSpans: { resource: unknown; scopeSpans: { scope: unknown; spans: Json[] }[] }[] }[]) {
    for (const rs of body.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          if (out.has(String(span.spanId))) throw new Error(`span ${span.spanId} received twice`);
          out.set(String(span.spanId), { span, resource: rs.resource, scope: ss.scope });
        }
      }
    }
  }
  return out;
}

function journal(dir: string): Json[] {
  return readFileSync(join(dir, DELIVERY), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Json);
}

describe('stagetrace replay', () => {
  let live: OtlpReceiver;
  let liveDir: string;
  let replayDir: string;
  let sessionId: string;

  beforeAll(async () => {
    live = await receiver();
    liveDir = join(root.dir, 'live');
    const run = await runNodeScript(FIXTURE, {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: live.url,
        STAGETRACE_LOG_DIR: liveDir,
        STAGETRACE_LOG_LEVEL: 'DEBUG',
        STAGETRACE_CONSOLE: 'false',
        STAGETRACE_HOST_METRICS: 'false',
        STAGETRACE_STAGE_THRESHOLDS: 'download=0.01',
        // Spans are the subject here; messages as log records are replayed in logs-journal.test.ts.
        STAGETRACE_LOGS: 'false',
      },
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    sessionId = String(journal(liveDir)[0]?.session_id);
    // The same files as if the collector had acknowledged nothing.
    replayDir = join(root.dir, 'replayed');
    cpSync(liveDir, replayDir, { recursive: true });
    const unacknowledged = journal(liveDir).filter((r) => r.record_type !== 'delivered');
    writeFileSync(join(replayDir, DELIVERY), unacknowledged.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }, 90_000);

  it('rebuilds every span exactly as the run sent it', async () => {
    const sent = rawSpans(live);
    // The fixture covers what spans carry: log events, exception, slow and memory events, added context.
    const events = [...sent.values()].flatMap((s) => (s.span.events as { name: string }[]).map((e) => e.name));
    expect(new Set(events)).toEqual(new Set(['log', 'exception', 'stagetrace.stage.slow', 'memory.threshold']));
    expect(sent.size).toBe(7); // two months with download and process each, and the cleanup stage outside any month

    const target = await receiver();
    const run = await replay([replayDir, '--endpoint', target.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`session ${sessionId}: sent 7 spans to ${target.url}/v1/traces`);
    const replayed = rawSpans(target);
    expect([...replayed.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [id, original] of sent) expect(replayed.get(id), `span ${id} (${original.span.name})`).toEqual(original);
  }, 60_000);

  it('records what it sent, so a second replay sends nothing', async () => {
    const acknowledged = journal(replayDir).filter((r) => r.record_type === 'delivered');
    expect(acknowledged.every((r) => r.via === 'replay' && r.session_id === sessionId)).toBe(true);
    expect(acknowledged.flatMap((r) => r.span_ids as string[])).toHaveLength(7);
    const target = await receiver();
    const before = folderFingerprint(replayDir);
    const run = await replay([replayDir, '--endpoint', target.url, '--session', sessionId]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`session ${sessionId}: nothing to send (7 delivered before)\nreplay: 0 spans sent\n`);
    expect(target.requests).toEqual([]);
    expect(folderFingerprint(replayDir)).toEqual(before);
  }, 60_000);

  it('a run whose spans all reached the collector has nothing to replay', async () => {
    const target = await receiver();
    const run = await replay([liveDir, '--endpoint', target.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('nothing to send (7 delivered before)');
    expect(target.requests).toEqual([]);
  }, 60_000);

  it('against a dead endpoint: one line on stderr, exit code 4, and the files are unchanged', async () => {
    const dir = join(root.dir, 'dead');
    cpSync(liveDir, dir, { recursive: true });
    writeFileSync(join(dir, DELIVERY), `${readFileSync(join(replayDir, DELIVERY), 'utf8').split('\n')[0]}\n`);
    const before = folderFingerprint(dir);
    const [port] = await freePorts(1);
    const run = await replay([dir, '--endpoint', `http://127.0.0.1:${port}`], { OTEL_EXPORTER_OTLP_TIMEOUT: '1500' });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(
        `^stagetrace: replay: the collector at http://127\\.0\\.0\\.1:${port}/v1/traces did not take session ${sessionId}'s spans \\(ECONNREFUSED: .*\\); nothing was sent\\. Run replay again once it answers\\.\\n$`,
      ),
    );
    expect(folderFingerprint(dir)).toEqual(before);
  }, 60_000);

  it('says what is wrong with its arguments or the folder in one line, with its exit code', async () => {
    const usage = await replay([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe(
      'stagetrace: replay: missing <logDir>: the folder the pipeline wrote its audit files to. See stagetrace replay --help.\n',
    );
    const badUrl = await replay([liveDir, '--endpoint', 'localhost:4318']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/^stagetrace: replay: --endpoint "localhost:4318" is not an http\(s\) URL; expected .*\n$/);
    const noFolder = await replay([join(root.dir, 'nowhere')]);
    expect(noFolder.code).toBe(3);
    expect(noFolder.stderr).toMatch(/^stagetrace: replay: folder ".*nowhere" does not exist\.\n$/);
    const noSession = await replay([liveDir, '--session', 'nope']);
    expect(noSession.code).toBe(3);
    expect(noSession.stderr).toMatch(/^stagetrace: replay: no session "nope" in ".*live"\.\n$/);
    const help = await replay(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: stagetrace replay <logDir> \[--session ID\] \[--endpoint URL\]/);
    expect(help.stdout).toMatch(/Exit codes:\n {2}0 {3}done/);
  }, 60_000);

  it('works the same from code: replayAuditLog() resolves to what it sent, or rejects with a ReplayError', async () => {
    const unacknowledged = (name: string) => {
      const dir = join(root.dir, name);
      cpSync(liveDir, dir, { recursive: true });
      writeFileSync(join(dir, DELIVERY), `${readFileSync(join(replayDir, DELIVERY), 'utf8').split('\n')[0]}\n`);
      return dir;
    };
    const [port] = await freePorts(1);
    const error = await replayAuditLog(unacknowledged('api-dead'), {
      endpoint: `http://127.0.0.1:${port}`,
      timeoutMillis: 1000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayError);
    expect(error).toMatchObject({ kind: 'endpoint', partial: { sent: 0 } });

    const target = await receiver();
    const result = await replayAuditLog(unacknowledged('api'), { endpoint: target.url, session: sessionId });
    expect(result).toEqual({
      sent: 7,
      messagesSent: 0,
      sessions: [
        {
          sessionId,
          endpoint: `${target.url}/v1/traces`,
          sent: 7,
          closedByReplay: 0,
          alreadyDelivered: 0,
          notSampled: 0,
          notReplayable: 0,
          invalid: 0,
          invalidReasons: [],
          rejected: 0,
          logsEndpoint: undefined,
          messagesSent: 0,
          messagesAlreadyDelivered: 0,
          messagesNotReplayable: 0,
          messagesInvalid: 0,
          messagesInvalidReasons: [],
          messagesRejected: 0,
        },
      ],
    });
    expect(rawSpans(target).size).toBe(7);
  }, 60_000);

  /** A copy of the live folder with no acknowledgement and the session record's endpoint set to `endpoint`. */
  function unacknowledgedCopy(name: string, endpoint?: string): string {
    const dir = join(root.dir, name);
    cpSync(liveDir, dir, { recursive: true });
    const session = journal(liveDir).find((r) => r.record_type === 'session') as Json;
    writeFileSync(join(dir, DELIVERY), `${JSON.stringify(endpoint === undefined ? session : { ...session, endpoint })}\n`);
    return dir;
  }

  it('never sends the OTEL_EXPORTER_OTLP_HEADERS credentials to an endpoint read from otlp_delivery.jsonl, and says so in one line', async () => {
    const elsewhere = await receiver();
    const dir = unacknowledgedCopy('endpoint-from-file', `${elsewhere.url}/v1/traces`);
    const credentials = { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer s3cr3t-token,x-tenant=acme' };
    const run = await replay([dir], credentials);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`session ${sessionId}: sent 7 spans to ${elsewhere.url}/v1/traces`);
    const sent = elsewhere.requests.filter((q) => q.path === '/v1/traces');
    expect(sent.length).toBeGreaterThan(0);
    for (const request of sent) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers['x-tenant']).toBeUndefined();
    }
    expect(run.stderr.split('\n').filter((l) => l !== '')).toEqual([
      `stagetrace: replay: session ${sessionId}: sent to ${elsewhere.url}/v1/traces, the endpoint written in otlp_delivery.jsonl, without the OTEL_EXPORTER_OTLP_HEADERS credentials (whoever can edit the file could collect them); pass --endpoint or set OTEL_EXPORTER_OTLP_ENDPOINT to send with them.`,
    ]);
    expect(run.stderr).not.toContain('s3cr3t');

    // An endpoint the user gave gets them, as the run did.
    const chosen = await receiver();
    const given = await replay([unacknowledgedCopy('endpoint-given'), '--endpoint', chosen.url], credentials);
    expect(given.code, given.stderr).toBe(0);
    expect(given.stderr).toBe('');
    expect(chosen.requests.filter((q) => q.path === '/v1/traces').every((q) => q.headers.authorization === 'Bearer s3cr3t-token')).toBe(
      true,
    );
  }, 60_000);

  it('skips and reports spans with ids or times a collector would refuse, sends the rest, and cuts what a live run would have cut', async () => {
    const dir = unacknowledgedCopy('damaged');
    const file = join(dir, STRUCTURED);
    const records = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Json);
    const stages = [...new Set(records.filter((r) => r.record_type === 'stage' && r.stage === 'download').map((r) => String(r.span_id)))];
    const [badTrace, badTime] = stages;
    const big = String(records.find((r) => r.record_type === 'stage' && r.stage === 'cleanup')?.span_id);
    for (const r of records) {
      if (r.span_id === badTrace) r.trace_id = 'ZZ'.repeat(16);
      // Far outside the session, yet a time a Date can hold (a reader drops lines whose times no Date can hold).
      if (r.span_id === badTime && r.stage_event === 'end') r.epoch_ms = 8e15;
      if (r.span_id === big && r.stage_event === 'start') r.context = { ...(r.context as Json), blob: 'x'.repeat(8 * 1024 * 1024) };
    }
    writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));

    const target = await receiver();
    const run = await replay([dir, '--endpoint', target.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`session ${sessionId}: sent 5 spans to ${target.url}/v1/traces (2 invalid, not sent)`);
    const lines = run.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`session ${sessionId}: 2 spans not sent, as a collector would refuse the whole request: `);
    expect(lines[0]).toContain(`span ${badTrace}: trace id "ZZZZ`);
    expect(lines[0]).toContain(`span ${badTime}: end time "8000000000000000" is not between`);
    const received = rawSpans(target);
    expect([...received.keys()]).not.toContain(badTrace);
    expect([...received.keys()]).not.toContain(badTime);
    const blob = ((received.get(big)?.span.attributes ?? []) as { key: string; value: { stringValue?: string } }[]).find(
      (a) => a.key === 'stagetrace.context.blob',
    );
    expect(blob?.value.stringValue).toBe(`${'x'.repeat(4096)}…`);
    // What was skipped is not recorded: it stays in the files, reported by every replay.
    const recorded = journal(dir).flatMap((r) => (r.span_ids as string[] | undefined) ?? []);
    expect(recorded).toHaveLength(5);
  }, 60_000);

  it('does not record a batch the collector answered with a partial_success; the next replay sends it again', async () => {
    const dir = unacknowledgedCopy('partial');
    const target = await receiver();
    target.setMode('partial');
    target.partialRejected = 2;
    target.partialMessage = 'two spans too old';
    const first = await replay([dir, '--endpoint', target.url]);
    expect(first.code).toBe(4);
    expect(first.stdout).toContain(
      `session ${sessionId}: sent 0 spans to ${target.url}/v1/traces (2 rejected by the collector, to send again)`,
    );
    expect(first.stderr).toBe(
      `stagetrace: replay: session ${sessionId}: the collector at ${target.url}/v1/traces rejected 2 spans (partial_success; its reason: "two spans too old"); their batches are not recorded as delivered, so the next replay sends them again.\n`,
    );
    expect(journal(dir).filter((r) => r.record_type === 'delivered')).toEqual([]);
    target.setMode('ok');
    const second = await replay([dir, '--endpoint', target.url]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`session ${sessionId}: sent 7 spans`);
  }, 60_000);

  it('leaves a session that is still running alone', async () => {
    const dir = join(root.dir, 'running');
    const collector = await receiver();
    // A pipeline that forwards its spans and then waits inside a stage.
    const child = spawnScript(
      fileURLToPath(new URL('./audit/fixtures/scenario.ts', import.meta.url)),
      {
        SCENARIO: 'wait',
        WAIT_MS: '60000',
        STAGETRACE_LOG_DIR: dir,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        STAGETRACE_DURABILITY: 'sync',
      },
      { timeoutMs: 60_000 },
    );
    try {
      await child.waitForStdout(/waiting/);
      // Written once the first span's resource has settled (host.id is read asynchronously).
      const session = String((await pollUntil(() => existsSync(join(dir, DELIVERY)) && journal(dir)[0], 10_000, DELIVERY)).session_id);
      const target = await receiver();
      const all = await replay([dir, '--endpoint', target.url]);
      expect(all.code, all.stderr).toBe(0);
      expect(all.stdout).toContain(`session ${session}: still running on this host; not replayed`);
      const one = await replay([dir, '--endpoint', target.url, '--session', session]);
      expect(one.code).toBe(3);
      expect(one.stderr).toBe(`stagetrace: replay: session ${session} is still running on this host; replay it once it has ended.\n`);
      expect(target.requests).toEqual([]);
    } finally {
      child.child.kill('SIGKILL');
      await child.exited;
    }
  }, 90_000);
});
