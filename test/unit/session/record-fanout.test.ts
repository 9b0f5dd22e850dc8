/** The one fan-out: every sink gets every record in order, below-level messages reach none, a failing sink costs no other its record. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEVELS, type LogLevel } from '../../../src/model/levels.js';
import type { RecordSink } from '../../../src/model/record-sink.js';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../../../src/model/records.js';
import { RecordFanout } from '../../../src/session/record-fanout.js';
import { end, message, ref, start, T0 } from '../../helpers/records.js';

type Seen = (ScopeStartRecord | ScopeEndRecord | MessageRecord)[];

function recorder(seen: Seen): RecordSink {
  return { onStart: (r) => seen.push(r), onEnd: (r) => seen.push(r), onMessage: (r) => seen.push(r) };
}

function fanout(minLevel: LogLevel = 'INFO') {
  const errors: string[] = [];
  return { fanout: new RecordFanout({ minLevel, onError: (what) => errors.push(what) }), errors };
}

describe('RecordFanout', () => {
  it('hands the same frozen record to every sink, in the order the sinks were added', () => {
    const { fanout: f } = fanout();
    const order: string[] = [];
    const seen: Seen = [];
    for (const name of ['stats', 'metrics', 'audit', 'console']) {
      f.add({
        onStart: (r) => {
          order.push(name);
          seen.push(r);
        },
        onEnd: () => undefined,
        onMessage: () => undefined,
      });
    }
    const record = Object.freeze(start(ref('stage', 'download', '2024-01'), T0));
    f.onStart(record);
    expect(order).toEqual(['stats', 'metrics', 'audit', 'console']);
    for (const r of seen) expect(r).toBe(record);
  });

  it('passes a message to the sinks exactly when its level is at or above the minimum; its own records always', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LEVELS), fc.constantFrom(...LEVELS), (min, level) => {
        const { fanout: f } = fanout(min);
        const seen: Seen = [];
        f.add(recorder(seen));
        f.onMessage(message(T0, 'logged', { level }));
        f.onOwnMessage(message(T0, 'own', { level }));
        const passes = LEVELS.indexOf(level) >= LEVELS.indexOf(min);
        expect(f.accepts(level)).toBe(passes);
        expect(seen.map((r) => (r as MessageRecord).message)).toEqual(passes ? ['logged', 'own'] : ['own']);
      }),
    );
  });

  it('keeps going past a sink that throws: the others get the record, the fault is told once per call', () => {
    const { fanout: f, errors } = fanout();
    const seen: Seen = [];
    const thrower: RecordSink = {
      onStart: () => {
        throw new Error('disk on fire');
      },
      onEnd: () => {
        throw new Error('disk on fire');
      },
      onMessage: () => {
        throw new Error('disk on fire');
      },
    };
    f.add(thrower);
    f.add(recorder(seen));
    const scope = ref('stage', 'download', '2024-01');
    expect(() => {
      f.onStart(start(scope, T0));
      f.onEnd(end(scope, T0, 1));
      f.onMessage(message(T0, 'hello'));
    }).not.toThrow();
    expect(seen.map((r) => r.type)).toEqual(['start', 'end', 'message']);
    expect(errors).toEqual(['writing a start record', 'writing an end record', 'writing a message']);
  });

  it('flushes every sink that holds something, and shuts each down once however often it is asked', async () => {
    const { fanout: f, errors } = fanout();
    let flushed = 0;
    let shut = 0;
    f.add({
      ...recorder([]),
      forceFlush: async () => {
        flushed++;
      },
      shutdown: async () => {
        shut++;
        throw new Error('already closed');
      },
    });
    f.add(recorder([])); // holds nothing: no forceFlush, no shutdown
    await f.forceFlush();
    await Promise.all([f.shutdown(), f.shutdown()]);
    await f.shutdown();
    expect(flushed).toBe(1);
    expect(shut).toBe(1);
    expect(errors).toEqual(['shutting down']);
  });
});
