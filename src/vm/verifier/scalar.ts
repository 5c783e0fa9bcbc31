// Scalar bounds the verifier tracks: unsigned and signed 64-bit ranges, with the ALU and branch rules that keep them sound.
//
// Why ranges and not tnums: the checks the verifier makes with scalars are bounds (an index into a
// map value, a size passed to a helper, a loop counter's exit); unsigned and signed intervals answer
// those, and exact constants are kept exactly. BigInt is fine here: verification runs once per load.

const U64 = (1n << 64n) - 1n;
/** The smallest s64. */
export const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;
const U32 = (1n << 32n) - 1n;

/** A scalar's possible values, as unsigned and as signed 64-bit intervals (both always hold). */
export interface Scalar {
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
}

/** The u64 view of a signed value. */
export const toU64 = (v: bigint): bigint => BigInt.asUintN(64, v);
/** The s64 view of an unsigned value. */
export const toS64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** Any value. */
export function unknownScalar(): Scalar {
  return { umin: 0n, umax: U64, smin: S64_MIN, smax: S64_MAX };
}

/** Exactly `v` (taken modulo 2^64). */
export function constScalar(v: bigint): Scalar {
  const u = toU64(v);
  const s = toS64(u);
  return { umin: u, umax: u, smin: s, smax: s };
}

/** Whether the value is known exactly. */
export function isConst(s: Scalar): boolean {
  return s.umin === s.umax;
}

/** Values in [umin, umax] unsigned. */
export function unsignedRange(umin: bigint, umax: bigint): Scalar {
  return sync({ umin, umax, smin: S64_MIN, smax: S64_MAX });
}

/** Values in [smin, smax] signed. */
export function signedRange(smin: bigint, smax: bigint): Scalar {
  return sync({ umin: 0n, umax: U64, smin, smax });
}

/** Tightens each view from the other; returns undefined when no value is left (an impossible branch). */
export function sync(s: Scalar): Scalar {
  let { umin, umax, smin, smax } = s;
  // The signed range lies wholly on one side of zero: it bounds the unsigned one.
  if (smin >= 0n || smax < 0n) {
    umin = umin > toU64(smin) ? umin : toU64(smin);
    umax = umax < toU64(smax) ? umax : toU64(smax);
  }
  // The unsigned range does not cross 2^63: it bounds the signed one.
  if (toS64(umin) <= toS64(umax)) {
    const lo = toS64(umin);
    const hi = toS64(umax);
    smin = smin > lo ? smin : lo;
    smax = smax < hi ? smax : hi;
  }
  return { umin, umax, smin, smax };
}

/** Whether no value satisfies the bounds. */
export function isEmpty(s: Scalar): boolean {
  return s.umin > s.umax || s.smin > s.smax;
}

/** Whether `outer` allows every value `inner` allows. */
export function containsScalar(outer: Scalar, inner: Scalar): boolean {
  return outer.umin <= inner.umin && outer.umax >= inner.umax && outer.smin <= inner.smin && outer.smax >= inner.smax;
}

/** Whether both bound the same values. */
export function sameScalar(a: Scalar, b: Scalar): boolean {
  return a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax;
}

/** The value truncated to its low 32 bits, zero-extended (what every 32-bit ALU op leaves). */
export function zext32(s: Scalar): Scalar {
  if (s.umax <= U32) return s;
  if (isConst(s)) return constScalar(s.umin & U32);
  // The range's low halves are contiguous when its high halves are equal.
  if (s.umin >> 32n === s.umax >> 32n) return unsignedRange(s.umin & U32, s.umax & U32);
  return unsignedRange(0n, U32);
}

/**
 * The value as a load of `size` bytes gives it back (the kernel's coerce_reg_to_size after a
 * narrow fill): the low bytes, zero-extended or, for ldsx, sign-extended.
 */
export function coerceToSize(s: Scalar, size: number, signExtend: boolean): Scalar {
  if (size >= 8) return s;
  const bits = BigInt(size * 8);
  const mask = (1n << bits) - 1n;
  let u: Scalar;
  if (s.umax <= mask) u = s;
  else if (isConst(s)) u = constScalar(s.umin & mask);
  // The range's low parts are contiguous when its high parts are equal.
  else if (s.umin >> bits === s.umax >> bits) u = unsignedRange(s.umin & mask, s.umax & mask);
  else u = unsignedRange(0n, mask);
  return signExtend ? sext(u, (size * 8) as 8 | 16 | 32) : u;
}

/** Sign-extends the low `bits` bits (MOVSX, LDXS). */
export function sext(s: Scalar, bits: 8 | 16 | 32): Scalar {
  const half = 1n << BigInt(bits - 1);
  if (isConst(s)) return constScalar(BigInt.asIntN(bits, s.umin));
  if (s.umax < half) return s;
  return signedRange(-half, half - 1n);
}

