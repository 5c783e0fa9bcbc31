// Scalar bounds the verifier tracks, as the kernel tracks them: a tnum and unsigned and signed ranges of the 64-bit value and of its low 32 bits, with the ALU and branch rules that keep them sound.
//
// Why exactly the kernel's domain (struct bpf_reg_state's var_off, smin/smax/umin/umax and their
// 32-bit twins, kept in step by reg_bounds_sync): a program is accepted or refused by what these
// bounds prove, the walk prunes by them, and the log prints them; any other domain, even a more
// precise one, accepts, walks and prints differently from the kernel the object will be loaded
// into. BigInt is fine here: verification runs once per load.
import {
  formatTnum, snumText, TNUM_UNKNOWN, tnumAdd, tnumAnd, tnumArshift, tnumBswap, tnumCast, tnumClearSubreg, tnumConst, tnumIn,
  tnumIntersect, tnumIsConst, tnumIsUnknown, tnumLshift, tnumMul, tnumOr, tnumOverlap, tnumRange, tnumRshift, tnumStep, tnumSub,
  tnumSubreg, tnumSubregIsConst, tnumWithSubreg, tnumXor, unumText, type Tnum,
} from './tnum.js';

const U64 = (1n << 64n) - 1n;
/** The smallest s64. */
export const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;
const U32 = (1n << 32n) - 1n;
const S32_MIN = -(1n << 31n);
const S32_MAX = (1n << 31n) - 1n;

/**
 * A scalar's possible values: every bound always holds. 64-bit bounds are u64/s64 as bigints,
 * 32-bit ones u32/s32 (of the low half); `var` says which bits are known.
 */
export interface Scalar {
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
  u32min: bigint;
  u32max: bigint;
  s32min: bigint;
  s32max: bigint;
  var: Tnum;
}

/** The u64 view of a value. */
const toU64 = (v: bigint): bigint => BigInt.asUintN(64, v);
/** The s64 view of a value. */
export const toS64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Any value. */
export function unknownScalar(): Scalar {
  return { umin: 0n, umax: U64, smin: S64_MIN, smax: S64_MAX, u32min: 0n, u32max: U32, s32min: S32_MIN, s32max: S32_MAX, var: TNUM_UNKNOWN };
}

/** Exactly `v` (taken modulo 2^64): ___mark_reg_known. */
export function constScalar(v: bigint): Scalar {
  const u = toU64(v);
  return { umin: u, umax: u, smin: toS64(u), smax: toS64(u), u32min: u32(u), u32max: u32(u), s32min: s32(u), s32max: s32(u), var: tnumConst(u) };
}

/**
 * A pointer's variable part after `ptr += v` or `ptr -= v` (adjust_ptr_min_max_vals): signed ends
 * added (an overflow leaves nothing known), unsigned ends too (an add that overflows, or a
 * subtraction that may go below zero, leaves nothing known), the tnums added, no 32-bit bounds.
 */
export function pointerOffset(p: Scalar, v: Scalar, sub: boolean): Scalar {
  const r = unknownScalar();
  const smin = sub ? p.smin - v.smax : p.smin + v.smin;
  const smax = sub ? p.smax - v.smin : p.smax + v.smax;
  if (smin >= S64_MIN && smax <= S64_MAX) { r.smin = smin; r.smax = smax; }
  if (sub) {
    if (p.umin >= v.umax) { r.umin = p.umin - v.umax; r.umax = p.umax - v.umin; }
  } else if (p.umax + v.umax <= U64) {
    r.umin = p.umin + v.umin;
    r.umax = p.umax + v.umax;
  }
  r.var = sub ? tnumSub(p.var, v.var) : tnumAdd(p.var, v.var);
  boundsSync(r);
  return r;
}

/** Whether the low 32 bits are known exactly. */
export function isConst32(s: Scalar): boolean {
  return tnumSubregIsConst(s.var);
}

/**
 * sync_linked_regs for a register that is the known one's number plus `diff`: the known value plus
 * diff (add bounds and tnum), zero-extended when the link is a 32-bit one.
 */
export function linkedValue(known: Scalar, diff: number, is32: boolean): Scalar {
  const k = constScalar(BigInt(diff));
  const r = { ...known };
  addBounds(r, k, 32, false);
  addBounds(r, k, 64, false);
  r.var = tnumAdd(r.var, k.var);
  const out = is32 ? zext32(r) : r;
  boundsSync(out);
  return out;
}

/** Whether the value is known exactly (tnum_is_const of var_off, as the kernel asks it). */
export function isConst(s: Scalar): boolean {
  return tnumIsConst(s.var);
}

function markUnbounded64(r: Scalar): void {
  r.smin = S64_MIN; r.smax = S64_MAX; r.umin = 0n; r.umax = U64;
}

function markUnbounded32(r: Scalar): void {
  r.s32min = S32_MIN; r.s32max = S32_MAX; r.u32min = 0n; r.u32max = U32;
}

/** __mark_reg32_known: the low half is `v` (bounds and tnum), the high half as it was. */
function markKnown32(r: Scalar, v: bigint): void {
  r.var = tnumWithSubreg(r.var, tnumConst(u32(v)));
  r.s32min = r.s32max = s32(v);
  r.u32min = r.u32max = u32(v);
}

