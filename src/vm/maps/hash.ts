// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c) over preallocated typed arrays.
import { BpfMap, copyBytes, expectCpu, expectLength, loadWords, updateFlagsError } from './bpf-map.js';
import {
  BPF_EXIST, BPF_F_NO_COMMON_LRU, BPF_F_ZERO_SEED, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT,
  ENOSPC, EPERM,
} from './constants.js';
import { MapDefinitionError, roundUp8, type MapDefinition, type MapEnvironment } from './definition.js';
import { lookupCopy, lookupPerCpuViews, type ElementMap, type MapBatch } from './element-map.js';
import { jhash, jhashWords } from './jhash.js';
import { LruList } from './lru-list.js';

/** Whether this machine stores words little-endian (keys compared as words must keep their byte order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * A hash map laid out as the kernel's preallocated htab: max_entries element slots, a power-of-two
 * bucket array of singly linked chains, new elements at the head of their bucket's chain, the
 * bucket chosen by jhash of the key. Keeping that shape keeps get-next-key order and batch
 * boundaries the kernel's. Slot s's key is at `keys[s * key_size]` and its value at
 * `values[s * elementStride]` (per-CPU: each CPU's value `cpuStride` apart).
 *
 * Differences from the kernel, on purpose:
 * - Updating an existing element writes its value in place; the kernel's plain and LRU hashes link
 *   a fresh element and free the old one, so a pointer taken before the update keeps the old value
 *   there. In place, an earlier pointer sees the new value; no pointer ever reads freed storage
 *   that is not this map's.
 * - BPF_F_NO_PREALLOC maps are preallocated too; only memory use differs, not behaviour.
 * - LRU: exact least-recently-used eviction (see LruList); an LRU update never evicts when the key
 *   exists, while the kernel pops a node first and so may evict even for a failing BPF_NOEXIST.
 * - The hash seed is `env.hashSeed` (default 0), not random, so seeded runs repeat exactly.
 */
export class HashMap extends BpfMap implements ElementMap {
  readonly values: Uint8Array;
  /** Whether each element holds one value per possible CPU. */
  readonly perCpu: boolean;
  /** Whether a full map evicts its least recently used element instead of failing with -E2BIG. */
  readonly lru: boolean;
  /** Bytes between one CPU's value and the next's: round_up(value_size, 8). */
  readonly cpuStride: number;
  /** Bytes between elements in `values`. */
  readonly elementStride: number;
  readonly syscallValueSize: number;
  /** Number of buckets: max_entries rounded up to a power of two, as htab_map_alloc(). */
  readonly bucketCount: number;

  private readonly keys: Uint8Array;
  /**
   * Key size in 32-bit words when it is a whole number of them (nearly every map), else 0. Such
   * keys are read once into `keyWords` by hashKey, then hashed, compared (`keys32`, over `keys`)
   * and copied as words: reading the bytes three times was most of a map operation's cost.
   */
  private readonly words: number;
  private readonly keyWords: Int32Array;
  private readonly keys32: Int32Array;
  /**
   * Value size in words when it is a whole number of them and small (most timestamp structs),
   * else 0: a program's update writes such a value as words (`values32`, over `values`); a larger
   * one is copied with one set(), whose fixed cost a small value does not repay.
   */
  private readonly valueWords: number;
  private readonly values32: Int32Array;
  private readonly hashes: Uint32Array;
  /** Next slot in the same bucket's chain, -1 at the end. */
  private readonly chain: Int32Array;
  /** First slot of each bucket's chain, -1 when empty. */
  private readonly buckets: Int32Array;
  private readonly bucketMask: number;
  private readonly seed: number;
  /** Free slots per free list, chained through freeNext (one list, or one per CPU for per-CPU LRU). */
  private readonly freeNext: Int32Array;
  private readonly freeHeads: Int32Array;
  /** Slots per LRU list (all slots when the LRU is common). */
  private readonly slotsPerList: number;
  private readonly recency: LruList | null;
  private count = 0;

