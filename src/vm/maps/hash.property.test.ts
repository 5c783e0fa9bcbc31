// Property: under random operation sequences a hash map answers exactly as a reference Map model would.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BPF_ANY, BPF_EXIST, BPF_MAP_TYPE_HASH, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT, HashMap,
} from './index.js';

const MAX = 6;
type Op =
  | { op: 'update'; key: number; value: number; flags: number; fromProgram: boolean }
  | { op: 'delete'; key: number; fromProgram: boolean }
  | { op: 'lookup'; key: number; fromProgram: boolean }
  | { op: 'walk' };

const key = fc.integer({ min: 0, max: 11 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('update' as const), key, value: fc.integer({ min: 0, max: 0xffff }),
    flags: fc.constantFrom(BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3), fromProgram: fc.boolean() }),
  fc.record({ op: fc.constant('delete' as const), key, fromProgram: fc.boolean() }),
  fc.record({ op: fc.constant('lookup' as const), key, fromProgram: fc.boolean() }),
  fc.record({ op: fc.constant('walk' as const) }),
);

/**
 * Key layouts: 3 bytes (an odd size: jhash's byte tail and the byte compare), 8 and 12 (whole
 * words: hashed, compared and copied as words), the key's number in bytes `lo` and `hi` (in the
 * last word for 12, so keys alike in their first words differ only there).
 */
const LAYOUTS = [
  { keySize: 3, lo: 0, hi: 2, valueSize: 2 },
  { keySize: 8, lo: 4, hi: 6, valueSize: 8 },
  { keySize: 12, lo: 8, hi: 10, valueSize: 4 },
  { keySize: 12, lo: 8, hi: 10, valueSize: 80 },
];

function modelUpdate(model: Map<number, number>, k: number, v: number, flags: number): number {
  if (flags > BPF_EXIST) return -EINVAL;
  const has = model.has(k);
  if (has && flags === BPF_NOEXIST) return -EEXIST;
  if (!has && flags === BPF_EXIST) return -ENOENT;
  if (!has && model.size >= MAX) return -E2BIG;
  model.set(k, v);
  return 0;
}

describe('hash map against a Map model', () => {
  it.each(LAYOUTS)('agrees on every result, value, size and the set of keys walked (key $keySize bytes, value $valueSize)', ({ keySize, lo, hi, valueSize }) => {
    const k3 = (k: number) => {
      const b = new Uint8Array(keySize);
      b[1] = 0x5a;
      b[lo] = k & 0xff;
      b[hi] = k >> 8;
      return b;
    };
    // The number in the value's first and last two bytes, the rest a pattern a stale copy would leave.
    const v2 = (v: number) => {
      const b = new Uint8Array(valueSize).fill(0x33);
      b[0] = v & 0xff;
      b[1] = v >> 8;
      b[valueSize - 2] = v & 0xff;
      b[valueSize - 1] = v >> 8;
      return b;
    };
    const read = (bytes: Uint8Array, off: number): number => {
      const first = bytes[off]! | (bytes[off + 1]! << 8);
      expect(bytes[off + valueSize - 2]! | (bytes[off + valueSize - 1]! << 8)).toBe(first);
      return first;
    };
    fc.assert(fc.property(fc.array(opArb, { maxLength: 120 }), fc.integer({ min: 0, max: 0xffffffff }), (ops, seed) => {
      const m = new HashMap({ type: BPF_MAP_TYPE_HASH, keySize, valueSize, maxEntries: MAX }, { possibleCpus: 2, hashSeed: seed });
      const model = new Map<number, number>();
      for (const o of ops) {
        if (o.op === 'update') {
          const want = modelUpdate(model, o.key, o.value, o.flags);
          const got = o.fromProgram
            ? m.programUpdate(k3(o.key), 0, v2(o.value), 0, o.flags, 1)
            : m.update(k3(o.key), v2(o.value), o.flags);
          expect(got).toBe(want);
        } else if (o.op === 'delete') {
          const want = model.delete(o.key) ? 0 : -ENOENT;
          expect(o.fromProgram ? m.programDelete(k3(o.key), 0, 0) : m.delete(k3(o.key))).toBe(want);
        } else if (o.op === 'lookup') {
          const want = model.get(o.key);
          if (o.fromProgram) {
            const off = m.programLookup(k3(o.key), 0, 0);
            expect(off >= 0 ? read(m.values, off) : undefined).toBe(want);
          } else {
            const v = m.lookup(k3(o.key));
            expect(v ? read(v, 0) : undefined).toBe(want);
          }
        } else {
          const walked: number[] = [];
          for (let k = m.nextKey(null); k; k = m.nextKey(k)) walked.push(k[lo]! | (k[hi]! << 8));
          expect(walked.length).toBe(model.size);
          expect(new Set(walked)).toEqual(new Set(model.keys()));
        }
        expect(m.size).toBe(model.size);
      }
    }), { numRuns: 300 });
  });
});
