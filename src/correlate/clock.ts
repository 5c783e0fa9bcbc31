// Guest/host clock estimation from causal pairs in both directions (minimum-delay envelope, convex-hull style).
import type { GuestTime, HostTime } from '../records/index.js';

/**
 * The relation guest = host + offset + drift · (host − refHost), estimated from events that cross
 * the VM boundary. `bandNs` is half the width of the band of lines consistent with every causal
 * bound at the estimated slope. `uncertaintyNs` is the same from `estimate()`; `withReach` (what
 * summaries and reports give) widens it to how far from offsetNs the relation at refHost can be on
 * any such line whatever its slope, so the true relation lies within offsetNs ± uncertaintyNs when
 * the bounds are right. A negative width means the bounds contradict each other (wrong pairs or a
 * clock step).
 */
export interface ClockEstimate {
  /** guest − host at refHost (ns). */
  offsetNs: number;
  /** Rate difference in parts per million (guest runs faster when positive). */
  driftPpm: number;
  /** How far the offset at refHost can be from offsetNs (ns; see above); negative if inconsistent. */
  uncertaintyNs: number;
  /** Half the width of the band the bounds leave at the estimated slope (ns); negative if inconsistent. */
  bandNs: number;
  /** Host time the offset refers to. */
  refHost: HostTime;
  /** Number of bounds (after bucketing) in each direction. */
  samples: { guestToHost: number; hostToGuest: number };
  /** False when the bounds contradict each other. */
  consistent: boolean;
  /**
   * The drifts every bound allows (ppm, within ±1000), from `withReach`: short runs leave the slope
   * open (a few ms of samples fix the offset long before the rate), and driftPpm is then one of many.
   */
  driftRangePpm?: { min: number; max: number };
}

/** Maps a host time to the guest clock with an estimate. */
export function hostToGuest(est: ClockEstimate, h: HostTime): GuestTime {
  return (h + est.offsetNs + (est.driftPpm * 1e-6) * (h - est.refHost)) as GuestTime;
}

/** Maps a guest time to the host clock with an estimate (inverse of hostToGuest). */
export function guestToHost(est: ClockEstimate, g: GuestTime): HostTime {
  const beta = est.driftPpm * 1e-6;
  return ((g - est.offsetNs + beta * est.refHost) / (1 + beta)) as HostTime;
}

/** Width of the host-time buckets in which only the tightest bound is kept (like NTP's clock filter). */
const DEFAULT_BUCKET_NS = 1_000_000;
/** Buckets kept per direction; past this the bucket width doubles, so memory and estimate cost stay bounded. */
const DEFAULT_MAX_BUCKETS = 1024;
/** Drift search range, and the largest drift a clock is taken to have: real oscillators are within a few hundred ppm; 1000 leaves margin. */
export const MAX_DRIFT = 1e-3;

/** The tightest bound per host-time bucket, in bucket order, for one direction (exported for its tests). */
export class BoundSeries {
  /** Bucket index, host time and bound of each kept point, sorted by bucket. */
  private keys: number[] = [];
  private hs: number[] = [];
  private bs: number[] = [];
  /** Sum of the kept points' host times less `ref` (whole numbers, so exact): meanX without a pass. */
  private sumX = 0;
  private ref = 0;
  /**
   * The hull of every kept point but the last (x relative to `ref`), extended as points come:
   * only the last bucket's bound changes as bounds arrive in time order, so the hull of those
   * before it is built once, not at every estimate. Anything else (a bound for an earlier
   * bucket, coarsening) rebuilds it at the next `hull`.
   */
  private hullX: number[] = [];
  private hullY: number[] = [];
  /** Points hullX/hullY cover, from the first. */
  private hullOf = 0;

  /** `sign` +1 keeps the largest bound per bucket (lower bounds), -1 the smallest (upper bounds). */
  constructor(private width: number, private readonly cap: number, private readonly sign: 1 | -1) {}

  get size(): number {
    return this.keys.length;
  }