/** __update_reg32_bounds: what the tnum's low half says of the 32-bit bounds. */
function updateBounds32(r: Scalar): void {
  const t = tnumSubreg(r.var);
  r.s32min = max(r.s32min, s32(t.value | (t.mask & 0x80000000n)));
  r.s32max = min(r.s32max, s32(t.value | (t.mask & 0x7fffffffn)));
  r.u32min = max(r.u32min, t.value);
  r.u32max = min(r.u32max, t.value | t.mask);
}

/** __update_reg64_bounds. */
function updateBounds64(r: Scalar): void {
  const t = r.var;
  r.smin = max(r.smin, toS64(t.value | (t.mask & (1n << 63n))));
  r.smax = min(r.smax, toS64(t.value | (t.mask & S64_MAX)));
  r.umin = max(r.umin, t.value);
  r.umax = min(r.umax, t.value | t.mask);
  // The u64 range and the tnum meet in one value: the number is that value (Linux 6.18.44, as
  // probed: (x & 1) << 32 known to be above 0xfffffff is 0x100000000).
  const next = tnumStep(t, r.umin);
  const tmax = t.value | t.mask;
  const uminIn = (r.umin & ~t.mask) === t.value;
  let only: bigint | undefined;
  if (uminIn && next > r.umax) only = r.umin;
  else if (!uminIn && next === tmax) only = tmax;
  else if (!uminIn && next <= r.umax && tnumStep(t, next) > r.umax) only = next;
  // (As the kernel, also where the range holds none of the tnum's values: a branch that cannot be taken.)
  if (only !== undefined) Object.assign(r, constScalar(only));
}

function updateBounds(r: Scalar): void {
  updateBounds32(r);
  updateBounds64(r);
}

/**
 * The low halves of [lo, hi], whose high halves are one value, bound the 32-bit ones where they
 * form a range of that signedness (of a u64 range's, taken as unsigned unchecked, as the kernel does).
 */
function lowHalvesBound(r: Scalar, lo: bigint, hi: bigint, unsigned: boolean): void {
  if (unsigned || u32(lo) <= u32(hi)) {
    r.u32min = max(r.u32min, u32(lo));
    r.u32max = min(r.u32max, u32(hi));
  }
  if (s32(lo) <= s32(hi)) {
    r.s32min = max(r.s32min, s32(lo));
    r.s32max = min(r.s32max, s32(hi));
  }
}

/** __reg32_deduce_bounds: 32-bit bounds from the 64-bit ones, and u32/s32 from each other. */
function deduce32(r: Scalar): void {
  // The high halves of the u64 (or s64) range are one value: its low halves are a range too.
  if (r.umin >> 32n === r.umax >> 32n) lowHalvesBound(r, r.umin, r.umax, true);
  if (r.smin >> 32n === r.smax >> 32n) lowHalvesBound(r, r.smin, r.smax, false);
  // High halves two consecutive numbers, low halves going from negative to non-negative: an s32 range.
  for (const [lo, hi] of [[r.umin, r.umax], [r.smin, r.smax]] as const) {
    if (u32((lo >> 32n) + 1n) === u32(hi >> 32n) && s32(lo) < 0n && s32(hi) >= 0n) {
      r.s32min = max(r.s32min, s32(lo));
      r.s32max = min(r.s32max, s32(hi));
    }
  }
  // The u32 range does not cross the sign bit: it bounds the s32 one.
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(u32(r.s32min), r.u32min);
    r.u32max = min(u32(r.s32max), r.u32max);
  } else if (r.u32max < u32(r.s32min)) {
    // The s32 range wraps and the u32 range meets only its non-negative part.
    r.s32min = s32(r.u32min);
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (u32(r.s32max) < r.u32min) {
    // ... or only its negative part.
    r.s32max = s32(r.u32max);
    r.u32min = max(r.u32min, u32(r.s32min));
  }
}

/** __reg64_deduce_bounds: u64 and s64 from each other where the range keeps to one side of the sign bit. */
function deduce64(r: Scalar): void {
  if (toS64(r.umin) <= toS64(r.umax)) {
    r.smin = max(r.smin, toS64(r.umin));
    r.smax = min(r.smax, toS64(r.umax));
  }
  if (toU64(r.smin) <= toU64(r.smax)) {
    r.umin = max(toU64(r.smin), r.umin);
    r.umax = min(toU64(r.smax), r.umax);
  } else if (r.umax < toU64(r.smin)) {
    r.smin = toS64(r.umin);
    r.umax = min(r.umax, toU64(r.smax));
  } else if (toU64(r.smax) < r.umin) {
    r.smax = toS64(r.umax);
    r.umin = max(r.umin, toU64(r.smin));
  }
}

/** The u64 and s64 ranges tightened by putting [lo32, hi32] in their ends' low halves. */
function highHalvesWith(r: Scalar, lo32: bigint, hi32: bigint): void {
  const hiU = (v: bigint): bigint => v & ~U32 & U64;
  r.umin = max(r.umin, hiU(r.umin) | lo32);
  r.umax = min(r.umax, hiU(r.umax) | hi32);
  r.smin = max(r.smin, toS64(hiU(toU64(r.smin)) | lo32));
  r.smax = min(r.smax, toS64(hiU(toU64(r.smax)) | hi32));
}

