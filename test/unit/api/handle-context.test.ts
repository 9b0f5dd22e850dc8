/**
 * A stage handle keeps its context: the README's startStage example runs its
 * code through `stage.run(fn)`, so messages logged there (logProgress) and
 * the user's own spans land in the stage, and a message logged through the
 * handle's own `log` carries its stage wherever the call happens.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import fc from 'fast-check';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forceFlush, logProgress, startStage, traceMonth } from '../../../src/index.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;
const logDir = mkdtempSync(join(tmpdir(), 'stagetrace-handle-context-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

let session: InMemorySession;
beforeEach(() => {
  session = startInMemory({ logDir });
});
afterEach(async () => {
  await session.close();
});

interface Message {
  record_type: string;
  message: string;
  stage: string | null;
  month: string | null;
  span_id?: string;
}

async function messages(): Promise<Message[]> {
  await forceFlush();
  return readFileSync(join(logDir, 'structured_processing.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Message)
    .filter((r) => r.record_type === 'message');
}

const validate = async (): Promise<void> => {
  logProgress('12 checks passed');
  await new Promise((resolve) => setImmediate(resolve));
  trace.getTracer('user-code').startActiveSpan('db.query', (span) => span.end());
};

describe("the README's startStage example", () => {
  it('puts messages and user spans made inside stage.run(fn) in the stage, across an await', async () => {
    await traceMonth('2024-01', async () => {
      // As the README shows it.
      const stage = startStage('validate', { context: { checks: 12 } });
      try {
        await stage.run(() => validate());
        stage.end();
      } catch (error) {
        stage.end({ error });
        throw error;
      }
    });
    const [logged] = (await messages()).filter((m) => m.message === '12 checks passed');
    expect(logged).toMatchObject({ stage: 'validate', month: '2024-01' });
    const stageSpan = session.span('validate');
    expect(logged?.span_id).toBe(stageSpan.spanContext().spanId);
    expect(session.span('db.query').parentSpanContext?.spanId).toBe(stageSpan.spanContext().spanId);
  });

  it('returns what fn returns, synchronously for a sync fn', () => {
    const stage = startStage('count');
    expect(stage.run(() => 42)).toBe(42);
    stage.end();
  });
});

describe("a handle's own log", () => {
  it('carries its stage and month for any stage name and message, also when called outside run()', async () => {
    // The stage's span id per message number; names and messages are redacted alike in every record, so the
    // message is matched to its stage's own start record rather than to the raw name.
    const spans: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ maxLength: 200 }), async (name, text) => {
        await traceMonth('2024-02', async () => {
          const stage = startStage(name);
          // Logged from the month's context, after an await: the handle, not the context, decides.
          await Promise.resolve();
          stage.log(`#${spans.length}# ${text}`, { level: 'WARNING' });
          spans.push(stage.spanContext.spanId);
          stage.end();
        });
      }),
      { numRuns: runs },
    );
    await forceFlush();
    const records = readFileSync(join(logDir, 'structured_processing.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Message & { stage_event?: string });
    for (const [i, spanId] of spans.entries()) {
      const started = records.find((r) => r.record_type === 'stage' && r.stage_event === 'start' && r.span_id === spanId);
      const logged = records.find((r) => r.record_type === 'message' && r.message.startsWith(`#${i}# `));
      expect(started?.stage, `stage ${i}`).toEqual(expect.any(String));
      expect(logged, `message ${i}`).toMatchObject({ stage: started?.stage, month: '2024-02', span_id: spanId });
    }
  });
});
