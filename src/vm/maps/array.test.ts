// Array and per-CPU array semantics as kernel/bpf/arraymap.c, and libbpf's global-data maps.
import { describe, expect, it } from 'vitest';
import {
  ArrayMap, BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_RDONLY, BPF_F_WRONLY, BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_PERCPU_ARRAY, BPF_NOEXIST, createGlobalDataMap, E2BIG, EBUSY, EEXIST, EINVAL, ENOENT,
  ENOTSUPP, EPERM,
} from './index.js';
import { readU32, readU64, u32, u64 } from './keys.test-support.js';

const env = { possibleCpus: 4 };
const array = (valueSize = 8, maxEntries = 4, flags = 0) =>
  new ArrayMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize, maxEntries, flags }, env);

describe('array map', () => {
  it('starts zeroed and every index in range exists', () => {
    const m = array(12, 3);
    expect(m.size).toBe(3);
    for (let i = 0; i < 3; i++) expect(m.lookup(u32(i))).toEqual(new Uint8Array(12));
  });

  it('looks up nothing past the end, from user space and from programs', () => {
    const m = array();
    expect(m.lookup(u32(4))).toBeNull();
    expect(m.lookupInto(u32(4), new Uint8Array(8))).toBe(-ENOENT);
    expect(m.programLookup(u32(4), 0, 0)).toBe(-1);
    expect(m.programLookup(u32(0xffffffff), 0, 0)).toBe(-1);
  });

  it('updates with the kernel flags and errnos', () => {
    const m = array();
    expect(m.update(u32(1), u64(7), BPF_ANY)).toBe(0);
    expect(m.update(u32(1), u64(8), BPF_EXIST)).toBe(0);
    expect(m.update(u32(1), u64(9), BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.update(u32(4), u64(9), BPF_ANY)).toBe(-E2BIG);
    expect(m.update(u32(1), u64(9), 3)).toBe(-EINVAL);
    expect(m.update(u32(1), u64(9), BPF_F_LOCK)).toBe(-EINVAL);
    expect(readU64(m.lookup(u32(1))!)).toBe(8);
  });

  it('cannot delete elements', () => {
    const m = array();
    expect(m.delete(u32(0))).toBe(-EINVAL);
    expect(m.programDelete(u32(0), 0, 0)).toBe(-EINVAL);
    expect(m.lookupAndDeleteBatch(null, 4).error).toBe(-ENOTSUPP);
  });

  it('hands programs a value offset whose writes user space reads, and the reverse', () => {
    const m = array(16, 4);
    const key = new Uint8Array([0xff, 2, 0, 0, 0]); // index 2 at offset 1 of program memory
    const off = m.programLookup(key, 1, 0);
    expect(off).toBe(2 * 16);
    new DataView(m.values.buffer).setBigUint64(off + 8, 0x1122334455667788n, true);
    expect(readU64(m.lookup(u32(2))!, 8)).toBe(0x1122334455667788);
    m.update(u32(2), new Uint8Array(16).fill(3));
    expect(m.values[off + 15]).toBe(3);
  });

  it('program updates copy value_size bytes from program memory', () => {
    const m = array(4, 2);
    const mem = new Uint8Array([9, 1, 0, 0, 0, 0xa, 0xb, 0xc, 0xd, 9]);
    expect(m.programUpdate(mem, 1, mem, 5, BPF_ANY, 0)).toBe(0);
    expect(m.lookup(u32(1))).toEqual(new Uint8Array([0xa, 0xb, 0xc, 0xd]));
    expect(m.programUpdate(mem, 1, mem, 5, BPF_NOEXIST, 0)).toBe(-EEXIST);
  });

  it('walks keys 0..max-1 with get-next-key; an out-of-range key restarts at 0', () => {
    const m = array(8, 3);
    const seen: number[] = [];
    for (let k = m.nextKey(null); k; k = m.nextKey(k)) seen.push(readU32(k));
    expect(seen).toEqual([0, 1, 2]);
    expect(readU32(m.nextKey(u32(77))!)).toBe(0);
    expect(m.nextKey(u32(2))).toBeNull();
  });

  it('batches by last key and ends with -ENOENT', () => {
    const m = array(8, 5);
    for (let i = 0; i < 5; i++) m.update(u32(i), u64(i * 10));
    const a = m.lookupBatch(null, 3);
    expect([a.error, a.count, a.nextBatch]).toEqual([0, 3, 2]);
    expect(readU64(a.values, 16)).toBe(20);
    const b = m.lookupBatch(a.nextBatch, 3);
    expect([b.error, b.count]).toEqual([-ENOENT, 2]);
    expect(readU32(b.keys, 4)).toBe(4);
  });

  it('per-CPU: a program sees its CPU value; user space all CPUs, each rounded up to 8', () => {
    const m = new ArrayMap({ type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }, env);
    expect(m.syscallValueSize).toBe(4 * 8);
    for (let cpu = 0; cpu < 4; cpu++) {
      const off = m.programLookup(u32(1), 0, cpu);
      new DataView(m.values.buffer).setUint32(off, 100 + cpu, true);
    }
    const all = m.lookup(u32(1))!;
    expect([0, 1, 2, 3].map((c) => readU32(all, c * 8))).toEqual([100, 101, 102, 103]);
    expect(m.lookupPerCpu(u32(1))!.map((v) => readU32(v))).toEqual([100, 101, 102, 103]);
    // A program update writes only its CPU.
    expect(m.programUpdate(u32(1), 0, u32(7), 0, BPF_ANY, 2)).toBe(0);
    expect(m.lookupPerCpu(u32(1))!.map((v) => readU32(v))).toEqual([100, 101, 7, 103]);
    // User space writes all CPUs at once.
    const v = new Uint8Array(32);
    for (let c = 0; c < 4; c++) new DataView(v.buffer).setUint32(c * 8, c + 1, true);
    expect(m.update(u32(0), v)).toBe(0);
    expect(m.lookupPerCpu(u32(0))!.map((x) => readU32(x))).toEqual([1, 2, 3, 4]);
    expect(() => m.programLookup(u32(0), 0, 4)).toThrow(RangeError);
  });

  it('refuses bpf(2) writes when read-only and reads when write-only', () => {
    expect(array(8, 1, BPF_F_RDONLY).update(u32(0), u64(1))).toBe(-EPERM);
    expect(array(8, 1, BPF_F_WRONLY).lookupInto(u32(0), new Uint8Array(8))).toBe(-EPERM);
  });
});

describe('global-data maps', () => {
  it('.rodata: one element holding the image, read-only for programs, frozen for bpf(2)', () => {
    const image = new Uint8Array([1, 2, 3, 4, 5]);
    const m = createGlobalDataMap({ name: 'probe.rodata', section: 'rodata', size: 5, image }, env);
    expect([m.maxEntries, m.keySize, m.valueSize, m.readOnlyForPrograms]).toEqual([1, 4, 5, true]);
    expect(m.values.subarray(m.valueOffset(0), 5)).toEqual(image);
    expect(m.values.length).toBe(4096); // mmapable: whole pages
    expect(m.programUpdate(u32(0), 0, image, 0, BPF_ANY, 0)).toBe(-EPERM);
    expect(m.update(u32(0), new Uint8Array(5))).toBe(0); // libbpf may still patch before freezing
    expect(m.freeze()).toBe(0);
    expect(m.update(u32(0), new Uint8Array(5))).toBe(-EPERM);
    expect(m.freeze()).toBe(-EPERM);
    expect(m.mmap(true)).toBeNull();
    expect(m.mmap(false)).toBe(m.values);
  });

  it('.bss starts zeroed; .data is writable by programs and shared with the mmap', () => {
    const bss = createGlobalDataMap({ name: 'probe.bss', section: 'bss', size: 16 }, env);
    expect(bss.lookup(u32(0))).toEqual(new Uint8Array(16));
    const data = createGlobalDataMap({ name: 'probe.data', section: 'data', size: 8, image: u64(5) }, env);
    expect(data.readOnlyForPrograms).toBe(false);
    const view = data.mmap(true)!;
    expect(data.programUpdate(u32(0), 0, u64(6), 0, BPF_ANY, 0)).toBe(0);
    expect(readU64(view)).toBe(6);
    expect(data.freeze()).toBe(-EBUSY); // a writable mapping exists
  });
});