/** __reg_deduce_mixed_bounds: 64-bit bounds tightened by the 32-bit ones in their low halves. */
function deduceMixed(r: Scalar): void {
  highHalvesWith(r, r.u32min, r.u32max);
  if (u32(r.s32min) <= u32(r.s32max)) highHalvesWith(r, u32(r.s32min), u32(r.s32max));
  // After a sign-extending load: a value in [S32_MIN, S32_MAX] whose low half is non-negative is that low half.
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min;
    r.smax = r.s32max;
    r.umin = toU64(r.s32min);
    r.umax = toU64(r.s32max);
    r.var = tnumIntersect(r.var, tnumRange(toU64(r.smin), toU64(r.smax)));
  }
}

function deduce(r: Scalar): void {
  deduce32(r);
  deduce64(r);
  deduceMixed(r);
}

/** __reg_bound_offset: what the bounds say of the bits. */
function boundOffset(r: Scalar): void {
  const v64 = tnumIntersect(r.var, tnumRange(r.umin, r.umax));
  const v32 = tnumIntersect(tnumSubreg(v64), tnumRange(r.u32min, r.u32max));
  r.var = tnumOr(tnumClearSubreg(v64), v32);
}

/** reg_bounds_sync in place. */
function boundsSync(r: Scalar): void {
  updateBounds(r);
  deduce(r);
  deduce(r);
  deduce(r);
  boundOffset(r);
  updateBounds(r);
}

/** A copy brought in step (reg_bounds_sync): each bound tightened by what the others say. */
export function sync(s: Scalar): Scalar {
  const r = { ...s };
  boundsSync(r);
  return r;
}

/** Whether no value satisfies the bounds (reg_bounds_sanity_check's range violation). */
function isEmpty(s: Scalar): boolean {
  return s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max;
}

/**
 * reg_bounds_sanity_check after a refinement: bounds that cross (or a known tnum out of step with
 * them) are reset to unbounded, the tnum kept, as the kernel does outside its self-tests.
 */
function sane(r: Scalar): Scalar {
  let bad = isEmpty(r);
  if (!bad && tnumIsConst(r.var)) {
    const u = r.var.value;
    bad = r.umin !== u || r.umax !== u || r.smin !== toS64(u) || r.smax !== toS64(u);
  }
  if (!bad && tnumSubregIsConst(r.var)) {
    const u = tnumSubreg(r.var).value;
    bad = r.u32min !== u || r.u32max !== u || r.s32min !== s32(u) || r.s32max !== s32(u);
  }
  if (!bad) return r;
  const out = { ...r };
  markUnbounded64(out);
  markUnbounded32(out);
  return out;
}

/** range_within && tnum_in: whether `outer` allows every value `inner` allows (regsafe for a precise scalar). */
export function containsScalar(outer: Scalar, inner: Scalar): boolean {
  return (
    outer.umin <= inner.umin && outer.umax >= inner.umax && outer.smin <= inner.smin && outer.smax >= inner.smax &&
    outer.u32min <= inner.u32min && outer.u32max >= inner.u32max && outer.s32min <= inner.s32min && outer.s32max >= inner.s32max &&
    tnumIn(outer.var, inner.var)
  );
}

/** Whether both bound the same values the same way. */
export function sameScalar(a: Scalar, b: Scalar): boolean {
  return (
    a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax &&
    a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max &&
    a.var.value === b.var.value && a.var.mask === b.var.mask
  );
}

/** zext_32_to_64: what every 32-bit ALU op leaves, the low half zero-extended (__reg_assign_32_into_64). */
function zext32(s: Scalar): Scalar {
  const r = { ...s, var: tnumSubreg(s.var) };
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32;
  }
  return r;
}

/** What a mov32 of the value leaves: zext_32_to_64 then reg_bounds_sync as the ALU op ends. */
export function mov32(s: Scalar): Scalar {
  const r = zext32(s);
  boundsSync(r);
  return r;
}

/**
 * The value as a load of `size` bytes gives it back (coerce_reg_to_size after a narrow fill, or
 * coerce_reg_to_size_sx for ldsx).
 */
export function coerceToSize(s: Scalar, size: number, signExtend: boolean): Scalar {
  if (size >= 8) return s;
  if (signExtend) return sext(s, (size * 8) as 8 | 16 | 32);
  const r = { ...s, var: tnumCast(s.var, size) };
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  // Narrower than the subregister: its bounds come from the 64-bit ones just truncated.
  if (size < 4) markUnbounded32(r);
  boundsSync(r);
  return r;
}

