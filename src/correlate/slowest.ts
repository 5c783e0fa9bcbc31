// Keeps the N slowest stitched requests of a stream in bounded memory (a min-heap on total latency).
import type { RequestPath } from './path.js';

/** The N slowest requests seen so far. */
export class SlowestRequests {
  private readonly heap: RequestPath[] = [];

  constructor(readonly capacity = 20) {}

  /** Offers a request; kept if it is among the N slowest. */
  offer(path: RequestPath): void {
    if (path.match === 'host_only') return;
    const h = this.heap;
    if (h.length < this.capacity) {
      h.push(path);
      this.up(h.length - 1);
    } else if (this.capacity > 0 && path.total > h[0].total) {
      h[0] = path;
      this.down(0);
    }
  }

  /** The kept requests, slowest first. */
  list(): RequestPath[] {
    return [...this.heap].sort((a, b) => b.total - a.total);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].total <= h[i].total) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && h[l].total < h[m].total) m = l;
      if (r < h.length && h[r].total < h[m].total) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i], h[m]];
      i = m;
    }
  }
}
