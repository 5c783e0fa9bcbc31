// Hash and per-CPU hash semantics as kernel/bpf/hashtab.c: flags, errnos, fullness, iteration, batches, pointers.
import { describe, expect, it } from 'vitest';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BPF_F_ZERO_SEED,
  BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_HASH, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT, ENOSPC,
  EPERM, HashMap, jhash,
} from './index.js';
import { readU32, readU64, u32, u64 } from './keys.test-support.js';

const env = { possibleCpus: 4 };
const hash = (maxEntries = 8, flags = 0, keySize = 8, valueSize = 8) =>
  new HashMap({ type: BPF_MAP_TYPE_HASH, keySize, valueSize, maxEntries, flags }, env);

function keysInOrder(m: HashMap): number[] {
  const out: number[] = [];
  for (let k = m.nextKey(null); k; k = m.nextKey(k)) out.push(readU64(k));
  return out;
}

describe('hash map', () => {
  it('creates, replaces and refuses with the kernel flags and errnos', () => {
    const m = hash();
    expect(m.update(u64(1), u64(10), BPF_EXIST)).toBe(-ENOENT);
    expect(m.update(u64(1), u64(10), BPF_NOEXIST)).toBe(0);
    expect(m.update(u64(1), u64(11), BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.update(u64(1), u64(12), BPF_EXIST)).toBe(0);
    expect(m.update(u64(1), u64(13), 3)).toBe(-EINVAL);
    expect(m.update(u64(1), u64(13), BPF_F_LOCK)).toBe(-EINVAL);
    expect(readU64(m.lookup(u64(1))!)).toBe(12);
    expect(m.size).toBe(1);
  });

  it('deletes, then reports -ENOENT', () => {
    const m = hash();
    m.update(u64(5), u64(50));
    expect(m.delete(u64(5))).toBe(0);
    expect(m.delete(u64(5))).toBe(-ENOENT);
    expect(m.lookup(u64(5))).toBeNull();
    expect(m.programDelete(u64(5), 0, 0)).toBe(-ENOENT);
  });

  it('is full at max_entries: new keys get -E2BIG, existing keys still update', () => {
    for (const flags of [0, BPF_F_NO_PREALLOC]) {
      const m = hash(3, flags);
      for (let i = 0; i < 3; i++) expect(m.update(u64(i), u64(i))).toBe(0);
      expect(m.update(u64(3), u64(3))).toBe(-E2BIG);
      expect(m.programUpdate(u64(3), 0, u64(3), 0, BPF_ANY, 0)).toBe(-E2BIG);
      expect(m.update(u64(2), u64(22))).toBe(0);
      expect(m.delete(u64(0))).toBe(0);
      expect(m.update(u64(3), u64(3))).toBe(0);
      expect(m.size).toBe(3);
    }
  });

  it('gives a program a stable offset: its writes are what user space reads, and user updates show through it', () => {
    const m = hash(4, 0, 8, 16);
    m.update(u64(42), new Uint8Array(16));
    const prog = new Uint8Array(32);
    prog.set(u64(42), 8);
    const off = m.programLookup(prog, 8, 0);
    expect(off).toBeGreaterThanOrEqual(0);
    new DataView(m.values.buffer).setBigUint64(off + 8, 99n, true);
    expect(readU64(m.lookup(u64(42))!, 8)).toBe(99);
    // Other keys come and go; the element's offset does not move.
    for (let i = 0; i < 3; i++) m.update(u64(100 + i), new Uint8Array(16));
    m.delete(u64(101));
    expect(m.programLookup(prog, 8, 0)).toBe(off);
    const v = new Uint8Array(16).fill(7);
    m.update(u64(42), v);
    expect(m.values.subarray(off, off + 16)).toEqual(v);
    expect(m.programLookup(u64(43), 0, 0)).toBe(-1);
  });

  it('program updates read key and value where the program points', () => {
    const m = hash(4, 0, 4, 4);
    const stack = new Uint8Array([0, 0, 7, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef]);
    expect(m.programUpdate(stack, 2, stack, 6, BPF_NOEXIST, 1)).toBe(0);
    expect(m.lookup(u32(7))).toEqual(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    expect(m.programUpdate(stack, 2, stack, 6, BPF_NOEXIST, 1)).toBe(-EEXIST);
    expect(m.programDelete(stack, 2, 1)).toBe(0);
    expect(m.size).toBe(0);
  });

  it('a reused slot does not leak the previous value past value_size', () => {
    const m = hash(1, 0, 4, 5);
    m.update(u32(1), new Uint8Array(5).fill(0xff));
    m.values.fill(0xee, 5, 8); // a program wrote padding
    m.delete(u32(1));
    m.update(u32(2), new Uint8Array(5).fill(1));
    expect(Array.from(m.values.subarray(0, 8))).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
  });

  it('iterates in the kernel order: buckets by jhash, newest first within a bucket', () => {
    const m = hash(4, BPF_F_ZERO_SEED, 4, 4);
    const keys = [1, 2, 3, 4];
    for (const k of keys) m.update(u32(k), u32(k));
    const bucket = (k: number) => jhash(u32(k), 0, 4, 0) & 3;
    const want = [...keys].sort((a, b) => bucket(a) - bucket(b) || keys.indexOf(b) - keys.indexOf(a));
    const got: number[] = [];
    for (let k = m.nextKey(null); k; k = m.nextKey(k)) got.push(readU32(k));
    expect(got).toEqual(want);
  });

  it('get-next-key of a missing key restarts from the first; the end is null', () => {
    const m = hash(16);
    for (let i = 0; i < 10; i++) m.update(u64(i), u64(i));
    const order = keysInOrder(m);
    expect(order.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const first = readU64(m.nextKey(null)!);
    expect(readU64(m.nextKey(u64(12345))!)).toBe(first);
    const last = keysInOrder(m).at(-1)!;
    expect(m.nextKey(u64(last))).toBeNull();
    expect(hash().nextKey(null)).toBeNull();
  });

  it('deleting during iteration: fetch the next key first and the walk visits all; delete first and it restarts', () => {
    const m = hash(64);
    for (let i = 0; i < 40; i++) m.update(u64(i), u64(i));
    // The safe pattern (bpftool's): next key, then delete the previous.
    const visited: number[] = [];
    let prev: Uint8Array | null = null;
    for (let k = m.nextKey(null); k; k = m.nextKey(k)) {
      if (prev) m.delete(prev);
      visited.push(readU64(k));
      prev = k;
    }
    if (prev) m.delete(prev);
    expect(visited.length).toBe(40);
    expect(m.size).toBe(0);

    // Deleting the current key first: asking for its successor restarts from the first key.
    for (let i = 0; i < 5; i++) m.update(u64(i), u64(i));
    const first = m.nextKey(null)!;
    const second = m.nextKey(first)!;
    m.delete(second);
    expect(m.nextKey(second)).toEqual(first);
  });

  it('batches whole buckets, ends with -ENOENT, refuses a bucket larger than the batch with -ENOSPC', () => {
    const m = hash(8, BPF_F_ZERO_SEED, 4, 4);
    for (let k = 0; k < 8; k++) m.update(u32(k), u32(k * 3));
    let seen = 0;
    let batch: number | null = null;
    for (;;) {
      const r = m.lookupBatch(batch, 3);
      if (r.error === -ENOSPC) throw new Error('no bucket of these keys should exceed 3');
      for (let i = 0; i < r.count; i++) expect(readU32(r.values, i * 4)).toBe(readU32(r.keys, i * 4) * 3);
      seen += r.count;
      batch = r.nextBatch;
      if (r.error === -ENOENT) break;
      expect(r.error).toBe(0);
    }
    expect(seen).toBe(8);
    // Find a bucket with two keys and ask for one entry at a time from it.
    const byBucket = new Map<number, number[]>();
    for (let k = 0; k < 8; k++) {
      const b = jhash(u32(k), 0, 4, 0) & (m.bucketCount - 1);
      byBucket.set(b, [...(byBucket.get(b) ?? []), k]);
    }
    const crowded = [...byBucket.entries()].find(([, ks]) => ks.length >= 2);
    expect(crowded).toBeDefined();
    expect(m.lookupBatch(crowded![0], 1).error).toBe(-ENOSPC);
    expect(m.lookupBatch(m.bucketCount, 4).error).toBe(-ENOENT);
  });

  it('lookup-and-delete batches drain the map', () => {
    const m = hash(32);
    for (let i = 0; i < 20; i++) m.update(u64(i), u64(i + 1));
    const got = new Map<number, number>();
    let batch: number | null = null;
    for (;;) {
      const r = m.lookupAndDeleteBatch(batch, 8);
      for (let i = 0; i < r.count; i++) got.set(readU64(r.keys, i * 8), readU64(r.values, i * 8));
      batch = r.nextBatch;
      if (r.error) break;
    }
    expect(got.size).toBe(20);
    expect(got.get(7)).toBe(8);
    expect(m.size).toBe(0);
  });

  it('entries() yields every pair', () => {
    const m = hash();
    m.update(u64(1), u64(2));
    m.update(u64(3), u64(4));
    const pairs = [...m.entries()].map(([k, v]) => [readU64(k), readU64(v)]).sort();
    expect(pairs).toEqual([[1, 2], [3, 4]]);
  });

  it('tells apart keys whose 32-bit hashes are equal by every byte, the last word too', () => {
    // Two 12-byte keys that differ only in their last word and collide in jhash (seed 0), found by search.
    const key = (x: number): Uint8Array => new Uint8Array(new Int32Array([0x5a5a5a5a, 7, x]).buffer);
    expect(jhash(key(3957), 0, 12, 0)).toBe(jhash(key(69676), 0, 12, 0));
    const m = hash(8, 0, 12, 8);
    expect(m.update(key(3957), u64(1))).toBe(0);
    expect(m.lookup(key(69676))).toBeNull();
    expect(m.programLookup(key(69676), 0, 0)).toBe(-1);
    expect(m.update(key(69676), u64(2), BPF_NOEXIST)).toBe(0);
    expect([readU64(m.lookup(key(3957))!), readU64(m.lookup(key(69676))!), m.size]).toEqual([1, 2, 2]);
    expect(m.programDelete(key(3957), 0, 0)).toBe(0);
    expect([m.lookup(key(3957)), readU64(m.lookup(key(69676))!)]).toEqual([null, 2]);
  });

  it('refuses program writes to a BPF_F_RDONLY_PROG map', () => {
    const m = hash(4, BPF_F_RDONLY_PROG);
    expect(m.programUpdate(u64(1), 0, u64(1), 0, BPF_ANY, 0)).toBe(-EPERM);
    expect(m.update(u64(1), u64(1))).toBe(0);
    expect(m.programLookup(u64(1), 0, 0)).toBeGreaterThanOrEqual(0);
    expect(m.programDelete(u64(1), 0, 0)).toBe(-EPERM);
  });
});

describe('per-CPU hash map', () => {
  const percpu = () => new HashMap({ type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4 }, env);

  it('a program creates its CPU value; the other CPUs start at zero', () => {
    const m = percpu();
    expect(m.programUpdate(u32(9), 0, u32(77), 0, BPF_ANY, 2)).toBe(0);
    expect(m.lookupPerCpu(u32(9))!.map((v) => readU32(v))).toEqual([0, 0, 77, 0]);
    expect(m.lookup(u32(9))!.length).toBe(4 * 8);
  });

  it('each CPU gets its own value pointer; user space sees them all', () => {
    const m = percpu();
    m.programUpdate(u32(1), 0, u32(0), 0, BPF_ANY, 0);
    const offs = [0, 1, 2, 3].map((cpu) => m.programLookup(u32(1), 0, cpu));
    expect(new Set(offs).size).toBe(4);
    offs.forEach((off, cpu) => new DataView(m.values.buffer).setUint32(off, 10 * (cpu + 1), true));
    expect(m.lookupPerCpu(u32(1))!.map((v) => readU32(v))).toEqual([10, 20, 30, 40]);
    // A program update of an existing element touches only its CPU.
    m.programUpdate(u32(1), 0, u32(5), 0, BPF_EXIST, 3);
    expect(m.lookupPerCpu(u32(1))!.map((v) => readU32(v))).toEqual([10, 20, 30, 5]);
  });

  it('user space writes every CPU value, each in an 8-byte slot', () => {
    const m = percpu();
    const v = new Uint8Array(32);
    for (let c = 0; c < 4; c++) new DataView(v.buffer).setUint32(c * 8, c + 100, true);
    expect(m.update(u32(3), v, BPF_NOEXIST)).toBe(0);
    expect(m.lookupPerCpu(u32(3))!.map((x) => readU32(x))).toEqual([100, 101, 102, 103]);
    expect(() => m.update(u32(3), new Uint8Array(4))).toThrow(RangeError);
  });
});