/** coerce_reg_to_size_sx: the low `bits` bits sign-extended to 64 (MOVSX, LDXS). */
export function sext(r: Scalar, bits: 8 | 16 | 32): Scalar {
  const b = BigInt(bits);
  if (tnumIsConst(r.var)) {
    const v = toU64(BigInt.asIntN(bits, r.var.value));
    return constScalar(v);
  }
  // The low half's signed range within the narrower type: sign extension gives that range back,
  // the low half as it was (Linux 6.18, as probed: `(s32)x` of s32 [-4080, 0] is [-4080, 0]).
  const half = 1n << (b - 1n);
  if (r.s32min >= -half && r.s32max < half) {
    const out = { ...unknownScalar(), smin: r.s32min, smax: r.s32max, s32min: r.s32min, s32max: r.s32max, u32min: r.u32min, u32max: r.u32max };
    boundsSync(out);
    return out;
  }
  const topMax = (toU64(r.smax) >> b) << b;
  const topMin = (toU64(r.smin) >> b) << b;
  if (topMax === topMin) {
    const a = BigInt.asIntN(bits, r.smax);
    const c = BigInt.asIntN(bits, r.smin);
    const hi = max(a, c);
    const lo = min(a, c);
    if ((hi >= 0n) === (lo >= 0n)) {
      return { smin: lo, smax: hi, s32min: lo, s32max: hi, umin: toU64(lo), umax: toU64(hi), u32min: u32(lo), u32max: u32(hi), var: tnumRange(toU64(lo), toU64(hi)) };
    }
  }
  // set_sext64_default_val
  return { smin: -half, smax: half - 1n, s32min: -half, s32max: half - 1n, umin: 0n, umax: U64, u32min: 0n, u32max: U32, var: TNUM_UNKNOWN };
}

/** coerce_subreg_to_size_sx: the low `bits` (8 or 16) bits sign-extended to 32 (MOVSX32); the caller zero-extends. */
export function sext32(s: Scalar, bits: 8 | 16): Scalar {
  const r = { ...s };
  const b = BigInt(bits);
  if (tnumIsConst(r.var)) {
    const v = u32(BigInt.asIntN(bits, r.var.value));
    r.var = tnumConst(toU64(BigInt.asIntN(bits, r.var.value)));
    r.s32min = r.s32max = s32(v);
    r.u32min = r.u32max = v;
    return r;
  }
  const topMax = (u32(r.s32max) >> b) << b;
  const topMin = (u32(r.s32min) >> b) << b;
  if (topMax === topMin) {
    const a = BigInt.asIntN(bits, r.s32max);
    const c = BigInt.asIntN(bits, r.s32min);
    const hi = max(a, c);
    const lo = min(a, c);
    if ((lo >= 0n) === (hi >= 0n)) {
      r.s32min = lo;
      r.s32max = hi;
      r.u32min = u32(lo);
      r.u32max = u32(hi);
      r.var = tnumSubreg(tnumRange(toU64(lo), toU64(hi)));
      return r;
    }
  }
  // set_sext32_default_val
  const half = 1n << (b - 1n);
  r.s32min = -half;
  r.s32max = half - 1n;
  r.u32min = 0n;
  r.u32max = U32;
  r.var = tnumSubreg(TNUM_UNKNOWN);
  return r;
}

/**
 * Whether the kernel computes a result's bounds at all (is_safe_to_compute_dst_reg_range): not for
 * division or modulo, nor a shift by anything but a constant below the width, whatever the
 * operands, constants included; those results are unknown.
 */
function boundsComputable(op: number, b: Scalar, is64: boolean): boolean {
  const known = is64
    ? tnumIsConst(b.var) && b.smin === b.smax && b.umin === b.umax
    : tnumSubregIsConst(b.var) && b.s32min === b.s32max && b.u32min === b.u32max;
  switch (op) {
    case 0x00: case 0x10: case 0x50: case 0xa0: case 0x40: case 0x20:
      return true;
    case 0x60: case 0x70: case 0xc0:
      return known && b.umax < (is64 ? 64n : 32n);
    default:
      return false;
  }
}

/** Whether v lies outside [lo, hi] (a checked C operation overflowed). */
const outside = (v: bigint, lo: bigint, hi: bigint): boolean => v < lo || v > hi;

/** The limits and the bound fields of one width. */
function width(bits: 32 | 64) {
  return bits === 64
    ? { SMIN: S64_MIN, SMAX: S64_MAX, UMAX: U64, smin: 'smin', smax: 'smax', umin: 'umin', umax: 'umax' } as const
    : { SMIN: S32_MIN, SMAX: S32_MAX, UMAX: U32, smin: 's32min', smax: 's32max', umin: 'u32min', umax: 'u32max' } as const;
}

/**
 * d += s or d -= s on one width's bounds: a signed end overflowing leaves nothing known; unsigned
 * ends wrapping together (both or neither) stay a range (Linux 6.18's add and sub), one end alone
 * wrapping leaves nothing known.
 */
function addBounds(d: Scalar, s: Scalar, bits: 32 | 64, sub: boolean): void {
  const w = width(bits);
  const smin = sub ? d[w.smin] - s[w.smax] : d[w.smin] + s[w.smin];
  const smax = sub ? d[w.smax] - s[w.smin] : d[w.smax] + s[w.smax];
  if (outside(smin, w.SMIN, w.SMAX) || outside(smax, w.SMIN, w.SMAX)) { d[w.smin] = w.SMIN; d[w.smax] = w.SMAX; } else { d[w.smin] = smin; d[w.smax] = smax; }
  const umin = sub ? d[w.umin] - s[w.umax] : d[w.umin] + s[w.umin];
  const umax = sub ? d[w.umax] - s[w.umin] : d[w.umax] + s[w.umax];
  const minWraps = outside(umin, 0n, w.UMAX), maxWraps = outside(umax, 0n, w.UMAX);
  // Adding, only the top can wrap alone; subtracting, only the bottom.
  if (sub ? minWraps && !maxWraps : !minWraps && maxWraps) { d[w.umin] = 0n; d[w.umax] = w.UMAX; } else { d[w.umin] = umin & w.UMAX; d[w.umax] = umax & w.UMAX; }
}

