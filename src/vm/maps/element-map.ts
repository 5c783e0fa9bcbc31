// The operations hash and array maps share: bpf(2)'s element commands and the helpers' program-side calls.

/** The result of BPF_MAP_LOOKUP_BATCH or BPF_MAP_LOOKUP_AND_DELETE_BATCH. */
export interface MapBatch {
  /**
   * 0 when more may follow; -ENOENT when the walk reached the end (this batch may still hold
   * entries, as in the kernel); -ENOSPC when the first hash bucket holds more than `maxCount`;
   * -EINVAL or -EPERM when the request is refused.
   */
  error: number;
  /** Entries returned. */
  count: number;
  /** `count` keys of key_size bytes, back to back. */
  keys: Uint8Array;
  /** `count` values as bpf(2) lays them out (per-CPU maps: each CPU's value rounded up to 8). */
  values: Uint8Array;
  /** out_batch: hand it back as `inBatch` to continue (hash: bucket index; array: the last index). */
  nextBatch: number;
}

/**
 * A map of keys to values (hash and array kinds). Two faces:
 * - bpf(2), for user space: copies in and out, per-CPU values for all CPUs at once;
 * - the helpers map_lookup_elem (1), map_update_elem (2) and map_delete_elem (3), for programs:
 *   keys and values are read where the program's pointer points (a byte array and an offset), and
 *   a lookup returns an offset into `values`, the map's one storage array, so the helper can hand
 *   the program a pointer to exactly value_size bytes there.
 */
export interface ElementMap {
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** Elements present (hash) or max_entries (array). */
  readonly size: number;
  /** Bytes of one value as bpf(2) moves it: value_size, or possibleCpus × round_up(value_size, 8). */
  readonly syscallValueSize: number;
  /**
   * The storage that program pointers point into. Preallocated at creation and never replaced, so
   * a value's offset stays valid while its element exists (arrays: always) and a program's writes
   * through it are what bpf(2) lookups read.
   */
  readonly values: Uint8Array;

  /** BPF_MAP_LOOKUP_ELEM into `out` (syscallValueSize bytes): 0, -ENOENT, or -EPERM. */
  lookupInto(key: Uint8Array, out: Uint8Array): number;
  /** BPF_MAP_LOOKUP_ELEM returning a copy, or null when the element is absent. */
  lookup(key: Uint8Array): Uint8Array | null;
  /** The per-CPU values of an element as one view each (non-per-CPU maps: one view), or null. */
  lookupPerCpu(key: Uint8Array): Uint8Array[] | null;
  /** BPF_MAP_UPDATE_ELEM: 0, -EEXIST, -ENOENT, -E2BIG, -EINVAL, -EPERM, -ENOMEM. */
  update(key: Uint8Array, value: Uint8Array, flags?: number): number;
  /** BPF_MAP_DELETE_ELEM: 0, -ENOENT, -EINVAL (arrays), -EPERM. */
  delete(key: Uint8Array): number;
  /**
   * BPF_MAP_GET_NEXT_KEY: the key after `key`, the first key for null or for a key not in the
   * map (so deleting the current key mid-walk restarts the walk), or null at the end (-ENOENT).
   */
  nextKey(key: Uint8Array | null): Uint8Array | null;
  /** BPF_MAP_LOOKUP_BATCH from `inBatch` (null: the start), at most `maxCount` entries. */
  lookupBatch(inBatch: number | null, maxCount: number): MapBatch;
  /**
   * BPF_MAP_LOOKUP_AND_DELETE_BATCH: as lookupBatch, deleting what it returns (hash maps); arrays
   * cannot delete and return -ENOTSUPP, as the kernel (no map_lookup_and_delete_batch for arrays).
   */
  lookupAndDeleteBatch(inBatch: number | null, maxCount: number): MapBatch;
  /** Every [key, value] pair as bpf(2) would walk them with get-next-key; values are copies. */
  entries(): IterableIterator<[Uint8Array, Uint8Array]>;

  /**
   * Helper 1, bpf_map_lookup_elem: the key is at `mem[keyOff]`; returns the offset in `values` of
   * `cpu`'s value (value_size bytes) or -1 for NULL. LRU maps count it as a use.
   */
  programLookup(mem: Uint8Array, keyOff: number, cpu: number): number;
  /** Helper 2, bpf_map_update_elem: 0 or a negative errno; per-CPU maps write only `cpu`'s value. */
  programUpdate(keyMem: Uint8Array, keyOff: number, valueMem: Uint8Array, valueOff: number, flags: number, cpu: number): number;
  /** Helper 3, bpf_map_delete_elem: 0 or a negative errno. */
  programDelete(keyMem: Uint8Array, keyOff: number, cpu: number): number;
}

/** The layout facts a per-CPU lookup needs (both element map classes have them). */
interface PerCpuLayout {
  readonly perCpu: boolean;
  readonly cpuStride: number;
  readonly valueSize: number;
  readonly possibleCpus: number;
  readonly syscallValueSize: number;
  lookupInto(key: Uint8Array, out: Uint8Array): number;
}

/** BPF_MAP_LOOKUP_ELEM returning a fresh copy of syscallValueSize bytes, or null when absent. */
export function lookupCopy(map: PerCpuLayout, key: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(map.syscallValueSize);
  return map.lookupInto(key, out) === 0 ? out : null;
}

/** An element's value per CPU, one view each (value_size bytes; one view for non-per-CPU maps), or null. */
export function lookupPerCpuViews(map: PerCpuLayout, key: Uint8Array): Uint8Array[] | null {
  const all = lookupCopy(map, key);
  if (!all) return null;
  if (!map.perCpu) return [all];
  const views: Uint8Array[] = [];
  for (let cpu = 0; cpu < map.possibleCpus; cpu++) views.push(all.subarray(cpu * map.cpuStride, cpu * map.cpuStride + map.valueSize));
  return views;
}
