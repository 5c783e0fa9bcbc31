// Map and ring-buffer operations per second as programs make them: helper calls from the JIT into the maps.
import { assemble, maps, Program } from '../src/vm/index.js';
import { timePerCall, type Figure, type Suite } from './harness.js';

const N = 20_000;
const ENV = { possibleCpus: 2 };

/** A loop of N iterations whose body is `body`; r6 counts down, r7 is the key, the stack holds key and value. */
function loop(body: string): string {
  return `
  mov %r6, ${N}
  mov %r7, 0
  stdw [%r10-16], 0
loop:
  mov %r1, %r7
  and %r1, 8191
  stxdw [%r10-8], %r1
  ${body}
  add %r7, 1
  sub %r6, 1
  jne %r6, 0, loop
  mov %r0, 0
  exit`;
}

const UPDATE = loop('lddw %r1, map[0]\n  mov %r2, %r10\n  add %r2, -8\n  mov %r3, %r10\n  add %r3, -16\n  mov %r4, 0\n  call 2');
const LOOKUP = loop('lddw %r1, map[0]\n  mov %r2, %r10\n  add %r2, -8\n  call 1');
const ARRAY = loop('lddw %r1, map[1]\n  stxw [%r10-4], %r7\n  mov %r2, %r10\n  add %r2, -4\n  call 1').replace('and %r1, 8191', 'and %r1, 255');
const RING = loop('lddw %r1, map[2]\n  mov %r2, 48\n  mov %r3, 0\n  call 131\n  jeq %r0, 0, +5\n  stxdw [%r0+0], %r7\n  stxdw [%r0+8], %r6\n  mov %r1, %r0\n  mov %r2, 0\n  call 132');

/** Program-side figures of the maps suite. */
export const mapProgramsSuite: Suite = {
  name: 'maps.prog',
  run(): Figure[] {
    const hash = maps.createMap({ name: 'h', type: maps.BPF_MAP_TYPE_HASH, keySize: 8, valueSize: 8, maxEntries: 16384, flags: 0 }, ENV);
    const array = maps.createMap({ name: 'a', type: maps.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 16, maxEntries: 256, flags: 0 }, ENV);
    const ring = maps.createMap({ name: 'r', type: maps.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1 << 22, flags: 0 }, ENV) as InstanceType<typeof maps.RingBufMap>;
    const all = [hash, array, ring];
    const consumer = new maps.RingBufConsumer().add(ring, () => undefined);
    const rate = (asm: string, after?: () => void): number => {
      const p = new Program(assemble(asm), { maps: all, budget: 1e9 });
      return N / timePerCall(() => (p.run(), after?.()), 500);
    };
    const update = rate(UPDATE);
    const lookup = rate(LOOKUP);
    const arrayLookup = rate(ARRAY);
    const records = rate(RING, () => consumer.consume());
    return [
      { name: 'maps.prog.hash_update_per_s', value: update, unit: 'ops/s' },
      { name: 'maps.prog.hash_lookup_per_s', value: lookup, unit: 'ops/s' },
      { name: 'maps.prog.array_lookup_per_s', value: arrayLookup, unit: 'ops/s' },
      { name: 'ringbuf.prog.records_per_s', value: records, unit: 'records/s' },
    ];
  },
};