  /** Takes bound `b` at host time `h`; `ref` is the estimator's reference time (the same at every call). */
  add(h: number, b: number, ref: number): void {
    this.ref = ref;
    const k = Math.floor(h / this.width);
    const n = this.keys.length;
    // Bounds come in roughly time order: the last bucket or a new one, almost always.
    let i = n;
    if (n > 0 && this.keys[n - 1] === k) i = n - 1;
    else if (n > 0 && this.keys[n - 1]! > k) {
      let lo = 0, hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.keys[mid]! < k) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    if (i < n && this.keys[i] === k) {
      if ((b - this.bs[i]!) * this.sign > 0) {
        this.sumX += h - this.hs[i]!;
        this.hs[i] = h;
        this.bs[i] = b;
        if (i < this.hullOf) this.hullOf = 0;
      }
      return;
    }
    this.sumX += h - ref;
    if (i === n) (this.keys.push(k), this.hs.push(h), this.bs.push(b));
    else {
      this.keys.splice(i, 0, k), this.hs.splice(i, 0, h), this.bs.splice(i, 0, b);
      if (i < this.hullOf) this.hullOf = 0;
    }
    if (this.keys.length > this.cap) this.coarsen();
  }

  /** Doubles the bucket width, keeping the tighter bound of each merged pair. */
  private coarsen(): void {
    this.width *= 2;
    const keys: number[] = [], hs: number[] = [], bs: number[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      const k = Math.floor(this.hs[i]! / this.width);
      const last = keys.length - 1;
      if (last >= 0 && keys[last] === k) {
        if ((this.bs[i]! - bs[last]!) * this.sign > 0) (hs[last] = this.hs[i]!), (bs[last] = this.bs[i]!);
      } else (keys.push(k), hs.push(this.hs[i]!), bs.push(this.bs[i]!));
    }
    this.keys = keys;
    this.hs = hs;
    this.bs = bs;
    this.sumX = 0;
    for (const h of hs) this.sumX += h - this.ref;
    this.hullOf = 0;
  }

  /** Host time from the first kept point to the last. */
  get span(): number {
    return this.hs.length ? this.hs[this.hs.length - 1]! - this.hs[0]! : 0;
  }

  /** Mean bound of the kept points. */
  meanY(): number {
    let sum = 0;
    for (const b of this.bs) sum += b;
    return sum / this.bs.length;
  }

  /** Mean host time of the kept points, relative to `ref` (the estimator's). */
  meanX(ref: number): number {
    return (this.sumX + (this.ref - ref) * this.hs.length) / this.hs.length;
  }

  /**
   * The points that can bind a line (x relative to `ref`, the estimator's): for lower bounds the
   * upper convex hull, for upper bounds the lower one. Only these decide the band for any slope.
   * The arrays are fresh: the caller may keep them.
   */
  hull(ref: number): { x: number[]; y: number[] } {
    const n = this.hs.length;
    if (this.hullOf === 0 || ref !== this.ref) (this.hullX.length = 0), (this.hullY.length = 0), (this.hullOf = 0);
    const hx = this.hullX, hy = this.hullY;
    for (let i = this.hullOf; i < n - 1; i++) this.extend(hx, hy, this.hs[i]! - ref, this.bs[i]!);
    if (n > 0) this.hullOf = n - 1;
    const x = hx.slice(), y = hy.slice();
    if (n > 0) this.extend(x, y, this.hs[n - 1]! - ref, this.bs[n - 1]!);
    return { x, y };
  }

  /** One step of the monotone chain: (px, py) joins the hull in x, y, dropping what it covers. */
  private extend(x: number[], y: number[], px: number, py: number): void {
    while (x.length >= 2) {
      const ax = x[x.length - 2]!, ay = y[y.length - 2]!, bx = x[x.length - 1]!, by = y[y.length - 1]!;
      const cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
      if (cross * this.sign >= 0) (x.pop(), y.pop());
      else break;
    }
    x.push(px);
    y.push(py);
  }
}

/**
 * The hull edge over `mean` (x sorted): its slope and its height at `mean`, or undefined for a hull
 * of one point. That edge's line is the one on the hull's side of every point with the least
 * summed distance to them, and its height at the points' mean x less their mean y is that mean distance.
 */
function envelopeLine(x: readonly number[], y: readonly number[], mean: number): { slope: number; at: number } | undefined {
  if (x.length < 2) return undefined;
  let i = 0;
  while (i < x.length - 2 && x[i + 1]! < mean) i++;
  const dx = x[i + 1]! - x[i]!;
  if (!(dx > 0)) return undefined;
  const slope = (y[i + 1]! - y[i]!) / dx;
  return { slope, at: y[i]! + slope * (mean - x[i]!) };
}

