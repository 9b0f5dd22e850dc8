import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurationSketch } from '../../../src/stats/duration-sketch.js';

const ALPHA = DurationSketch.RELATIVE_ERROR;

/** The value the sketch promises to approximate: rank ⌊q · (n − 1)⌋ of the sorted values. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

function sketchOf(values: number[]): DurationSketch {
  const sketch = new DurationSketch();
  for (const v of values) sketch.add(v);
  return sketch;
}

// Durations as the summary records them: whole microseconds from 0 to about 11 days, plus exact zeros.
const duration = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 1_000_000_000_000 }).map((us) => us / 1e6),
  fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
);
const quantile = fc.oneof(fc.constantFrom(0, 0.5, 0.95, 0.99, 1), fc.double({ min: 0, max: 1, noNaN: true }));

describe('DurationSketch', () => {
  it('is empty until a value is added', () => {
    const sketch = new DurationSketch();
    expect(sketch.count).toBe(0);
    expect(sketch.quantile(0.5)).toBe(0);
    expect(sketch.min).toBe(0);
    expect(sketch.max).toBe(0);
  });

  it('returns every quantile within its stated relative error', () => {
    fc.assert(
      fc.property(fc.array(duration, { minLength: 1, maxLength: 400 }), quantile, (values, q) => {
        const exact = exactQuantile(values, q);
        const estimate = sketchOf(values).quantile(q);
        if (exact === 0) expect(estimate).toBe(0);
        else expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(ALPHA * (1 + 1e-9));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps min, max and count exact', () => {
    fc.assert(
      fc.property(fc.array(duration, { minLength: 1, maxLength: 200 }), (values) => {
        const sketch = sketchOf(values);
        expect(sketch.count).toBe(values.length);
        expect(sketch.min).toBe(Math.min(...values));
        expect(sketch.max).toBe(Math.max(...values));
        expect(sketch.quantile(0)).toBe(sketch.min);
        expect(sketch.quantile(1)).toBe(sketch.max);
      }),
    );
  });

  it('gives the same answers whatever the order of the values', () => {
    fc.assert(
      fc.property(
        fc
          .array(duration, { minLength: 1, maxLength: 200 })
          .chain((v) => fc.tuple(fc.constant(v), fc.shuffledSubarray(v, { minLength: v.length }))),
        ([values, shuffled]) => {
          const a = sketchOf(values);
          const b = sketchOf(shuffled);
          for (const q of [0, 0.1, 0.5, 0.9, 0.95, 0.99, 1]) expect(b.quantile(q)).toBe(a.quantile(q));
        },
      ),
    );
  });

  it('merges exactly: two sketches merged answer as one sketch of all the values', () => {
    fc.assert(
      fc.property(fc.array(duration, { maxLength: 200 }), fc.array(duration, { maxLength: 200 }), (left, right) => {
        const merged = sketchOf(left);
        merged.merge(sketchOf(right));
        const whole = sketchOf([...left, ...right]);
        expect(merged.count).toBe(whole.count);
        expect(merged.min).toBe(whole.min);
        expect(merged.max).toBe(whole.max);
        for (const q of [0, 0.25, 0.5, 0.75, 0.95, 0.99, 1]) expect(merged.quantile(q)).toBe(whole.quantile(q));
      }),
    );
  });

  it('holds a bounded number of buckets however many values it records', () => {
    const sketch = new DurationSketch();
    let x = 0x9e3779b9;
    for (let i = 0; i < 200_000; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      sketch.add(1e-6 * 1e12 ** (x / 2 ** 32)); // log-uniform over 1 µs … 11.6 days
    }
    // ln(1e12) / ln(γ) buckets span that range, plus the growth slack at both ends.
    const span = Math.ceil(Math.log(1e12) / Math.log((1 + ALPHA) / (1 - ALPHA)));
    expect(sketch.bucketCount).toBeLessThanOrEqual(span + 2 * 16 + 2);
    expect(sketch.count).toBe(200_000);
  });

  it('ignores NaN and counts negative values as zero', () => {
    const sketch = sketchOf([Number.NaN, -1, 2]);
    expect(sketch.count).toBe(2);
    expect(sketch.quantile(0)).toBe(0);
    expect(sketch.quantile(1)).toBe(2);
  });
});
