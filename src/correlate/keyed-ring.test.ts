// KeyedRing: lookups by key through chains in the ring, arrival-order eviction, growth and wrap-around keeping every chain.
import { describe, expect, it } from 'vitest';
import { KeyedRing } from './keyed-ring.js';

/** Every record held under `key`, newest first, as ids. */
function under(r: KeyedRing<{ id: number }>, key: number): number[] {
  const out: number[] = [];
  for (let s = r.newest(key); s >= 0; s = r.older(s)) out.push(r.at(s).id);
  return out;
}

describe('KeyedRing', () => {
  it('finds the records under a key, newest first, and none under a key that shares its bucket', () => {
    const r = new KeyedRing<{ id: number }>(0, 16);
    // 7 and 7 + 32 share a bucket of a 32-bucket index.
    r.push({ id: 1 }, 10, 7, true);
    r.push({ id: 2 }, 11, 7 + 32, true);
    r.push({ id: 3 }, 12, 7, true);
    r.push({ id: 4 }, 13, 7, false); // not linked: never found
    expect(under(r, 7)).toEqual([3, 1]);
    expect(under(r, 7 + 32)).toEqual([2]);
    expect(under(r, 8)).toEqual([]);
    expect(r.size).toBe(4);
  });

  it('keeps the time, key, row and marks of each record', () => {
    const r = new KeyedRing<{ id: number }>(2);
    const s = r.push({ id: 1 }, 5, 3, true, 2);
    r.set(s, 0, 42.5);
    r.set(s, 1, -1);
    r.mark(s, 1);
    expect([r.timeAt(s), r.keyAt(s), r.get(s, 0), r.get(s, 1), r.marksAt(s)]).toEqual([5, 3, 42.5, -1, 3]);
    // The index's own bit is not the caller's.
    r.mark(s, 0x80);
    expect(r.marksAt(s)).toBe(3);
  });

  it('forgets what it shifted or dropped, even where a bucket or a link still names its slot after the ring wraps', () => {
    const r = new KeyedRing<{ id: number }>(0, 16);
    for (let i = 0; i < 16; i++) r.push({ id: i }, i, i % 4, true);
    expect(r.shift()!.id).toBe(0);
    r.dropBefore(8);
    expect(r.size).toBe(8);
    expect(under(r, 0)).toEqual([12, 8]);
    // Reuse the freed slots with other keys: the old chains must not run into them.
    for (let i = 16; i < 24; i++) r.push({ id: i }, i, 100 + i, true);
    expect(under(r, 0)).toEqual([12, 8]);
    expect(under(r, 1)).toEqual([13, 9]);
    expect(under(r, 100 + 17)).toEqual([17]);
    r.dropBefore(13);
    expect(under(r, 0)).toEqual([]);
    expect(under(r, 1)).toEqual([13]);
  });

  it('holds a late arrival until the records that came before it are old enough', () => {
    const r = new KeyedRing<{ id: number }>(0);
    r.push({ id: 1 }, 100, 1, true);
    r.push({ id: 2 }, 10, 2, true); // arrived after a newer record
    r.dropBefore(50);
    expect([under(r, 1), under(r, 2)]).toEqual([[1], [2]]);
    r.dropBefore(101);
    expect(r.size).toBe(0);
  });

  it('grows past its first capacity with every record, row, chain and mark kept, in arrival order', () => {
    const r = new KeyedRing<{ id: number }>(2, 16);
    for (let i = 0; i < 10; i++) r.push({ id: -1 }, -1, 3, true);
    r.dropBefore(0); // the head off slot 0, and stale links under key 3
    for (let i = 0; i < 5000; i++) {
      const s = r.push({ id: i }, i, i % 7, i % 3 !== 0, i % 2);
      r.set(s, 0, i * 1.5);
      r.set(s, 1, -i);
    }
    expect(r.size).toBe(5000);
    expect(r.at(r.first).id).toBe(0);
    const ids = under(r, 3);
    expect(ids.length).toBe(Array.from({ length: 5000 }, (_, i) => i).filter((i) => i % 7 === 3 && i % 3 !== 0).length);
    expect(ids.every((id, k) => id % 7 === 3 && id % 3 !== 0 && (k === 0 || id < ids[k - 1]!))).toBe(true);
    for (let s = r.first; s < r.end; s++) expect([r.marksAt(s), r.get(s, 0), r.get(s, 1)]).toEqual([r.at(s).id % 2, r.at(s).id * 1.5, -r.at(s).id]);
  });
});
