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

/** Bucket index of a non-negative integer value (ns). */
function bucketOf(v: number): number {
  if (v < SUB_COUNT) return v < 0 ? 0 : Math.floor(v);
  const e = Math.min(Math.floor(Math.log2(v)), MAX_EXP);
  // Math.log2 can round up at exact powers of two minus a little; fix the exponent.
  const exp = v < 2 ** e ? e - 1 : e;
  const sub = Math.min(Math.floor(v / 2 ** (exp - SUB_BITS)) - SUB_COUNT, SUB_COUNT - 1);
  return (exp - SUB_BITS + 1) * SUB_COUNT + sub;
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
    this.counts[bucketOf(ns)]++;
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
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** Removes all samples. */
  reset(): void {
    this.counts.fill(0);
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
   * Number of samples below 2^k ns. Exact, because powers of two are bucket boundaries (this is
   * what Prometheus `le` buckets at 2^k ns use).
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
