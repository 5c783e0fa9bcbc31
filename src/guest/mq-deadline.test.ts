// mq-deadline's dispatch order: sector-ordered batches, fifo_batch, writes_starved, and expired deadlines served first.
import { describe, expect, it } from 'vitest';
import type { SimRequest } from '../sim/request.js';
import { MQ_DEADLINE_DEFAULTS, MqDeadline } from './mq-deadline.js';

let nextId = 0;
const rq = (sector: number, write = false): SimRequest =>
  ({ id: nextId++, vm: 0, disk: 0, write, sector, nrSectors: 8, appOps: [], hwq: 0, tag: 0, rqAddr: 0n, vq: 0, head: -1, truth: {}, done: false }) as unknown as SimRequest;

/** Dispatches everything at time t; the sectors in dispatch order, W marking writes. */
function drain(s: MqDeadline, t = 0): string[] {
  const out: string[] = [];
  for (let r = s.dispatch(t); r; r = s.dispatch(t)) out.push(`${r.write ? 'W' : ''}${r.sector}`);
  return out;
}

describe('mq-deadline', () => {
  it('dispatches queued reads in ascending sector order from the last position (one-way elevator)', () => {
    const s = new MqDeadline();
    for (const sector of [50, 10, 30, 20, 40]) s.insert(rq(sector), 0);
    expect(drain(s)).toEqual(['10', '20', '30', '40', '50']);
    // The head moved past 50: new requests ahead are served before those behind, then it wraps to the oldest.
    for (const sector of [5, 70, 60]) s.insert(rq(sector), 1);
    expect(drain(s, 2)).toEqual(['60', '70', '5']);
  });

  it('prefers reads, but lets writes run a batch after writes_starved read batches of fifo_batch', () => {
    const s = new MqDeadline();
    for (let i = 0; i < 3; i++) s.insert(rq(100_000 + i * 8, true), 0);
    for (let i = 0; i < 40; i++) s.insert(rq(i * 8), 0);
    const order = drain(s);
    // Two read batches of 16, then the writes, then the rest of the reads.
    expect(order.slice(0, 32).every((x) => !x.startsWith('W'))).toBe(true);
    expect(order.slice(32, 35)).toEqual(['W100000', 'W100008', 'W100016']);
    expect(order.slice(35)).toHaveLength(8);
    expect(MQ_DEADLINE_DEFAULTS).toMatchObject({ fifoBatch: 16, writesStarved: 2 });
  });

  it('starts a new batch at the oldest request once its deadline has passed, not at the next sector', () => {
    const run = (readExpireNs: number): string[] => {
      const s = new MqDeadline({ ...MQ_DEADLINE_DEFAULTS, readExpireNs, fifoBatch: 1 });
      s.insert(rq(100), 0);
      const first = s.dispatch(0)!.sector;
      s.insert(rq(50), 1);
      s.insert(rq(200), 2);
      return [String(first), ...drain(s, 500)];
    };
    expect(run(100)).toEqual(['100', '50', '200']); // 50's deadline (101) passed by t=500
    expect(run(500_000_000)).toEqual(['100', '200', '50']);
  });
});
