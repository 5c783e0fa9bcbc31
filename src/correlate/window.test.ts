// KeyedWindow and Fifo: per-key time order, binary search by time, eviction from the arrival ring, growth past the first capacity.
import { describe, expect, it } from 'vitest';
import { Fifo, KeyedWindow } from './window.js';

interface Rec {
  t: number;
  id: number;
}

const win = () => new KeyedWindow<Rec>((r) => r.t);

describe('KeyedWindow', () => {
  it('keeps each key in time order when records arrive a little out of order', () => {
    const w = win();
    for (const [t, id] of [[10, 1], [30, 2], [20, 3], [5, 4]]) w.add(7, { t: t!, id: id! });
    w.add(8, { t: 15, id: 5 });
    expect(w.list(7).map((r) => r.t)).toEqual([5, 10, 20, 30]);
    expect(w.list(8).map((r) => r.id)).toEqual([5]);
    expect(w.list(9)).toEqual([]);
    expect(w.size).toBe(5);
  });

  it('finds the first record at or after a time, for one record and for many', () => {
    const w = win();
    for (let i = 0; i < 100; i++) w.add(1, { t: i * 10, id: i });
    w.add(2, { t: 50, id: 100 });
    const l = w.list(1);
    expect(w.lowerBound(l, 0)).toBe(0);
    expect(w.lowerBound(l, 55)).toBe(6);
    expect(w.lowerBound(l, 990)).toBe(99);
    expect(w.lowerBound(l, 991)).toBe(100);
    const one = w.list(2);
    expect([w.lowerBound(one, 50), w.lowerBound(one, 51)]).toEqual([0, 1]);
    const seen: number[] = [];
    w.scan(1, 100, 130, (r) => (seen.push(r.t), false));
    expect(seen).toEqual([100, 110, 120, 130]);
  });

  it('evicts what is older than a time from every key, whatever the number held (past the ring size)', () => {
    const w = win();
    // 5000 records: one busy key (a device) and many single-record keys, interleaved.
    for (let i = 0; i < 5000; i++) w.add(i % 2 ? 1 : 1000 + i, { t: i, id: i });
    w.evictBefore(4000);
    expect(w.size).toBe(1000);
    expect(w.list(1)[0]!.t).toBe(4001);
    expect(w.list(1).length).toBe(500);
    expect(w.list(1000 + 3998)).toEqual([]);
    expect(w.list(1000 + 4000)[0]!.t).toBe(4000);
    w.evictBefore(10_000);
    expect(w.size).toBe(0);
    expect(w.list(1)).toEqual([]);
  });

  it('holds a late arrival until the records that came before it are old enough, never dropping a newer one', () => {
    const w = win();
    w.add(1, { t: 100, id: 1 });
    w.add(2, { t: 10, id: 2 }); // arrived after a newer record
    w.evictBefore(50);
    expect(w.list(1).length).toBe(1);
    expect(w.list(2).length).toBe(1); // kept a little longer, as documented
    w.evictBefore(101);
    expect(w.size).toBe(0);
    expect([w.list(1).length, w.list(2).length]).toEqual([0, 0]);
  });
});

describe('Fifo', () => {
  it('gives records back in arrival order across wrap-around and growth', () => {
    const f = new Fifo<number>();
    let next = 0;
    let expected = 0;
    // Interleave pushes and shifts so the ring wraps many times while it grows to 5000 held.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) f.push(next++);
      for (let i = 0; i < 200; i++) expect(f.shift()).toBe(expected++);
    }
    expect(f.size).toBe(5000);
    expect(f.peek()).toBe(expected);
    expect([...f]).toEqual(Array.from({ length: 5000 }, (_, i) => expected + i));
    while (f.size) expect(f.shift()).toBe(expected++);
    expect([f.shift(), f.peek()]).toEqual([undefined, undefined]);
  });
});
