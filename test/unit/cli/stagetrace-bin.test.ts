/**
 * The `stagetrace` executable in-process: it runs the command line it was
 * started with, sets the exit code, and ends quietly with 0 when the reader
 * of its output goes away (`stagetrace report logs | head`).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../../src/cli/main.js';
import { VERSION } from '../../../src/model/version.js';

const argv = process.argv;

afterEach(() => {
  process.argv = argv;
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

describe('the stagetrace executable', () => {
  it('runs its command line, exits with the command’s code, and takes a closed pipe as the end of the output', async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const listenersBefore = process.stdout.listeners('error');
    process.argv = [argv[0] as string, 'stagetrace', '--version'];
    await import('../../../src/cli/stagetrace.js');
    await vi.waitFor(() => expect(process.exitCode).toBe(EXIT.ok));
    expect(written.join('')).toBe(`${VERSION}\n`);

    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const added = process.stdout.listeners('error').filter((l) => !listenersBefore.includes(l));
    expect(added).toHaveLength(1);
    // Another write error is not taken for a closed pipe.
    process.stdout.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));
    expect(exit).not.toHaveBeenCalled();
    process.stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exit).toHaveBeenCalledWith(EXIT.ok);
    for (const listener of added) process.stdout.off('error', listener as (error: Error) => void);
  });
});