/** The products of the ends (check_mul_overflow on each): unsigned ones, and the least and greatest signed ones; nothing known on overflow. */
function mulBounds(d: Scalar, s: Scalar, bits: 32 | 64): void {
  const w = width(bits);
  const umax = d[w.umax] * s[w.umax], umin = d[w.umin] * s[w.umin];
  if (umax > w.UMAX || umin > w.UMAX) { d[w.umin] = 0n; d[w.umax] = w.UMAX; } else { d[w.umin] = umin; d[w.umax] = umax; }
  const p = [d[w.smin] * s[w.smin], d[w.smin] * s[w.smax], d[w.smax] * s[w.smin], d[w.smax] * s[w.smax]];
  if (p.some((v) => outside(v, w.SMIN, w.SMAX))) { d[w.smin] = w.SMIN; d[w.smax] = w.SMAX; } else { d[w.smin] = p.reduce(min); d[w.smax] = p.reduce(max); }
}

/** and (0x50), or (0x40), xor on the 32-bit bounds, the tnum already computed; both operands known: the result is. */
function bitwise32(d: Scalar, s: Scalar, op: number, srcKnown: boolean, dstKnown: boolean): void {
  const t = tnumSubreg(d.var);
  if (srcKnown && dstKnown) { markKnown32(d, t.value); return; }
  if (op === 0x50) { d.u32min = t.value; d.u32max = min(d.u32max, s.u32max); }
  else if (op === 0x40) { d.u32min = max(d.u32min, s.u32min); d.u32max = t.value | t.mask; }
  else { d.u32min = t.value; d.u32max = t.value | t.mask; }
  if (s32(d.u32min) <= s32(d.u32max)) { d.s32min = s32(d.u32min); d.s32max = s32(d.u32max); } else { d.s32min = S32_MIN; d.s32max = S32_MAX; }
}

/** The same on the 64-bit bounds. */
function bitwise64(d: Scalar, s: Scalar, op: number, srcKnown: boolean, dstKnown: boolean): void {
  if (srcKnown && dstKnown) {
    Object.assign(d, constScalar(d.var.value));
    return;
  }
  if (op === 0x50) { d.umin = d.var.value; d.umax = min(d.umax, s.umax); }
  else if (op === 0x40) { d.umin = max(d.umin, s.umin); d.umax = d.var.value | d.var.mask; }
  else { d.umin = d.var.value; d.umax = d.var.value | d.var.mask; }
  if (toS64(d.umin) <= toS64(d.umax)) { d.smin = toS64(d.umin); d.smax = toS64(d.umax); } else { d.smin = S64_MIN; d.smax = S64_MAX; }
  updateBounds(d);
}

function lsh32Bounds(d: Scalar, umin: bigint, umax: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umax > 31n || d.u32max > 1n << (31n - umax)) { d.u32min = 0n; d.u32max = U32; } else { d.u32min <<= umin; d.u32max <<= umax; }
}

function lsh64Bounds(d: Scalar, umin: bigint, umax: bigint): void {
  if (umin === 32n && umax === 32n) { d.smax = d.s32max << 32n; d.smin = d.s32min << 32n; } else { d.smax = S64_MAX; d.smin = S64_MIN; }
  if (d.umax > 1n << (63n - umax)) { d.umin = 0n; d.umax = U64; } else { d.umin <<= umin; d.umax <<= umax; }
}

/**
 * adjust_scalar_min_max_vals: an ALU operation on two scalars (`op` the opcode's high nibble), 64-
 * or 32-bit, every bound and the tnum as the kernel computes them; a 32-bit result is zero-extended.
 */
