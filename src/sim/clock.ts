// The guest's clock against the host's: guest = host + offset + drift * (host - t0), as on real machines.

/** How the guest's CLOCK_MONOTONIC relates to the host's. */
export interface ClockRelation {
  /** The host's CLOCK_MONOTONIC when the simulation starts (the host has been up a while). */
  hostStartNs: number;
  /** Guest minus host at host time t0, in ns. */
  offsetNs: number;
  /** Guest clock rate error, parts per million. */
  driftPpm: number;
  /** Host clock time the offset holds at. */
  t0: number;
}

/** Reads of both sides' clocks at a true time. */
export class Clocks {
  constructor(readonly relation: ClockRelation) {}

  /** The host's bpf_ktime_get_ns at true time t (the host clock ticks at the true rate). */
  host(t: number): number {
    return Math.round(this.relation.hostStartNs + t);
  }

  /** The guest's bpf_ktime_get_ns at true time t. */
  guest(t: number): number {
    const r = this.relation;
    const h = r.hostStartNs + t;
    return Math.round(h + r.offsetNs + r.driftPpm * 1e-6 * (h - r.t0));
  }
}
