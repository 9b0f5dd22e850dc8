/**
 * Month and stage handles are facades: exactly their documented members,
 * with the session, its options and the span behind private fields.
 * Nothing reachable from a handle shows an OTLP header, a webhook URL or
 * any other option value.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type MonthHandle, type StageHandle, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

const SECRETS = ['Bearer handle-secret-token', 'hooks.example.test/services/T000/B000/handle-secret-path', 'handle-session-secret'];

let session: InMemorySession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

function begin(): InMemorySession {
  session = startInMemory({
    sessionId: 'handle-session-secret',
    otlp: { endpoint: 'http://127.0.0.1:9/', headers: { authorization: 'Bearer handle-secret-token' } },
    alerts: { webhookUrl: 'https://hooks.example.test/services/T000/B000/handle-secret-path' },
  });
  return session;
}

/** Every own property name and value reachable from `root`, keys and values as text. */
function reachable(root: unknown): string {
  const seen = new Set<unknown>();
  const parts: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      parts.push(String(value));
      return;
    }
    if (seen.has(value) || depth > 20) return;
    seen.add(value);
    for (const key of Object.getOwnPropertyNames(value)) {
      parts.push(key);
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor && 'value' in descriptor) visit(descriptor.value, depth + 1);
    }
    visit(Object.getPrototypeOf(value), depth + 1);
  };
  visit(root, 0);
  return parts.join('\n');
}

function expectOpaque(handle: MonthHandle | StageHandle): void {
  const views = [
    inspect(handle, { depth: Number.POSITIVE_INFINITY, showHidden: true, getters: true }),
    JSON.stringify(handle),
    Object.keys(handle).join(','),
    reachable(handle),
  ];
  for (const view of views) for (const secret of SECRETS) expect(view).not.toContain(secret);
  expect(Object.keys(handle)).toEqual([]);
}

describe('handles', () => {
  it('a stage handle exposes its documented members and nothing of the session behind it', () => {
    begin();
    traceMonth('2024-01', (month) => {
      expectOpaque(month);
      traceStage('download', (stage) => {
        expectOpaque(stage);
        expect(stage).toMatchObject({ kind: 'stage', name: 'download', month: '2024-01', ended: false });
        expect(stage.spanContext.traceId).toBe(month.spanContext.traceId);
        expect(JSON.parse(JSON.stringify(stage))).toEqual({ kind: 'stage', name: 'download', month: '2024-01' });
      });
    });
  });

  it('a handle from startStage is the same facade, and ends once', () => {
    begin();
    const stage = startStage('upload');
    expectOpaque(stage);
    stage.end();
    expect(stage.ended).toBe(true);
    expectOpaque(stage);
  });

  it('rejects options it does not know, naming the option and the known ones', () => {
    begin();
    expect(() => traceStage('x', () => 1, { contxt: { a: 1 } } as never)).toThrow(
      /traceStage\(\) has no option "contxt"; the options are context, warnAfterSeconds/,
    );
    const stage = startStage('y');
    expect(() => stage.end({ sucess: false } as never)).toThrow(/end\(\) has no option "sucess"/);
    stage.end();
  });
});
