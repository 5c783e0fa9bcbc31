// LRU hash maps: a full map evicts the least recently used element, per common list or per CPU list.
import { describe, expect, it } from 'vitest';
import {
  BPF_ANY, BPF_F_NO_COMMON_LRU, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_NOEXIST,
  EEXIST, HashMap,
} from './index.js';
import { readU32, u32 } from './keys.test-support.js';

const env = { possibleCpus: 2 };
const lru = (maxEntries: number, flags = 0, type = BPF_MAP_TYPE_LRU_HASH) =>
  new HashMap({ type, keySize: 4, valueSize: 4, maxEntries, flags }, env);
const present = (m: HashMap, keys: number[]) => keys.filter((k) => m.lookup(u32(k)) !== null);

describe('LRU hash map', () => {
  it('never fails for lack of room: the oldest element goes', () => {
    const m = lru(3);
    for (let k = 1; k <= 5; k++) expect(m.update(u32(k), u32(k))).toBe(0);
    expect(m.size).toBe(3);
    expect(present(m, [1, 2, 3, 4, 5])).toEqual([3, 4, 5]);
  });

  it('a program lookup counts as a use; a bpf(2) lookup does not', () => {
    const m = lru(3);
    for (const k of [1, 2, 3]) m.update(u32(k), u32(k));
    expect(m.programLookup(u32(1), 0, 0)).toBeGreaterThanOrEqual(0); // 1 is now the newest
    m.lookup(u32(2)); // user space: no effect on recency
    m.update(u32(4), u32(4)); // evicts 2, the least recently used
    expect(present(m, [1, 2, 3, 4])).toEqual([1, 3, 4]);
    expect(m.recencyOrder().map((k) => readU32(k))).toEqual([4, 1, 3]);
  });

  it('updating an element makes it the newest and evicts nothing', () => {
    const m = lru(3);
    for (const k of [1, 2, 3]) m.update(u32(k), u32(k));
    expect(m.programUpdate(u32(1), 0, u32(11), 0, BPF_ANY, 0)).toBe(0);
    expect(m.size).toBe(3);
    m.update(u32(4), u32(4));
    expect(present(m, [1, 2, 3, 4])).toEqual([1, 3, 4]);
    expect(readU32(m.lookup(u32(1))!)).toBe(11);
  });

  it('BPF_NOEXIST on an existing key fails with -EEXIST and evicts nothing', () => {
    const m = lru(2);
    m.update(u32(1), u32(1));
    m.update(u32(2), u32(2));
    expect(m.update(u32(1), u32(9), BPF_NOEXIST)).toBe(-EEXIST);
    expect(present(m, [1, 2])).toEqual([1, 2]);
  });

  it('deleted elements free their slot before anything is evicted', () => {
    const m = lru(3);
    for (const k of [1, 2, 3]) m.update(u32(k), u32(k));
    m.delete(u32(2));
    m.update(u32(4), u32(4));
    expect(present(m, [1, 2, 3, 4])).toEqual([1, 3, 4]);
  });

  it('evicts in least-recently-used order over a long mixed sequence', () => {
    const m = lru(4);
    const model: number[] = []; // most recent last
    const use = (k: number) => {
      const i = model.indexOf(k);
      if (i >= 0) model.splice(i, 1);
      model.push(k);
    };
    let seed = 7;
    for (let step = 0; step < 500; step++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const k = seed % 9;
      if (seed & 1) {
        m.update(u32(k), u32(k));
        use(k);
        if (model.length > 4) model.shift();
      } else if (m.programLookup(u32(k), 0, 0) >= 0) {
        use(k);
      }
    }
    expect(m.recencyOrder().map((k) => readU32(k))).toEqual([...model].reverse());
  });

  it('BPF_F_NO_COMMON_LRU: each CPU evicts from its own list; max_entries rounds up to the CPUs', () => {
    const m = lru(3, BPF_F_NO_COMMON_LRU);
    expect(m.maxEntries).toBe(4);
    // CPU 0 fills its two slots and a third insert evicts CPU 0's oldest, not CPU 1's.
    m.programUpdate(u32(10), 0, u32(0), 0, BPF_ANY, 1);
    m.programUpdate(u32(1), 0, u32(0), 0, BPF_ANY, 0);
    m.programUpdate(u32(2), 0, u32(0), 0, BPF_ANY, 0);
    m.programUpdate(u32(3), 0, u32(0), 0, BPF_ANY, 0);
    expect(present(m, [1, 2, 3, 10])).toEqual([2, 3, 10]);
    expect(m.recencyOrder(1).map((k) => readU32(k))).toEqual([10]);
  });

  it('LRU per-CPU hash: values per CPU, eviction as LRU', () => {
    const m = lru(2, 0, BPF_MAP_TYPE_LRU_PERCPU_HASH);
    m.programUpdate(u32(1), 0, u32(5), 0, BPF_ANY, 1);
    expect(m.lookupPerCpu(u32(1))!.map((v) => readU32(v))).toEqual([0, 5]);
    m.update(u32(2), new Uint8Array(16));
    m.update(u32(3), new Uint8Array(16));
    expect(present(m, [1, 2, 3])).toEqual([2, 3]);
  });
});
