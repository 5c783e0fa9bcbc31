// The discrete-event engine: one true clock in nanoseconds and a heap of pending events, run in time order.

/** Nanoseconds on the simulation's one true clock (the host's CLOCK_MONOTONIC). */
export type TrueNs = number;

/**
 * Events at the same time run in the order they were scheduled (the sequence number breaks ties),
 * which keeps runs reproducible. Times are doubles: exact integers up to 2^53 ns (104 days).
 *
 * The pending events are a binary heap kept in three parallel arrays (time, sequence number,
 * function) rather than an object per event: scheduling allocates nothing but the caller's closure.
 */
export class Engine {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly fns: (() => void)[] = [];
  private seq = 0;
  /** The current time. */
  now: TrueNs = 0;
  /** Events run so far. */
  executed = 0;

  /** Schedules `run` at now + delay (delay >= 0). */
  after(delay: number, run: () => void): void {
    this.at(this.now + Math.max(0, delay), run);
  }

  /** Schedules `run` at an absolute time (not before now). */
  at(at: TrueNs, run: () => void): void {
    const times = this.times;
    const seqs = this.seqs;
    const fns = this.fns;
    const t = Math.max(Math.round(at), this.now);
    const q = this.seq++;
    let i = times.length;
    times.push(t);
    seqs.push(q);
    fns.push(run);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < t || (pt === t && seqs[p]! < q)) break;
      times[i] = pt;
      seqs[i] = seqs[p]!;
      fns[i] = fns[p]!;
      i = p;
    }
    times[i] = t;
    seqs[i] = q;
    fns[i] = run;
  }

  /** Runs events in order until none is left or `stop()` says so. */
  run(stop: () => boolean = () => false): void {
    const times = this.times;
    const seqs = this.seqs;
    const fns = this.fns;
    while (times.length > 0 && !stop()) {
      const at = times[0]!;
      const fn = fns[0]!;
      const lt = times.pop()!;
      const lq = seqs.pop()!;
      const lf = fns.pop()!;
      const size = times.length;
      if (size > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= size) break;
          const r = l + 1;
          let c = l;
          if (r < size) {
            const rt = times[r]!;
            const ct = times[l]!;
            if (rt < ct || (rt === ct && seqs[r]! < seqs[l]!)) c = r;
          }
          const ct = times[c]!;
          if (!(ct < lt || (ct === lt && seqs[c]! < lq))) break;
          times[i] = ct;
          seqs[i] = seqs[c]!;
          fns[i] = fns[c]!;
          i = c;
        }
        times[i] = lt;
        seqs[i] = lq;
        fns[i] = lf;
      }
      this.now = at;
      this.executed++;
      fn();
    }
  }

  /** Events waiting. */
  get pending(): number {
    return this.times.length;
  }
}