  /** Creates the map, empty; throws MapDefinitionError for a definition the kernel refuses. */
  constructor(def: MapDefinition, env: MapEnvironment, where?: string) {
    super(HashMap.withKernelMaxEntries(def, env), env, where);
    const t = def.type;
    if (t !== BPF_MAP_TYPE_HASH && t !== BPF_MAP_TYPE_PERCPU_HASH && t !== BPF_MAP_TYPE_LRU_HASH && t !== BPF_MAP_TYPE_LRU_PERCPU_HASH) {
      throw new MapDefinitionError(`not a hash map type: ${t}`, where, EINVAL);
    }
    this.perCpu = t === BPF_MAP_TYPE_PERCPU_HASH || t === BPF_MAP_TYPE_LRU_PERCPU_HASH;
    this.lru = t === BPF_MAP_TYPE_LRU_HASH || t === BPF_MAP_TYPE_LRU_PERCPU_HASH;
    this.cpuStride = roundUp8(this.valueSize);
    this.elementStride = this.perCpu ? this.cpuStride * this.possibleCpus : this.cpuStride;
    this.syscallValueSize = this.perCpu ? this.elementStride : this.valueSize;
    const slots = this.maxEntries;
    let buckets = 1;
    while (buckets < slots) buckets *= 2;
    this.bucketCount = buckets;
    this.bucketMask = buckets - 1;
    this.seed = this.flags & BPF_F_ZERO_SEED ? 0 : (env.hashSeed ?? 0) >>> 0;
    this.values = new Uint8Array(slots * this.elementStride);
    this.keys = new Uint8Array(slots * this.keySize);
    this.words = this.keySize % 4 === 0 && LITTLE_ENDIAN ? this.keySize >> 2 : 0;
    this.keyWords = new Int32Array(this.words);
    this.valueWords = this.valueSize % 4 === 0 && this.valueSize <= 64 && LITTLE_ENDIAN ? this.valueSize >> 2 : 0;
    this.values32 = this.valueWords ? new Int32Array(this.values.buffer) : new Int32Array(0);
    this.keys32 = this.words ? new Int32Array(this.keys.buffer) : new Int32Array(0);
    this.hashes = new Uint32Array(slots);
    this.chain = new Int32Array(slots).fill(-1);
    this.buckets = new Int32Array(buckets).fill(-1);
    const lists = this.lru && this.flags & BPF_F_NO_COMMON_LRU ? this.possibleCpus : 1;
    this.slotsPerList = slots / lists;
    this.freeNext = new Int32Array(slots);
    this.freeHeads = new Int32Array(lists);
    for (let list = 0; list < lists; list++) {
      const first = list * this.slotsPerList;
      const last = first + this.slotsPerList - 1;
      // Lowest slot first, so a fresh map fills its storage from the front.
      for (let s = first; s < last; s++) this.freeNext[s] = s + 1;
      this.freeNext[last] = -1;
      this.freeHeads[list] = first;
    }
    this.recency = this.lru ? new LruList(slots, lists) : null;
  }

  /**
   * With BPF_F_NO_COMMON_LRU each CPU's list gets the same number of elements: max_entries is
   * rounded up to a multiple of the CPUs (down if that overflows u32), as htab_map_alloc() does.
   */
  private static withKernelMaxEntries(def: MapDefinition, env: MapEnvironment): MapDefinition {
    const lru = def.type === BPF_MAP_TYPE_LRU_HASH || def.type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
    if (!lru || !((def.flags ?? 0) & BPF_F_NO_COMMON_LRU) || !(env.possibleCpus >= 1)) return def;
    const cpus = env.possibleCpus;
    let n = Math.ceil(def.maxEntries / cpus) * cpus;
    if (n > 0xffffffff) n = Math.floor(def.maxEntries / cpus) * cpus;
    return { ...def, maxEntries: n };
  }

  /** Elements present. */
  get size(): number {
    return this.count;
  }

  /** The LRU list a slot belongs to (0 for a common LRU). */
  private listOf(slot: number): number {
    return this.slotsPerList === this.maxEntries ? 0 : Math.floor(slot / this.slotsPerList);
  }