function alu(op: number, a: Scalar, b: Scalar, is64: boolean): Scalar {
  if (!boundsComputable(op, b, is64)) return unknownScalar();
  const d: Scalar = { ...a };
  switch (op) {
    case 0x00: addBounds(d, b, 32, false); addBounds(d, b, 64, false); d.var = tnumAdd(d.var, b.var); break;
    case 0x10: addBounds(d, b, 32, true); addBounds(d, b, 64, true); d.var = tnumSub(d.var, b.var); break;
    case 0x20: d.var = tnumMul(d.var, b.var); mulBounds(d, b, 32); mulBounds(d, b, 64); break;
    case 0x50: case 0x40: case 0xa0: {
      const src32 = tnumSubregIsConst(b.var), dst32 = tnumSubregIsConst(d.var);
      const src64 = tnumIsConst(b.var), dst64 = tnumIsConst(d.var);
      d.var = op === 0x50 ? tnumAnd(d.var, b.var) : op === 0x40 ? tnumOr(d.var, b.var) : tnumXor(d.var, b.var);
      bitwise32(d, b, op, src32, dst32);
      bitwise64(d, b, op, src64, dst64);
      break;
    }
    case 0x60:
      if (!is64) {
        const sub = tnumSubreg(d.var);
        lsh32Bounds(d, b.u32min, b.u32max);
        d.var = tnumSubreg(tnumLshift(sub, Number(b.u32min)));
        markUnbounded64(d);
        updateBounds32(d);
      } else {
        lsh64Bounds(d, b.umin, b.umax);
        lsh32Bounds(d, b.umin, b.umax);
        d.var = tnumLshift(d.var, Number(b.umin));
        updateBounds(d);
      }
      break;
    case 0x70:
      if (!is64) {
        const sub = tnumSubreg(d.var);
        d.s32min = S32_MIN; d.s32max = S32_MAX;
        d.var = tnumRshift(sub, Number(b.u32min));
        d.u32min >>= b.u32max;
        d.u32max >>= b.u32min;
        markUnbounded64(d);
        updateBounds32(d);
      } else {
        d.smin = S64_MIN; d.smax = S64_MAX;
        d.var = tnumRshift(d.var, Number(b.umin));
        d.umin >>= b.umax;
        d.umax >>= b.umin;
        markUnbounded32(d);
        updateBounds(d);
      }
      break;
    case 0xc0:
      if (!is64) {
        d.s32min >>= b.u32min;
        d.s32max >>= b.u32min;
        d.var = tnumArshift(tnumSubreg(d.var), Number(b.u32min), 32);
        d.u32min = 0n; d.u32max = U32;
        markUnbounded64(d);
        updateBounds32(d);
      } else {
        d.smin >>= b.umin;
        d.smax >>= b.umin;
        d.var = tnumArshift(d.var, Number(b.umin), 64);
        d.umin = 0n; d.umax = U64;
        markUnbounded32(d);
        updateBounds(d);
      }
      break;
  }
  const r = is64 ? d : zext32(d);
  boundsSync(r);
  return r;
}

/** A 64-bit ALU operation on two scalars; `op` is the opcode's high nibble. */
export function aluScalar(op: number, a: Scalar, b: Scalar): Scalar {
  return alu(op, a, b, true);
}

/** The same operation on 32-bit subregisters, the result zero-extended. */
export function alu32Scalar(op: number, a: Scalar, b: Scalar): Scalar {
  return alu(op, a, b, false);
}

/**
 * maybe_fork_scalars: `x &= K` or `x |= K` with x in [-1, 0] (as 64 or, failing that, 32 bits)
 * splits into the two values, so that each is known after: the value for the path that continues
 * and the one for the path pushed to walk later, or undefined when x is not such a value.
 */
export function forkedScalars(a: Scalar): { now: Scalar; later: Scalar } | undefined {
  if (a.smin === -1n && a.smax === 0n) return { now: constScalar(-1n), later: constScalar(0n) };
  if (a.s32min === -1n && a.s32max === 0n) {
    const now = { ...a }, later = { ...a };
    markKnown32(now, U32);
    markKnown32(later, 0n);
    return { now, later };
  }
  return undefined;
}

/** Byte-swap or truncation (END), `bits` wide: the tnum swapped (Linux 6.18), the bounds rederived from it. */
export function endScalar(s: Scalar, bits: number, swap: boolean): Scalar {
  let r: Scalar;
  if (swap) {
    r = { ...unknownScalar(), var: tnumBswap(s.var, bits as 16 | 32 | 64) };
  } else {
    if (bits === 64) return s;
    r = coerceToSize(s, bits / 8, false);
  }
  boundsSync(r);
  return r;
}

/** Negation (Linux 6.18: 0 - x, bounds by scalar_min_max_sub, the tnum negated). */
export function negScalar(s: Scalar, is64: boolean): Scalar {
  return is64 ? aluScalar(0x10, constScalar(0n), s) : alu32Scalar(0x10, constScalar(0n), s);
}

/** A loaded value of `size` bytes, zero- or sign-extended: an unknown coerced to the size. */
export function loadedScalar(size: number, signExtend: boolean): Scalar {
  if (size === 8) return unknownScalar();
  return coerceToSize(unknownScalar(), size, signExtend);
}

/** Comparison operators of conditional jumps (the opcode's high nibble). */
export type CompareOp = 0x10 | 0x20 | 0x30 | 0x40 | 0x50 | 0x60 | 0x70 | 0xa0 | 0xb0 | 0xc0 | 0xd0;

/** The operands' ranges as a compare of `is32` sees them. */
function view(r: Scalar, is32: boolean): { t: Tnum; umin: bigint; umax: bigint; smin: bigint; smax: bigint } {
  return is32
    ? { t: tnumSubreg(r.var), umin: r.u32min, umax: r.u32max, smin: r.s32min, smax: r.s32max }
    : { t: r.var, umin: r.umin, umax: r.umax, smin: r.smin, smax: r.smax };
}

