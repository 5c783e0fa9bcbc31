// The discrete-event engine: one true clock in nanoseconds and a heap of pending events, run in time order.

/** Nanoseconds on the simulation's one true clock (the host's CLOCK_MONOTONIC). */
export type TrueNs = number;

/**
 * Events at the same time run in the order they were scheduled (the sequence number breaks ties),
 * which keeps runs reproducible. Times are doubles: exact integers up to 2^53 ns (104 days).
 *
 * The pending events are a binary heap kept in parallel arrays (time, sequence number, function,
 * argument) rather than an object per event: scheduling allocates nothing but the caller's closure,
 * and atWith needs none.
 */
export class Engine {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly fns: ((arg: never) => void)[] = [];
  /** The argument each function is called with (atWith), undefined for at's. */
  private readonly args: unknown[] = [];
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
    this.atWith(at, run, undefined);
  }

  /**
   * Schedules `run(arg)` at an absolute time (not before now): an event that needs no closure, as
   * when `run` is a function of the object it acts on.
   */
  atWith<T>(at: TrueNs, run: (arg: T) => void, arg: T): void {
    const times = this.times;
    const seqs = this.seqs;
    const fns = this.fns;
    const args = this.args;
    const t = Math.max(Math.round(at), this.now);
    const q = this.seq++;
    let i = times.length;
    times.push(t);
    seqs.push(q);
    fns.push(run as (arg: never) => void);
    args.push(arg);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < t || (pt === t && seqs[p]! < q)) break;
      times[i] = pt;
      seqs[i] = seqs[p]!;
      fns[i] = fns[p]!;
      args[i] = args[p];
      i = p;
    }
    times[i] = t;
    seqs[i] = q;
    fns[i] = run as (arg: never) => void;
    args[i] = arg;
  }

  /** Runs events in order until none is left or `stop()` says so. */
  run(stop: () => boolean = () => false): void {
    const times = this.times;
    const seqs = this.seqs;
    const fns = this.fns;
    const args = this.args;
    while (times.length > 0 && !stop()) {
      const at = times[0]!;
      const fn = fns[0]!;
      const arg = args[0];
      const lt = times.pop()!;
      const lq = seqs.pop()!;
      const lf = fns.pop()!;
      const la = args.pop();
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
          args[i] = args[c];
          i = c;
        }
        times[i] = lt;
        seqs[i] = lq;
        fns[i] = lf;
        args[i] = la;
      }
      this.now = at;
      this.executed++;
      (fn as (arg: unknown) => void)(arg);
    }
  }

  /** Events waiting. */
  get pending(): number {
    return this.times.length;
  }
}