  /** The key's hash; for a key of whole words, also loads them into keyWords (which find and upsert then use). */
  private hashKey(mem: Uint8Array, off: number): number {
    const n = this.words;
    if (n === 0) return jhash(mem, off, this.keySize, this.seed);
    loadWords(this.keyWords, 0, mem, off, n);
    return jhashWords(this.keyWords, n, this.seed);
  }

  /** The slot holding the key at `mem[off]` with hash `hash` (just computed by hashKey for this key), or -1. */
  private find(mem: Uint8Array, off: number, hash: number): number {
    const n = this.words;
    if (n !== 0) {
      const w = this.keyWords, keys32 = this.keys32;
      for (let s = this.buckets[hash & this.bucketMask]!; s >= 0; s = this.chain[s]!) {
        if (this.hashes[s] !== hash) continue;
        let j = 0;
        const base = s * n;
        while (j < n && keys32[base + j] === w[j]) j++;
        if (j === n) return s;
      }
      return -1;
    }
    const ks = this.keySize;
    const keys = this.keys;
    for (let s = this.buckets[hash & this.bucketMask]; s >= 0; s = this.chain[s]) {
      if (this.hashes[s] !== hash) continue;
      let i = 0;
      const base = s * ks;
      while (i < ks && keys[base + i] === mem[off + i]) i++;
      if (i === ks) return s;
    }
    return -1;
  }

  /** Unlinks `slot` from its bucket chain. */
  private unlink(slot: number): void {
    const b = this.hashes[slot] & this.bucketMask;
    let s = this.buckets[b];
    if (s === slot) {
      this.buckets[b] = this.chain[slot];
    } else {
      while (this.chain[s] !== slot) s = this.chain[s];
      this.chain[s] = this.chain[slot];
    }
    this.chain[slot] = -1;
  }

  /** Removes an element: out of its bucket and LRU list, back on its free list. */
  private release(slot: number): void {
    this.unlink(slot);
    const list = this.listOf(slot);
    if (this.recency) this.recency.remove(list, slot);
    this.freeNext[slot] = this.freeHeads[list];
    this.freeHeads[list] = slot;
    this.count--;
  }

  /**
   * A free slot for a new element on `cpu`'s list, or -1 when the map is full. LRU maps evict the
   * list's least recently used element to make one, as prealloc_lru_pop() does.
   */
  private allocate(cpu: number): number {
    const list = this.slotsPerList === this.maxEntries ? 0 : cpu;
    let slot = this.freeHeads[list];
    if (slot < 0) {
      if (!this.recency) return -1;
      const victim = this.recency.oldest(list);
      if (victim < 0) return -1;
      this.release(victim);
      slot = this.freeHeads[list];
    }
    this.freeHeads[list] = this.freeNext[slot];
    return slot;
  }

