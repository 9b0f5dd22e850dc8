/**
 * Reading a collector's `partial_success`: whatever the body, JSON or
 * protobuf, the reader never throws and returns either nothing or a
 * positive safe count with a string; what a collector encodes is read back.
 * STAGETRACE_PROPERTY_RUNS raises the number of runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePartialSuccess } from '../../../src/export/partial-success.js';
import { partialSuccessProtobuf } from '../../integration/otlp-receiver.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 300;

describe('parsePartialSuccess', () => {
  it('reads back the rejected count and message a collector encodes, in protobuf and in JSON', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.string({ maxLength: 300 }), (rejected, message) => {
        expect(parsePartialSuccess(partialSuccessProtobuf(rejected, message), 'application/x-protobuf')).toEqual({
          rejectedSpans: rejected,
          errorMessage: Buffer.from(message, 'utf8').toString('utf8'),
        });
        const json = Buffer.from(JSON.stringify({ partialSuccess: { rejectedSpans: String(rejected), errorMessage: message } }));
        expect(parsePartialSuccess(json, 'application/json')).toEqual({ rejectedSpans: rejected, errorMessage: message });
      }),
      { numRuns: runs },
    );
  });

  it('never throws on any body, and reports only a positive whole count', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom('application/json', 'application/x-protobuf', undefined),
        (body, type) => {
          const found = parsePartialSuccess(body, type);
          if (found !== undefined) {
            expect(Number.isSafeInteger(found.rejectedSpans) && found.rejectedSpans > 0).toBe(true);
            expect(typeof found.errorMessage).toBe('string');
          }
        },
      ),
      { numRuns: runs },
    );
  });

  it('a partial_success that rejects nothing, an empty answer or a full success is no rejection', () => {
    expect(parsePartialSuccess(Buffer.from('{}'), 'application/json')).toBeUndefined();
    expect(parsePartialSuccess(Buffer.from('{"partialSuccess":{"errorMessage":"a warning"}}'), 'application/json')).toBeUndefined();
    expect(parsePartialSuccess(partialSuccessProtobuf(0, 'a warning'), 'application/x-protobuf')).toBeUndefined();
    expect(parsePartialSuccess(new Uint8Array(0), 'application/x-protobuf')).toBeUndefined();
  });
});
