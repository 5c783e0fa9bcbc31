// BPF maps with kernel semantics: the public face of src/vm/maps for the loader, the helpers and user space.
//
// What each helper calls (pointers are a byte array plus an offset; `cpu` is the run's current CPU;
// u64 flags may be passed as Number(flags): any value too big to be exact is invalid anyway):
//   1   map_lookup_elem      ElementMap.programLookup(keyMem, keyOff, cpu) -> offset in map.values, -1 = NULL
//   2   map_update_elem      ElementMap.programUpdate(keyMem, keyOff, valMem, valOff, flags, cpu) -> 0 / -errno
//   3   map_delete_elem      ElementMap.programDelete(keyMem, keyOff, cpu) -> 0 / -errno
//   25  perf_event_output    PerfEventArrayMap.output(cpu, flags, mem, off, size) -> 0 / -errno
//   37  current_task_under_cgroup  CgroupArrayMap.currentTaskUnder(index) -> 1 / 0 / -errno
//   130 ringbuf_output       RingBufMap.output(mem, off, size, flags) -> 0 / -errno
//   131 ringbuf_reserve      RingBufMap.reserve(size, flags) -> offset in ring.data, -1 = NULL
//   132 ringbuf_submit       RingBufMap.submit(offset in ring.data, flags)
//   133 ringbuf_discard      RingBufMap.discard(offset in ring.data, flags)
//   134 ringbuf_query        RingBufMap.query(flags) -> u64 as a number
// map.values and ring.data are allocated once and never replaced: register each as one memory
// region and hand programs region base + offset. Global variables (BPF_PSEUDO_MAP_VALUE) resolve
// to ArrayMap.valueOffset(0) in the global-data map's values.
export * from './constants.js';
export { checkMapDefinition, errnoName, MapDefinitionError, roundUp8, MAP_MEMORY_LIMIT } from './definition.js';
export type { MapDefinition, MapEnvironment } from './definition.js';
export { BpfMap } from './bpf-map.js';
export type { ElementMap, MapBatch } from './element-map.js';
export { ArrayMap } from './array.js';
export { HashMap } from './hash.js';
export { RingBufMap, RINGBUF_MAX_RECORD_SZ, ringRecordLength } from './ringbuf.js';
export { RingBufConsumer, consumeRing } from './ringbuf-consumer.js';
export type { RingSampleCallback } from './ringbuf-consumer.js';
export { PerfEventArrayMap, PerfEventRing, PERF_EVENT_HEADER_SIZE, PERF_LOST_RECORD_SIZE } from './perf-event-array.js';
export { PerfBuffer } from './perf-buffer.js';
export { CgroupArrayMap } from './cgroup-array.js';
export type { PerfLostCallback, PerfSampleCallback } from './perf-buffer.js';
export { createGlobalDataMap } from './global-data.js';
export type { GlobalDataDefinition, GlobalDataSection } from './global-data.js';
export { createMap } from './create.js';
export type { AnyMap } from './create.js';
export { jhash } from './jhash.js';
