/** error_details.log and span exceptions keep the user's frames and leave stagetrace's own out. */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { traceMonth, traceStage } from '../../../src/index.js';
import { withoutOwnFrames } from '../../../src/model/own-frames.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

let session: InMemorySession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

function failInUserCode(): never {
  throw new Error('corrupt input');
}

describe('own stack frames', () => {
  it('a failing stage is recorded with the user frames and without stagetrace frames', () => {
    session = startInMemory();
    expect(() => traceMonth('2024-01', () => traceStage('process', () => failInUserCode()))).toThrow('corrupt input');
    const exception = session.span('process').events.find((e) => e.name === 'exception');
    const stack = String(exception?.attributes?.['exception.stacktrace']);
    expect(stack).toMatch(/^Error: corrupt input/);
    expect(stack).toContain('failInUserCode');
    expect(stack).toContain('own-frames.test.ts');
    expect(stack).not.toContain(fileURLToPath(new URL('../../../src/', import.meta.url)));
    // Other libraries' frames stay: only stagetrace's own are left out.
    expect(stack).toContain('ContextAPI.with');
  });

  it('leaves stacks without stagetrace frames unchanged, and lines that are not frames', () => {
    const stack = 'Error: x\n    at user (/app/job.js:1:1)\n    at Object.<anonymous> (/app/job.js:3:1)';
    expect(withoutOwnFrames(stack)).toBe(stack);
    expect(withoutOwnFrames(undefined)).toBeUndefined();
  });
});
