// BPF maps with kernel semantics: the public face of src/vm/maps for the loader, the helpers and user space.
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
export type { PerfLostCallback, PerfSampleCallback } from './perf-buffer.js';
export { createGlobalDataMap } from './global-data.js';
export type { GlobalDataDefinition, GlobalDataSection } from './global-data.js';
export { createMap } from './create.js';
export type { AnyMap } from './create.js';
export { jhash } from './jhash.js';
