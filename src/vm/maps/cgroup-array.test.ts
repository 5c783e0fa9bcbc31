// The cgroup array and bpf_current_task_under_cgroup's answers, as kernel/bpf/arraymap.c and helpers.c give them.
import { describe, expect, it } from 'vitest';
import { BPF_MAP_TYPE_CGROUP_ARRAY, CgroupArrayMap, createMap, E2BIG, EAGAIN, EINVAL, MapDefinitionError } from './index.js';

const env = { possibleCpus: 2 };
const def = (valueSize = 4, maxEntries = 2) => ({ name: 'cgroups', type: BPF_MAP_TYPE_CGROUP_ARRAY, keySize: 4, valueSize, maxEntries, flags: 0 });

describe('cgroup array', () => {
  it('is created from a definition of u32 fds, and refuses another value size with EINVAL', () => {
    expect(createMap(def(), env)).toBeInstanceOf(CgroupArrayMap);
    let errno = 0;
    try {
      createMap(def(8), env);
    } catch (e) {
      if (e instanceof MapDefinitionError) errno = -e.errno;
    }
    expect(errno).toBe(-EINVAL);
  });

  it('answers -EAGAIN where no cgroup is stored, -E2BIG past the array, and whether the task (in the root cgroup) is under the stored one', () => {
    const m = createMap(def(), env) as CgroupArrayMap;
    expect(m.currentTaskUnder(0)).toBe(-EAGAIN);
    expect(m.currentTaskUnder(2)).toBe(-E2BIG);
    m.set(0, '/');
    m.set(1, '/system.slice/qemu.service');
    expect(m.currentTaskUnder(0)).toBe(1);
    expect(m.currentTaskUnder(1)).toBe(0);
    expect(m.currentTaskUnder(1, '/system.slice/qemu.service/vcpu0')).toBe(1);
    expect(m.currentTaskUnder(1, '/system.slice/qemu.service-other')).toBe(0);
    expect(() => m.set(2, '/')).toThrow(RangeError);
  });
});
