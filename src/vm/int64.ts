// Exact 64-bit arithmetic on (lo, hi) pairs of int32, the register representation of the interpreter and JIT.
//
// Why pairs of int32 and not BigInt or doubles: a double holds only 53 bits, and BigInt allocates
// on every operation (tens of nanoseconds each), which would cap the VM at a few million
// instructions per second. Two int32 halves stay in V8's small-integer fast path: add, sub, logic
// and shifts are a handful of integer ops; multiplication is four 16-bit partial products.
// Division and modulo of values wider than 32 bits, rare in tracing programs, take a BigInt slow path.

/** The high half of a result, for functions that return the low half. */
export const hiOut = new Int32Array(1);

/** High 32 bits of the unsigned 64-bit product of two unsigned 32-bit values. */
export function mulHiU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const t = a0 * b0;
  const m1 = a1 * b0 + (t >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) | 0;
}

/** Low 64 bits of a 64x64 product; returns lo, hi in hiOut[0]. */
export function mul64(alo: number, ahi: number, blo: number, bhi: number): number {
  hiOut[0] = (mulHiU32(alo, blo) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
  return Math.imul(alo, blo);
}

function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function fromBig(v: bigint): number {
  hiOut[0] = Number(BigInt.asIntN(32, v >> 32n));
  return Number(BigInt.asIntN(32, v));
}

/** Unsigned 64-bit division; division by zero gives 0 (RFC 9669). Returns lo, hi in hiOut[0]. */
export function udiv64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) {
    hiOut[0] = 0;
    return 0;
  }
  if (ahi === 0 && bhi === 0) {
    hiOut[0] = 0;
    return Math.floor((alo >>> 0) / (blo >>> 0)) | 0;
  }
  return fromBig(toBig(alo, ahi) / toBig(blo, bhi));
}

/** Unsigned 64-bit modulo; modulo by zero leaves the dividend (RFC 9669). Returns lo, hi in hiOut[0]. */
export function umod64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) {
    hiOut[0] = ahi;
    return alo;
  }
  if (ahi === 0 && bhi === 0) {
    hiOut[0] = 0;
    return ((alo >>> 0) % (blo >>> 0)) | 0;
  }
  return fromBig(toBig(alo, ahi) % toBig(blo, bhi));
}

/** Signed 64-bit division (truncating); by zero gives 0, INT64_MIN / -1 wraps to INT64_MIN. */
export function sdiv64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) {
    hiOut[0] = 0;
    return 0;
  }
  const a = BigInt.asIntN(64, toBig(alo, ahi));
  const b = BigInt.asIntN(64, toBig(blo, bhi));
  return fromBig(BigInt.asUintN(64, a / b));
}

/** Signed 64-bit modulo (sign of the dividend); by zero leaves the dividend. */
export function smod64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) {
    hiOut[0] = ahi;
    return alo;
  }
  const a = BigInt.asIntN(64, toBig(alo, ahi));
  const b = BigInt.asIntN(64, toBig(blo, bhi));
  return fromBig(BigInt.asUintN(64, a % b));
}

/** Unsigned 32-bit division; by zero gives 0. */
export function udiv32(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor((a >>> 0) / (b >>> 0)) | 0;
}

/** Unsigned 32-bit modulo; by zero leaves the dividend. */
export function umod32(a: number, b: number): number {
  return b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0;
}

/** Signed 32-bit division; by zero gives 0, INT32_MIN / -1 wraps. */
export function sdiv32(a: number, b: number): number {
  return b === 0 ? 0 : Math.trunc(a / b) | 0;
}

/** Signed 32-bit modulo; by zero leaves the dividend. */
export function smod32(a: number, b: number): number {
  return b === 0 ? a : a % b | 0;
}

/** 64-bit left shift by n (already masked to 0-63). */
export function lsh64(lo: number, hi: number, n: number): number {
  if (n === 0) {
    hiOut[0] = hi;
    return lo;
  }
  if (n < 32) {
    hiOut[0] = (hi << n) | (lo >>> (32 - n));
    return lo << n;
  }
  hiOut[0] = lo << (n - 32);
  return 0;
}

/** 64-bit logical right shift by n (0-63). */
export function rsh64(lo: number, hi: number, n: number): number {
  if (n === 0) {
    hiOut[0] = hi;
    return lo;
  }
  if (n < 32) {
    hiOut[0] = hi >>> n;
    return (lo >>> n) | (hi << (32 - n));
  }
  hiOut[0] = 0;
  return (hi >>> (n - 32)) | 0;
}

/** 64-bit arithmetic right shift by n (0-63). */
export function arsh64(lo: number, hi: number, n: number): number {
  if (n === 0) {
    hiOut[0] = hi;
    return lo;
  }
  if (n < 32) {
    hiOut[0] = hi >> n;
    return (lo >>> n) | (hi << (32 - n));
  }
  hiOut[0] = hi >> 31;
  return hi >> (n - 32);
}

/** Byte-swaps the low 16 bits. */
export function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

/** Byte-swaps 32 bits. */
export function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** Unsigned 64-bit comparison: -1, 0, 1. */
export function cmpU64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (ahi !== bhi) return ahi >>> 0 < bhi >>> 0 ? -1 : 1;
  if (alo !== blo) return alo >>> 0 < blo >>> 0 ? -1 : 1;
  return 0;
}

/** Signed 64-bit comparison: -1, 0, 1. */
export function cmpS64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (ahi !== bhi) return ahi < bhi ? -1 : 1;
  if (alo !== blo) return alo >>> 0 < blo >>> 0 ? -1 : 1;
  return 0;
}

/** A (lo, hi) pair as an unsigned bigint (for display and tests). */
export function pairToBigInt(lo: number, hi: number): bigint {
  return toBig(lo, hi);
}
