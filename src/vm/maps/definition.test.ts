// Map creation refuses what BPF_MAP_CREATE refuses, with the kernel's errno and the place in the message.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../errors.js';
import {
  BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_RDONLY_PROG,
  BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_RINGBUF, createMap, E2BIG, EINVAL, ENOMEM, ENOTSUPP, MapDefinitionError,
  type MapDefinition,
} from './index.js';

const env = { possibleCpus: 4 };

function errnoOf(def: MapDefinition): number {
  try {
    createMap(def, env, 'probe.o');
  } catch (e) {
    if (e instanceof MapDefinitionError) return -e.errno;
    throw e;
  }
  return 0;
}

const hash = (o: Partial<MapDefinition>): MapDefinition =>
  ({ type: BPF_MAP_TYPE_HASH, keySize: 8, valueSize: 8, maxEntries: 16, ...o });
const array = (o: Partial<MapDefinition>): MapDefinition =>
  ({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 16, ...o });
const ringbuf = (o: Partial<MapDefinition>): MapDefinition =>
  ({ type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, ...o });

describe('map creation checks', () => {
  it.each<[string, MapDefinition, number]>([
    ['a good hash', hash({}), 0],
    ['hash key_size 0', hash({ keySize: 0 }), -EINVAL],
    ['hash value_size 0', hash({ valueSize: 0 }), -EINVAL],
    ['hash max_entries 0', hash({ maxEntries: 0 }), -EINVAL],
    ['hash huge key+value', hash({ keySize: 1 << 21, valueSize: 1 << 21 }), -E2BIG],
    ['hash unknown flag', hash({ flags: 1 << 20 }), -EINVAL],
    ['hash with NO_COMMON_LRU', hash({ flags: BPF_F_NO_COMMON_LRU }), -EINVAL],
    ['hash with NO_PREALLOC', hash({ flags: BPF_F_NO_PREALLOC }), 0],
    ['LRU with NO_PREALLOC', hash({ type: BPF_MAP_TYPE_LRU_HASH, flags: BPF_F_NO_PREALLOC }), -ENOTSUPP],
    ['per-CPU hash value over 32 KiB', hash({ type: BPF_MAP_TYPE_PERCPU_HASH, valueSize: 32769 }), -E2BIG],
    ['RDONLY_PROG with WRONLY_PROG', hash({ flags: BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG }), -EINVAL],
    ['RDONLY with WRONLY', array({ flags: BPF_F_RDONLY | BPF_F_WRONLY }), -EINVAL],
    ['a good array', array({}), 0],
    ['array key_size 8', array({ keySize: 8 }), -EINVAL],
    ['array value_size 0', array({ valueSize: 0 }), -EINVAL],
    ['array max_entries 0', array({ maxEntries: 0 }), -EINVAL],
    ['mmapable array', array({ flags: BPF_F_MMAPABLE }), 0],
    ['mmapable per-CPU array', array({ type: BPF_MAP_TYPE_PERCPU_ARRAY, flags: BPF_F_MMAPABLE }), -EINVAL],
    ['array with NO_PREALLOC', array({ flags: BPF_F_NO_PREALLOC }), -EINVAL],
    ['an array too big for memory', array({ valueSize: 1 << 20, maxEntries: 1 << 12 }), -ENOMEM],
    // Rounding 2^31 - 1 up to 8 must not wrap to a negative 32-bit number (and a negative allocation).
    ['an array with value_size 2^31 - 1', array({ valueSize: 0x7fffffff, maxEntries: 1 }), -ENOMEM],
    ['a per-CPU array with value_size 2^31 - 1', array({ type: BPF_MAP_TYPE_PERCPU_ARRAY, valueSize: 0x7fffffff, maxEntries: 1 }), -E2BIG],
    ['a hash with value_size 2^31 - 1', hash({ valueSize: 0x7fffffff }), -E2BIG],
    ['perf event array', array({ type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, valueSize: 4 }), 0],
    ['perf event array value 8', array({ type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, valueSize: 8 }), -EINVAL],
    ['perf event array RDONLY_PROG', array({ type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, valueSize: 4, flags: BPF_F_RDONLY_PROG }), -EINVAL],
    ['a good ring buffer', ringbuf({}), 0],
    ['ring buffer not a power of two', ringbuf({ maxEntries: 3 * 4096 }), -EINVAL],
    ['ring buffer smaller than a page', ringbuf({ maxEntries: 2048 }), -EINVAL],
    ['ring buffer with a key', ringbuf({ keySize: 4 }), -EINVAL],
    ['ring buffer with a value', ringbuf({ valueSize: 8 }), -EINVAL],
    ['ring buffer with MMAPABLE', ringbuf({ flags: BPF_F_MMAPABLE }), -EINVAL],
    ['unknown map type', hash({ type: 99 }), -EINVAL],
    ['unsupported map type (stack trace)', hash({ type: 7 }), -EINVAL],
  ])('%s', (_name, def, want) => {
    expect(errnoOf(def)).toBe(want);
  });

  it('is an InputError naming the place, the map and the errno', () => {
    let err: unknown;
    try {
      createMap({ name: 'starts', type: BPF_MAP_TYPE_ARRAY, keySize: 8, valueSize: 8, maxEntries: 1 }, env, 'probe.o');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).describe()).toBe("probe.o: array map 'starts': key_size must be 4 (a u32 index), got 8 (bpf(2) would return -EINVAL)");
  });
});