/**
 * Collects causal bounds and estimates the clock relation, updatable as a run goes on.
 *
 * A guest→host event (guest notify at g, host exit at h) says guest−host at h is ≥ g − h
 * (the exit cannot precede the notify). A host→guest event (injection at h, guest handler at g)
 * says guest−host at h is ≤ g − h. The estimate is the line θ(h) = α + β·(h − ref): β is an
 * envelope's slope where its samples' mean time lies (the guest→host envelope's when the bounds
 * allow it), and α the middle of the band the bounds leave at that slope. Each envelope slope is that of the line on its side of every bound
 * with the least summed distance to them (Moon, Skelly, Towsley, "Estimation and removal of clock
 * skew from network delay measurements", INFOCOM 1999): it rests on all the points, where the
 * widest-band slope rests on a few extreme ones and tilts when tight bounds are sparse. When the
 * envelopes disagree, β is the slope with the widest band (for a slope the feasible α form an
 * interval whose width is concave in β: a ternary search finds it). Only the tightest bound per
 * host-time bucket is kept, and only the convex hull of those can bind, so memory and the cost
 * of an estimate stay bounded however long the run.
 */
export class ClockEstimator {
  private readonly lower: BoundSeries;
  private readonly upper: BoundSeries;
  private ref: number | undefined;

  constructor(bucketNs = DEFAULT_BUCKET_NS, maxBuckets = DEFAULT_MAX_BUCKETS) {
    this.lower = new BoundSeries(bucketNs, maxBuckets, 1);
    this.upper = new BoundSeries(bucketNs, maxBuckets, -1);
  }

  /** A guest event at `g` that caused a host event at `h` (e.g. guest kick → kvm_fast_mmio). */
  guestToHost(g: GuestTime, h: HostTime): void {
    if (this.ref === undefined) this.ref = h;
    this.lower.add(h, g - h, this.ref);
  }

  /** A host event at `h` that caused a guest event at `g` (e.g. kvm_apic_accept_irq → vring_interrupt). */
  hostToGuest(h: HostTime, g: GuestTime): void {
    if (this.ref === undefined) this.ref = h;
    this.upper.add(h, g - h, this.ref);
  }

  /** True when both directions have at least one bound. */
  ready(): boolean {
    return this.lower.size > 0 && this.upper.size > 0;
  }

  /** Host time covered by the bounds of the direction with the shorter cover (ns). */
  get span(): number {
    return Math.min(this.lower.span, this.upper.span);
  }

  /** Bounds kept (after bucketing) in each direction. */
  get samples(): { guestToHost: number; hostToGuest: number } {
    return { guestToHost: this.lower.size, hostToGuest: this.upper.size };
  }

  /**
   * The hulls of both directions' bounds relative to `ref`, the band of offsets they leave at a
   * slope (lo(beta) = max(ly - beta*lx), hi(beta) = min(uy - beta*ux)), its width, and the time
   * the bounds span (for how finely a slope must be resolved).
   */
  private envelopes(ref: number) {
    const { x: lx, y: ly } = this.lower.hull(ref);
    const { x: ux, y: uy } = this.upper.hull(ref);
    const band = (beta: number): [number, number] => {
      let lo = -Infinity, hi = Infinity;
      for (let i = 0; i < lx.length; i++) lo = Math.max(lo, ly[i]! - beta * lx[i]!);
      for (let i = 0; i < ux.length; i++) hi = Math.min(hi, uy[i]! - beta * ux[i]!);
      return [lo, hi];
    };
    const width = (beta: number): number => {
      const [lo, hi] = band(beta);
      return hi - lo;
    };
    let span = 1;
    for (const v of lx) span = Math.max(span, Math.abs(v));
    for (const v of ux) span = Math.max(span, Math.abs(v));
    return { lx, ly, ux, uy, band, width, span };
  }

