// Seeded randomness for reproducible runs: a small fast generator and the distributions the latency models draw from.

/** sfc32 (Small Fast Counting generator): 128 bits of state, passes PractRand; seeded through splitmix32. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.uniform());
  }

  /**
   * Standard normal, by the ziggurat method (Marsaglia and Tsang, "The Ziggurat Method for
   * Generating Random Variables", J. Stat. Software 5(8), 2000), 128 layers: 98.8% of draws are
   * two integers, a compare and a multiply, where Box-Muller pays a log, a square root and a cosine
   * (the latency models draw about 19 a request). The layer and the value come from separate draws:
   * the paper's version takes both from one integer, which correlates them (Doornik, "An Improved
   * Ziggurat Method to Generate Normal Random Samples", 2005).
   */
  normal(): number {
    for (;;) {
      const layer = this.next() & 127;
      const h = this.next() | 0;
      const x = h * ZIG_W[layer]!;
      if (Math.abs(h) < ZIG_K[layer]!) return x;
      if (layer === 0) {
        // The base layer's tail past R, by Marsaglia's exponential rejection.
        let t: number;
        let y: number;
        do {
          t = -Math.log(1 - this.uniform()) / ZIG_R;
          y = -Math.log(1 - this.uniform());
        } while (y + y < t * t);
        return h > 0 ? ZIG_R + t : -ZIG_R - t;
      }
      // The wedge between the layer's rectangle and the curve.
      if (ZIG_F[layer]! + this.uniform() * (ZIG_F[layer - 1]! - ZIG_F[layer]!) < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /**
   * Log-normal with the given median and shape sigma: service times of devices and software paths
   * are right-skewed with a long tail, and log-normal fits measured latency distributions well.
   */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** An independent generator derived from this one (so adding draws in one model leaves others unchanged). */
  fork(salt: number): Rng {
    return new Rng((this.next() ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0);
  }
}

/** Where the ziggurat's base layer meets its tail (128 layers), and each layer's area. */
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;

/**
 * The ziggurat's tables, as the paper's zigset(): per layer, the bound below which |h| is inside
 * the rectangle (ZIG_K), the scale from a signed 32-bit integer to x (ZIG_W), and exp(-x^2/2) at
 * the layer's edge (ZIG_F).
 */
const ZIG_K = new Int32Array(128);
const ZIG_W = new Float64Array(128);
const ZIG_F = new Float64Array(128);
{
  const m = 2147483648;
  let d = ZIG_R;
  let t = d;
  const q = ZIG_V / Math.exp(-0.5 * d * d);
  ZIG_K[0] = Math.trunc((d / q) * m);
  ZIG_K[1] = 0;
  ZIG_W[0] = q / m;
  ZIG_W[127] = d / m;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * d * d);
  for (let i = 126; i >= 1; i--) {
    d = Math.sqrt(-2 * Math.log(ZIG_V / d + Math.exp(-0.5 * d * d)));
    ZIG_K[i + 1] = Math.trunc((d / t) * m);
    t = d;
    ZIG_F[i] = Math.exp(-0.5 * d * d);
    ZIG_W[i] = d / m;
  }
}
