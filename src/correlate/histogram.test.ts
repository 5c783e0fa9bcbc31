// LatencyHistogram: quantiles within the stated bound against exact order statistics, merging, log2 buckets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HISTOGRAM_RELATIVE_ERROR, LatencyHistogram } from './histogram.js';

/** Nearest-rank quantile of sorted values. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

describe('LatencyHistogram', () => {
  it('reports quantiles within the relative error bound of the exact ones', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 400 }),
        fc.constantFrom(0, 0.5, 0.9, 0.99, 0.999, 1),
        (values, q) => {
          const h = new LatencyHistogram();
          for (const v of values) h.record(v);
          const exact = exactQuantile([...values].sort((a, b) => a - b), q);
          const got = h.quantile(q);
          expect(Math.abs(got - exact)).toBeLessThanOrEqual(exact * HISTOGRAM_RELATIVE_ERROR + 0.5);
        },
      ),
    );
  });

  it('keeps count, sum, min, max and mean exact', () => {
    const h = new LatencyHistogram();
    for (const v of [5, 1_000, 250_000, 3]) h.record(v);
    expect([h.count, h.sum, h.min, h.max, h.mean()]).toEqual([4, 251_008, 3, 250_000, 62_752]);
    expect(h.quantile(0)).toBe(3);
    expect(h.quantile(1)).toBe(250_000);
  });

  it('merges into the same histogram as recording everything in one', () => {
    const values = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1_000_003);
    const whole = new LatencyHistogram();
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    values.forEach((v, i) => (whole.record(v), (i % 3 ? a : b).record(v)));
    a.merge(b);
    for (const q of [0.1, 0.5, 0.99, 0.999]) expect(a.quantile(q)).toBe(whole.quantile(q));
    expect([a.count, a.sum, a.min, a.max]).toEqual([whole.count, whole.sum, whole.min, whole.max]);
  });

  it('groups into power-of-two buckets like biolatency', () => {
    const h = new LatencyHistogram();
    for (const v of [1, 2, 3, 4, 1023, 1024, 1500]) h.record(v);
    const b = h.log2Buckets();
    expect(b[0]).toBe(1); // 1
    expect(b[1]).toBe(2); // 2, 3
    expect(b[2]).toBe(1); // 4
    expect(b[9]).toBe(1); // 1023
    expect(b[10]).toBe(2); // 1024, 1500
  });

  it('puts every power of two on a bucket boundary, below and above 2^31 ns', () => {
    for (let k = 7; k <= 44; k++) {
      const h = new LatencyHistogram();
      for (const v of [2 ** k - 1, 2 ** k, 2 ** k + 1, 2 ** k - 0.5]) h.record(v);
      expect(h.countBelowPow2(k)).toBe(2);
      expect(h.countBelowPow2(k + 1)).toBe(4);
    }
  });

  it('counts samples at most 2^k exactly: one at 2^k is in, one a fraction above is not, below and above 2^31 ns', () => {
    for (let k = 0; k <= 44; k++) {
      const h = new LatencyHistogram();
      for (const v of [2 ** k - 0.5, 2 ** k, 2 ** k + 0.25, 2 ** k + 1]) h.record(v);
      expect(h.countAtMostPow2(k), `2^${k}`).toBe(2);
      expect(h.countAtMostPow2(k + 1), `2^${k + 1}`).toBe(4);
    }
  });

  it('counts at most 2^k as a direct count does, after merging too', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }).map((k) => 2 ** k), fc.double({ min: 0, max: 2 ** 40, noNaN: true })), { maxLength: 200 }),
        (values) => {
          const a = new LatencyHistogram();
          const b = new LatencyHistogram();
          values.forEach((v, i) => (i % 2 ? a : b).record(v));
          a.merge(b);
          for (let k = 0; k <= 41; k++) expect(a.countAtMostPow2(k)).toBe(values.filter((v) => v <= 2 ** k).length);
          a.reset();
          expect(a.countAtMostPow2(41)).toBe(0);
        },
      ),
    );
  });

  it('saturates values past 2^45 ns into the top bucket, keeping max exact', () => {
    const h = new LatencyHistogram();
    h.record(2 ** 50);
    h.record(2 ** 46 + 12345);
    expect(h.countBelowPow2(44)).toBe(0);
    expect(h.max).toBe(2 ** 50);
    expect(h.quantile(1)).toBe(2 ** 50);
  });

  it('returns NaN quantiles when empty', () => {
    expect(new LatencyHistogram().quantile(0.5)).toBeNaN();
  });
});
