// The generator's distributions: the ziggurat's normal against the standard normal's CDF, its tail, and independence of draws.
import { describe, expect, it } from 'vitest';
import { Rng } from './random.js';

/** The standard normal CDF, through erf (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

const N = 400_000;

function draws(seed: number): Float64Array {
  const r = new Rng(seed);
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) out[i] = r.normal();
  return out;
}

describe('Rng.normal (ziggurat)', () => {
  const z = draws(7);

  it('follows the standard normal: Kolmogorov-Smirnov distance under the 1% critical value', () => {
    const sorted = Float64Array.from(z).sort();
    let d = 0;
    for (let i = 0; i < N; i++) {
      const f = phi(sorted[i]!);
      d = Math.max(d, Math.abs(f - i / N), Math.abs((i + 1) / N - f));
    }
    expect(d).toBeLessThan(1.63 / Math.sqrt(N));
  });

  it('has mean 0 and variance 1', () => {
    let s = 0;
    let q = 0;
    for (const x of z) {
      s += x;
      q += x * x;
    }
    // Five standard errors: 1/sqrt(N) for the mean, sqrt(2/N) for the variance.
    expect(Math.abs(s / N)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(q / N - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
  });

  it('draws the tail past the base layer (|x| > 3.4426) as often as the normal has it, on both sides', () => {
    const p = 2 * (1 - phi(3.442619855899));
    let above = 0;
    let below = 0;
    for (const x of z) {
      if (x > 3.442619855899) above++;
      if (x < -3.442619855899) below++;
    }
    const expected = p * N;
    // About 230 expected: within five standard deviations (Poisson).
    expect(Math.abs(above + below - expected)).toBeLessThan(5 * Math.sqrt(expected));
    expect(Math.abs(above - below)).toBeLessThan(5 * Math.sqrt(expected));
    // And far past it, where only the tail sampler reaches.
    expect(z.some((x) => Math.abs(x) > 4)).toBe(true);
  });

  it('draws successive values independently: lag-1 correlation and sign runs as for independent draws', () => {
    let c = 0;
    for (let i = 1; i < N; i++) c += z[i]! * z[i - 1]!;
    expect(Math.abs(c / N)).toBeLessThan(5 / Math.sqrt(N));
    let runs = 1;
    for (let i = 1; i < N; i++) if ((z[i]! > 0) !== (z[i - 1]! > 0)) runs++;
    // Runs of signs of independent symmetric draws: mean N/2, sd sqrt(N)/2.
    expect(Math.abs(runs - N / 2)).toBeLessThan(5 * Math.sqrt(N) / 2);
  });

  it('gives the same values for the same seed', () => {
    expect(draws(7).slice(0, 1000)).toEqual(z.slice(0, 1000));
    expect(draws(8)[0]).not.toBe(z[0]);
  });

  it('log-normal: the median is the given median', () => {
    const r = new Rng(3);
    const v = Array.from({ length: 20_001 }, () => r.lognormal(1000, 0.5)).sort((a, b) => a - b);
    expect(v[10_000]! / 1000).toBeGreaterThan(0.98);
    expect(v[10_000]! / 1000).toBeLessThan(1.02);
  });
});
