// Memory accesses the verifier allows: context, stack (with spills and fills), map values, ring-buffer records.
import type { Instruction } from '../isa/instruction.js';
import { constScalar, isConst, loadedScalar, unknownScalar } from './scalar.js';
import { isNull, scalarReg, Slot, STACK_BYTES, type Reg, type State } from './state.js';
import type { ContextSpec, MapSpec } from './spec.js';

/** What access checks need from the walk. */
export interface AccessEnv {
  readonly insns: readonly Instruction[];
  readonly maps: readonly MapSpec[];
  readonly ctx: ContextSpec | undefined;
  maxCtxOffset: number;
  fail(pc: number, reason: string): never;
  noteDepth(fn: number, depth: number): void;
}

/** Whether a pointer's variable offset part is exactly known. */
const fixed = (p: Reg): boolean => p.varMin === p.varMax;

/** Rejects accesses through things that are not (yet) valid pointers. */
function checkPointer(env: AccessEnv, pc: number, regno: number, p: Reg): void {
  if (p.type === 'scalar' || p.type === 'map_ptr' || p.type === 'map_value_or_null' || p.type === 'ringbuf_mem_or_null' || p.type === 'mem_or_null' || p.type === 'func') {
    env.fail(pc, `R${regno} invalid mem access '${p.type}'`);
  }
}

/** Bounds [lo, hi) of an access of `size` bytes at `off` from the pointer, over all its possible offsets. */
function span(p: Reg, off: number, size: number): [number, number] {
  return [p.off + p.varMin + off, p.off + p.varMax + off + size];
}

function checkRegion(env: AccessEnv, pc: number, regno: number, p: Reg, off: number, size: number, write: boolean): void {
  const [lo, hi] = span(p, off, size);
  switch (p.type) {
    case 'ctx': {
      const ctx = env.ctx!;
      // Only the unmodified pointer may be dereferenced (the kernel's check_ptr_off_reg): the offset
      // belongs in the instruction, where the context's access rules can see it.
      if (p.off < 0) env.fail(pc, `negative offset ctx ptr R${regno} off=${p.off} disallowed`);
      if (p.off !== 0) env.fail(pc, `dereference of modified ctx ptr R${regno} off=${p.off} disallowed`);
      if (p.varMin !== 0 || p.varMax !== 0) env.fail(pc, `variable ctx access var_off=[${p.varMin}, ${p.varMax}] disallowed`);
      if ((write && !ctx.writable) || lo < ctx.minOffset || hi > ctx.size || (ctx.aligned && lo % size !== 0)) {
        env.fail(pc, `invalid bpf_context access off=${lo} size=${size}`);
      }
      if (hi > env.maxCtxOffset) env.maxCtxOffset = hi;
      return;
    }
    case 'map_value': {
      const map = env.maps[p.map]!;
      if (lo < 0 && !fixed(p)) env.fail(pc, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
      if (lo < 0 || hi > map.valueSize) {
        const why = fixed(p) ? '' : `: R${regno} max value is outside of the allowed memory range`;
        env.fail(pc, `invalid access to map value, value_size=${map.valueSize} off=${fixed(p) ? lo : hi - size} size=${size}${why}`);
      }
      if (write && map.readOnly) env.fail(pc, `write into map forbidden, value_size=${map.valueSize} off=${lo} size=${size}`);
      return;
    }
    case 'ringbuf_mem':
    case 'mem':
      if (lo < 0 || hi > p.memSize) {
        const why = fixed(p) ? '' : `: R${regno} max value is outside of the allowed memory range`;
        env.fail(pc, `invalid access to memory, mem_size=${p.memSize} off=${fixed(p) ? lo : hi - size} size=${size}${why}`);
      }
      return;
    case 'fp':
      if (lo < -STACK_BYTES || hi > 0) env.fail(pc, `invalid ${write ? 'write to' : 'read from'} stack R${regno} off=${lo} size=${size}`);
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

/** The result of a load through `p`, after checking it; stack loads fill spilled registers back. */
export function readMemory(env: AccessEnv, st: State, pc: number, regno: number, p: Reg, off: number, size: number, signExtend: boolean): Reg {
  checkPointer(env, pc, regno, p);
  checkRegion(env, pc, regno, p, off, size, false);
  if (p.type === 'map_value' && fixed(p)) {
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
  if (!fixed(p)) return scalarReg(loadedScalar(size, signExtend));
  if (size === 8 && base % 8 === 0 && frame.slots[base] === Slot.SPILL) {
    const spilled = frame.spills[base >> 3]!;
    let whole = true;
    for (let i = base; i < base + 8; i++) if (frame.slots[i] !== Slot.SPILL) whole = false;
    if (whole) return spilled;
  }
  let allZero = true;
  for (let i = base; i < base + size; i++) {
    const s = frame.slots[i]!;
    if (s === Slot.SPILL) {
      const spilled = frame.spills[i >> 3];
      if (spilled && spilled.type !== 'scalar') env.fail(pc, `invalid size of register fill`);
      if (!(spilled && isNull(spilled))) allZero = false;
    } else if (s !== Slot.ZERO) allZero = false;
  }
  return scalarReg(allZero ? constScalar(0n) : loadedScalar(size, signExtend));
}

/** Checks a store of `value` through `p`; stack stores spill registers or mark bytes written. */
export function writeMemory(env: AccessEnv, st: State, pc: number, regno: number, p: Reg, off: number, size: number, value: Reg, fromRegister: boolean): void {
  checkPointer(env, pc, regno, p);
  checkRegion(env, pc, regno, p, off, size, true);
  if (p.type !== 'fp') return;
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
  if (!fixed(p)) {
    frame.slots.fill(Slot.MISC, base, end);
    return;
  }
  if (fromRegister && size === 8 && base % 8 === 0) {
    frame.slots.fill(Slot.SPILL, base, end);
    frame.spills[base >> 3] = value;
    return;
  }
  const zero = isNull(value);
  frame.slots.fill(zero ? Slot.ZERO : Slot.MISC, base, end);
}

/**
 * A helper's access to `size` bytes at a pointer argument (keys, values, buffers): checked like a
 * load or store; a write into the stack marks those bytes initialised.
 */
export function helperMemory(env: AccessEnv, st: State, pc: number, regno: number, p: Reg, size: number, write: boolean): void {
  checkPointer(env, pc, regno, p);
  if (size === 0) return;
  if (p.type === 'ctx') env.fail(pc, `R${regno} type=ctx expected=fp, map_value, ringbuf_mem`);
  checkRegion(env, pc, regno, p, 0, size, write);
  if (p.type !== 'fp') return;
  const frame = st.frames[p.frame]!;
  const [lo] = span(p, 0, size);
  env.noteDepth(frame.fn, -lo);
  // A helper may read uninitialised stack bytes too (allow_uninit_stack, as for loads).
  if (write) writeMemory(env, st, pc, regno, p, 0, size, scalarReg(unknownScalar()), false);
}
