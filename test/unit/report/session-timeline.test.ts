import { describe, expect, it } from 'vitest';
import { MAX_BARS, MAX_MEMORY_POINTS, TimelineCollector } from '../../../src/report/session-timeline.js';
import { end, errorInfo, message, ref, start, T0 } from '../../helpers/records.js';

describe('TimelineCollector', () => {
  it('gives a bar per stage execution from its start to its end, with outcome, slowness, context and error', () => {
    const timeline = new TimelineCollector();
    const m = ref('month', 'month', '2024-01');
    const ok = ref('stage', 'download', '2024-01', m);
    const broken = ref('stage', 'validate', '2024-01', m);
    const killed = ref('stage', 'upload', '2024-01', m);
    timeline.onRecord(start(m, T0));
    timeline.onRecord(start(ok, T0 + 10));
    timeline.onRecord(
      end(ok, T0 + 10, 2, { slow: true, context: { 'stagetrace.context.rows': 10, 'stagetrace.context.tags': ['a', 'b'] } }),
    );
    timeline.onRecord(start(broken, T0 + 2010));
    timeline.onRecord(end(broken, T0 + 2010, 0.5, { outcome: 'failure', error: errorInfo('RangeError', 'negative price') }));
    timeline.onRecord(start(killed, T0 + 2510));
    timeline.onRecord(end(killed, T0 + 2510, 0.25, { outcome: 'interrupted', reason: 'SIGTERM' }));
    timeline.onRecord(end(m, T0, 2.76, { outcome: 'interrupted', reason: 'SIGTERM' }));
    const result = timeline.result();
    expect(result.months).toEqual([{ month: '2024-01', startMs: T0, endMs: T0 + 2760, outcome: 'interrupted' }]);
    expect(result.bars).toEqual([
      {
        stage: 'download',
        month: '2024-01',
        startMs: T0 + 10,
        endMs: T0 + 2010,
        durationS: 2,
        outcome: 'success',
        slow: true,
        context: [
          ['rows', '10'],
          ['tags', 'a, b'],
        ],
        error: null,
      },
      expect.objectContaining({ stage: 'validate', outcome: 'failure', error: 'RangeError: negative price' }),
      expect.objectContaining({ stage: 'upload', outcome: 'interrupted', error: 'Interrupted: SIGTERM' }),
    ]);
    expect(result.firstMs).toBe(T0);
    expect(result.lastMs).toBe(T0 + 2760);
  });

  it('keeps a bar’s context short: twelve entries, each value cut at 120 characters', () => {
    const timeline = new TimelineCollector();
    const s = ref('stage', 'load', undefined);
    const context: Record<string, string | undefined> = {
      'stagetrace.context.long': 'x'.repeat(500),
      other: 'kept whole',
      gone: undefined,
    };
    for (let i = 0; i < 20; i++) context[`stagetrace.context.k${i}`] = String(i);
    timeline.onRecord(end(s, T0, 1, { context }));
    const [bar] = timeline.result().bars;
    expect(bar?.context).toHaveLength(12);
    expect(bar?.context[0]).toEqual(['long', `${'x'.repeat(120)}…`]);
    expect(bar?.context[1]).toEqual(['other', 'kept whole']);
    expect(bar?.context.map(([key]) => key)).not.toContain('gone');
    // Its start record was not read (an older generation deleted, say): the bar starts at the end record's start.
    expect(bar).toMatchObject({ month: null, startMs: T0, endMs: T0 + 1000 });
  });

  it('takes a month whose start is not in the files from its end record', () => {
    const timeline = new TimelineCollector();
    timeline.onRecord(end(ref('month', 'month', '2024-05'), T0 + 500, 3, { outcome: 'failure' }));
    expect(timeline.result().months).toEqual([{ month: '2024-05', startMs: T0 + 500, endMs: T0 + 3500, outcome: 'failure' }]);
  });

  it('orders months by their start, and shows a month not ended as running', () => {
    const timeline = new TimelineCollector();
    timeline.onRecord(start(ref('month', 'month', '2024-02'), T0 + 1000));
    timeline.onRecord(start(ref('month', 'month', '2024-01'), T0));
    expect(timeline.result().months.map((m) => `${m.month} ${m.outcome} ${m.endMs}`)).toEqual([
      '2024-01 running null',
      '2024-02 running null',
    ]);
  });

  it('draws at most MAX_BARS bars and counts the executions past them', () => {
    const timeline = new TimelineCollector();
    for (let i = 0; i < MAX_BARS + 25; i++) {
      const s = ref('stage', 'step', undefined);
      timeline.onRecord(start(s, T0 + i));
      timeline.onRecord(end(s, T0 + i, 0.001));
    }
    const result = timeline.result();
    expect(result.bars).toHaveLength(MAX_BARS);
    expect(result.barsLeftOut).toBe(25);
    expect(result.bars.at(-1)?.startMs).toBe(T0 + MAX_BARS - 1);
  });

  it('thins the memory series evenly as it grows, keeping its first reading and its order', () => {
    const timeline = new TimelineCollector();
    const readings = 9 * MAX_MEMORY_POINTS + 7;
    for (let i = 0; i < readings; i++) timeline.onRecord(message(T0 + i * 10, 'tick', { rssMb: 100 + (i % 50) }));
    const { memory, firstMs, lastMs } = timeline.result();
    expect(memory.length).toBeGreaterThanOrEqual(MAX_MEMORY_POINTS);
    expect(memory.length).toBeLessThan(2 * MAX_MEMORY_POINTS);
    expect(memory[0]).toEqual({ atMs: T0, mb: 100 });
    const steps = new Set(memory.slice(1).map((p, i) => p.atMs - (memory[i] as { atMs: number }).atMs));
    expect(steps.size).toBe(1); // evenly spaced
    const [step] = [...steps] as [number];
    // The series reaches to within one step of the last reading.
    expect(lastMs - (memory.at(-1)?.atMs ?? 0)).toBeLessThan(step);
    expect([firstMs, lastMs]).toEqual([T0, T0 + (readings - 1) * 10]);
  });

  it('is empty, at time 0, before any record', () => {
    expect(new TimelineCollector().result()).toEqual({ months: [], bars: [], barsLeftOut: 0, memory: [], firstMs: 0, lastMs: 0 });
  });
});
