/**
 * What the delivery recorder journals of the log forward: the message
 * numbers of stagetrace's records the collector took (nobody else's, and
 * nothing that is not a message number), and `logs_endpoint` only once a
 * record reached the forward — with a user's SDK that was not given it,
 * messages went elsewhere and replay must not send them again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../../src/config/options.js';
import { AUDIT_SCHEMA_VERSION, STRUCTURED_LOG_FILE } from '../../../src/model/audit-schema.js';
import { planReplay } from '../../../src/replay/replay-plan.js';
import { readAuditLog } from '../../../src/report/read-audit-log.js';
import { TelemetryProblems } from '../../../src/session/telemetry-problems.js';
import { DeliveryRecorder } from '../../../src/setup/delivery-recorder.js';
import type { BuiltSession } from '../../../src/setup/session-factory.js';
import { DeliveryJournal } from '../../../src/sinks/audit/delivery-journal.js';

const SESSION = '20261206_050000_a1b2c3';
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function recorder() {
  const dir = mkdtempSync(join(tmpdir(), 'stagetrace-delivery-recorder-'));
  dirs.push(dir);
  const delivery = new DeliveryJournal({ dir, maxFileBytes: 1 << 20, maxFiles: 2, onWriteError: (_f, e) => expect.fail(String(e)) });
  delivery.open();
  const said: string[] = [];
  const problems = new TelemetryProblems({ write: (line) => said.push(line), env: {} });
  const bundle = { delivery, problems, audit: { dir } } as unknown as BuiltSession;
  const config = {
    sessionId: SESSION,
    logs: true,
    otlp: { tracesUrl: 'http://127.0.0.1:4318/v1/traces', logsUrl: 'http://127.0.0.1:4318/v1/logs' },
  } as unknown as ResolvedConfig;
  return { dir, delivery, said, problems, recorder: new DeliveryRecorder(bundle, config) };
}

const resource = { attributes: { 'service.name': 'unit' }, asyncAttributesPending: false };
const span = (scope = 'stagetrace') => ({ resource, instrumentationScope: { name: scope, version: '1' } }) as unknown as ReadableSpan;
const log = (seq: unknown, scope = 'stagetrace') =>
  ({
    resource,
    instrumentationScope: { name: scope, version: '1' },
    attributes: { 'stagetrace.message.seq': seq },
  }) as unknown as ReadableLogRecord;

async function journal(dir: string) {
  const out = [];
  for await (const r of readAuditLog(dir, { file: 'delivery' })) out.push(r);
  return out;
}

describe('DeliveryRecorder and the log forward', () => {
  it("journals the message numbers of stagetrace's acknowledged records only", async () => {
    const { dir, delivery, recorder: r } = recorder();
    r.logEmitted(log(1));
    r.logsDelivered([log(1), log(2), log(3, 'my-app'), log('4'), log(2.5), log(undefined)]);
    r.finish();
    delivery.close();
    const lines = await journal(dir);
    expect(lines.map((l) => l.record_type)).toEqual(['session', 'logs_delivered', 'session_end']);
    expect(lines[0]).toMatchObject({ logs_endpoint: 'http://127.0.0.1:4318/v1/logs' });
    expect(lines[1]).toMatchObject({ via: 'forward', endpoint: 'http://127.0.0.1:4318/v1/logs', message_seqs: [1, 2] });
    expect(lines[2]).toMatchObject({ delivered_logs: 2, undelivered_logs: {} });
  });

  it('names logs_endpoint only once a record reached the forward; replay reads it from the later session record', async () => {
    const { dir, delivery, recorder: r } = recorder();
    r.started(span());
    const message = {
      schema_version: AUDIT_SCHEMA_VERSION,
      record_type: 'message',
      timestamp: new Date().toISOString(),
      processing_time: Date.now() / 1000,
      session_id: SESSION,
      level: 'INFO',
      message: 'hello',
      month: null,
      stage: null,
      stage_event: null,
      context: {},
      memory_mb: 1,
      has_error: false,
      trace_id: null,
      span_id: null,
      epoch_ms: Date.now(),
      message_seq: 1,
    };
    writeFileSync(join(dir, STRUCTURED_LOG_FILE), `${JSON.stringify(message)}\n`);
    // The spans' forward only: the messages went to a LoggerProvider stagetrace does not forward from.
    let [plan] = await planReplay(dir);
    expect(plan?.delivery?.logs_endpoint).toBeUndefined();
    expect(plan?.messages).toEqual([]);

    r.logEmitted(log(1, 'my-app'));
    r.logEmitted(log(1));
    r.logEmitted(log(2));
    delivery.close();
    const sessions = (await journal(dir)).filter((l) => l.record_type === 'session');
    expect(sessions.map((l) => (l as { logs_endpoint?: string }).logs_endpoint)).toEqual([undefined, 'http://127.0.0.1:4318/v1/logs']);
    [plan] = await planReplay(dir);
    expect(plan?.delivery?.logs_endpoint).toBe('http://127.0.0.1:4318/v1/logs');
    expect(plan?.messages.map((m) => m.message)).toEqual(['hello']);
  });

  it('says a drop once per reason, with the replay command, and counts every drop for the summary and the end record', async () => {
    const { dir, delivery, said, problems, recorder: r } = recorder();
    r.logsDropped(3, 'shutdown');
    r.logsDropped(2, 'shutdown');
    r.logsDropped(1, 'queue_full');
    r.finish();
    delivery.close();
    expect(said).toHaveLength(2);
    expect(said[0]).toContain(
      `stagetrace: 3 log records were not sent to the collector (shutdownTimeoutMillis ran out first); they are in the audit files: \`stagetrace replay ${dir} --session ${SESSION}\` sends them once the collector is back. Further drops are counted in the session summary.`,
    );
    expect(problems.counts).toMatchObject({ otlpDroppedLogRecords: 6, internalErrors: 0 });
    expect((await journal(dir)).at(-1)).toMatchObject({ undelivered_logs: { shutdown: 5, queue_full: 1 } });
  });
});
