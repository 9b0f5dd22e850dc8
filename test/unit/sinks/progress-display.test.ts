import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatClock, ProgressDisplay } from '../../../src/sinks/progress-display.js';
import { end, ref, start, T0 } from '../../helpers/records.js';

class Capture {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  /** What a terminal shows on the last line: the text after the last carriage return / erase. */
  get line(): string {
    const last = this.text.split('\r').pop() ?? '';
    return last.replace('\x1b[K', '');
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ProgressDisplay on a terminal', () => {
  it('shows month, stage, progress bar, ETA, months of the total and elapsed time on one line redrawn in place', () => {
    const out = new Capture(true);
    const display = new ProgressDisplay({ stream: out, totalMonths: 12 });
    const m = ref('month', 'month', '2024-03');
    display.onStart(start(m, Date.now()));
    const s = ref('stage', 'process', '2024-03', m);
    display.onStart(start(s, Date.now()));
    vi.advanceTimersByTime(9_999);
    display.onProgress(s, 2500, 10_000);
    expect(out.line).toBe('2024-03 · process [#####...............] 25% 2,500/10,000 · ETA 0:30 · month 1 of 12 · elapsed 0:10');
    expect(out.text).not.toContain('\n');
    display.close();
  });

  it('ticks the clock every second while nothing else happens, and stops when closed', () => {
    const out = new Capture(true);
    const display = new ProgressDisplay({ stream: out });
    display.onStart(start(ref('stage', 'download', undefined), Date.now()));
    vi.advanceTimersByTime(3000);
    expect(out.line).toBe('download 0:03 · elapsed 0:03');
    display.close();
    expect(out.text.endsWith('\r\x1b[K')).toBe(true);
    const after = out.text;
    vi.advanceTimersByTime(5000);
    expect(out.text).toBe(after);
  });

  it('redraws at most every 100 ms however often progress is reported', () => {
    const out = new Capture(true);
    const display = new ProgressDisplay({ stream: out });
    const s = ref('stage', 'rows', undefined);
    display.onStart(start(s, Date.now()));
    const before = out.text.split('\r').length;
    for (let i = 1; i <= 1000; i++) display.onProgress(s, i, 1000); // within the same millisecond
    expect(out.text.split('\r').length - before).toBeLessThanOrEqual(1);
    vi.advanceTimersByTime(150);
    display.onProgress(s, 1000, 1000);
    expect(out.line).toContain('100% 1,000/1,000');
    display.close();
  });

  it('cuts the line to the terminal width and escapes control characters in names', () => {
    const out = new Capture(true, 40);
    const display = new ProgressDisplay({ stream: out });
    display.onStart(start(ref('stage', 'evil\n\x1b[2Jname-that-goes-on-and-on-and-on', undefined), Date.now()));
    expect([...out.line].length).toBeLessThanOrEqual(39);
    expect(out.line).toMatch(/^evil\\n\\u001b\[2Jname.*…$/);
    display.close();
  });

  it('clears the line for other output and draws it again after', () => {
    const out = new Capture(true);
    const display = new ProgressDisplay({ stream: out });
    display.onStart(start(ref('stage', 'upload', undefined), Date.now()));
    display.suspend();
    out.write('a log line\n');
    vi.advanceTimersByTime(2000); // the clock does not draw while suspended
    expect(out.text.endsWith('a log line\n')).toBe(true);
    display.resume();
    expect(out.line).toBe('upload 0:02 · elapsed 0:02');
    display.close();
  });
});

describe('ProgressDisplay elsewhere (CI, cron, files)', () => {
  it('writes plain lines, at most one per interval, and one at each month end', () => {
    const out = new Capture(false);
    const display = new ProgressDisplay({ stream: out, plainIntervalMs: 15_000 });
    const m = ref('month', 'month', '2024-01');
    display.onStart(start(m, Date.now()));
    const s = ref('stage', 'process', '2024-01', m);
    display.onStart(start(s, Date.now()));
    for (let i = 1; i <= 100; i++) {
      vi.advanceTimersByTime(1000);
      display.onProgress(s, i, 100);
    }
    display.onEnd(end(s, T0, 100));
    display.onEnd(end(m, T0, 100));
    const lines = out.text.trimEnd().split('\n');
    expect(out.text.includes('\r') || out.text.includes('\u001b')).toBe(false);
    expect(lines.every((l) => l.startsWith('[progress] '))).toBe(true);
    expect(lines.length).toBeGreaterThanOrEqual(7);
    expect(lines.length).toBeLessThanOrEqual(9);
    expect(lines).toContain('[progress] 2024-01 · process [###.................] 15% 15/100 · ETA 1:25 · elapsed 0:15');
    expect(lines.at(-1)).toBe('[progress] 1 month done · elapsed 1:40');
    display.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('ProgressDisplay as a record sink', () => {
  it('shows the month count against a total set once it is known', () => {
    const out = new Capture(true);
    const display = new ProgressDisplay({ stream: out });
    display.setTotalMonths(3);
    display.onStart(start(ref('month', 'month', '2024-01'), Date.now()));
    expect(out.line).toBe('2024-01 · month 1 of 3 · elapsed 0:00');
    display.setTotalMonths(undefined);
    display.resume();
    expect(out.line).toBe('2024-01 · elapsed 0:00');
    display.close();
  });

  it('erases the line at shutdown(), draws nothing after it, and takes a second shutdown quietly', async () => {
    const out = new Capture(true);
    const display = new ProgressDisplay({ stream: out });
    const s = ref('stage', 'load', undefined);
    display.onStart(start(s, Date.now()));
    await display.forceFlush();
    await display.shutdown();
    expect(out.text.endsWith('\r\x1b[K')).toBe(true);
    const after = out.text;
    display.onStart(start(ref('stage', 'late', undefined), Date.now()));
    display.onProgress(s, 1, 2);
    display.onEnd(end(s, T0, 1));
    vi.advanceTimersByTime(5000);
    await display.shutdown();
    expect(out.text).toBe(after);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('writes nothing more once its stream is destroyed (the reader of a pipe went away)', () => {
    const out = Object.assign(new Capture(false), { destroyed: false });
    const display = new ProgressDisplay({ stream: out, plainIntervalMs: 0 });
    const m = ref('month', 'month', '2024-01');
    display.onStart(start(m, Date.now()));
    expect(out.text).toBe('[progress] 2024-01 · elapsed 0:00\n');
    out.destroyed = true;
    display.onEnd(end(m, T0, 1));
    expect(out.text).toBe('[progress] 2024-01 · elapsed 0:00\n');
    display.close();
  });
});

describe('formatClock', () => {
  it('reads like a clock', () => {
    expect([0, 7_000, 725_000, 3_729_000].map(formatClock)).toEqual(['0:00', '0:07', '12:05', '1:02:09']);
  });
});