const pow2Ceil = (v: bigint): bigint => {
  let p = 1n;
  while (p <= v) p <<= 1n;
  return p;
};

/**
 * An ALU operation on two scalars, 64-bit; `op` is the opcode's high nibble. Constants are exact;
 * division, modulo and shifts by other than a constant below 64 give an unknown (boundsComputable).
 */
export function aluScalar(op: number, a: Scalar, b: Scalar): Scalar {
  if (!boundsComputable(op, b, 64n)) return unknownScalar();
  if (isConst(a) && isConst(b)) return constScalar(evalConst(op, a.umin, b.umin));
  switch (op) {
    case 0x00: { // add
      const u = a.umax + b.umax <= U64 ? unsignedRange(a.umin + b.umin, a.umax + b.umax) : unknownScalar();
      const smin = a.smin + b.smin;
      const smax = a.smax + b.smax;
      const s = smin >= S64_MIN && smax <= S64_MAX ? signedRange(smin, smax) : unknownScalar();
      return meet(u, s);
    }
    case 0x10: { // sub
      const u = a.umin >= b.umax ? unsignedRange(a.umin - b.umax, a.umax - b.umin) : unknownScalar();
      const smin = a.smin - b.smax;
      const smax = a.smax - b.smin;
      const s = smin >= S64_MIN && smax <= S64_MAX ? signedRange(smin, smax) : unknownScalar();
      return meet(u, s);
    }
    case 0x20: // mul
      if (a.smin >= 0n && b.smin >= 0n && a.umax * b.umax <= U64) return unsignedRange(a.umin * b.umin, a.umax * b.umax);
      return unknownScalar();
    case 0x50: // and: never more than either operand
      return unsignedRange(0n, a.umax < b.umax ? a.umax : b.umax);
    case 0x40: // or
    case 0xa0: { // xor
      const max = a.umax > b.umax ? a.umax : b.umax;
      const top = pow2Ceil(max) - 1n;
      const lo = op === 0x40 ? (a.umin > b.umin ? a.umin : b.umin) : 0n;
      return top <= U64 ? unsignedRange(lo, top) : unknownScalar();
    }
    // Shifts: by a constant below 64 (boundsComputable).
    case 0x60: // lsh
      return a.umax << b.umin <= U64 ? unsignedRange(a.umin << b.umin, a.umax << b.umin) : unknownScalar();
    case 0x70: // rsh
      return unsignedRange(a.umin >> b.umin, a.umax >> b.umin);
    case 0xc0: // arsh
      return signedRange(a.smin >> b.umin, a.smax >> b.umin);
    default:
      return unknownScalar();
  }
}

/** The same operation on 32-bit subregisters: operands and result are zero-extended low halves. */
export function alu32Scalar(op: number, a: Scalar, b: Scalar): Scalar {
  const a32 = zext32(a);
  const b32 = zext32(b);
  // Not even zero-extended: the kernel marks the whole register unknown before its 32-bit step.
  if (!boundsComputable(op, b32, 32n)) return unknownScalar();
  if (isConst(a32) && isConst(b32)) return constScalar(evalConst32(op, a32.umin, b32.umin));
  // Shifts by a constant below 32 (boundsComputable): a left shift that stays within 32 bits, an
  // arithmetic one of a non-negative 32-bit value, are the 64-bit ones on the zero-extended value.
  if (op === 0x60) return a32.umax << b32.umin <= U32 ? zext32(aluScalar(op, a32, b32)) : unsignedRange(0n, U32);
  if (op === 0xc0) return a32.umax <= 0x7fffffffn ? zext32(aluScalar(0x70, a32, b32)) : unsignedRange(0n, U32);
  return zext32(aluScalar(op, a32, b32));
}

/**
 * Whether the kernel computes a result's bounds at all (is_safe_to_compute_dst_reg_range): not for
 * division or modulo, nor a shift by anything but a constant below the width, whatever the
 * operands, constants included; those results are unknown.
 */
function boundsComputable(op: number, b: Scalar, width: bigint): boolean {
  if (op === 0x30 || op === 0x90) return false;
  if (op === 0x60 || op === 0x70 || op === 0xc0) return isConst(b) && b.umin < width;
  return true;
}

function meet(a: Scalar, b: Scalar): Scalar {
  return sync({
    umin: a.umin > b.umin ? a.umin : b.umin,
    umax: a.umax < b.umax ? a.umax : b.umax,
    smin: a.smin > b.smin ? a.smin : b.smin,
    smax: a.smax < b.smax ? a.smax : b.smax,
  });
}

