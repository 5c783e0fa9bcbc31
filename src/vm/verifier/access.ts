// Memory accesses the verifier allows: context, stack (with spills and fills), map values, ring-buffer records, kernel structs through BTF-typed pointers.
import type { Btf } from '../btf/index.js';
import type { Instruction } from '../isa/instruction.js';
import { structRead } from './btf-access.js';
import { coerceToSize, constScalar, isConst, loadedScalar, regWidth, S64_MIN, unknownScalar } from './scalar.js';
import { formatTnum, tnumAdd, tnumConst, tnumIsAligned } from './tnum.js';
import { fixedOffset, isNull, noVariablePart, pointerReg, scalarReg, Slot, slotRun, STACK_BYTES, varMax, varMin, type Reg, type State } from './state.js';
import type { ContextSpec, MapSpec } from './spec.js';

/** What access checks need from the walk. */
export interface AccessEnv {
  readonly insns: readonly Instruction[];
  readonly maps: readonly MapSpec[];
  readonly ctx: ContextSpec | undefined;
  /** The kernel's BTF, for loads through ptr_to_btf_id. */
  readonly btf: Btf | undefined;
  maxCtxOffset: number;
  /** Refuses at pc; `detail`, when given, is the kernel's log line before the reason. */
  fail(pc: number, reason: string, detail?: string): never;
  noteDepth(fn: number, depth: number): void;
  /**
   * A load at pc went through a pointer, a ptr_to_btf_id or not: the kernel makes the first kind
   * PROBE_MEM, so one instruction may not load through both (save_aux_ptr_type).
   */
  noteLoad(pc: number, throughBtf: boolean): void;
}

/** Checks a read of a tp_btf program's arguments (tracing_prog_is_valid_access, then btf_ctx_access). */
function checkTracingArgs(env: AccessEnv, pc: number, ctx: ContextSpec, lo: number, size: number, write: boolean): void {
  const { func, args } = ctx.tracing!;
  const invalid = `invalid bpf_context access off=${lo} size=${size}`;
  if (write || lo < 0 || lo + size > ctx.size || lo % size !== 0) env.fail(pc, invalid);
  if (lo % 8 !== 0) env.fail(pc, invalid, `func '${func}' offset ${lo} is not multiple of 8`);
  const arg = lo / 8;
  if (arg >= args.length) env.fail(pc, invalid, `func '${func}' doesn't have ${arg + 1}-th argument`);
}

/** The value a read of a BTF-typed tracing argument gives: a pointer to its struct (trusted for a raw tracepoint's), or a number. */
function tracingArg(ctx: ContextSpec, lo: number, size: number, signExtend: boolean): Reg {
  const a = ctx.tracing!.args[lo / 8]!;
  return a.kind === 'ptr' ? pointerReg('ptr_to_btf_id', { btf: { id: a.id, name: a.name, trusted: ctx.tracing!.trusted } }) : scalarReg(loadedScalar(size, signExtend));
}

/** Checks an access through a ptr_to_btf_id (check_ptr_to_btf_access) and walks the struct for a read. */
function btfAccess(env: AccessEnv, pc: number, regno: number, p: Reg, off: number, size: number, write: boolean): Reg {
  const total = p.off + off;
  const name = p.btf!.name;
  if (total < 0) env.fail(pc, `R${regno} is ptr_${name} invalid negative access: off=${total}`);
  if (!noVariablePart(p)) env.fail(pc, `R${regno} is ptr_${name} invalid variable offset: off=${p.off}, var_off=${formatTnum(p.var.var)}`);
  if (write) env.fail(pc, 'only read is supported');
  if (!env.btf) env.fail(pc, `R${regno} is ptr_${name}: no kernel BTF to check the access against`);
  const r = structRead(env.btf, p.btf!.id, total, size);
  if (r.kind === 'refused') env.fail(pc, r.reason);
  return r.kind === 'ptr' ? pointerReg('ptr_to_btf_id', { btf: r.pointee }) : scalarReg(loadedScalar(size, false));
}

/** Rejects accesses through things that are not (yet) valid pointers. */
function checkPointer(env: AccessEnv, pc: number, regno: number, p: Reg): void {
  if (p.type === 'scalar' || p.type === 'map_ptr' || p.type === 'map_value_or_null' || p.type === 'ringbuf_mem_or_null' || p.type === 'mem_or_null' || p.type === 'func') {
    env.fail(pc, `R${regno} invalid mem access '${p.type}'`);
  }
}

/** Bounds [lo, hi) of an access of `size` bytes at `off` from the pointer, over all its possible offsets. */
function span(p: Reg, off: number, size: number): [number, number] {
  return [p.off + varMin(p) + off, p.off + varMax(p) + off + size];
}