  /**
   * Inserts or updates. `onAllCpus`: the value holds every CPU's value (bpf(2)); otherwise it is
   * `cpu`'s value (a program), and a new per-CPU element's other CPUs start at zero
   * (pcpu_init_value).
   */
  private upsert(keyMem: Uint8Array, keyOff: number, valueMem: Uint8Array, valueOff: number,
    flags: number, cpu: number, onAllCpus: boolean): number {
    const e = updateFlagsError(flags);
    if (e) return e;
    const hash = this.hashKey(keyMem, keyOff);
    let slot = this.find(keyMem, keyOff, hash);
    // check_flags()
    if (slot >= 0 && flags === BPF_NOEXIST) return -EEXIST;
    if (slot < 0 && flags === BPF_EXIST) return -ENOENT;
    if (slot >= 0) {
      if (this.recency) this.recency.touch(this.listOf(slot), slot);
    } else {
      slot = this.allocate(cpu);
      // All preallocated elements are in use (the kernel's -E2BIG from alloc_htab_elem()).
      if (slot < 0) return -E2BIG;
      const n = this.words;
      if (n !== 0) {
        const w = this.keyWords, keys32 = this.keys32, base = slot * n;
        for (let j = 0; j < n; j++) keys32[base + j] = w[j]!;
      } else copyBytes(this.keys, slot * this.keySize, keyMem, keyOff, this.keySize);
      this.hashes[slot] = hash;
      const b = hash & this.bucketMask;
      this.chain[slot] = this.buckets[b];
      this.buckets[b] = slot;
      this.count++;
      if (this.recency) this.recency.pushFront(this.listOf(slot), slot);
      if (this.perCpu && !onAllCpus) {
        const base = slot * this.elementStride;
        this.values.fill(0, base, base + this.elementStride);
      }
    }
    const base = slot * this.elementStride;
    if (!this.perCpu) {
      if (this.valueWords !== 0) loadWords(this.values32, base >> 2, valueMem, valueOff, this.valueWords);
      else copyBytes(this.values, base, valueMem, valueOff, this.valueSize);
      // A reused slot must not show the previous element's bytes past value_size.
      if (this.cpuStride !== this.valueSize) this.values.fill(0, base + this.valueSize, base + this.cpuStride);
    } else if (onAllCpus) {
      copyBytes(this.values, base, valueMem, valueOff, this.elementStride);
    } else {
      const at = base + cpu * this.cpuStride;
      copyBytes(this.values, at, valueMem, valueOff, this.valueSize);
    }
    return 0;
  }

  lookupInto(key: Uint8Array, out: Uint8Array): number {
    expectLength(key, this.keySize, 'key');
    expectLength(out, this.syscallValueSize, 'value');
    const err = this.syscallReadError();
    if (err) return err;
    // bpf(2) lookups of LRU maps do not count as a use (htab_lru_map_lookup_elem_sys).
    const slot = this.find(key, 0, this.hashKey(key, 0));
    if (slot < 0) return -ENOENT;
    const base = slot * this.elementStride;
    out.set(this.values.subarray(base, base + this.syscallValueSize));
    return 0;
  }

  lookup(key: Uint8Array): Uint8Array | null {
    return lookupCopy(this, key);
  }

  lookupPerCpu(key: Uint8Array): Uint8Array[] | null {
    return lookupPerCpuViews(this, key);
  }

  /** BPF_MAP_UPDATE_ELEM. For per-CPU LRU lists, a new element goes on CPU 0's list (the kernel: the syscall's CPU). */
  update(key: Uint8Array, value: Uint8Array, flags = 0): number {
    expectLength(key, this.keySize, 'key');
    expectLength(value, this.syscallValueSize, 'value');
    const err = this.syscallWriteError();
    if (err) return err;
    return this.upsert(key, 0, value, 0, flags, 0, true);
  }

  delete(key: Uint8Array): number {
    expectLength(key, this.keySize, 'key');
    const err = this.syscallWriteError();
    if (err) return err;
    const slot = this.find(key, 0, this.hashKey(key, 0));
    if (slot < 0) return -ENOENT;
    this.release(slot);
    return 0;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    const slot = this.nextSlot(key === null ? null : (expectLength(key, this.keySize, 'key'), key));
    if (slot < 0) return null;
    return this.keys.slice(slot * this.keySize, (slot + 1) * this.keySize);
  }

  /**
   * htab_map_get_next_key(): the next element in the key's chain, else the first element of a
   * following bucket; from the first bucket when the key is null or not in the map.
   */
  private nextSlot(key: Uint8Array | null): number {
    let b = 0;
    if (key !== null) {
      const hash = this.hashKey(key, 0);
      const slot = this.find(key, 0, hash);
      if (slot >= 0) {
        if (this.chain[slot] >= 0) return this.chain[slot];
        b = (hash & this.bucketMask) + 1;
      }
    }
    for (; b < this.bucketCount; b++) if (this.buckets[b] >= 0) return this.buckets[b];
    return -1;
  }

  lookupBatch(inBatch: number | null, maxCount: number): MapBatch {
    return this.batch(inBatch, maxCount, false);
  }

