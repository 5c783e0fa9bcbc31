// The JIT's helper calls: built-in helpers called straight at their call site, with the map known from the ld_imm64 that loaded r1.
//
// A generic helper call marshals r1-r5 into the machine, calls through the helper table, and reads
// r0 back; the built-in map helpers then find the map from r1, check its type, and resolve the key
// and value pointers. At most call sites all of that is known when compiling: r1 was loaded from a
// map reference (ld_imm64) in the same block, so the map's kind is known, and the helper is the
// built-in one as long as the machine's table still holds every built-in (a test may replace one,
// and every call then takes the generic path). The fast path calls the map's method with the key's bytes and
// offset, checking the pointers exactly as AddressSpace.resolve does, with the same errors.
import { BUILTIN_HELPERS } from './helpers/builtin.js';
import { ArrayMap, HashMap, RingBufMap, type AnyMap } from './maps/index.js';
import { STACK_SIZE } from './isa/opcodes.js';
import { MAP_DATA_REGION, MAX_REGION } from './memory.js';

/** Built-in helper implementations by id: the identity a call site checks before its fast path. */
export const BUILTIN_TABLE: unknown[] = [];
for (const [id, impl] of BUILTIN_HELPERS) BUILTIN_TABLE[id] = impl;

const n = (v: number): string => String(v | 0);

/** Resolves register `r` as a pointer to `len` bytes (len an expression) into `into`, throwing as AddressSpace.resolve. */
function resolve(into: string, r: number, len: string, write: boolean, pc: number): string {
  return `${into} = (r${r}h >>> 0) < ${MAX_REGION} ? regions[r${r}h] : undefined;` +
    ` if (${into} === undefined || (r${r}l >>> 0) + ${len} > ${into}.bytes.length${write ? ` || !${into}.writable` : ''}) space.resolve(r${r}l, r${r}h, ${len}, ${write}, ${pc});`;
}

/** An argument register as an unsigned number (numArg). */
const num = (r: number): string => `((r${r}h >>> 0) * 4294967296 + (r${r}l >>> 0))`;

/** r0 from a small signed result (returnNumber for |v| < 2^31: 0 or a negative errno). */
const ret = (expr: string): string => `hv = ${expr}; r0l = hv | 0; r0h = hv < 0 ? -1 : 0;`;

function isElementMap(map: AnyMap | undefined): map is HashMap | ArrayMap {
  return map instanceof HashMap || map instanceof ArrayMap;
}

/** What the compiler knows of the registers at a call site. */
export interface KnownRegisters {
  /** The map index a register holds (loaded by ld_imm64 in this block), if known. */
  map(r: number): number | undefined;
  /** The offset in the main stack frame a register points at (r10 plus a constant), if known. */
  stack(r: number): number | undefined;
  /** The value a register holds when it is a known constant below 2^31 (mov of an immediate). */
  constant(r: number): number | undefined;
}

/** The bytes and offset a pointer argument names: the main frame's when known, else resolved into `into`. */
function memory(into: string, r: number, len: number, write: boolean, pc: number, known: KnownRegisters): { setup: string; bytes: string; off: string } {
  const at = known.stack(r);
  // The main frame is always mapped and writable: an in-frame argument needs no check.
  if (at !== undefined && at >= 0 && at + len <= STACK_SIZE) return { setup: '', bytes: 'SB0', off: n(at) };
  return { setup: resolve(into, r, n(len), write, pc), bytes: `${into}.bytes`, off: `r${r}l >>> 0` };
}

/**
 * The fast path of helper `id` at instruction `pc`, or undefined when there is none. `M(i)` names
 * map i in the generated code.
 */
export function fastHelperCall(id: number, pc: number, known: KnownRegisters, maps: readonly AnyMap[], M: (i: number) => string): string | undefined {
  const mapInR1 = known.map(1);
  const map = mapInR1 === undefined ? undefined : maps[mapInR1];
  const i = mapInR1 ?? -1;
  switch (id) {
    case 1: { // map_lookup_elem(map, key)
      if (!isElementMap(map)) return undefined;
      const key = memory('rg', 2, map.keySize, false, pc, known);
      return `${key.setup} hv = ${M(i)}.programLookup(${key.bytes}, ${key.off}, env.cpu);` +
        ` if (hv < 0) { r0l = 0; r0h = 0; } else { r0l = hv | 0; r0h = ${MAP_DATA_REGION + i}; }`;
    }
    case 2: { // map_update_elem(map, key, value, flags)
      if (!isElementMap(map)) return undefined;
      const key = memory('rg', 2, map.keySize, false, pc, known);
      const value = memory('rk', 3, map.valueSize, false, pc, known);
      return `${key.setup} ${value.setup} ${ret(`${M(i)}.programUpdate(${key.bytes}, ${key.off}, ${value.bytes}, ${value.off}, ${num(4)}, env.cpu)`)}`;
    }
    case 3: { // map_delete_elem(map, key)
      if (!isElementMap(map)) return undefined;
      const key = memory('rg', 2, map.keySize, false, pc, known);
      return `${key.setup} ${ret(`${M(i)}.programDelete(${key.bytes}, ${key.off}, env.cpu)`)}`;
    }
    case 131: // ringbuf_reserve(ringbuf, size, flags)
      if (!(map instanceof RingBufMap)) return undefined;
      return `hv = ${M(i)}.reserve(${num(2)}, ${num(3)}); if (hv < 0) { r0l = 0; r0h = 0; } else { r0l = hv | 0; r0h = ${MAP_DATA_REGION + i}; }`;
    case 132: // ringbuf_submit(data, flags)
    case 133: // ringbuf_discard(data, flags)
      return `RC(m, ${id === 133}, r1l, r1h, ${num(2)}, ${pc}); r0l = 0; r0h = 0;`;
    case 4: // probe_read(dst, size, src)
    case 112: // probe_read_user
    case 113: { // probe_read_kernel
      const space = id === 4 ? 'any' : id === 112 ? 'user' : 'kernel';
      // A destination in the main frame with a constant size: no destination to resolve.
      const dst = known.stack(1);
      const len = known.constant(2);
      if (dst !== undefined && len !== undefined && len >= 0 && dst >= 0 && dst + len <= STACK_SIZE) {
        return `r0l = PB(m, '${space}', SB0, ${dst}, ${len}, r3l, r3h, ${pc}); r0h = r0l >> 31;`;
      }
      return `r0l = PR(m, '${space}', r1l, r1h, r2l >>> 0, r3l, r3h, ${pc}); r0h = r0l >> 31;`;
    }
  }
  return undefined;
}
