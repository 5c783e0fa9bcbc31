// One entry point from a map definition to the right map kind, as BPF_MAP_CREATE dispatches on map_type.
import { ArrayMap } from './array.js';
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_CGROUP_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_RINGBUF,
} from './constants.js';
import { CgroupArrayMap } from './cgroup-array.js';
import { checkMapDefinition, type MapDefinition, type MapEnvironment } from './definition.js';
import { HashMap } from './hash.js';
import { PerfEventArrayMap } from './perf-event-array.js';
import { RingBufMap } from './ringbuf.js';

/** Any map viotrace can create. Narrow with `instanceof` or `type`. */
export type AnyMap = HashMap | ArrayMap | RingBufMap | PerfEventArrayMap | CgroupArrayMap;

/**
 * BPF_MAP_CREATE: checks `def` as the kernel would and returns the map. Throws MapDefinitionError
 * (an InputError naming `where`, e.g. "probe.o: map 'starts'", and carrying the errno) otherwise.
 */
export function createMap(def: MapDefinition, env: MapEnvironment, where?: string): AnyMap {
  checkMapDefinition(def, env, where);
  switch (def.type) {
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return new HashMap(def, env, where);
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return new ArrayMap(def, env, where);
    case BPF_MAP_TYPE_RINGBUF:
      return new RingBufMap(def, env, where);
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      return new PerfEventArrayMap(def, env, where);
    case BPF_MAP_TYPE_CGROUP_ARRAY:
      return new CgroupArrayMap(def, env, where);
    default:
      // checkMapDefinition refuses every other type.
      throw new Error(`unreachable: map type ${def.type}`);
  }
}
