// The kernel's numbers for maps: map type ids, creation and update flags, ring-buffer and perf constants, errnos.
// Values are those of include/uapi/linux/bpf.h, include/uapi/linux/perf_event.h and errno-base.h.

/** Map type ids (enum bpf_map_type); only the kinds viotrace implements plus their neighbours for messages. */
export const BPF_MAP_TYPE_HASH = 1;
/** Array: preallocated, zero-initialised, u32 index keys. */
export const BPF_MAP_TYPE_ARRAY = 2;
/** Array of perf event "fds", one per CPU, written with bpf_perf_event_output. */
export const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
/** Array of cgroups, asked by bpf_current_task_under_cgroup (libbpf-tools' -c filters). */
export const BPF_MAP_TYPE_CGROUP_ARRAY = 8;
/** Hash whose value exists once per possible CPU. */
export const BPF_MAP_TYPE_PERCPU_HASH = 5;
/** Array whose value exists once per possible CPU. */
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
/** Hash that evicts the least recently used element when full instead of failing. */
export const BPF_MAP_TYPE_LRU_HASH = 9;
/** LRU hash with per-CPU values. */
export const BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;
/** Multi-producer, single-consumer ring buffer (kernel/bpf/ringbuf.c). */
export const BPF_MAP_TYPE_RINGBUF = 27;

/** Readable names of map types, for messages and `viotrace prog`. */
export const MAP_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'unspec', 1: 'hash', 2: 'array', 3: 'prog_array', 4: 'perf_event_array', 5: 'percpu_hash',
  6: 'percpu_array', 7: 'stack_trace', 8: 'cgroup_array', 9: 'lru_hash', 10: 'lru_percpu_hash',
  11: 'lpm_trie', 12: 'array_of_maps', 13: 'hash_of_maps', 14: 'devmap', 15: 'sockmap', 16: 'cpumap',
  17: 'xskmap', 18: 'sockhash', 19: 'cgroup_storage', 20: 'reuseport_sockarray',
  21: 'percpu_cgroup_storage', 22: 'queue', 23: 'stack', 24: 'sk_storage', 25: 'devmap_hash',
  26: 'struct_ops', 27: 'ringbuf', 28: 'inode_storage', 29: 'task_storage', 30: 'bloom_filter',
  31: 'user_ringbuf', 32: 'cgrp_storage', 33: 'arena',
};

/** Update flags (bpf_map_update_elem): create or replace. */
export const BPF_ANY = 0;
/** Update flag: create only; -EEXIST if the key is present. */
export const BPF_NOEXIST = 1;
/** Update flag: replace only; -ENOENT if the key is absent. */
export const BPF_EXIST = 2;
/** Update flag: take the value's bpf_spin_lock; viotrace's values carry none, so it is -EINVAL. */
export const BPF_F_LOCK = 4;

/** Creation flag: hash elements allocated on demand instead of up front. */
export const BPF_F_NO_PREALLOC = 1 << 0;
/** Creation flag (LRU maps): one LRU list per CPU instead of a common one. */
export const BPF_F_NO_COMMON_LRU = 1 << 1;
/** Creation flag: numa_node attribute is valid. */
export const BPF_F_NUMA_NODE = 1 << 2;
/** Creation flag: read-only for the bpf(2) syscall side. */
export const BPF_F_RDONLY = 1 << 3;
/** Creation flag: write-only for the bpf(2) syscall side. */
export const BPF_F_WRONLY = 1 << 4;
/** Creation flag: hash with seed 0, so iteration order is reproducible. */
export const BPF_F_ZERO_SEED = 1 << 6;
/** Creation flag: programs may only read the map (libbpf sets it on .rodata). */
export const BPF_F_RDONLY_PROG = 1 << 7;
/** Creation flag: programs may only write the map. */
export const BPF_F_WRONLY_PROG = 1 << 8;
/** Creation flag: the array's values may be mmap()ed (libbpf sets it on global data). */
export const BPF_F_MMAPABLE = 1 << 10;
/** Creation flag (perf event array): keep entries when the map's last user fd closes. */
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
/** Creation flag: the map is an inner-map template. */
export const BPF_F_INNER_MAP = 1 << 12;
/** The four access flags as the kernel's BPF_F_ACCESS_MASK. */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

/** bpf_perf_event_output flags: the low 32 bits select the array index... */
export const BPF_F_INDEX_MASK = 0xffffffff;
/** ...or this value means "the current CPU's entry". */
export const BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK;

/** Ring-buffer submit/output flags: do not wake the consumer. */
export const BPF_RB_NO_WAKEUP = 1;
/** Ring-buffer submit/output flags: wake the consumer unconditionally. */
export const BPF_RB_FORCE_WAKEUP = 2;
/** bpf_ringbuf_query: bytes produced and not yet consumed. */
export const BPF_RB_AVAIL_DATA = 0;
/** bpf_ringbuf_query: data area size. */
export const BPF_RB_RING_SIZE = 1;
/** bpf_ringbuf_query: consumer position (grows without wrapping). */
export const BPF_RB_CONS_POS = 2;
/** bpf_ringbuf_query: producer position (grows without wrapping). */
export const BPF_RB_PROD_POS = 3;
/** Record header bit: reserved, not yet submitted or discarded. */
export const BPF_RINGBUF_BUSY_BIT = 0x80000000;
/** Record header bit: discarded; consumers skip it. */
export const BPF_RINGBUF_DISCARD_BIT = 0x40000000;
/** Record header size: u32 len, u32 pg_off. */
export const BPF_RINGBUF_HDR_SZ = 8;

/** perf record types (enum perf_event_type). */
export const PERF_RECORD_LOST = 2;
/** A sample; bpf_perf_event_output writes PERF_SAMPLE_RAW samples. */
export const PERF_RECORD_SAMPLE = 9;

/** The page size the kernel's layouts assume (x86-64). */
export const PAGE_SIZE = 4096;

/** Errno values; map operations return their negatives, as the helpers and bpf(2) do. */
export const EPERM = 1;
/** No such element. */
export const ENOENT = 2;
/** Map full, index out of range, or value too big. */
export const E2BIG = 7;
/** Ring buffer full (bpf_ringbuf_output). */
export const EAGAIN = 11;
/** Out of memory (LRU could not find a node). */
export const ENOMEM = 12;
/** Map already frozen (BPF_MAP_FREEZE twice). */
export const EBUSY = 16;
/** Element exists (BPF_NOEXIST). */
export const EEXIST = 17;
/** Invalid argument or flags. */
export const EINVAL = 22;
/** No space (perf buffer full, batch bucket larger than the batch). */
export const ENOSPC = 28;
/** Operation not supported on this event (perf event on another CPU). */
export const EOPNOTSUPP = 95;
/** Kernel-internal "not supported" (ENOTSUPP, not EOPNOTSUPP), as ringbuf map ops return. */
export const ENOTSUPP = 524;
