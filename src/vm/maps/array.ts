// BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY (kernel/bpf/arraymap.c): preallocated, zero-initialised, u32 index keys.
import { BpfMap, copyBytes, expectCpu, expectLength, readIndex, updateFlagsError } from './bpf-map.js';
import {
  BPF_F_MMAPABLE, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_NOEXIST, E2BIG, EEXIST, EINVAL,
  ENOENT, ENOTSUPP, EPERM, PAGE_SIZE,
} from './constants.js';
import { MapDefinitionError, roundUp8, type MapDefinition, type MapEnvironment } from './definition.js';
import { lookupCopy, lookupPerCpuViews, type ElementMap, type MapBatch } from './element-map.js';

/**
 * An array map. Element i's value lives at `values[i * elementStride]`; a per-CPU array keeps each
 * CPU's value there in turn, `cpuStride` (value_size rounded up to 8) apart, as bpf(2) lays them out.
 */
export class ArrayMap extends BpfMap implements ElementMap {
  readonly values: Uint8Array;
  /** Whether each element holds one value per possible CPU. */
  readonly perCpu: boolean;
  /** Bytes between one CPU's value and the next's: round_up(value_size, 8). */
  readonly cpuStride: number;
  /** Bytes between elements. */
  readonly elementStride: number;
  readonly syscallValueSize: number;

  /** Creates the map, all values zero; throws MapDefinitionError for a definition the kernel refuses. */
  constructor(def: MapDefinition, env: MapEnvironment, where?: string) {
    super(def, env, where);
    if (def.type !== BPF_MAP_TYPE_ARRAY && def.type !== BPF_MAP_TYPE_PERCPU_ARRAY) {
      throw new MapDefinitionError(`not an array map type: ${def.type}`, where, EINVAL);
    }
    this.perCpu = def.type === BPF_MAP_TYPE_PERCPU_ARRAY;
    this.cpuStride = roundUp8(this.valueSize);
    this.elementStride = this.perCpu ? this.cpuStride * this.possibleCpus : this.cpuStride;
    this.syscallValueSize = this.perCpu ? this.elementStride : this.valueSize;
    let bytes = this.maxEntries * this.elementStride;
    // An mmapable array's value area is whole pages, as array_map_alloc() page-aligns it.
    if (this.flags & BPF_F_MMAPABLE) bytes = Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
    this.values = new Uint8Array(bytes);
  }

  /** Always max_entries: array elements exist from creation to the end. */
  get size(): number {
    return this.maxEntries;
  }

  /**
   * Offset in `values` of element `index`'s value for `cpu`: what a direct value access
   * (BPF_PSEUDO_MAP_VALUE, e.g. a global variable in .data) resolves to. -1 when out of range.
   */
  valueOffset(index: number, cpu = 0): number {
    if (!(index >= 0 && index < this.maxEntries)) return -1;
    return index * this.elementStride + (this.perCpu ? cpu * this.cpuStride : 0);
  }

  /**
   * mmap() of a BPF_F_MMAPABLE array: the value storage itself, so writes either side are seen by
   * the other. null when the map is not mmapable or, for a writable mapping, frozen or read-only
   * (the kernel's -EPERM). A writable mapping makes later freezing fail with -EBUSY.
   */
  mmap(writable: boolean): Uint8Array | null {
    if (!(this.flags & BPF_F_MMAPABLE)) return null;
    if (writable) {
      if (this.syscallWriteError()) return null;
      this.writablyMapped = true;
    }
    return this.values;
  }

  lookupInto(key: Uint8Array, out: Uint8Array): number {
    expectLength(key, 4, 'key');
    expectLength(out, this.syscallValueSize, 'value');
    const err = this.syscallReadError();
    if (err) return err;
    const index = readIndex(key, 0);
    if (index >= this.maxEntries) return -ENOENT;
    const base = index * this.elementStride;
    if (!this.perCpu) {
      out.set(this.values.subarray(base, base + this.valueSize));
    } else {
      // bpf_percpu_array_copy(): each CPU's value rounded up to 8 bytes.
      out.set(this.values.subarray(base, base + this.elementStride));
    }
    return 0;
  }

  lookup(key: Uint8Array): Uint8Array | null {
    return lookupCopy(this, key);
  }

  lookupPerCpu(key: Uint8Array): Uint8Array[] | null {
    return lookupPerCpuViews(this, key);
  }