/**
 * The pointer types a helper's memory argument (key, value, buffer) may be, as the kernel lists
 * them when it refuses another (mem_types, in its words); viotrace's programs meet the stack, map
 * values, ring-buffer records and helper memory of them.
 */
export const MEM_TYPES = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';

/** BPF_MAX_VAR_OFF: a pointer's variable offset must stay below this to be dereferenced. */
const MAX_VAR_OFF = 1 << 29;

/**
 * An access to a region of `regionSize` bytes at the pointer's fixed offset plus `off`, as
 * check_mem_region_access makes it: a variable part that may be negative beyond the fixed offset is
 * refused first; then the access at the smallest signed offset, whether the largest unsigned one
 * is bounded at all, and the access there, each refused in the kernel's two lines.
 */
function checkMemRegion(env: AccessEnv, pc: number, regno: number, p: Reg, off: number, size: number, regionSize: number, what: string, zeroAllowed: boolean): void {
  const fixedPart = BigInt(p.off + off);
  const { smin, umax } = p.var;
  const at = fixedPart + smin;
  if (smin < 0n && (smin === S64_MIN || at !== BigInt.asIntN(32, at) || at < 0n)) {
    env.fail(pc, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  const outside = (end: 'min' | 'max', o: bigint): never => env.fail(pc, `${what} off=${BigInt.asIntN(32, o)} size=${size}: R${regno} ${end} value is outside of the allowed memory range`);
  if (at < 0n || at + BigInt(size) > BigInt(regionSize) || (size === 0 && !zeroAllowed)) outside('min', at);
  if (umax >= BigInt(MAX_VAR_OFF)) env.fail(pc, `R${regno} unbounded memory access, make sure to bounds check any such access`);
  const top = fixedPart + umax;
  if (top < 0n || top + BigInt(size) > BigInt(regionSize)) outside('max', top);
}

function checkRegion(env: AccessEnv, pc: number, regno: number, p: Reg, off: number, size: number, write: boolean, helper = false, zeroAllowed = true): void {
  const [lo, hi] = span(p, off, size);
  switch (p.type) {
    case 'ctx': {
      const ctx = env.ctx!;
      if (ctx.tracing) {
        if (p.off !== 0 || !noVariablePart(p)) env.fail(pc, `dereference of modified ctx ptr R${regno} off=${p.off} disallowed`);
        checkTracingArgs(env, pc, ctx, lo, size, write);
        if (hi > env.maxCtxOffset) env.maxCtxOffset = hi;
        return;
      }
      // Only the unmodified pointer may be dereferenced (the kernel's check_ptr_off_reg): the offset
      // belongs in the instruction, where the context's access rules can see it.
      if (p.off < 0) env.fail(pc, `negative offset ctx ptr R${regno} off=${p.off} disallowed`);
      if (p.off !== 0) env.fail(pc, `dereference of modified ctx ptr R${regno} off=${p.off} disallowed`);
      if (!noVariablePart(p)) env.fail(pc, `variable ctx access var_off=${formatTnum(p.var.var)} disallowed`);
      if ((write && !ctx.writable) || lo < ctx.minOffset || hi > ctx.size || (ctx.aligned && lo % size !== 0)) {
        env.fail(pc, `invalid bpf_context access off=${lo} size=${size}`);
      }
      if (hi > env.maxCtxOffset) env.maxCtxOffset = hi;
      return;
    }
    case 'map_value': {
      const map = env.maps[p.map]!;
      checkMemRegion(env, pc, regno, p, off, size, map.valueSize, `invalid access to map value, value_size=${map.valueSize}`, zeroAllowed);
      if (write && map.readOnly) env.fail(pc, `write into map forbidden, value_size=${map.valueSize} off=${lo} size=${size}`);
      return;
    }
    case 'ringbuf_mem':
    case 'mem':
      checkMemRegion(env, pc, regno, p, off, size, p.memSize, `invalid access to memory, mem_size=${p.memSize}`, zeroAllowed);
      return;
    case 'fp':
      if (!fixedOffset(p) && (varMax(p) >= MAX_VAR_OFF || varMin(p) <= -MAX_VAR_OFF)) env.fail(pc, `invalid unbounded variable-offset ${helper ? 'indirect access to' : write ? 'write to' : 'read from'} stack R${regno}`);
      if (lo < -STACK_BYTES || hi > 0) {
        const how = write ? 'write to' : 'read from';
        env.fail(pc, fixedOffset(p) ? `invalid ${how} stack R${regno} off=${lo} size=${size}` : `invalid variable-offset ${how} stack R${regno} var_off=${formatTnum(p.var.var)} off=${p.off + off} size=${size}`);
      }
      return;
    case 'ptr_to_btf_id':
      btfAccess(env, pc, regno, p, off, size, write);
      return;
    default:
      env.fail(pc, `R${regno} invalid mem access '${p.type}'`);
  }
}

/** bpf_map_direct_read: `size` bytes little-endian at `off`, sign-extended for ldsx, as the u64 a register holds. */
function directRead(value: Uint8Array, off: number, size: number, signExtend: boolean): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(value[off + i]!);
  return signExtend ? BigInt.asUintN(64, BigInt.asIntN(size * 8, v)) : v;
}

/** How check_ptr_alignment names a pointer type in its refusal. */
const ALIGNMENT_NAMES: Partial<Record<Reg['type'], string>> = { map_value: 'value ', ctx: 'context ', fp: 'stack ' };

/**
 * check_ptr_alignment: the stack is accessed aligned to the access's size whatever the machine
 * (the kernel's spill tracking relies on it), other memory as x86 allows, unaligned, but by an
 * atomic (`strict`).
 */
function checkAlignment(env: AccessEnv, pc: number, p: Reg, off: number, size: number, strict: boolean): void {
  if ((p.type !== 'fp' && !strict) || size === 1) return;
  if (!tnumIsAligned(tnumAdd(p.var.var, tnumConst(BigInt(p.off + off))), size)) {
    env.fail(pc, `misaligned ${ALIGNMENT_NAMES[p.type] ?? ''}access off ${formatTnum(p.var.var)}+${p.off}+${off} size ${size}`);
  }
}

/** The result of a load through `p`, after checking it; stack loads fill spilled registers back. */
export function readMemory(env: AccessEnv, st: State, pc: number, regno: number, p: Reg, off: number, size: number, signExtend: boolean, atomic = false): Reg {
  checkPointer(env, pc, regno, p);
  checkAlignment(env, pc, p, off, size, atomic);
  if (p.type === 'ptr_to_btf_id') {
    env.noteLoad(pc, true);
    const value = btfAccess(env, pc, regno, p, off, size, false);
    // A sign-extending load of a number keeps its sign (PROBE_MEMSX).
    return value.type === 'scalar' && signExtend ? scalarReg(loadedScalar(size, true)) : value;
  }
  env.noteLoad(pc, false);
  checkRegion(env, pc, regno, p, off, size, false);
  if (p.type === 'ctx' && env.ctx?.tracing) return tracingArg(env.ctx, span(p, off, size)[0], size, signExtend);
  if (p.type === 'map_value' && fixedOffset(p)) {
    const frozen = env.maps[p.map]!.frozenValue;
    if (frozen) return scalarReg(constScalar(directRead(frozen, span(p, off, size)[0], size, signExtend)));
  }
  if (p.type !== 'fp') return scalarReg(loadedScalar(size, signExtend));
  const frame = st.frames[p.frame]!;
  const [lo, hi] = span(p, off, size);
  env.noteDepth(frame.fn, -lo);
  const base = STACK_BYTES + lo;
  // Uninitialised stack bytes read as unknown data: tracing programs need CAP_PERFMON, which gives
  // the kernel's allow_uninit_stack (a padded struct copied whole is the common case).
  if (!fixedOffset(p)) return scalarReg(loadedScalar(size, signExtend));
  // check_stack_read_fixed_off(): a slot holds a spilled register when its first byte is a spill's.
  const start = base & ~7;
  let spillCount = 0;
  let zeroCount = 0;
  for (let i = base; i < base + size; i++) {
    if (frame.slots[i] === Slot.SPILL) spillCount++;
    else if (frame.slots[i] === Slot.ZERO) zeroCount++;
  }
  if (frame.slots[start] === Slot.SPILL) {
    const spilled = frame.spills[start >> 3]!;
    const spillSize = slotRun(frame, start, Slot.SPILL);
    if (size === 8 && spillSize === 8) return spilled;
    if (spilled.type !== 'scalar') env.fail(pc, `invalid size of register fill`);
    // A fill of the spill's first bytes gives its value back, cut to the load's size.
    if (size <= spillSize && base === start) {
      const value = coerceToSize(spilled.value, size, signExtend);
      // A fill as wide as the number keeps its id (as the kernel, even where ldsx extends a sign
      // bit); a narrowing one no longer holds the same number.
      if (value === spilled.value) return spilled;
      return regWidth(spilled.value) <= size * 8 ? { ...spilled, value } : scalarReg(value);
    }
    if (spillCount === size && isNull(spilled)) return scalarReg(constScalar(0n));
  }
  return scalarReg(zeroCount === size ? constScalar(0n) : loadedScalar(size, signExtend));
}

/**
 * A write's source, for what the stack then holds: a register (a scalar of any size, or a pointer
 * of 8 bytes, at the start of a slot is spilled), an immediate (BPF_ST: spilled as a known scalar
 * there), or anything else (a helper's or an atomic's write: plain data).
 */
export type StoreSource = 'register' | 'imm' | 'other';

/** Checks a store of `value` through `p`; stack stores spill registers or mark bytes written. */
export function writeMemory(env: AccessEnv, st: State, pc: number, regno: number, p: Reg, off: number, size: number, value: Reg, source: StoreSource): void {
  checkPointer(env, pc, regno, p);
  // A store instruction's (an atomic's was checked by its read; a helper's writes need none).
  if (source !== 'other') checkAlignment(env, pc, p, off, size, false);
  checkRegion(env, pc, regno, p, off, size, true);
  if (p.type !== 'fp') return;
  // Only all eight bytes of a pointer can be spilled (check_stack_write_fixed_off()).
  if (source === 'register' && size !== 8 && value.type !== 'scalar' && value.type !== 'not_init') env.fail(pc, 'invalid size of register spill');
  // A stack pointer stored into another frame's stack would outlive its own (check_stack_write_fixed_off).
  if (source === 'register' && value.type === 'fp' && p.frame !== st.frames.length - 1 && (p.off + varMin(p) + off) % 8 === 0) env.fail(pc, 'cannot spill pointers to stack into stack frame of the caller');
  const frame = st.frames[p.frame]!;
  const [lo, hi] = span(p, off, size);
  env.noteDepth(frame.fn, -lo);
  const base = STACK_BYTES + lo;
  const end = STACK_BYTES + hi;
  // Any spill partly overwritten no longer holds a register: its other bytes become plain data.
  for (let slot = base >> 3; slot <= (end - 1) >> 3; slot++) {
    if (frame.spills[slot]) {
      for (let i = slot * 8; i < slot * 8 + 8; i++) if (frame.slots[i] === Slot.SPILL) frame.slots[i] = Slot.MISC;
      frame.spills[slot] = undefined;
    }
  }
  if (!fixedOffset(p)) {
    frame.slots.fill(Slot.MISC, base, end);
    return;
  }
  // check_stack_write_fixed_off(): at the start of a slot, a register of 8 bytes or a scalar of
  // any size is spilled, as is an immediate; the spill's bytes are the slot's first.
  if (base % 8 === 0 && ((source === 'register' && (size === 8 || value.type === 'scalar')) || source === 'imm')) {
    frame.slots.fill(Slot.SPILL, base, end);
    frame.spills[base >> 3] = value;
    return;
  }
  const zero = source !== 'other' && isNull(value);
  frame.slots.fill(zero ? Slot.ZERO : Slot.MISC, base, end);
}

/**
 * A helper's access to `size` bytes at a pointer argument (keys, values, buffers): checked like a
 * load or store; a write into the stack marks those bytes initialised. No bytes are allowed only
 * where `zeroAllowed` (a size argument that may be 0; not a map's key or value of none).
 */
export function helperMemory(env: AccessEnv, st: State, pc: number, regno: number, p: Reg, size: number, write: boolean, zeroAllowed = true): void {
  checkPointer(env, pc, regno, p);
  if (size === 0 && !zeroAllowed) {
    // The stack range of none is refused (check_stack_range_initialized); other memory as
    // __check_mem_access refuses no bytes.
    if (p.type === 'fp') env.fail(pc, 'invalid zero-sized read');
    if (p.type === 'map_value' || p.type === 'mem' || p.type === 'ringbuf_mem') checkRegion(env, pc, regno, p, 0, 0, write, true, false);
  }
  if (size === 0) {
    // No bytes, but a stack pointer still points into the stack (check_stack_slot_within_bounds).
    const lo = p.off + varMin(p);
    if (p.type === 'fp' && fixedOffset(p) && (lo < -STACK_BYTES || lo > -1)) env.fail(pc, `invalid ${write ? 'write to' : 'read from'} stack R${regno} off=${lo} size=0`);
    return;
  }
  if (p.type === 'ctx') env.fail(pc, `R${regno} type=ctx expected=${MEM_TYPES}`);
  if (p.type === 'ptr_to_btf_id') env.fail(pc, `R${regno} type=${p.btf!.trusted ? 'trusted_' : ''}ptr_ expected=${MEM_TYPES}`);
  checkRegion(env, pc, regno, p, 0, size, write, true);
  if (p.type !== 'fp') return;
  const frame = st.frames[p.frame]!;
  const [lo] = span(p, 0, size);
  env.noteDepth(frame.fn, -lo);
  // A helper may read uninitialised stack bytes too (allow_uninit_stack, as for loads).
  if (write) writeMemory(env, st, pc, regno, p, 0, size, scalarReg(unknownScalar()), 'other');
}
