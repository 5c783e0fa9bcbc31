// The discrete-event engine: one true clock in nanoseconds and a heap of pending events, run in time order.

/** Nanoseconds on the simulation's one true clock (the host's CLOCK_MONOTONIC). */
export type TrueNs = number;

interface Pending {
  at: TrueNs;
  seq: number;
  run: () => void;
}

/**
 * Events at the same time run in the order they were scheduled (the sequence number breaks ties),
 * which keeps runs reproducible. Times are doubles: exact integers up to 2^53 ns (104 days).
 */
export class Engine {
  private heap: Pending[] = [];
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
    const h = this.heap;
    const e: Pending = { at: Math.max(Math.round(at), this.now), seq: this.seq++, run };
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  /** Runs events in order until none is left or `stop()` says so. */
  run(stop: () => boolean = () => false): void {
    const h = this.heap;
    while (h.length > 0 && !stop()) {
      const top = h[0]!;
      const last = h.pop()!;
      if (h.length > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= h.length) break;
          const r = l + 1;
          const c = r < h.length && less(h[r]!, h[l]!) ? r : l;
          if (!less(h[c]!, last)) break;
          h[i] = h[c]!;
          i = c;
        }
        h[i] = last;
      }
      this.now = top.at;
      this.executed++;
      top.run();
    }
  }

  /** Events waiting. */
  get pending(): number {
    return this.heap.length;
  }
}

function less(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
