// TimeStreams: each key's records in time order when they arrive a little out of order, binary search by time (from the middle and from the last landing), eviction, growth and wrap-around.
import { describe, expect, it } from 'vitest';
import { TimeStreams } from './time-streams.js';

const times = (s: TimeStreams<number> , key: number): number[] => {
  const st = s.get(key);
  return st ? Array.from({ length: st.size }, (_, i) => st.timeAt(i)) : [];
};

describe('TimeStreams', () => {
  it('keeps each key in time order, a record at an equal time after the one held', () => {
    const s = new TimeStreams<number>(1);
    for (const [t, id] of [[10, 1], [30, 2], [20, 3], [5, 4], [20, 5]]) {
      s.row[0] = id! * 100;
      s.add(7, t!, id!);
    }
    s.add(8, 15, 6);
    expect(times(s, 7)).toEqual([5, 10, 20, 20, 30]);
    const st = s.get(7)!;
    expect([st.at(2), st.at(3)]).toEqual([3, 5]);
    // Rows move with their records when a late one is placed.
    expect(Array.from({ length: st.size }, (_, i) => st.get(i, 0))).toEqual([400, 100, 300, 500, 200]);
    expect(times(s, 8)).toEqual([15]);
    expect(s.get(9)).toBeUndefined();
    expect(s.size).toBe(6);
  });

  it('finds the first record at or after a time', () => {
    const s = new TimeStreams<number>(1);
    for (let i = 0; i < 100; i++) s.add(1, i * 10, i);
    const st = s.get(1)!;
    expect([st.lowerBound(0), st.lowerBound(55), st.lowerBound(990), st.lowerBound(991), st.lowerBound(-1)]).toEqual([0, 6, 99, 100, 0]);
  });

  it('drops what is older than a time from every key across wrap-around and growth, and forgets a key left empty', () => {
    const s = new TimeStreams<number>(1);
    let t = 0;
    // One busy key (a device) and keys that come and go, with the busy one wrapping its ring many times.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 40; i++, t++) s.add(1, t, t);
      s.add(1000 + round, t, t);
      s.evictBefore(t - 25);
    }
    expect(times(s, 1)).toEqual(Array.from({ length: 25 }, (_, i) => t - 25 + i));
    expect(s.get(1)!.at(0)).toBe(t - 25);
    expect(s.get(1000)).toBeUndefined();
    expect(times(s, 1049)).toEqual([t]);
    expect(s.size).toBe(26);
    // A late record placed into a wrapped ring.
    s.add(1, t - 10.5, -1);
    expect(s.get(1)!.at(s.get(1)!.lowerBound(t - 10.75))).toBe(-1);
    s.evictBefore(Infinity);
    expect([s.size, s.get(1)]).toEqual([0, undefined]);
    // Growth from a small ring with its head moved.
    for (let i = 0; i < 1000; i++) {
      s.row[0] = -i - 1;
      s.add(2, 999 - i, i); // each arrives before all held: every add shifts
    }
    expect(times(s, 2)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from({ length: 1000 }, (_, i) => s.get(2)!.get(i, 0))).toEqual(Array.from({ length: 1000 }, (_, i) => i - 1000));
  });

  it('keeps keys apart that share a slot of its cache, and tracks a key forgotten and added again', () => {
    const s = new TimeStreams<number>(1);
    // 3, 67 and 131 share the low bits the cache of streams is indexed by.
    for (let t = 0; t < 30; t++) s.add([3, 67, 131][t % 3]!, t, t);
    expect([times(s, 3), times(s, 67).length, times(s, 131).length]).toEqual([Array.from({ length: 10 }, (_, i) => 3 * i), 10, 10]);
    expect(s.get(195)).toBeUndefined();
    // Key 3 empties and is forgotten while 67 stays; then 3 comes back and must be evicted again.
    s.evictBefore(28);
    expect([s.get(3), times(s, 67), times(s, 131)]).toEqual([undefined, [28], [29]]);
    s.add(3, 40, 40);
    expect(times(s, 3)).toEqual([40]);
    s.evictBefore(41);
    expect([s.size, s.get(3), s.get(67)]).toEqual([0, undefined, undefined]);
  });
  it('keeps every time, row and record when a ring that wraps around grows', () => {
    const s = new TimeStreams<number>(2);
    const add = (t: number): void => {
      s.row[0] = -t;
      s.row[1] = t * 10;
      s.add(7, t, t);
    };
    // Sixteen slots: ten in, eight dropped (the head moves to 8), fourteen in (wrapping), one more (grows).
    for (let t = 0; t < 10; t++) add(t);
    s.evictBefore(8);
    for (let t = 10; t < 25; t++) add(t);
    const st = s.get(7)!;
    const held = Array.from({ length: 17 }, (_, i) => 8 + i);
    expect(times(s, 7)).toEqual(held);
    expect(Array.from({ length: st.size }, (_, i) => [st.get(i, 0), st.get(i, 1), st.at(i)])).toEqual(held.map((t) => [-t, t * 10, t]));
  });

  it('seeks where a binary search lands, whatever the last seek, the drops and late records did', () => {
    // A small deterministic generator: times with runs of equal values, late records, drops and
    // seeks forwards, backwards and far away, each checked against lowerBound.
    let x = 12345;
    const rand = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const s = new TimeStreams<number>(1);
    let t = 0;
    let checked = 0;
    for (let step = 0; step < 20_000; step++) {
      const what = rand(10);
      if (what < 4) {
        t += rand(3); // equal times come in runs
        s.add(1, t - (rand(8) === 0 ? rand(40) : 0), step);
      } else if (what === 4) {
        s.evictBefore(t - 50 - rand(200));
      } else {
        const st = s.get(1);
        if (!st) continue;
        const q = what === 5 ? t - rand(400) : what === 6 ? t + 5 - rand(10) : what === 7 ? -1e9 : what === 8 ? 1e9 : st.timeAt(rand(st.size));
        expect(st.seek(q), `seek(${q}) at step ${step}`).toBe(st.lowerBound(q));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(9_000);
  });
});