  update(key: Uint8Array, value: Uint8Array, flags = 0): number {
    expectLength(key, 4, 'key');
    expectLength(value, this.syscallValueSize, 'value');
    const err = this.syscallWriteError();
    if (err) return err;
    const index = readIndex(key, 0);
    const e = this.checkUpdate(index, flags);
    if (e) return e;
    const base = index * this.elementStride;
    this.values.set(value, base);
    return 0;
  }

  delete(key: Uint8Array): number {
    expectLength(key, 4, 'key');
    const err = this.syscallWriteError();
    if (err) return err;
    // array_map_delete_elem(): elements cannot be deleted.
    return -EINVAL;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    const next = this.nextIndex(key === null ? null : (expectLength(key, 4, 'key'), readIndex(key, 0)));
    if (next < 0) return null;
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, next, true);
    return out;
  }

  /** array_map_get_next_key(): an index past the end restarts at 0; the last index ends the walk (-1). */
  private nextIndex(index: number | null): number {
    if (index === null || index >= this.maxEntries) return 0;
    if (index === this.maxEntries - 1) return -1;
    return index + 1;
  }

  lookupBatch(inBatch: number | null, maxCount: number): MapBatch {
    // generic_map_lookup_batch(): get-next-key from the last key returned, one element at a time.
    const empty = (error: number): MapBatch => ({
      error, count: 0, keys: new Uint8Array(0), values: new Uint8Array(0), nextBatch: inBatch ?? 0,
    });
    const err = this.syscallReadError();
    if (err) return empty(err);
    if (maxCount <= 0) return empty(0);
    const n = Math.min(maxCount, this.maxEntries);
    const keys = new Uint8Array(n * 4);
    const keyView = new DataView(keys.buffer);
    const values = new Uint8Array(n * this.syscallValueSize);
    let count = 0;
    let prev = inBatch;
    let error = 0;
    while (count < maxCount) {
      const next = this.nextIndex(prev);
      if (next < 0) {
        error = -ENOENT;
        break;
      }
      keyView.setUint32(count * 4, next, true);
      const base = next * this.elementStride;
      values.set(this.values.subarray(base, base + this.syscallValueSize), count * this.syscallValueSize);
      count++;
      prev = next;
    }
    return {
      error, count, keys: keys.subarray(0, count * 4),
      values: values.subarray(0, count * this.syscallValueSize), nextBatch: prev ?? 0,
    };
  }

  lookupAndDeleteBatch(inBatch: number | null, _maxCount: number): MapBatch {
    return { error: -ENOTSUPP, count: 0, keys: new Uint8Array(0), values: new Uint8Array(0), nextBatch: inBatch ?? 0 };
  }

  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (let key = this.nextKey(null); key; key = this.nextKey(key)) {
      const value = this.lookup(key);
      if (value) yield [key, value];
    }
  }

  programLookup(mem: Uint8Array, keyOff: number, cpu: number): number {
    const index = readIndex(mem, keyOff);
    if (index >= this.maxEntries) return -1;
    if (!this.perCpu) return index * this.elementStride;
    expectCpu(cpu, this.possibleCpus);
    return index * this.elementStride + cpu * this.cpuStride;
  }

  programUpdate(keyMem: Uint8Array, keyOff: number, valueMem: Uint8Array, valueOff: number, flags: number, cpu: number): number {
    // The verifier refuses writes to BPF_F_RDONLY_PROG maps; refuse here too for unverified code.
    if (this.readOnlyForPrograms) return -EPERM;
    const index = readIndex(keyMem, keyOff);
    const e = this.checkUpdate(index, flags);
    if (e) return e;
    let base = index * this.elementStride;
    if (this.perCpu) {
      expectCpu(cpu, this.possibleCpus);
      base += cpu * this.cpuStride;
    }
    // copy_map_value(): value_size bytes, the rest of the 8-byte slot is left alone.
    copyBytes(this.values, base, valueMem, valueOff, this.valueSize);
    return 0;
  }

  programDelete(_keyMem: Uint8Array, _keyOff: number, _cpu: number): number {
    return this.readOnlyForPrograms ? -EPERM : -EINVAL;
  }

  /** array_map_update_elem()'s checks, in its order: flags, index range, BPF_NOEXIST. */
  private checkUpdate(index: number, flags: number): number {
    const e = updateFlagsError(flags);
    if (e) return e;
    // All elements were preallocated; an index past the end cannot be inserted.
    if (index >= this.maxEntries) return -E2BIG;
    // All elements already exist.
    if (flags === BPF_NOEXIST) return -EEXIST;
    return 0;
  }
}