  lookupAndDeleteBatch(inBatch: number | null, maxCount: number): MapBatch {
    return this.batch(inBatch, maxCount, true);
  }

  /**
   * __htab_map_lookup_and_delete_batch(): whole buckets at a time from bucket `inBatch`; a bucket
   * that does not fit in what is left ends the batch there, or fails with -ENOSPC if nothing was
   * copied yet; passing the last bucket ends with -ENOENT.
   */
  private batch(inBatch: number | null, maxCount: number, del: boolean): MapBatch {
    let bucket = inBatch ?? 0;
    const result = (error: number, count: number, keys: Uint8Array, values: Uint8Array): MapBatch =>
      ({ error, count, keys, values, nextBatch: bucket });
    const none = new Uint8Array(0);
    const access = this.syscallReadError() || (del ? this.syscallWriteError() : 0);
    if (access) return result(access, 0, none, none);
    if (maxCount <= 0) return result(0, 0, none, none);
    if (bucket >= this.bucketCount) return result(-ENOENT, 0, none, none);
    const cap = Math.min(maxCount, this.count);
    const keys = new Uint8Array(cap * this.keySize);
    const values = new Uint8Array(cap * this.syscallValueSize);
    let total = 0;
    let error = 0;
    for (;;) {
      let inBucket = 0;
      for (let s = this.buckets[bucket]; s >= 0; s = this.chain[s]) inBucket++;
      if (inBucket > maxCount - total) {
        if (total === 0) error = -ENOSPC;
        break;
      }
      for (let s = this.buckets[bucket]; s >= 0;) {
        const next = this.chain[s];
        keys.set(this.keys.subarray(s * this.keySize, (s + 1) * this.keySize), total * this.keySize);
        const base = s * this.elementStride;
        values.set(this.values.subarray(base, base + this.syscallValueSize), total * this.syscallValueSize);
        total++;
        if (del) this.release(s);
        s = next;
      }
      bucket++;
      if (bucket >= this.bucketCount) {
        error = -ENOENT;
        break;
      }
    }
    return result(error, total, keys.subarray(0, total * this.keySize), values.subarray(0, total * this.syscallValueSize));
  }

  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (let key = this.nextKey(null); key; key = this.nextKey(key)) {
      const value = this.lookup(key);
      if (value) yield [key, value];
    }
  }

  programLookup(mem: Uint8Array, keyOff: number, cpu: number): number {
    const slot = this.find(mem, keyOff, this.hashKey(mem, keyOff));
    if (slot < 0) return -1;
    // A program's lookup is a use (the kernel sets the element's LRU reference bit).
    if (this.recency) this.recency.touch(this.listOf(slot), slot);
    if (!this.perCpu) return slot * this.elementStride;
    expectCpu(cpu, this.possibleCpus);
    return slot * this.elementStride + cpu * this.cpuStride;
  }

  programUpdate(keyMem: Uint8Array, keyOff: number, valueMem: Uint8Array, valueOff: number, flags: number, cpu: number): number {
    // The verifier refuses writes to BPF_F_RDONLY_PROG maps; refuse here too for unverified code.
    if (this.readOnlyForPrograms) return -EPERM;
    if (this.perCpu || this.slotsPerList !== this.maxEntries) expectCpu(cpu, this.possibleCpus);
    return this.upsert(keyMem, keyOff, valueMem, valueOff, flags, cpu, false);
  }

  programDelete(keyMem: Uint8Array, keyOff: number, _cpu: number): number {
    if (this.readOnlyForPrograms) return -EPERM;
    const slot = this.find(keyMem, keyOff, this.hashKey(keyMem, keyOff));
    if (slot < 0) return -ENOENT;
    this.release(slot);
    return 0;
  }

  /** Keys from most to least recently used on `list` (LRU maps; for tests and inspection). */
  recencyOrder(list = 0): Uint8Array[] {
    if (!this.recency) return [];
    return this.recency.order(list).map((s) => this.keys.slice(s * this.keySize, (s + 1) * this.keySize));
  }
}
