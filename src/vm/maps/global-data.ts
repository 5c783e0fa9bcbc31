// The maps libbpf makes for an object's .rodata, .data, .bss and .kconfig: one-element mmapable arrays.
import { ArrayMap } from './array.js';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY, EINVAL } from './constants.js';
import { MapDefinitionError, type MapEnvironment } from './definition.js';

/** Which section a global-data map holds (libbpf's enum libbpf_map_type). */
export type GlobalDataSection = 'rodata' | 'data' | 'bss' | 'kconfig';

/** What a loader knows about a global-data section. */
export interface GlobalDataDefinition {
  /** Map name, e.g. libbpf's "<object>.rodata" (libbpf truncates the object part to fit 15 chars). */
  name: string;
  section: GlobalDataSection;
  /** The section's size in bytes: the single element's value_size. */
  size: number;
  /** The section's initial bytes (.rodata, .data); .bss starts zeroed and needs none. */
  image?: Uint8Array;
}

/**
 * Creates a global-data map as libbpf's bpf_object__init_internal_map(): BPF_MAP_TYPE_ARRAY,
 * key_size 4, value_size = section size, max_entries 1, BPF_F_MMAPABLE; .rodata and .kconfig also
 * BPF_F_RDONLY_PROG, so the verifier refuses program writes. The initial image is copied in; call
 * `freeze()` after loading for .rodata and .kconfig, as libbpf does, so bpf(2) writes fail too.
 * Programs reach the value directly (BPF_PSEUDO_MAP_VALUE): `valueOffset(0)` into `values`.
 */
export function createGlobalDataMap(def: GlobalDataDefinition, env: MapEnvironment, where?: string): ArrayMap {
  const readOnly = def.section === 'rodata' || def.section === 'kconfig';
  const map = new ArrayMap({
    name: def.name,
    type: BPF_MAP_TYPE_ARRAY,
    keySize: 4,
    valueSize: def.size,
    maxEntries: 1,
    flags: BPF_F_MMAPABLE | (readOnly ? BPF_F_RDONLY_PROG : 0),
  }, env, where);
  if (def.image) {
    if (def.image.length > def.size) {
      throw new MapDefinitionError(`section image of ${def.image.length} bytes exceeds its size ${def.size}`, where, EINVAL);
    }
    map.values.set(def.image, 0);
  }
  return map;
}
