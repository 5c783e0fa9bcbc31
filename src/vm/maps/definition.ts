// What a map is created from (bpf_attr's map fields), the machine it lives on, and the kernel's creation checks.
import { InputError } from '../../errors.js';
import {
  BPF_F_ACCESS_MASK, BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC,
  BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY,
  BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_CGROUP_ARRAY, BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_RINGBUF, E2BIG, EINVAL,
  ENOMEM, ENOTSUPP, MAP_TYPE_NAMES, PAGE_SIZE,
} from './constants.js';

/** The map fields of bpf_attr for BPF_MAP_CREATE, as a loader reads them from BTF or `maps`. */
export interface MapDefinition {
  /** The map's name (for messages); the kernel keeps 15 characters of it, viotrace keeps all. */
  name?: string;
  /** A BPF_MAP_TYPE_* id. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** BPF_F_* creation flags; 0 when absent. */
  flags?: number;
}

/** The machine a map lives on: what the kernel would read from num_possible_cpus() and get_random_u32(). */
export interface MapEnvironment {
  /** Possible CPUs: per-CPU maps hold this many values; perf event arrays expect one entry each. */
  possibleCpus: number;
  /**
   * The hash seed for hash maps without BPF_F_ZERO_SEED. The kernel draws a random one per map;
   * viotrace defaults to 0 so seeded simulations iterate maps in the same order every run.
   */
  hashSeed?: number;
}

/** A definition the kernel's BPF_MAP_CREATE would refuse; `errno` is what bpf(2) would return. */
export class MapDefinitionError extends InputError {
  constructor(message: string, where: string | undefined, readonly errno: number) {
    super(message, where);
  }
}

/** KMALLOC_MAX_SIZE on x86-64 (order-10 pages); hash key + value must stay below it minus the element header. */
const KMALLOC_MAX_SIZE = 1 << 22;
/** sizeof(struct htab_elem) on x86-64, close enough for the limit above. */
const HTAB_ELEM_HEADER = 48;
/** PCPU_MIN_UNIT_SIZE: a per-CPU value may not exceed it. */
const PCPU_MIN_UNIT_SIZE = 32 << 10;
/** RINGBUF_MAX_DATA_SZ: page offsets in record headers are 24 bits; 3 meta pages are taken. */
const RINGBUF_MAX_DATA_SZ = ((1 << 24) - 3) * PAGE_SIZE;
/** What one JS map may allocate; the kernel's equivalent is memcg and vmalloc failing with -ENOMEM. */
export const MAP_MEMORY_LIMIT = 1 << 30;

const HTAB_CREATE_FLAG_MASK =
  BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
const ARRAY_CREATE_FLAG_MASK =
  BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const RINGBUF_CREATE_FLAG_MASK = BPF_F_NUMA_NODE;

/** Rounds up to a multiple of 8, as per-CPU values and element strides are (any u32, without 32-bit wrap-around). */
export function roundUp8(n: number): number {
  return n <= 0x7ffffff8 ? (n + 7) & ~7 : Math.ceil(n / 8) * 8;
}

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/**
 * Checks a definition as BPF_MAP_CREATE does (map_create in kernel/bpf/syscall.c, then the type's
 * map_alloc_check: htab_map_alloc_check, array_map_alloc_check, fd_array_map_alloc_check,
 * ringbuf_map_alloc) and throws MapDefinitionError naming the map and the kernel's errno.
 */