  /**
   * `est` (an estimate of this estimator) with the uncertainty that holds whatever the slope: the
   * band is at the estimated slope, but the true relation has the true slope, which the bounds may
   * leave open (short runs of loose pairs). Over the slopes the band is not empty at (width is
   * concave in the slope, so they are one interval around the estimate's) the offset at refHost
   * can be anywhere from the lowest lower edge to the highest upper edge (lo is convex in the
   * slope, hi concave): uncertaintyNs is how far that reaches from offsetNs. For reports: the
   * searches cost a twentieth of stitching made at every estimate, and matching uses the band.
   */
  withReach(est: ClockEstimate): ClockEstimate {
    if (!this.ready() || this.ref === undefined || !est.consistent) return est;
    const ref = this.ref;
    const { band, width, span } = this.envelopes(ref);
    const beta = est.driftPpm * 1e-6;
    // The estimate's own offset, moved to this estimator's reference time.
    const offsetNs = est.offsetNs + beta * (ref - est.refHost);
    const [lo, hi] = band(beta);
    if (!(hi >= lo) || span <= 1) return est;
    const edge = (inside: number, outside: number): number => {
      while (Math.abs(outside - inside) * span > 0.01) {
        const m = (inside + outside) / 2;
        if (width(m) >= 0) inside = m;
        else outside = m;
      }
      return inside;
    };
    const left = width(-MAX_DRIFT) >= 0 ? -MAX_DRIFT : edge(beta, -MAX_DRIFT);
    const right = width(MAX_DRIFT) >= 0 ? MAX_DRIFT : edge(beta, MAX_DRIFT);
    /** The largest of a concave function over [left, right]. */
    const extreme = (f: (b: number) => number): number => {
      let a = left, b = right;
      while ((b - a) * span > 0.01) {
        const m1 = a + (b - a) / 3, m2 = b - (b - a) / 3;
        if (f(m1) < f(m2)) a = m1;
        else b = m2;
      }
      return f((a + b) / 2);
    };
    const lowest = -extreme((b) => -band(b)[0]);
    const highest = extreme((b) => band(b)[1]);
    return {
      ...est, uncertaintyNs: Math.max(est.uncertaintyNs, offsetNs - lowest, highest - offsetNs),
      driftRangePpm: { min: Math.min(left, beta) * 1e6, max: Math.max(right, beta) * 1e6 },
    };
  }

  /** The current estimate, or undefined until both directions have bounds. */
  estimate(): ClockEstimate | undefined {
    if (!this.ready() || this.ref === undefined) return undefined;
    const ref = this.ref;
    const { lx, ly, ux, uy, band, width, span } = this.envelopes(ref);
    // Envelope slopes, in order of trust: the tighter side's (its bounds nearer its line on the
    // whole: delays that often reach their minimum, as notify exits ~1 us after the doorbell
    // write do; a saturated iothread leaves the guest nearly no kicks, every guest→host bound
    // then being a request's wait in the avail ring, while the guest's handler reaps at once),
    // the mean of both, the other side's. The first the bounds leave a band at is used.
    const lowerLine = envelopeLine(lx, ly, this.lower.meanX(ref));
    const upperLine = envelopeLine(ux, uy, this.upper.meanX(ref));
    const lowerSlope = lowerLine?.slope, upperSlope = upperLine?.slope;
    const mean = lowerSlope !== undefined && upperSlope !== undefined ? (lowerSlope + upperSlope) / 2 : undefined;
    const upperTighter = lowerLine !== undefined && upperLine !== undefined && this.upper.meanY() - upperLine.at < lowerLine.at - this.lower.meanY();
    const slopes = upperTighter ? [upperSlope, mean, lowerSlope] : [lowerSlope, mean, upperSlope];
    let beta = 0;
    let best = -Infinity;
    for (const v of slopes) {
      if (v === undefined || Math.abs(v) > MAX_DRIFT) continue;
      best = width(v);
      beta = v;
      if (best >= 0) break;
    }
    if (span <= 1) beta = 0; // a single time point on each side: the slope is not determined
    else if (best < 0) {
      let a = -MAX_DRIFT, b = MAX_DRIFT;
      // Stop when the slope is resolved to well under a nanosecond across the span of the samples.
      while ((b - a) * span > 0.01) {
        const m1 = a + (b - a) / 3, m2 = b - (b - a) / 3;
        if (width(m1) < width(m2)) a = m1;
        else b = m2;
      }
      beta = (a + b) / 2;
    }
    const [lo, hi] = band(beta);
    const offsetNs = (lo + hi) / 2;
    return {
      offsetNs,
      driftPpm: beta * 1e6,
      uncertaintyNs: (hi - lo) / 2,
      bandNs: (hi - lo) / 2,
      refHost: ref as HostTime,
      samples: this.samples,
      consistent: hi >= lo,
    };
  }
}
