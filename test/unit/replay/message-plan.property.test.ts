/**
 * Which message lines `stagetrace replay` sends as log records. The files
 * are untrusted: a line the run cannot have written (a level that is not
 * ours, a time outside the session, a malformed id, a number seen before)
 * is counted and not sent, one without a number cannot be told from a
 * delivered one, and whatever is sent is within the live limits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_SCHEMA_VERSION, DELIVERY_LOG_FILE, STRUCTURED_LOG_FILE } from '../../../src/model/audit-schema.js';
import { LEVELS } from '../../../src/model/levels.js';
import { MAX_SCRUB_CHARS } from '../../../src/model/redaction.js';
import { planReplay } from '../../../src/replay/replay-plan.js';
import { logRecordOf } from '../../../src/sinks/log-record-sink.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 100;
const SESSION = '20261206_050000_a1b2c3';
const NOW = Date.now();
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type Line = Record<string, unknown>;

function message(seq: number | undefined, fields: Line = {}): Line {
  return {
    schema_version: AUDIT_SCHEMA_VERSION,
    record_type: 'message',
    timestamp: new Date(NOW).toISOString(),
    processing_time: NOW / 1000,
    session_id: SESSION,
    level: 'INFO',
    message: `message ${seq}`,
    month: '2024-01',
    stage: null,
    stage_event: null,
    context: {},
    memory_mb: 100,
    has_error: false,
    trace_id: TRACE,
    span_id: SPAN,
    epoch_ms: NOW,
    ...(seq !== undefined && { message_seq: seq }),
    ...fields,
  };
}

const monthStart: Line = {
  ...message(undefined, { record_type: 'month', stage: 'month_processing', stage_event: 'start', message: 'Starting month' }),
  parent_span_id: null,
  sampled: true,
};

function folder(lines: Line[], options: { logs?: boolean; delivered?: number[] } = {}): string {
  const logsEndpoint = options.logs === false ? undefined : 'http://127.0.0.1:4318/v1/logs';
  const delivered = options.delivered ?? [];
  const dir = mkdtempSync(join(tmpdir(), 'stagetrace-message-plan-'));
  dirs.push(dir);
  const session = {
    schema_version: AUDIT_SCHEMA_VERSION,
    record_type: 'session',
    timestamp: new Date(NOW).toISOString(),
    session_id: SESSION,
    pid: 999_999_999,
    host_name: 'elsewhere',
    endpoint: 'http://127.0.0.1:4318/v1/traces',
    resource: { 'service.name': 'plan' },
    scope_name: 'stagetrace',
    scope_version: null,
    ...(logsEndpoint !== undefined && { logs_endpoint: logsEndpoint }),
  };
  const acks = delivered.length === 0 ? [] : [{ ...session, record_type: 'logs_delivered', via: 'forward', message_seqs: delivered }];
  writeFileSync(join(dir, DELIVERY_LOG_FILE), [session, ...acks].map((r) => `${JSON.stringify(r)}\n`).join(''));
  writeFileSync(join(dir, STRUCTURED_LOG_FILE), lines.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return dir;
}

describe('the messages replay sends as log records', () => {
  it('sends the numbered messages not acknowledged, counts the rest, and reports lines a run cannot have written', async () => {
    const lines = [
      monthStart,
      message(1, { context: { rows: 3 } }),
      message(2),
      message(3, { level: 'LOUD' }),
      message(4, { epoch_ms: NOW + 400 * 24 * 3600 * 1000 }),
      message(5, { trace_id: 'not-hex' }),
      message(1, { message: 'a second line numbered 1' }),
      message(undefined, { message: 'written before message numbers' }),
      message(6, { message: 'x'.repeat(200_000), trace_id: null, span_id: null, month: null, stage: 'audit' }),
    ];
    // Without logs_endpoint the session did not forward logs: nothing of its messages is planned.
    const logsOff = (await planReplay(folder(lines, { logs: false, delivered: [2] })))[0];
    expect(logsOff).toMatchObject({ messages: [], messagesAlreadyDelivered: 0, messagesNotReplayable: 0, messagesInvalid: 0 });

    const withLogs = folder(lines, { delivered: [2] });
    const [plan] = await planReplay(withLogs);
    expect(plan?.messages.map((m) => m.seq)).toEqual([1, 6]);
    expect(plan).toMatchObject({ messagesAlreadyDelivered: 1, messagesNotReplayable: 1, messagesInvalid: 4 });
    expect(plan?.messagesInvalidReasons).toEqual([
      'a message number seen twice (only its first line is sent)',
      'message 3: level "LOUD" is not a level',
      expect.stringMatching(/^message 4: time \d+ is not between /),
    ]);
    const [first, loose] = plan?.messages ?? [];
    const record = logRecordOf(first as NonNullable<typeof first>, SESSION);
    expect(record.attributes).toMatchObject({ 'stagetrace.kind': 'month', 'stagetrace.month': '2024-01', 'stagetrace.context.rows': 3 });
    expect(record.attributes['stagetrace.stage.name']).toBeUndefined();
    // Cut as the redactor cuts a live message; outside any month, the label stays the stage name.
    expect(loose?.message.length).toBeLessThan(MAX_SCRUB_CHARS + 40);
    expect(loose?.message).toMatch(/…\[truncated from 200000 chars\]$/);
    expect(logRecordOf(loose as NonNullable<typeof loose>, SESSION).attributes['stagetrace.stage.name']).toBe('audit');
  });

  it('property: any message line is planned or counted, never thrown on, and what is planned maps to a log record within the live limits', async () => {
    const anyText = fc.oneof(fc.string({ maxLength: 30 }), fc.constant('x'.repeat(70_000)));
    const line = fc.record({
      seq: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      level: fc.oneof(fc.constantFrom(...LEVELS), fc.constantFrom('toString', '__proto__', 'constructor'), fc.string({ maxLength: 8 })),
      at: fc.oneof(fc.constant(NOW), fc.double({ min: -8e15, max: 8e15, noNaN: true })),
      ids: fc.constantFrom('scope', 'none', 'bad'),
      message: anyText,
      stage: fc.option(anyText, { nil: null }),
      context: fc.dictionary(
        fc.string({ maxLength: 6 }),
        fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.array(fc.integer(), { maxLength: 3 })),
      ),
      error: fc.option(fc.record({ type: anyText, message: anyText, stack: anyText }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 8 }), async (lines) => {
        const dir = folder([
          monthStart,
          ...lines.map((l) =>
            message(l.seq, {
              level: l.level,
              epoch_ms: l.at,
              message: l.message,
              stage: l.stage,
              context: l.context,
              trace_id: l.ids === 'none' ? null : l.ids === 'bad' ? 'zz' : TRACE,
              span_id: l.ids === 'none' ? null : SPAN,
              ...(l.error !== undefined && {
                has_error: true,
                error_type: l.error.type,
                error_message: l.error.message,
                error_stack: l.error.stack,
              }),
            }),
          ),
        ]);
        const [plan] = await planReplay(dir);
        if (plan === undefined) throw new Error('no session planned');
        const numbered = lines.filter((l) => l.seq !== undefined).length;
        expect(plan.messages.length + plan.messagesInvalid).toBe(numbered);
        expect(plan.messagesNotReplayable).toBe(lines.length - numbered);
        expect(new Set(plan.messages.map((m) => m.seq)).size).toBe(plan.messages.length);
        for (const m of plan.messages) {
          expect(LEVELS).toContain(m.level);
          const record = logRecordOf(m, SESSION);
          expect(record.body.length).toBeLessThan(MAX_SCRUB_CHARS + 40);
          for (const value of Object.values(record.attributes)) {
            if (typeof value === 'string') expect(value.length).toBeLessThan(200_000);
          }
        }
      }),
      { numRuns: runs },
    );
  });
});