/** is_scalar_branch_taken: whether `a OP b` is always (true), never (false) or sometimes (undefined) so. */
export function branchOutcome(op: CompareOp, a: Scalar, b: Scalar, is32 = false): boolean | undefined {
  const x = view(a, is32), y = view(b, is32);
  switch (op) {
    case 0x10: // jeq
    case 0x50: { // jne
      const eq = op === 0x10;
      if (tnumIsConst(x.t) && tnumIsConst(y.t)) return (x.t.value === y.t.value) === eq;
      const never = !tnumOverlap(x.t, y.t) || x.umin > y.umax || x.umax < y.umin || x.smin > y.smax || x.smax < y.smin ||
        (!is32 && (a.u32min > b.u32max || a.u32max < b.u32min || a.s32min > b.s32max || a.s32max < b.s32min));
      return never ? !eq : undefined;
    }
    case 0x40: { // jset
      let t1 = x.t, t2 = y.t;
      if (!tnumIsConst(t2)) [t1, t2] = [t2, t1];
      if (!tnumIsConst(t2)) return undefined;
      if (~t1.mask & t1.value & t2.value) return true;
      if (((t1.mask | t1.value) & t2.value) === 0n) return false;
      return undefined;
    }
    case 0x20: return x.umin > y.umax ? true : x.umax <= y.umin ? false : undefined; // jgt
    case 0x60: return x.smin > y.smax ? true : x.smax <= y.smin ? false : undefined; // jsgt
    case 0xa0: return x.umax < y.umin ? true : x.umin >= y.umax ? false : undefined; // jlt
    case 0xc0: return x.smax < y.smin ? true : x.smin >= y.smax ? false : undefined; // jslt
    case 0x30: return x.umin >= y.umax ? true : x.umax < y.umin ? false : undefined; // jge
    case 0x70: return x.smin >= y.smax ? true : x.smax < y.smin ? false : undefined; // jsge
    case 0xb0: return x.umax <= y.umin ? true : x.umin > y.umax ? false : undefined; // jle
    case 0xd0: return x.smax <= y.smin ? true : x.smin > y.smax ? false : undefined; // jsle
    default:
      return undefined;
  }
}

/** The compare whose being true is this one's being false (rev_opcode); 0x41 is "jset not taken". */
const REVERSE: Record<number, number> = { 0x10: 0x50, 0x50: 0x10, 0x40: 0x41, 0x41: 0x40, 0x30: 0xa0, 0x20: 0xb0, 0xb0: 0x20, 0xa0: 0x30, 0x70: 0xc0, 0x60: 0xd0, 0xd0: 0x60, 0xc0: 0x70 };
/** A "greater" compare as the "less" one with its operands swapped (flip_opcode, as regs_refine_cond_op uses it). */
const FLIP: Record<number, number> = { 0x30: 0xb0, 0x20: 0xa0, 0x70: 0xd0, 0x60: 0xc0 };

/** is_reg_const / reg_const_value for a compare of `is32`. */
function constOf(r: Scalar, is32: boolean): bigint | undefined {
  const t = is32 ? tnumSubreg(r.var) : r.var;
  return tnumIsConst(t) ? t.value : undefined;
}

/** regs_refine_cond_op on copies: both operands narrowed to the values for which `a OP b` holds. */
function refine(op: number, a: Scalar, b: Scalar, is32: boolean, same: boolean): [Scalar, Scalar] {
  // A register compared with itself is one object the narrowing changes twice, as in the kernel.
  let r1 = { ...a }, r2 = same ? r1 : { ...b };
  let swapped = false;
  if (FLIP[op] !== undefined) {
    op = FLIP[op]!;
    [r1, r2] = [r2, r1];
    swapped = true;
  }
  const constSwap = (): boolean => {
    if (constOf(r2, is32) === undefined) { [r1, r2] = [r2, r1]; swapped = !swapped; }
    return constOf(r2, is32) !== undefined;
  };
  switch (op) {
    case 0x10:
      if (is32) {
        r1.u32min = max(r1.u32min, r2.u32min); r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min); r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min; r2.u32max = r1.u32max; r2.s32min = r1.s32min; r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.var), tnumSubreg(r2.var));
        r1.var = tnumWithSubreg(r1.var, t);
        r2.var = tnumWithSubreg(r2.var, t);
      } else {
        r1.umin = max(r1.umin, r2.umin); r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin); r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin; r2.umax = r1.umax; r2.smin = r1.smin; r2.smax = r1.smax;
        r1.var = tnumIntersect(r1.var, r2.var);
        r2.var = r1.var;
      }
      break;
    case 0x50: {
      if (!constSwap()) break;
      const v = constOf(r2, is32)!;
      if (is32) {
        if (r1.u32min === u32(v)) r1.u32min++;
        if (r1.u32max === u32(v)) r1.u32max--;
        if (r1.s32min === s32(v)) r1.s32min++;
        if (r1.s32max === s32(v)) r1.s32max--;
      } else {
        if (r1.umin === v) r1.umin++;
        if (r1.umax === v) r1.umax--;
        if (r1.smin === toS64(v)) r1.smin++;
        if (r1.smax === toS64(v)) r1.smax--;
      }
      break;
    }
    case 0x40: { // jset taken: a single-bit mask is a known 1
      if (!constSwap()) break;
      const v = constOf(r2, is32)!;
      if (v === 0n || (v & (v - 1n)) !== 0n) break;
      r1.var = is32 ? tnumWithSubreg(r1.var, tnumOr(tnumSubreg(r1.var), tnumConst(v))) : tnumOr(r1.var, tnumConst(v));
      break;
    }
    case 0x41: { // jset not taken: none of the mask's bits; bounds rederived from the bits alone
      if (!constSwap()) break;
      const v = constOf(r2, is32)!;
      markUnbounded64(r1);
      markUnbounded32(r1);
      r1.var = is32 ? tnumWithSubreg(r1.var, tnumAnd(tnumSubreg(r1.var), tnumConst(~v & U64))) : tnumAnd(r1.var, tnumConst(~v & U64));
      break;
    }
    case 0xb0:
      if (is32) { r1.u32max = min(r1.u32max, r2.u32max); r2.u32min = max(r1.u32min, r2.u32min); }
      else { r1.umax = min(r1.umax, r2.umax); r2.umin = max(r1.umin, r2.umin); }
      break;
    case 0xa0:
      if (is32) { r1.u32max = min(r1.u32max, u32(r2.u32max - 1n)); r2.u32min = max(u32(r1.u32min + 1n), r2.u32min); }
      else { r1.umax = min(r1.umax, toU64(r2.umax - 1n)); r2.umin = max(toU64(r1.umin + 1n), r2.umin); }
      break;
    case 0xd0:
      if (is32) { r1.s32max = min(r1.s32max, r2.s32max); r2.s32min = max(r1.s32min, r2.s32min); }
      else { r1.smax = min(r1.smax, r2.smax); r2.smin = max(r1.smin, r2.smin); }
      break;
    case 0xc0:
      if (is32) { r1.s32max = min(r1.s32max, s32(r2.s32max - 1n)); r2.s32min = max(s32(r1.s32min + 1n), r2.s32min); }
      else { r1.smax = min(r1.smax, toS64(r2.smax - 1n)); r2.smin = max(toS64(r1.smin + 1n), r2.smin); }
      break;
  }
  return swapped ? [r2, r1] : [r1, r2];
}

