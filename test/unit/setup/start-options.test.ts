/** start() honours the environment over its own defaults, and rejects what is not an options object. */
import { afterEach, describe, expect, it } from 'vitest';
import { shutdown, start } from '../../../src/index.js';
import { resetGlobals } from '../../helpers/in-memory-sdk.js';

const saved = process.env.STAGETRACE_HANDLE_EXIT;
afterEach(async () => {
  await shutdown();
  resetGlobals();
  if (saved === undefined) delete process.env.STAGETRACE_HANDLE_EXIT;
  else process.env.STAGETRACE_HANDLE_EXIT = saved;
});

const base = { logDir: false, console: false, hostMetrics: false } as const;

describe('start() options', () => {
  it('STAGETRACE_HANDLE_EXIT=false turns exit handling off although start() defaults it on', async () => {
    const before = process.listenerCount('SIGTERM');
    process.env.STAGETRACE_HANDLE_EXIT = 'false';
    await start(base);
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('without the variable, start() installs exit handling', async () => {
    const before = process.listenerCount('SIGTERM');
    delete process.env.STAGETRACE_HANDLE_EXIT;
    await start(base);
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
  });

  it('STAGETRACE_HANDLE_EXIT=2 fails start() naming the variable', async () => {
    process.env.STAGETRACE_HANDLE_EXIT = '2';
    await expect(start(base)).rejects.toThrow(/STAGETRACE_HANDLE_EXIT/);
  });

  it('a string instead of an options object says so', async () => {
    await expect(start('opts' as never)).rejects.toThrow(/options must be an object/);
  });
});
