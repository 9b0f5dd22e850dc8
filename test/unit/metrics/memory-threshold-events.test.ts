import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { type MetricsSession, metric, startMetricsSession } from './metrics-session.js';

const MB = 1024 * 1024;
const CHUNK = 8 * MB;

// A real collection, so freed memory returns to the OS within the stage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let session: MetricsSession | undefined;
let stderr: StderrCapture | undefined;
afterEach(async () => {
  vi.useRealTimers();
  stderr?.restore();
  stderr = undefined;
  await session?.close();
  session = undefined;
});

function thresholdEvents(span: ReadableSpan) {
  return span.events.filter((e) => e.name === 'memory.threshold').map((e) => e.attributes ?? {});
}

/** Thresholds just above the current RSS, so ~200 MB more crosses both. */
function lowThresholds() {
  gc();
  const baseMb = Math.ceil(process.memoryUsage.rss() / MB);
  return { warningMb: baseMb + 60, criticalMb: baseMb + 140 };
}

describe('memory thresholds during a stage', () => {
  it('an async stage allocating ~200 MB in chunks yields one event per crossing, log lines and counts', async () => {
    const thresholds = lowThresholds();
    // The sampler's clock is faked: each tick samples the real RSS, deterministically.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    session = startMetricsSession({ console: true, colors: false, memory: { intervalMs: 20, ...thresholds } });
    stderr = captureStderr();
    let held: Buffer[] = [];
    await traceMonth('2024-05', () =>
      traceStage('load', async () => {
        for (let i = 0; i < 25; i++) {
          held.push(Buffer.alloc(CHUNK, 1));
          await vi.advanceTimersByTimeAsync(20);
        }
        // Hover at the top for many samples: still one event per crossing.
        await vi.advanceTimersByTimeAsync(200);
        held = [];
        gc();
        // The OS takes the freed memory back on its own time: wait for that (bounded), then sample.
        const deadline = performance.now() + 10_000;
        while (process.memoryUsage.rss() > (thresholds.criticalMb - 40) * MB && performance.now() < deadline) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        await vi.advanceTimersByTimeAsync(300);
      }),
    );
    vi.useRealTimers();
    stderr.restore();

    const stage = session.spanNamed('load');
    const events = thresholdEvents(stage);
    const ups = events.filter((e) => e['memory.direction'] === 'up');
    expect(ups).toEqual([
      expect.objectContaining({ 'memory.threshold.level': 'warning', 'memory.threshold_bytes': thresholds.warningMb * MB }),
      expect.objectContaining({ 'memory.threshold.level': 'critical', 'memory.threshold_bytes': thresholds.criticalMb * MB }),
    ]);
    expect(ups[1]?.['memory.rss_bytes'] as number).toBeGreaterThanOrEqual(thresholds.criticalMb * MB);
    const downs = events.filter((e) => e['memory.direction'] === 'down');
    expect(downs.filter((e) => e['memory.threshold_bytes'] === thresholds.criticalMb * MB)).toHaveLength(1);
    expect(downs.filter((e) => e['memory.threshold_bytes'] === thresholds.warningMb * MB).length).toBeLessThanOrEqual(1);
    // The month span, open throughout, carries the same events.
    expect(thresholdEvents(session.spanNamed('month'))).toEqual(events);

    // The peak is the top of the allocation, though the stage ended after freeing it.
    const peak = (stage.attributes['stagetrace.memory.rss_peak_bytes'] as number) / MB;
    const end = (stage.attributes['stagetrace.memory.rss_end_bytes'] as number) / MB;
    expect(peak).toBeGreaterThanOrEqual(thresholds.criticalMb);
    expect(peak - end).toBeGreaterThan(100);

    const lines = stderr.lines();
    expect(lines.filter((l) => l.includes('WARNING') && l.includes('Memory warning: RSS'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('CRITICAL') && l.includes('Memory critical: RSS'))).toHaveLength(1);

    const crossings = metric(await session.collect(), 'stagetrace.memory.threshold_crossings');
    expect(crossings.descriptor.unit).toBe('{crossing}');
    const count = (level: string, direction: string) =>
      (crossings.dataPoints as { attributes: Record<string, unknown>; value: number }[]).find(
        (p) => p.attributes['memory.threshold.level'] === level && p.attributes['memory.direction'] === direction,
      )?.value;
    expect(count('warning', 'up')).toBe(1);
    expect(count('critical', 'up')).toBe(1);
    expect(count('warning', 'down')).toBe(1);
  });

  it('a synchronous stage, which blocks the sampler, still gets its events from the sample at its end', async () => {
    const thresholds = lowThresholds();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    session = startMetricsSession({ memory: { intervalMs: 20, ...thresholds } });
    vi.advanceTimersByTime(50);
    const kept = traceStage('load-sync', () => {
      const buffers: Buffer[] = [];
      for (let i = 0; i < 25; i++) buffers.push(Buffer.alloc(CHUNK, 1));
      return buffers;
    });
    const stage = session.spanNamed('load-sync');
    const ups = thresholdEvents(stage).filter((e) => e['memory.direction'] === 'up');
    expect(ups.map((e) => e['memory.threshold.level'])).toEqual(['warning', 'critical']);
    expect(stage.attributes['stagetrace.memory.rss_peak_bytes'] as number).toBeGreaterThanOrEqual(thresholds.criticalMb * MB);
    const state = metric(await session.collect(), 'stagetrace.memory.state');
    expect(state.dataPoints[0]?.value).toBe(2);
    expect(kept).toHaveLength(25);
  });
});
