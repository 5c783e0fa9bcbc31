// A mergeable log-linear latency histogram with a stated relative error bound, for unbounded streams.

/**
 * Sub-bucket bits per power of two. Each power-of-two range [2^e, 2^(e+1)) is split into 2^7 = 128
 * equal buckets, so a bucket is at most 1/128 of its lower bound wide. Quantiles are reported at
 * the bucket's midpoint, so any reported quantile is within 1/256 (0.39%) of a true sample value
 * of that rank. Values below 128 ns get exact buckets.
 */
const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS;
/** Largest exponent kept: 2^44 ns is about 4.9 hours; larger values saturate into the top bucket. */
const MAX_EXP = 44;
const BUCKETS = (MAX_EXP - SUB_BITS + 2) * SUB_COUNT;

/** The relative error bound of quantiles read from a LatencyHistogram. */
export const HISTOGRAM_RELATIVE_ERROR = 1 / (2 * SUB_COUNT);

/** 2^k for k in 0..63, so bucketing does no Math.pow. */
const POW2 = Array.from({ length: 64 }, (_, k) => 2 ** k);

/**
 * Bucket index of a non-negative value (ns). Integer arithmetic (count leading zeros) below 2^31 ns,
 * which is nearly every latency; it runs once per stage per statistics set per request.
 */
function bucketOf(v: number): number {
  if (v < SUB_COUNT) return v < 0 ? 0 : Math.floor(v);
  let exp: number;
  let top: number;
  if (v < 0x80000000) {
    const x = Math.floor(v) | 0;
    exp = 31 - Math.clz32(x);
    top = x >>> (exp - SUB_BITS);
  } else {
    const hi = Math.floor(v / 4294967296);
    exp = hi === 0 ? 31 : 63 - Math.clz32(hi);
    if (exp > MAX_EXP) exp = MAX_EXP;
    top = Math.floor(v / POW2[exp - SUB_BITS]!);
  }
  const sub = top - SUB_COUNT;
  return (exp - SUB_BITS + 1) * SUB_COUNT + (sub < SUB_COUNT ? sub : SUB_COUNT - 1);
}

/**
 * k if v is exactly 2^k ns for k in 0..MAX_EXP, else -1. Integer tests below 2^31 ns; above, a
 * power of two is still exact in a double, so comparing with POW2 is.
 */
function pow2Exponent(v: number): number {
  if (v < 0x80000000) {
    const x = v | 0;
    return x === v && x > 0 && (x & (x - 1)) === 0 ? 31 - Math.clz32(x) : -1;
  }
  if (!(v <= POW2[MAX_EXP]!)) return -1;
  const k = Math.round(Math.log2(v));
  return POW2[k] === v ? k : -1;
}

/** Lower bound and width of a bucket. */
function bucketRange(i: number): [number, number] {
  if (i < SUB_COUNT) return [i, 1];
  const exp = Math.floor(i / SUB_COUNT) + SUB_BITS - 1;
  const sub = i % SUB_COUNT;
  const width = 2 ** (exp - SUB_BITS);
  return [(SUB_COUNT + sub) * width, width];
}

/**
 * Counts of durations (ns) in log-linear buckets: fixed memory (about 40 KB) whatever the number of
 * samples, exact count/sum/min/max, quantiles within HISTOGRAM_RELATIVE_ERROR, and merge by
 * addition (so per-window histograms combine into sliding windows and whole-run figures).
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  /**
   * Samples exactly at 2^k ns, by k. The bucket starting at 2^k also holds values just above it,
   * so the buckets alone cannot say how many are <= 2^k (Prometheus `le`); these counts can.
   */
  private readonly atPow2 = new Float64Array(MAX_EXP + 1);
  /** Number of samples. */
  count = 0;
  /** Exact sum of samples (ns). */
  sum = 0;
  /** Smallest sample, Infinity when empty. */
  min = Infinity;
  /** Largest sample, -Infinity when empty. */
  max = -Infinity;

  /** Adds one sample (ns, >= 0). */
  record(ns: number): void {
    const i = bucketOf(ns);
    this.counts[i]++;
    // Only the first bucket of a power of two (or an exact small bucket) can hold one: one test per sample.
    if (i < SUB_COUNT || (i & (SUB_COUNT - 1)) === 0) {
      const k = pow2Exponent(ns);
      if (k >= 0) this.atPow2[k]++;
    }
    this.count++;
    this.sum += ns;
    if (ns < this.min) this.min = ns;
    if (ns > this.max) this.max = ns;
  }

  /** Adds every sample of `other` into this histogram. */
  merge(other: LatencyHistogram): void {
    const a = this.counts;
    const b = other.counts;
    for (let i = 0; i < BUCKETS; i++) a[i] += b[i];
    for (let k = 0; k <= MAX_EXP; k++) this.atPow2[k] += other.atPow2[k];
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** Removes all samples. */
  reset(): void {
    this.counts.fill(0);
    this.atPow2.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  /** Mean of the samples (ns), NaN when empty. */
  mean(): number {
    return this.count ? this.sum / this.count : NaN;
  }

  /**
   * The q-quantile (0..1) in ns, by the nearest-rank rule fio and HdrHistogram use: the value of
   * the sample of rank ceil(q * count). Clamped to [min, max] so p0 and p100 are exact. NaN when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    // The extremes are known exactly (and a saturated top bucket says nothing of its values).
    if (rank >= this.count) return this.max;
    if (rank === 1) return this.min;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const [lo, width] = bucketRange(i);
        const mid = width === 1 ? lo : lo + width / 2;
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  /**
   * Number of samples below 2^k ns (k in 0..44). Exact, because powers of two are bucket boundaries.
   */
  countBelowPow2(k: number): number {
    const limit = 2 ** k;
    let n = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const [lo] = bucketRange(i);
      if (lo >= limit) break;
      n += this.counts[i];
    }
    return n;
  }

  /**
   * Number of samples at most 2^k ns (k in 0..44), exactly: those below 2^k plus those exactly at
   * it. This is what a Prometheus bucket `le` = 2^k ns counts.
   */
  countAtMostPow2(k: number): number {
    return this.countBelowPow2(k) + (this.atPow2[k] ?? 0);
  }

  /**
   * Counts per power-of-two bucket, like biolatency's log2 histogram: entry k counts samples in
   * [2^k, 2^(k+1)) ns (entry 0 also holds 0 and 1).
   */
  log2Buckets(): number[] {
    const out: number[] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i];
      if (c === 0) continue;
      const [lo] = bucketRange(i);
      const k = lo < 2 ? 0 : Math.floor(Math.log2(lo));
      while (out.length <= k) out.push(0);
      out[k] += c;
    }
    return out;
  }
}