/** RFC 9669 semantics on constants, 64-bit, for the operations whose bounds are computed (shifts by less than 64). */
function evalConst(op: number, a: bigint, b: bigint): bigint {
  switch (op) {
    case 0x00: return a + b;
    case 0x10: return a - b;
    case 0x20: return a * b;
    case 0x40: return a | b;
    case 0x50: return a & b;
    case 0xa0: return a ^ b;
    case 0x60: return a << b;
    case 0x70: return a >> b;
    case 0xc0: return toS64(a) >> b;
    default: return 0n;
  }
}

/** The same on 32-bit subregisters (shifts by less than 32). */
function evalConst32(op: number, a: bigint, b: bigint): bigint {
  switch (op) {
    case 0x60: return (a << b) & U32;
    case 0x70: return a >> b;
    case 0xc0: return (BigInt.asIntN(32, a) >> b) & U32;
    default: return evalConst(op, a, b) & U32;
  }
}

/** Byte-swap or truncation (END), `bits` wide. */
export function endScalar(s: Scalar, bits: number, swap: boolean): Scalar {
  const mask = (1n << BigInt(bits)) - 1n;
  const swapBytes = (v: bigint): bigint => {
    let out = 0n;
    for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  if (isConst(s)) return constScalar(swap ? swapBytes(s.umin & mask) : s.umin & mask);
  if (!swap) return s.umax <= mask ? s : unsignedRange(0n, mask);
  // Swapped as the kernel swaps the register's tnum (Linux 6.18): the bits the range may change,
  // tnum_range(umin, umax), swapped with the bits it fixes, so a small index stays bounded.
  if (s.umax > mask) return unsignedRange(0n, mask);
  const changing = s.umin ^ s.umax;
  const varying = changing === 0n ? 0n : (1n << BigInt(changing.toString(2).length)) - 1n;
  const value = s.umin & ~varying;
  return unsignedRange(swapBytes(value), swapBytes(value) | swapBytes(varying));
}

/** Negation. */
export function negScalar(s: Scalar, is64: boolean): Scalar {
  if (isConst(s)) return is64 ? constScalar(-s.umin) : constScalar((-s.umin) & U32);
  if (is64 && s.smin > S64_MIN) return signedRange(-s.smax, -s.smin);
  return is64 ? unknownScalar() : unsignedRange(0n, U32);
}

/** A loaded value of `size` bytes, zero- or sign-extended. */
export function loadedScalar(size: number, signExtend: boolean): Scalar {
  const bits = BigInt(size * 8);
  if (size === 8) return unknownScalar();
  if (signExtend) return signedRange(-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n);
  return unsignedRange(0n, (1n << bits) - 1n);
}

/** Comparison operators of conditional jumps (the opcode's high nibble). */
export type CompareOp = 0x10 | 0x20 | 0x30 | 0x40 | 0x50 | 0x60 | 0x70 | 0xa0 | 0xb0 | 0xc0 | 0xd0;

/** Whether `a OP b` is always (true), never (false) or sometimes (undefined) so. */
export function branchOutcome(op: CompareOp, a: Scalar, b: Scalar): boolean | undefined {
  switch (op) {
    case 0x10: // jeq
      if (isConst(a) && isConst(b)) return a.umin === b.umin;
      if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin) return false;
      return undefined;
    case 0x50: { // jne
      const eq = branchOutcome(0x10, a, b);
      return eq === undefined ? undefined : !eq;
    }
    case 0x20: return a.umin > b.umax ? true : a.umax <= b.umin ? false : undefined; // jgt
    case 0x30: return a.umin >= b.umax ? true : a.umax < b.umin ? false : undefined; // jge
    case 0xa0: return a.umax < b.umin ? true : a.umin >= b.umax ? false : undefined; // jlt
    case 0xb0: return a.umax <= b.umin ? true : a.umin > b.umax ? false : undefined; // jle
    case 0x60: return a.smin > b.smax ? true : a.smax <= b.smin ? false : undefined; // jsgt
    case 0x70: return a.smin >= b.smax ? true : a.smax < b.smin ? false : undefined; // jsge
    case 0xc0: return a.smax < b.smin ? true : a.smin >= b.smax ? false : undefined; // jslt
    case 0xd0: return a.smax <= b.smin ? true : a.smin > b.smax ? false : undefined; // jsle
    case 0x40: // jset
      if (isConst(a) && isConst(b)) return (a.umin & b.umin) !== 0n;
      if (isConst(b) && a.umax < pow2Ceil(b.umin) && (b.umin & (b.umin + 1n)) === 0n && a.umin > 0n) return true;
      if (a.umax === 0n || b.umax === 0n) return false;
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Narrows both operands to the values for which `a OP b` is `taken`. Returns undefined when the
 * branch cannot happen.
 */
export function refineBranch(op: CompareOp, a: Scalar, b: Scalar, taken: boolean): [Scalar, Scalar] | undefined {
  let rel: CompareOp = op;
  if (!taken) {
    const inverse: Partial<Record<CompareOp, CompareOp>> = { 0x10: 0x50, 0x50: 0x10, 0x20: 0xb0, 0xb0: 0x20, 0x30: 0xa0, 0xa0: 0x30, 0x60: 0xd0, 0xd0: 0x60, 0x70: 0xc0, 0xc0: 0x70 };
    const inv = inverse[op];
    if (inv === undefined) {
      // jset not taken: no bit of a constant b is set in a, so a is at most ~b (the kernel learns
      // it from the tnum: `jset x, -64` not taken leaves x in [0, 63]). Only a mask with the top
      // bit set gives a bound below 2^63, the only kind an offset can use; other masks are left
      // alone, so that the two sides of a flag test stay one state where the kernel, which marks
      // no operand of an undecided branch precise, prunes them as one (precision.ts marks them).
      if (!isConst(b) || b.umin >> 63n === 0n) return [a, b];
      const x = { ...a, umax: a.umax < (~b.umin & U64) ? a.umax : ~b.umin & U64 };
      if (isEmpty(x)) return undefined;
      const synced = sync(x);
      return isEmpty(synced) ? undefined : [synced, b];
    }
    rel = inv;
  }
  let x = { ...a };
  let y = { ...b };
  const max = (p: bigint, q: bigint): bigint => (p > q ? p : q);
  const min = (p: bigint, q: bigint): bigint => (p < q ? p : q);
  switch (rel) {
    case 0x10:
      x = { umin: max(x.umin, y.umin), umax: min(x.umax, y.umax), smin: max(x.smin, y.smin), smax: min(x.smax, y.smax) };
      y = { ...x };
      break;
    case 0x50:
      if (isConst(y)) x = excludeEdge(x, y.umin);
      if (isConst(x)) y = excludeEdge(y, x.umin);
      break;
    case 0x20: x.umin = max(x.umin, y.umin + 1n); y.umax = min(y.umax, x.umax - 1n); break;
    case 0x30: x.umin = max(x.umin, y.umin); y.umax = min(y.umax, x.umax); break;
    case 0xa0: x.umax = min(x.umax, y.umax - 1n); y.umin = max(y.umin, x.umin + 1n); break;
    case 0xb0: x.umax = min(x.umax, y.umax); y.umin = max(y.umin, x.umin); break;
    case 0x60: x.smin = max(x.smin, y.smin + 1n); y.smax = min(y.smax, x.smax - 1n); break;
    case 0x70: x.smin = max(x.smin, y.smin); y.smax = min(y.smax, x.smax); break;
    case 0xc0: x.smax = min(x.smax, y.smax - 1n); y.smin = max(y.smin, x.smin + 1n); break;
    case 0xd0: x.smax = min(x.smax, y.smax); y.smin = max(y.smin, x.smin); break;
    default: // jset taken: at least one common bit; nothing an offset could use (see not taken)
      break;
  }
  if (isEmpty(x) || isEmpty(y)) return undefined;
  x = sync(x);
  y = sync(y);
  if (isEmpty(x) || isEmpty(y)) return undefined;
  return [x, y];
}

function excludeEdge(s: Scalar, v: bigint): Scalar {
  const out = { ...s };
  if (out.umin === v) out.umin += 1n;
  if (out.umax === v) out.umax -= 1n;
  const sv = toS64(v);
  if (out.smin === sv) out.smin += 1n;
  if (out.smax === sv) out.smax -= 1n;
  return out;
}

/** Whether the value fits 32 bits unsigned (so a JMP32 compare is the 64-bit one). */
export function fits32(s: Scalar): boolean {
  return s.umax <= U32;
}

/** Whether the value fits 31 bits unsigned (so a signed JMP32 compare is the 64-bit one too). */
export function fits31(s: Scalar): boolean {
  return s.umax < 1n << 31n;
}

/** Short text for logs: a constant, or its bounds. */
export function formatScalar(s: Scalar): string {
  if (isConst(s)) return `${s.smin}`;
  const parts: string[] = [];
  if (s.umin !== 0n) parts.push(`umin=${s.umin}`);
  if (s.umax !== U64) parts.push(`umax=${s.umax}`);
  if (s.smin !== S64_MIN && s.smin !== toS64(s.umin)) parts.push(`smin=${s.smin}`);
  if (s.smax !== S64_MAX && s.smax !== s.umax) parts.push(`smax=${s.smax}`);
  return parts.length ? `scalar(${parts.join(',')})` : 'scalar()';
}
