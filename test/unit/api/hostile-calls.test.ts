/** Hostile values handed to the API never throw into the caller (issue: throws into user code). */
import { afterEach, describe, expect, it } from 'vitest';
import { logProgress, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

let session: InMemorySession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe('hostile values in calls', () => {
  it('logProgress with a prototype-less object, a throwing toString or a revoked proxy as message does not throw', () => {
    session = startInMemory();
    traceMonth('2024-01', () =>
      traceStage('s', (stage) => {
        expect(() => logProgress(Object.create(null) as never)).not.toThrow();
        expect(() =>
          logProgress({
            toString() {
              throw new Error('boom');
            },
          } as never),
        ).not.toThrow();
        expect(() => logProgress(revokedProxy() as never)).not.toThrow();
        expect(() => stage.log(revokedProxy() as never)).not.toThrow();
      }),
    );
    const events = session.span('s').events.filter((e) => e.name === 'log');
    expect(events).toHaveLength(4);
    for (const event of events) expect(typeof event.attributes?.['log.message']).toBe('string');
  });

  it('a bad option value is named even when it is a revoked proxy', () => {
    session = startInMemory();
    expect(() => traceStage('x', () => 1, { warnAfterSeconds: revokedProxy() as never })).toThrow(/warnAfterSeconds/);
    expect(() => startStage(revokedProxy() as never)).toThrow(/expects a non-empty stage name/);
  });

  it('stage names and labels are redacted before they become span names', () => {
    session = startInMemory();
    traceMonth('2024-01', () => {
      traceStage('fetch https://svc:S3CRET@api.example.test/x?token=T0KEN', () => undefined);
    });
    const names = session.spans().map((s) => s.name);
    expect(names.join(' ')).not.toMatch(/S3CRET|T0KEN/);
    expect(names.some((n) => n.startsWith('fetch https://svc:'))).toBe(true);
  });
});
