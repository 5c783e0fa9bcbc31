// Map and ring-buffer throughput through the program-side calls the helpers will make (bench/README.md).
import { timePerCall, type Figure, type Suite } from './harness.js';
import {
  ArrayMap, BPF_ANY, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_RINGBUF, consumeRing, HashMap, RingBufMap,
} from '../src/vm/maps/index.js';

const env = { possibleCpus: 4 };
/** Distinct keys per pass: a realistic in-flight request count, well inside the map. */
const KEYS = 8192;

/** KEYS u64 keys back to back, as they would sit in a program's stack or context memory. */
function keyMemory(): Uint8Array {
  const mem = new Uint8Array(KEYS * 8);
  const view = new DataView(mem.buffer);
  // Request pointers look like kernel addresses: high bits set, 256-byte aligned.
  for (let i = 0; i < KEYS; i++) view.setBigUint64(i * 8, 0xffff888100000000n + BigInt(i) * 256n, true);
  return mem;
}

function perSecond(name: string, opsPerCall: number, fn: () => void, unit = 'ops/s'): Figure {
  return { name, value: opsPerCall / timePerCall(fn), unit };
}

/** The map suite: hash update/lookup, array lookup, ring-buffer records, and the byte-key design against a string-keyed Map. */
export const mapsSuite: Suite = {
  name: 'maps',
  run(): Figure[] {
    const keys = keyMemory();
    const value = new Uint8Array(16);
    const hash = new HashMap({ type: BPF_MAP_TYPE_HASH, keySize: 8, valueSize: 16, maxEntries: 2 * KEYS }, env);
    let sink = 0;

    const update = perSecond('maps.hash.update_per_s', KEYS, () => {
      for (let i = 0; i < KEYS; i++) hash.programUpdate(keys, i * 8, value, 0, BPF_ANY, 0);
    });
    const lookup = perSecond('maps.hash.lookup_per_s', KEYS, () => {
      for (let i = 0; i < KEYS; i++) sink += hash.programLookup(keys, i * 8, 0);
    });
    // The timestamping pattern of the paired programs: insert at issue, lookup and delete at completion.
    const startEnd = perSecond('maps.hash.insert_lookup_delete_per_s', KEYS, () => {
      for (let i = 0; i < KEYS; i++) hash.programDelete(keys, i * 8, 0);
      for (let i = 0; i < KEYS; i++) hash.programUpdate(keys, i * 8, value, 0, BPF_ANY, 0);
      for (let i = 0; i < KEYS; i++) sink += hash.programLookup(keys, i * 8, 0);
    });

    const lru = new HashMap({ type: BPF_MAP_TYPE_LRU_HASH, keySize: 8, valueSize: 16, maxEntries: KEYS / 2 }, env);
    const lruUpdate = perSecond('maps.lru_hash.update_evict_per_s', KEYS, () => {
      for (let i = 0; i < KEYS; i++) lru.programUpdate(keys, i * 8, value, 0, BPF_ANY, 0);
    });

    // The alternative design: a JS Map keyed by a string built from the key bytes.
    const strings = new Map<string, number>();
    const keyString = (mem: Uint8Array, off: number) => {
      let s = '';
      for (let j = 0; j < 8; j++) s += String.fromCharCode(mem[off + j]);
      return s;
    };
    for (let i = 0; i < KEYS; i++) strings.set(keyString(keys, i * 8), i * 16);
    const stringLookup = perSecond('maps.string_map.lookup_per_s', KEYS, () => {
      for (let i = 0; i < KEYS; i++) sink += strings.get(keyString(keys, i * 8)) ?? -1;
    });

    const array = new ArrayMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 256 }, env);
    const indexes = new Uint8Array(KEYS * 4);
    for (let i = 0; i < KEYS; i++) indexes[i * 4] = i & 0xff;
    const arrayLookup = perSecond('maps.array.lookup_per_s', KEYS, () => {
      for (let i = 0; i < KEYS; i++) sink += array.programLookup(indexes, i * 4, 0);
    });

    // Reserve a 48-byte event, fill it, submit; drain every 1024 records, as user space would.
    const ring = new RingBufMap({ type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1 << 20 }, env);
    const onSample = (data: Uint8Array, off: number) => {
      sink += data[off];
    };
    const records = perSecond('ringbuf.records_per_s', KEYS * 8, () => {
      for (let batch = 0; batch < KEYS * 8; batch += 1024) {
        for (let i = 0; i < 1024; i++) {
          const at = ring.reserve(48, 0);
          ring.data[at] = i;
          ring.data[at + 40] = 1;
          ring.submit(at, 0);
        }
        consumeRing(ring, onSample);
      }
    }, 'records/s');

    if (sink === 0.5) process.stderr.write('');
    return [
      update, lookup, startEnd, lruUpdate, arrayLookup, records, stringLookup,
      { name: 'maps.hash_over_string_map.lookup', value: lookup.value / stringLookup.value, unit: 'x', baseline: 'maps.string_map.lookup_per_s' },
    ];
  },
};