export function checkMapDefinition(def: MapDefinition, env: MapEnvironment, where?: string): void {
  const flags = def.flags ?? 0;
  const kind = MAP_TYPE_NAMES[def.type] ?? `type ${def.type}`;
  const label = `${kind} map${def.name ? ` '${def.name}'` : ''}`;
  const fail = (what: string, errno: number): never => {
    throw new MapDefinitionError(`${label}: ${what} (bpf(2) would return -${errnoName(errno)})`, where, errno);
  };
  if (!Number.isInteger(env.possibleCpus) || env.possibleCpus < 1 || env.possibleCpus > 8192) {
    throw new RangeError(`possibleCpus must be 1..8192, got ${env.possibleCpus}`);
  }
  for (const [field, v] of [['key_size', def.keySize], ['value_size', def.valueSize],
    ['max_entries', def.maxEntries], ['map_flags', flags]] as const) {
    if (!isU32(v)) fail(`${field} ${v} is not a u32`, EINVAL);
  }
  // bpf_get_file_flag(): read-only and write-only together make no sense.
  if ((flags & BPF_F_RDONLY) && (flags & BPF_F_WRONLY)) fail('BPF_F_RDONLY and BPF_F_WRONLY together', EINVAL);
  // bpf_map_flags_access_ok()
  if ((flags & BPF_F_RDONLY_PROG) && (flags & BPF_F_WRONLY_PROG)) {
    fail('BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together', EINVAL);
  }
  switch (def.type) {
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH: {
      const lru = def.type === BPF_MAP_TYPE_LRU_HASH || def.type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
      const percpu = def.type === BPF_MAP_TYPE_PERCPU_HASH || def.type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
      if (flags & ~HTAB_CREATE_FLAG_MASK) fail(`unknown map_flags 0x${(flags & ~HTAB_CREATE_FLAG_MASK).toString(16)}`, EINVAL);
      if (!lru && (flags & BPF_F_NO_COMMON_LRU)) fail('BPF_F_NO_COMMON_LRU is only for LRU maps', EINVAL);
      if (lru && (flags & BPF_F_NO_PREALLOC)) fail('LRU maps must be preallocated (BPF_F_NO_PREALLOC)', ENOTSUPP);
      if (def.maxEntries === 0) fail('max_entries must be non-zero', EINVAL);
      if (def.keySize === 0) fail('key_size must be non-zero', EINVAL);
      if (def.valueSize === 0) fail('value_size must be non-zero', EINVAL);
      if (def.keySize + def.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_HEADER) {
        fail(`key_size + value_size ${def.keySize + def.valueSize} too big`, E2BIG);
      }
      if (percpu && roundUp8(def.valueSize) > PCPU_MIN_UNIT_SIZE) {
        fail(`per-CPU value_size ${def.valueSize} exceeds ${PCPU_MIN_UNIT_SIZE}`, E2BIG);
      }
      if (def.maxEntries > 2 ** 31) fail(`max_entries ${def.maxEntries} exceeds 2^31`, E2BIG);
      const stride = percpu ? roundUp8(def.valueSize) * env.possibleCpus : roundUp8(def.valueSize);
      if (def.maxEntries * (stride + roundUp8(def.keySize) + 16) > MAP_MEMORY_LIMIT) {
        fail('map needs more memory than viotrace allows one map', ENOMEM);
      }
      return;
    }
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
    case BPF_MAP_TYPE_CGROUP_ARRAY:
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY: {
      const percpu = def.type === BPF_MAP_TYPE_PERCPU_ARRAY;
      if (def.type === BPF_MAP_TYPE_PERF_EVENT_ARRAY || def.type === BPF_MAP_TYPE_CGROUP_ARRAY) {
        // fd_array_map_alloc_check(): values are perf event or cgroup fds.
        if (def.valueSize !== 4) fail(`value_size must be 4 (a${def.type === BPF_MAP_TYPE_CGROUP_ARRAY ? ' cgroup' : ' perf event'} fd), got ${def.valueSize}`, EINVAL);
        if (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) fail('BPF_F_RDONLY_PROG/WRONLY_PROG not allowed', EINVAL);
      }
      if (def.maxEntries === 0) fail('max_entries must be non-zero', EINVAL);
      if (def.keySize !== 4) fail(`key_size must be 4 (a u32 index), got ${def.keySize}`, EINVAL);
      if (def.valueSize === 0) fail('value_size must be non-zero', EINVAL);
      if (flags & ~ARRAY_CREATE_FLAG_MASK) fail(`unknown map_flags 0x${(flags & ~ARRAY_CREATE_FLAG_MASK).toString(16)}`, EINVAL);
      if (def.type !== BPF_MAP_TYPE_ARRAY && (flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP))) {
        fail('BPF_F_MMAPABLE/BPF_F_INNER_MAP are only for plain arrays', EINVAL);
      }
      if (def.type !== BPF_MAP_TYPE_PERF_EVENT_ARRAY && (flags & BPF_F_PRESERVE_ELEMS)) {
        fail('BPF_F_PRESERVE_ELEMS is only for perf event arrays', EINVAL);
      }
      if (def.valueSize > 0x7fffffff) fail(`value_size ${def.valueSize} exceeds INT_MAX`, E2BIG);
      if (percpu && roundUp8(def.valueSize) > PCPU_MIN_UNIT_SIZE) {
        fail(`per-CPU value_size ${def.valueSize} exceeds ${PCPU_MIN_UNIT_SIZE}`, E2BIG);
      }
      const stride = percpu ? roundUp8(def.valueSize) * env.possibleCpus : roundUp8(def.valueSize);
      if (def.maxEntries * stride > MAP_MEMORY_LIMIT) fail('map needs more memory than viotrace allows one map', ENOMEM);
      return;
    }
    case BPF_MAP_TYPE_RINGBUF: {
      if (flags & ~RINGBUF_CREATE_FLAG_MASK) fail(`unknown map_flags 0x${(flags & ~RINGBUF_CREATE_FLAG_MASK).toString(16)}`, EINVAL);
      if (def.keySize !== 0 || def.valueSize !== 0) fail('key_size and value_size must be 0', EINVAL);
      const n = def.maxEntries;
      if (n === 0 || (n & (n - 1)) !== 0 || n % PAGE_SIZE !== 0) {
        fail(`max_entries ${n} must be a power of two and a multiple of the page size ${PAGE_SIZE}`, EINVAL);
      }
      if (n > RINGBUF_MAX_DATA_SZ) fail(`max_entries ${n} exceeds the ring-buffer limit`, E2BIG);
      if (2 * n > MAP_MEMORY_LIMIT) fail('ring buffer needs more memory than viotrace allows one map', ENOMEM);
      return;
    }
    default:
      fail(MAP_TYPE_NAMES[def.type] ? 'map type not supported by viotrace' : 'unknown map type', EINVAL);
  }
}

/** Names of the errnos map creation and operations return, for messages. */
export function errnoName(errno: number): string {
  const names: Record<number, string> = {
    1: 'EPERM', 2: 'ENOENT', 7: 'E2BIG', 11: 'EAGAIN', 12: 'ENOMEM', 17: 'EEXIST', 22: 'EINVAL',
    28: 'ENOSPC', 95: 'EOPNOTSUPP', 524: 'ENOTSUPP',
  };
  const e = Math.abs(errno);
  return names[e] ?? `errno ${e}`;
}
