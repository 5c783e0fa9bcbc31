// The mq-deadline I/O scheduler of the guest's blk-mq (block/mq-deadline.c): sector-ordered batches, read preference, FIFO deadlines.
import type { SimRequest } from '../sim/request.js';

/** mq-deadline's tunables (/sys/block/<dev>/queue/iosched/), with the kernel's defaults. */
export interface MqDeadlineTunables {
  /** read_expire: 500 ms. */
  readExpireNs: number;
  /** write_expire: 5 s. */
  writeExpireNs: number;
  /** fifo_batch: requests dispatched in one direction in sector order before the choice is made again. */
  fifoBatch: number;
  /** writes_starved: read batches that may pass queued writes before a write batch must run. */
  writesStarved: number;
}

/** The kernel's defaults (block/mq-deadline.c: read_expire HZ/2, write_expire 5*HZ, fifo_batch 16, writes_starved 2). */
export const MQ_DEADLINE_DEFAULTS: MqDeadlineTunables = { readExpireNs: 500_000_000, writeExpireNs: 5_000_000_000, fifoBatch: 16, writesStarved: 2 };

/** One direction's queued requests: by sector, and by arrival (their deadlines are in arrival order). */
interface Direction {
  sorted: SimRequest[];
  fifo: { rq: SimRequest; deadline: number }[];
  /** The sector just past the last request dispatched in this direction (dd->latest_pos). */
  latestPos: number;
}

/**
 * One request queue's mq-deadline state, single priority level (the default: no ioprio classes in
 * use). `dispatch` follows __dd_dispatch_request: continue the current batch in sector order from
 * the last position while it is shorter than fifo_batch; otherwise prefer reads unless writes have
 * been passed over writes_starved times; start a batch at the oldest request if its deadline has
 * passed (or nothing lies ahead in sector order), else at the first request at or past the last
 * position.
 */
export class MqDeadline {
  private readonly dirs: [Direction, Direction] = [
    { sorted: [], fifo: [], latestPos: 0 },
    { sorted: [], fifo: [], latestPos: 0 },
  ];
  private batching = 0;
  private starved = 0;
  /** Direction of the current batch: 0 read, 1 write; -1 before the first. */
  private current: -1 | 0 | 1 = -1;

  constructor(readonly tunables: MqDeadlineTunables = MQ_DEADLINE_DEFAULTS) {}

  /** Requests queued. */
  get size(): number {
    return this.dirs[0].sorted.length + this.dirs[1].sorted.length;
  }

  /** dd_insert_request at time t: into its direction's sector order and FIFO, with its deadline. */
  insert(rq: SimRequest, t: number): void {
    const d = this.dirs[rq.write ? 1 : 0];
    const at = lowerBound(d.sorted, rq.sector);
    d.sorted.splice(at, 0, rq);
    d.fifo.push({ rq, deadline: t + (rq.write ? this.tunables.writeExpireNs : this.tunables.readExpireNs) });
  }

  /** dd_dispatch_request at time t: the next request to issue, or undefined when none is queued. */
  dispatch(t: number): SimRequest | undefined {
    // Continue the batch: the next request in sector order in the batch's direction.
    const last = this.current;
    if (last !== -1 && this.batching < this.tunables.fifoBatch) {
      const d = this.dirs[last];
      const i = lowerBound(d.sorted, d.latestPos);
      if (i < d.sorted.length) return this.take(last, i);
    }
    const reads = this.dirs[0].fifo.length > 0;
    const writes = this.dirs[1].fifo.length > 0;
    let dir: 0 | 1;
    if (reads && !(writes && this.starved++ >= this.tunables.writesStarved)) dir = 0;
    else if (writes) {
      this.starved = 0;
      dir = 1;
    } else return undefined;
    const d = this.dirs[dir];
    const oldest = d.fifo[0]!;
    const ahead = lowerBound(d.sorted, d.latestPos);
    // An expired deadline, or nothing ahead of the last position: start from the oldest request.
    const i = oldest.deadline <= t || ahead >= d.sorted.length ? d.sorted.indexOf(oldest.rq) : ahead;
    this.batching = 0;
    return this.take(dir, i);
  }

  private take(dir: 0 | 1, i: number): SimRequest {
    const d = this.dirs[dir];
    const rq = d.sorted.splice(i, 1)[0]!;
    d.fifo.splice(d.fifo.findIndex((f) => f.rq === rq), 1);
    d.latestPos = rq.sector + rq.nrSectors;
    this.current = dir;
    this.batching++;
    return rq;
  }
}

/** Index of the first request at or past `sector` in a sector-ordered list. */
function lowerBound(list: readonly SimRequest[], sector: number): number {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.sector < sector) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
