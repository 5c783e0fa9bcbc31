// BPF_MAP_TYPE_CGROUP_ARRAY: cgroups by index, set by user space from cgroup directory fds, asked by bpf_current_task_under_cgroup.
import { BpfMap } from './bpf-map.js';
import { E2BIG, EAGAIN } from './constants.js';
import type { MapDefinition, MapEnvironment } from './definition.js';

/**
 * A cgroup array. User space stores a cgroup (a path, as the directory whose fd it would pass) at
 * an index; a program asks whether the current task is under the cgroup at an index. The
 * simulated machines put every task in the root cgroup, "/", so a task is under "/" and under no
 * other cgroup.
 */
export class CgroupArrayMap extends BpfMap {
  private readonly cgroups: (string | undefined)[];

  /** Creates the array with no cgroup in it; throws MapDefinitionError for a definition the kernel refuses. */
  constructor(def: MapDefinition, env: MapEnvironment, where?: string) {
    super(def, env, where);
    this.cgroups = new Array<string | undefined>(def.maxEntries).fill(undefined);
  }

  /** Stores the cgroup at `path` at `index` (bpf_map_update_elem from user space with its directory's fd). */
  set(index: number, path: string | undefined): void {
    if (!(index >= 0 && index < this.maxEntries)) throw new RangeError(`cgroup array index ${index} out of range`);
    this.cgroups[index] = path;
  }

  /**
   * bpf_current_task_under_cgroup(map, index) for a task in cgroup `taskCgroup`: 1 or 0, -E2BIG
   * for an index past the array, -EAGAIN where no cgroup is stored (kernel/bpf/helpers.c).
   */
  currentTaskUnder(index: number, taskCgroup = '/'): number {
    if (!(index >= 0 && index < this.maxEntries)) return -E2BIG;
    const c = this.cgroups[index];
    if (c === undefined) return -EAGAIN;
    return c === '/' || taskCgroup === c || taskCgroup.startsWith(c.endsWith('/') ? c : `${c}/`) ? 1 : 0;
  }
}
