import { describe, expect, it } from 'vitest';
import { PROGRESS_MIN_BYTES, ReadProgress } from '../../../src/cli/read-progress.js';

function terminal(isTTY: boolean) {
  const stream = {
    isTTY,
    text: '',
    write(chunk: string): boolean {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

describe('ReadProgress', () => {
  it('draws a bar in place on a terminal when the read is big, at most every 100 ms, and erases it when done', () => {
    let now = 0;
    const out = terminal(true);
    const progress = new ReadProgress(out as unknown as NodeJS.WriteStream, () => now);
    const total = 400 * 1024 * 1024;
    progress.update(100 * 1024 * 1024, total);
    expect(out.text).toBe(`\r\x1b[Kreading audit files [########......................]  25%  100 of 400 MB`);
    now += 50;
    progress.update(200 * 1024 * 1024, total);
    expect(out.text.split('\r').length).toBe(2); // not redrawn within 100 ms
    now += 60;
    progress.update(200 * 1024 * 1024, total);
    expect(out.text.endsWith('[###############...............]  50%  200 of 400 MB')).toBe(true);
    progress.done();
    expect(out.text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('draws nothing for a small read or when the output is not a terminal', () => {
    const small = terminal(true);
    new ReadProgress(small as unknown as NodeJS.WriteStream).update(1, PROGRESS_MIN_BYTES - 1);
    const piped = terminal(false);
    const progress = new ReadProgress(piped as unknown as NodeJS.WriteStream);
    progress.update(1, 10 * PROGRESS_MIN_BYTES);
    progress.done();
    expect(small.text).toBe('');
    expect(piped.text).toBe('');
  });
});
