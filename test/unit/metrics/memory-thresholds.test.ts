import { describe, expect, it } from 'vitest';
import { availableMemoryBytes, hysteresisBytes, resolveThresholds } from '../../../src/metrics/memory-limits.js';
import { ThresholdTracker } from '../../../src/metrics/memory-thresholds.js';

const MB = 1024 * 1024;
const GB = 1024 * MB;

describe('available memory', () => {
  it('uses the container limit when one is set below physical memory', () => {
    expect(availableMemoryBytes(2 * GB, 16 * GB)).toBe(2 * GB);
  });

  it('falls back to physical memory when there is no limit (0, undefined or a huge number)', () => {
    expect(availableMemoryBytes(0, 16 * GB)).toBe(16 * GB);
    expect(availableMemoryBytes(undefined, 16 * GB)).toBe(16 * GB);
    expect(availableMemoryBytes(2 ** 64, 16 * GB)).toBe(16 * GB);
  });
});

describe('threshold defaults', () => {
  it('are 70 % and 90 % of the available memory', () => {
    const t = resolveThresholds(undefined, undefined, 10 * GB);
    expect(t.warningBytes).toBe(Math.round(7 * GB));
    expect(t.criticalBytes).toBe(Math.round(9 * GB));
  });

  it('take the given values in MB', () => {
    const t = resolveThresholds(500, 800, 10 * GB);
    expect(t.warningBytes).toBe(500 * MB);
    expect(t.criticalBytes).toBe(800 * MB);
  });

  it('never invert when only one is given', () => {
    const onlyCritical = resolveThresholds(undefined, 900, 10 * GB);
    expect(onlyCritical.criticalBytes).toBe(900 * MB);
    expect(onlyCritical.warningBytes).toBe(700 * MB);
    const onlyWarning = resolveThresholds(9500, undefined, 10 * GB);
    expect(onlyWarning.warningBytes).toBe(9500 * MB);
    expect(onlyWarning.criticalBytes).toBeGreaterThan(9500 * MB);
  });

  it('re-arm 5 % below the threshold, at least 32 MB', () => {
    expect(hysteresisBytes(100 * MB)).toBe(32 * MB);
    expect(hysteresisBytes(10 * GB)).toBe(0.05 * 10 * GB);
  });
});

describe('threshold crossings', () => {
  const tracker = () => new ThresholdTracker({ warningBytes: 1000 * MB, criticalBytes: 2000 * MB, availableBytes: 4 * GB });

  it('reports nothing while below the warning threshold', () => {
    const t = tracker();
    expect(t.update(10 * MB)).toEqual([]);
    expect(t.update(999 * MB)).toEqual([]);
    expect(t.level).toBe('ok');
  });

  it('reports one crossing for a value hovering at the line', () => {
    const t = tracker();
    const all = [1000, 999, 1001, 990, 1000, 980, 1005].flatMap((mb) => t.update(mb * MB));
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ level: 'warning', direction: 'up', threshold: 'warning', thresholdBytes: 1000 * MB });
  });

  it('re-arms only after falling clearly below, then reports the next real crossing', () => {
    const t = tracker();
    t.update(1100 * MB);
    // 1000 - 50 (5 %) = 950 MB: 960 does not re-arm, 940 does.
    expect(t.update(960 * MB)).toEqual([]);
    expect(t.level).toBe('warning');
    const down = t.update(940 * MB);
    expect(down).toEqual([expect.objectContaining({ level: 'ok', direction: 'down', threshold: 'warning' })]);
    expect(t.update(1000 * MB)).toEqual([expect.objectContaining({ level: 'warning', direction: 'up' })]);
  });

  it('reports both crossings, lower first, when one jump passes both thresholds', () => {
    const t = tracker();
    const up = t.update(2500 * MB);
    expect(up.map((c) => [c.level, c.direction])).toEqual([
      ['warning', 'up'],
      ['critical', 'up'],
    ]);
    expect(t.level).toBe('critical');
    const down = t.update(100 * MB);
    expect(down.map((c) => [c.level, c.direction, c.threshold])).toEqual([
      ['warning', 'down', 'critical'],
      ['ok', 'down', 'warning'],
    ]);
    expect(t.level).toBe('ok');
  });

  it('steps down from critical to warning while still above the warning threshold', () => {
    const t = tracker();
    t.update(2100 * MB);
    expect(t.update(1950 * MB)).toEqual([]);
    expect(t.update(1500 * MB)).toEqual([expect.objectContaining({ level: 'warning', direction: 'down', thresholdBytes: 2000 * MB })]);
    expect(t.level).toBe('warning');
  });
});
