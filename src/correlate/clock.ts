// Guest/host clock estimation from causal pairs in both directions (minimum-delay envelope, convex-hull style).
import type { GuestTime, HostTime } from '../records/index.js';

/**
 * The relation guest = host + offset + drift · (host − refHost), estimated from events that cross
 * the VM boundary. `uncertaintyNs` is half the width of the band of lines consistent with every
 * causal bound: the true relation at refHost lies within offsetNs ± uncertaintyNs when the bounds
 * are right. A negative width means the bounds contradict each other (wrong pairs or a clock step).
 */
export interface ClockEstimate {
  /** guest − host at refHost (ns). */
  offsetNs: number;
  /** Rate difference in parts per million (guest runs faster when positive). */
  driftPpm: number;
  /** Half the width of the feasible band at its widest (ns); negative if inconsistent. */
  uncertaintyNs: number;
  /** Host time the offset refers to. */
  refHost: HostTime;
  /** Number of bounds (after bucketing) in each direction. */
  samples: { guestToHost: number; hostToGuest: number };
  /** False when the bounds contradict each other. */
  consistent: boolean;
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
/** Drift search range: real oscillators are within a few hundred ppm; 1000 leaves margin. */
const MAX_DRIFT = 1e-3;

/**
 * Collects causal bounds and estimates the clock relation, updatable as a run goes on.
 *
 * A guest→host event (guest notify at g, host exit at h) says guest−host at h is ≥ g − h
 * (the exit cannot precede the notify). A host→guest event (injection at h, guest handler at g)
 * says guest−host at h is ≤ g − h. The estimate is the line θ(h) = α + β·(h − ref) with the widest
 * margin between the highest lower bounds and the lowest upper bounds: for a slope β the feasible
 * α form an interval whose width is concave in β, so a ternary search over β finds the best slope.
 * Only the tightest bound per host-time bucket is kept, which keeps memory bounded on long runs.
 */
export class ClockEstimator {
  private readonly lower = new Map<number, [number, number]>(); // bucket -> [h, bound]
  private readonly upper = new Map<number, [number, number]>();
  private ref: number | undefined;

  constructor(private readonly bucketNs = DEFAULT_BUCKET_NS) {}

  /** A guest event at `g` that caused a host event at `h` (e.g. guest kick → kvm_fast_mmio). */
  guestToHost(g: GuestTime, h: HostTime): void {
    this.keep(this.lower, h, g - h, (a, b) => a > b);
  }

  /** A host event at `h` that caused a guest event at `g` (e.g. kvm_apic_accept_irq → vring_interrupt). */
  hostToGuest(h: HostTime, g: GuestTime): void {
    this.keep(this.upper, h, g - h, (a, b) => a < b);
  }

  private keep(map: Map<number, [number, number]>, h: number, bound: number, tighter: (a: number, b: number) => boolean): void {
    if (this.ref === undefined) this.ref = h;
    const key = Math.floor(h / this.bucketNs);
    const cur = map.get(key);
    if (!cur || tighter(bound, cur[1])) map.set(key, [h, bound]);
  }

  /** True when both directions have at least one bound. */
  ready(): boolean {
    return this.lower.size > 0 && this.upper.size > 0;
  }

  /** The current estimate, or undefined until both directions have bounds. */
  estimate(): ClockEstimate | undefined {
    if (!this.ready() || this.ref === undefined) return undefined;
    const ref = this.ref;
    const lx: number[] = [], ly: number[] = [], ux: number[] = [], uy: number[] = [];
    for (const [h, b] of this.lower.values()) (lx.push(h - ref), ly.push(b));
    for (const [h, b] of this.upper.values()) (ux.push(h - ref), uy.push(b));
    // For slope beta: lo(beta) = max(ly - beta*lx), hi(beta) = min(uy - beta*ux).
    const band = (beta: number): [number, number] => {
      let lo = -Infinity, hi = Infinity;
      for (let i = 0; i < lx.length; i++) lo = Math.max(lo, ly[i] - beta * lx[i]);
      for (let i = 0; i < ux.length; i++) hi = Math.min(hi, uy[i] - beta * ux[i]);
      return [lo, hi];
    };
    const width = (beta: number): number => {
      const [lo, hi] = band(beta);
      return hi - lo;
    };
    let a = -MAX_DRIFT, b = MAX_DRIFT;
    const span = Math.max(1, ...lx.map(Math.abs), ...ux.map(Math.abs));
    // Stop when the slope is resolved to well under a nanosecond across the span of the samples.
    while ((b - a) * span > 0.01) {
      const m1 = a + (b - a) / 3, m2 = b - (b - a) / 3;
      if (width(m1) < width(m2)) a = m1;
      else b = m2;
    }
    // With a single time point on each side the slope is not determined: keep it at zero.
    const beta = span <= 1 ? 0 : (a + b) / 2;
    const [lo, hi] = band(beta);
    return {
      offsetNs: (lo + hi) / 2,
      driftPpm: beta * 1e6,
      uncertaintyNs: (hi - lo) / 2,
      refHost: ref as HostTime,
      samples: { guestToHost: lx.length, hostToGuest: ux.length },
      consistent: hi >= lo,
    };
  }
}