/**
 * reg_set_min_max for one side of an undecided compare: both operands narrowed to the values for
 * which `a OP b` is `taken`, brought in step, and (reg_bounds_sanity_check) reset to unbounded
 * where the narrowing left no value, as the kernel does; `same`: b is a's register.
 */
export function refineBranch(op: CompareOp, a: Scalar, b: Scalar, taken: boolean, is32 = false, same = false): [Scalar, Scalar] {
  const rel = taken ? op : REVERSE[op]!;
  const [x, y] = refine(rel, a, b, is32, same);
  boundsSync(x);
  if (y !== x) boundsSync(y);
  return [sane(x), sane(y)];
}

/** get_reg_width: bits the largest value needs. */
export function regWidth(s: Scalar): number {
  return s.umax === 0n ? 0 : s.umax.toString(2).length;
}

/**
 * The kernel's text of a scalar (print_reg_state with print_scalar_ranges): a constant as a number,
 * else `scalar(` the bounds that say something, equal ones named together, then the var_off if
 * anything is known `)`; `extra` goes first inside the parentheses (an id).
 */
export function formatScalar(s: Scalar, extra = ''): string {
  if (tnumIsConst(s.var)) return snumText(toS64(s.var.value));
  // An s32 bound printed in hex is its u32 (sign extension would mislead), so it is compared as that.
  const s32val = (v: bigint): bigint => (v >= -32768n && v <= 32767n ? v : u32(v));
  const items = [
    { name: 'smin', val: s.smin, omit: s.smin === S64_MIN, signed: true },
    { name: 'smax', val: s.smax, omit: s.smax === S64_MAX, signed: true },
    { name: 'umin', val: s.umin, omit: s.umin === 0n, signed: false },
    { name: 'umax', val: s.umax, omit: s.umax === U64, signed: false },
    { name: 'smin32', val: s32val(s.s32min), omit: s.s32min === S32_MIN, signed: true },
    { name: 'smax32', val: s32val(s.s32max), omit: s.s32max === S32_MAX, signed: true },
    { name: 'umin32', val: s.u32min, omit: s.u32min === 0n, signed: false },
    { name: 'umax32', val: s.u32max, omit: s.u32max === U32, signed: false },
  ];
  // Compared as the kernel compares them: as u64s.
  const u = (i: (typeof items)[number]): bigint => toU64(i.val);
  const parts: string[] = extra ? [extra] : [];
  for (let i = 0; i < items.length; i++) {
    const m1 = items[i]!;
    if (m1.omit) continue;
    const neg1 = m1.signed && m1.val < 0n;
    let text = `${m1.name}=`;
    for (let j = i + 2; j < items.length; j += 2) {
      const m2 = items[j]!;
      if (m2.omit || u(m2) !== u(m1)) continue;
      if ((m2.signed && m2.val < 0n) !== neg1) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    parts.push(text + (m1.signed ? snumText(m1.val) : unumText(m1.val)));
  }
  if (!tnumIsUnknown(s.var)) parts.push(`var_off=${formatTnum(s.var)}`);
  return `scalar(${parts.join(',')})`;
}
