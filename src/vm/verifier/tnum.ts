// Tristate numbers: which bits of a 64-bit value are known (0 or 1) and which are not, with the arithmetic the kernel's verifier does on them.
//
// A tnum (value, mask) stands for every number that has `value`'s bits wherever `mask` has a 0;
// `value & mask` is always 0. The operations are the sound ones of Vishwanathan et al., "Sound,
// Precise, and Fast Abstract Interpretation with Tristate Numbers" (CGO 2022), which is also what
// Linux's kernel/bpf/tnum.c computes; keeping the same results keeps the verifier's bounds, and so
// its verdicts and messages, the kernel's. Values are u64 as non-negative bigints.

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;

/** Known bits `value` where `mask` is 0; bits set in `mask` are unknown. */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

const T = (value: bigint, mask: bigint): Tnum => ({ value: value & U64, mask: mask & U64 });

/** Nothing known. */
export const TNUM_UNKNOWN: Tnum = T(0n, U64);

/** Exactly `v`. */
export function tnumConst(v: bigint): Tnum {
  return T(v, 0n);
}

/** Whether every bit is known. */
export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

/** Whether nothing is known. */
export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64;
}

/** Bit length of v (the kernel's fls64): 0 for 0. */
function fls(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** The smallest tnum holding every value in [min, max] (unsigned): the bits below the highest one that differs are unknown. */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const bits = fls((min ^ max) & U64);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return T(min & ~delta, delta);
}

/** a << shift (shift below 64). */
export function tnumLshift(a: Tnum, shift: number): Tnum {
  return T(a.value << BigInt(shift), a.mask << BigInt(shift));
}

/** a >> shift, logical. */
export function tnumRshift(a: Tnum, shift: number): Tnum {
  return T(a.value >> BigInt(shift), a.mask >> BigInt(shift));
}

/** a >> shift, arithmetic, `bits` wide (32: the low half sign-extended from bit 31, the result zero-extended). */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  const s = BigInt(shift);
  if (bits === 32) return T(BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> s), BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> s));
  return T(BigInt.asIntN(64, a.value) >> s, BigInt.asIntN(64, a.mask) >> s);
}

/** a + b: a carry may run through any bit from an unknown one up. */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = (a.mask + b.mask) & U64;
  const sv = (a.value + b.value) & U64;
  const sigma = (sm + sv) & U64;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return T(sv & ~mu, mu);
}

/** a - b. */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = (a.value - b.value) & U64;
  const alpha = (dv + a.mask) & U64;
  const beta = (dv - b.mask) & U64;
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return T(dv & ~mu, mu);
}

/** a & b. */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return T(v, alpha & beta & ~v);
}

/** a | b. */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return T(v, mu & ~v);
}

/** a ^ b. */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return T(v & ~mu, mu);
}

/**
 * a * b by shifts and adds: each bit of a known to be 1 adds b (shifted), each unknown bit of a
 * takes the union of the sum with and without it (the 2025 refinement Linux 6.18 has).
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let acc = tnumConst(0n);
  let x = a, y = b;
  while (x.value !== 0n || x.mask !== 0n) {
    if (x.value & 1n) acc = tnumAdd(acc, y);
    else if (x.mask & 1n) acc = tnumUnion(acc, tnumAdd(acc, y));
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return acc;
}

/** Every value of a or of b (and more: bits they disagree on become unknown). */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return T(v & ~mu, mu);
}

/**
 * The smallest value of t greater than z, for t.value <= z < the largest value of t (which it
 * returns for z at or past that); below t.value, t.value.
 */
export function tnumStep(t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  // t's known bits, its unknown ones matched to z
  const j = t.value | (z & t.mask);
  if (j > z) {
    // the most significant bit where z has 0 and t a known 1: above it z's bits, from it down t's
    const k = fls(~z & t.value & ~t.mask & U64);
    const q = (U64 << BigInt(k)) & U64;
    return (q & z) | (~q & t.value & U64);
  }
  // the most significant bit where z has 1 and t a known 0: keep t above it, then add one to the
  // unknown bits there, the rest from t.value
  const k = fls(z & ~t.value & ~t.mask & U64);
  const q = (U64 << BigInt(k)) & U64;
  const v = (q & t.mask & z) | (q & ~t.mask & U64);
  const u = (v + (1n << BigInt(k))) & U64;
  return (u & t.mask) | t.value;
}

/** What both a and b say (their intersection as sets of values). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return T(v & ~mu, mu);
}

/** Whether some value is in both (no bit known 0 in one and 1 in the other). */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const mu = ~a.mask & ~b.mask & U64;
  return (a.value & mu) === (b.value & mu);
}

/** The low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64 : (1n << BigInt(size * 8)) - 1n;
  return T(a.value & m, a.mask & m);
}

/** The low 32 bits (the subregister), the rest known 0. */
export function tnumSubreg(a: Tnum): Tnum {
  return tnumCast(a, 4);
}

/** The high 32 bits kept, the low ones known 0. */
export function tnumClearSubreg(a: Tnum): Tnum {
  return tnumLshift(tnumRshift(a, 32), 32);
}

/** The high 32 bits of a with the low 32 bits of b. */
export function tnumWithSubreg(a: Tnum, b: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(a), tnumSubreg(b));
}

/** Whether the subregister is known. */
export function tnumSubregIsConst(a: Tnum): boolean {
  return (a.mask & U32) === 0n;
}

/** Whether every value b holds, a holds too. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask) return false;
  return a.value === (b.value & ~a.mask);
}

/** Byte swap of the low `bits` bits (16, 32 or 64), the rest known 0. */
export function tnumBswap(a: Tnum, bits: 16 | 32 | 64): Tnum {
  const swap = (v: bigint): bigint => {
    let out = 0n;
    for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  return T(swap(a.value), swap(a.mask));
}

/** The kernel's verbose_unum: decimal up to u16, else hex. */
export function unumText(v: bigint): string {
  return v <= 0xffffn ? `${v}` : hex(v);
}

/** The kernel's verbose_snum: decimal within s16, else the u64 in hex. */
export function snumText(v: bigint): string {
  return v >= -32768n && v <= 32767n ? `${v}` : hex(v & U64);
}

/** The kernel's text of a tnum (tnum_strn): `(0x0; 0xff)`, a known value as a number. */
export function formatTnum(a: Tnum): string {
  if (a.mask === 0n) return a.value <= 0xffffn ? unumText(a.value) : snumText(BigInt.asIntN(64, a.value));
  return `(${hex(a.value)}; ${hex(a.mask)})`;
}

/** Whether every value of a is a multiple of `size` (a power of two). */
export function tnumIsAligned(a: Tnum, size: number): boolean {
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** %#llx as the kernel's vsnprintf prints it: 0 too gets its 0x. */
function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}
