// The verifier's abstract state: register types, stack slots per call frame, acquired references.
import { ALL_PRECISE } from './precision.js';
import { constScalar, containsScalar, formatScalar, isConst, sameScalar, unknownScalar, type Scalar } from './scalar.js';

/** A pointer's variable part when it has none. */
const NO_VARIABLE_PART = constScalar(0n);


/** Register types, as the kernel's reg_type_str names them. */
export type RegType =
  | 'not_init'
  | 'scalar'
  | 'ctx'
  | 'fp'
  | 'map_ptr'
  | 'map_value'
  | 'map_value_or_null'
  | 'ringbuf_mem'
  | 'ringbuf_mem_or_null'
  /** A function's address (ld_imm64 of a code address), its first instruction in `off`: a callback for bpf_loop. */
  | 'func'
  /** A global function's pointer argument: `memSize` bytes, or NULL until checked. */
  | 'mem'
  | 'mem_or_null'
  /** A kernel object typed by BTF (PTR_TO_BTF_ID): a tp_btf argument, or a pointer member read through one. Loads are PROBE_MEM. */
  | 'ptr_to_btf_id';

/** What a ptr_to_btf_id points to: a struct of the kernel's BTF. */
export interface BtfPointee {
  /** The struct's type id in the kernel BTF. */
  id: number;
  /** Its name, for logs (`ptr_request`). */
  name: string;
  /**
   * PTR_TRUSTED: a tracing program's own argument, which the kernel holds valid and not NULL for
   * the run. A pointer read out of a kernel object is not (it may be NULL: tests on it go both ways).
   */
  trusted: boolean;
}

/** One register's abstract value. */
export interface Reg {
  type: RegType;
  /** Bounds of a scalar (scalars only). */
  value: Scalar;
  /** Fixed offset of a pointer from the object's start. */
  off: number;
  /**
   * The variable part of a pointer's offset, bounds and tnum as the kernel keeps them in a pointer
   * register (a constant 0 when there is none): its smallest and largest signed values bound a
   * stack access, its signed minimum and unsigned maximum a map value's, its tnum is what messages
   * print as var_off.
   */
  var: Scalar;
  /** Map index (map_ptr, map_value*). */
  map: number;
  /** Size of the memory a ringbuf_mem points to. */
  memSize: number;
  /**
   * Identity shared by copies of one maybe-NULL pointer, so one NULL check settles them all; of a
   * scalar, by copies of one number, so one bounds check bounds them all (sync_linked_regs).
   */
  id: number;
  /**
   * A scalar that is its id's number plus `delta` (`r1 = r2; r1 += 4`: the kernel's BPF_ADD_CONST,
   * 64- or 32-bit), 0 for an exact copy.
   */
  link: 0 | 32 | 64;
  delta: number;
  /** The reference (ring-buffer reservation) this pointer holds; 0 for none. */
  ref: number;
  /** Call frame whose stack an fp pointer points into. */
  frame: number;
  /** The struct a ptr_to_btf_id points to. */
  btf: BtfPointee | undefined;
}

/** A register with nothing in it. */
export function notInit(): Reg {
  return { type: 'not_init', value: unknownScalar(), off: 0, var: NO_VARIABLE_PART, map: -1, memSize: 0, id: 0, link: 0, delta: 0, ref: 0, frame: 0, btf: undefined };
}

/** A scalar register. */
export function scalarReg(value: Scalar = unknownScalar()): Reg {
  return { ...notInit(), type: 'scalar', value };
}

/** A pointer register of `type`. */
export function pointerReg(type: RegType, fields: Partial<Reg> = {}): Reg {
  return { ...notInit(), type, ...fields };
}

/** The smallest signed value of a pointer's variable part. */
export function varMin(r: Reg): number {
  return Number(r.var.smin);
}

/** The largest signed value of a pointer's variable part. */
export function varMax(r: Reg): number {
  return Number(r.var.smax);
}

/** Whether a pointer has no variable part (the constant 0). */
export function noVariablePart(r: Reg): boolean {
  return isConst(r.var) && r.var.var.value === 0n;
}

/** Whether a pointer's offset is known exactly (its variable part a known constant). */
export function fixedOffset(r: Reg): boolean {
  return isConst(r.var);
}

/** Whether the type is a pointer. */
export function isPointer(r: Reg): boolean {
  return r.type !== 'scalar' && r.type !== 'not_init';
}

/** Whether the register is the constant 0: NULL, where a pointer may be (the kernel's register_is_null). */
export function isNull(r: Reg): boolean {
  return r.type === 'scalar' && isConst(r.value) && r.value.umin === 0n;
}

/** Whether the pointer may be NULL. */
export function mayBeNull(r: Reg): boolean {
  return r.type === 'map_value_or_null' || r.type === 'ringbuf_mem_or_null' || r.type === 'mem_or_null';
}

/** Stack byte states. */
export const enum Slot {
  INVALID = 0,
  MISC = 1,
  SPILL = 2,
  ZERO = 3,
}

/** Bytes of stack each frame has. */
export const STACK_BYTES = 512;

/** One call frame: registers and stack. */
export interface Frame {
  regs: Reg[];
  /** Slot state of each stack byte; index 0 is fp-512. */
  slots: Uint8Array;
  /** Registers spilled to 8-byte aligned slots, by slot index (byte index / 8). */
  spills: (Reg | undefined)[];
  /** Instruction to return to (the call's index + 1); -1 in the main frame. */
  returnTo: number;
  /** Start of the function this frame runs. */
  fn: number;
  /** Deepest stack byte used, as a positive depth. */
  depth: number;
  /** Whether the frame runs a bpf_loop callback: its exit returns 0 or 1 to the loop, and the loop's call site continues. */
  callback: boolean;
  /**
   * Iterations of the bpf_loop this frame calls walked so far on this path (the kernel's
   * callback_depth): no more are walked once it reaches the loop count's largest value.
   */
  callbackDepth: number;
}

/** A reference a program holds and must release before it exits. */
export interface Reference {
  id: number;
  /** Instruction that acquired it. */
  insn: number;
}

/** The whole abstract state along one path. */
export interface State {
  pc: number;
  frames: Frame[];
  refs: Reference[];
  /** The checkpoint this path descends from (for pruning bookkeeping). */
  parent: Checkpoint | undefined;
  /** Callback iterations entered on this path (callback_unroll_depth): states of different iterations are no infinite loop. */
  unroll: number;
  /** How much of the walk's log (Walk.path) leads to this state: the log goes back there when the walk takes it up. */
  logAt: number;
}

/** A state recorded at a prune point; `branches` counts paths from it still being explored. */
export interface Checkpoint {
  /** Dropped once the checkpoint leaves its instruction's list: only the branch count is needed then. */
  state: State | undefined;
  branches: number;
  parent: Checkpoint | undefined;
  /** Paths this checkpoint pruned (the kernel's hit_cnt). */
  hits: number;
  /** Paths that reached its instruction, were not covered by it, and were checkpointed there (miss_cnt). */
  misses: number;
}

/** How many bytes from `from` to the end of its 8-byte slot are `kind`, in a row. */
export function slotRun(frame: Frame, from: number, kind: Slot): number {
  const end = (from & ~7) + 8;
  let i = from;
  while (i < end && frame.slots[i] === kind) i++;
  return i - from;
}

/** A fresh frame for a function starting at `fn`. */
export function newFrame(fn: number, returnTo: number, callback = false): Frame {
  const regs: Reg[] = [];
  for (let i = 0; i < 11; i++) regs.push(notInit());
  return { regs, slots: new Uint8Array(STACK_BYTES), spills: new Array(STACK_BYTES / 8).fill(undefined), returnTo, fn, depth: 0, callback, callbackDepth: 0 };
}

/** A deep copy (registers are replaced, never mutated, so they are shared). */
export function copyState(s: State): State {
  return {
    pc: s.pc,
    frames: s.frames.map((f) => ({ regs: f.regs.slice(), slots: f.slots.slice(), spills: f.spills.slice(), returnTo: f.returnTo, fn: f.fn, depth: f.depth, callback: f.callback, callbackDepth: f.callbackDepth })),
    refs: s.refs.slice(),
    parent: s.parent,
    unroll: s.unroll,
    logAt: s.logAt,
  };
}

/** Kernel-style text of a register for logs: `scalar(umax=255)`, `fp-8`, `map_value(map=2,off=4)`. */
export function formatReg(r: Reg): string {
  const off = isConst(r.var) ? `${r.off + Number(BigInt.asIntN(64, r.var.var.value))}` : `${r.off}+[${r.var.smin},${r.var.smax}]`;
  switch (r.type) {
    case 'not_init': return '?';
    case 'scalar': return formatScalar(r.value, r.id ? `id=${r.id}${r.link ? (r.delta < 0 ? `${r.delta}` : `+${r.delta}`) : ''}` : '');
    case 'fp': return `fp${Number(off) < 0 ? off : `+${off}`}`.replace('fp+0', 'fp0');
    case 'ctx': return off === '0' ? 'ctx()' : `ctx(off=${off})`;
    case 'map_ptr': return `map_ptr(map=${r.map})`;
    case 'map_value':
    case 'map_value_or_null': return `${r.type}(map=${r.map},off=${off}${r.id ? `,id=${r.id}` : ''})`;
    case 'ringbuf_mem':
    case 'ringbuf_mem_or_null': return `${r.type}(size=${r.memSize},off=${off},ref=${r.ref})`;
    case 'func': return `func(insn=${r.off})`;
    case 'mem': return `mem(sz=${r.memSize},off=${off})`;
    case 'mem_or_null': return `mem_or_null(id=${r.id},sz=${r.memSize})`;
    case 'ptr_to_btf_id': return `${r.btf!.trusted ? 'trusted_' : ''}ptr_${r.btf!.name}(off=${off})`;
  }
}

/** The live registers of a frame, for logs. */
export function formatRegs(f: Frame): string {
  return f.regs
    .map((r, i) => (r.type === 'not_init' ? '' : `R${i}=${formatReg(r)}`))
    .filter(Boolean)
    .join(' ');
}

/** Pairs of ids found equivalent while comparing two states, one to one (check_ids). */
class IdMap {
  private readonly oldToCur = new Map<number, number>();
  private readonly curToOld = new Map<number, number>();
  /** Ids handed to scalars that have none, below zero (check_scalar_ids' tmp_id_gen). */
  private fresh = 0;

  /** Whether `old` and `cur` may be the same id: both 0, or paired with each other and nothing else. */
  same(old: number, cur: number): boolean {
    if (old === 0 || cur === 0) return old === cur;
    const seen = this.oldToCur.get(old);
    if (seen !== undefined) return seen === cur;
    if (this.curToOld.has(cur)) return false;
    this.oldToCur.set(old, cur);
    this.curToOld.set(cur, old);
    return true;
  }

  /** check_scalar_ids: a scalar without an id is one of its own, a fresh id each side. */
  scalar(old: number, cur: number): boolean {
    return this.same(old || --this.fresh, cur || --this.fresh);
  }
}

/** Whether whatever `cur` may hold, `old` (already proven safe from here) allowed too. */
function regSubsumes(old: Reg, cur: Reg, ids: IdMap): boolean {
  if (old.type === 'not_init') return true;
  if (old.type !== cur.type) return false;
  if (old.type === 'scalar') {
    // Linked the same way (regsafe): an old offset link needs the same in cur; an old plain id, no offset link.
    if (old.id && (old.link !== 0) !== (cur.link !== 0)) return false;
    if (old.link && old.delta !== cur.delta) return false;
    return containsScalar(old.value, cur.value) && ids.scalar(old.id, cur.id);
  }
  return (
    old.off === cur.off &&
    containsScalar(old.var, cur.var) &&
    old.map === cur.map &&
    old.memSize === cur.memSize &&
    old.frame === cur.frame &&
    sameBtf(old, cur) &&
    ids.same(old.id, cur.id) &&
    ids.same(old.ref, cur.ref)
  );
}

/** Whether two registers hold exactly the same abstract value (loop detection, widening). */
export function regEqual(a: Reg, b: Reg): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'scalar') return sameScalar(a.value, b.value);
  if (a.type === 'not_init') return true;
  return a.off === b.off && sameScalar(a.var, b.var) && a.map === b.map && a.memSize === b.memSize && a.frame === b.frame && sameBtf(a, b);
}

/** Whether two pointers point to the same BTF type with the same trust (both undefined for other pointers). */
function sameBtf(a: Reg, b: Reg): boolean {
  return a.btf === b.btf || (a.btf !== undefined && b.btf !== undefined && a.btf.id === b.btf.id && a.btf.trusted === b.btf.trusted);
}

/**
 * Whether `old` covers `cur`: every register live at this point and every stack byte allows at
 * least what `cur` may hold (of the current frame, the slots `slotsLo`/`slotsHi` mark may still be
 * read: the others are skipped). `live` is the current frame's live-register mask; caller frames keep
 * r6-r9 alive. With `exact`, asks equality instead (a loop that made no progress). A scalar of the
 * current frame outside `precise` (the registers whose values may matter from here, see
 * precision.ts) covers any scalar, as an imprecise one does in the kernel's states_equal.
 */
export function stateCovers(old: State, cur: State, live: number, exact = false, precise = ALL_PRECISE, slotsLo = -1, slotsHi = -1): boolean {
  if (old.frames.length !== cur.frames.length || old.refs.length !== cur.refs.length) return false;
  const ids = new IdMap();
  for (let f = 0; f < old.frames.length; f++) {
    const of = old.frames[f]!;
    const cf = cur.frames[f]!;
    if (of.returnTo !== cf.returnTo || of.fn !== cf.fn || of.callback !== cf.callback) return false;
    // A state of fewer loop iterations does not cover one of more (func_states_equal).
    if (of.callbackDepth > cf.callbackDepth) return false;
    const top = f === old.frames.length - 1;
    const mask = top ? live : 0x3c0;
    const free = top ? ~precise : 0;
    for (let r = 0; r < 10; r++) {
      if ((mask & (1 << r)) === 0) continue;
      const o = of.regs[r]!;
      const c = cf.regs[r]!;
      if (!exact && free & (1 << r) && o.type === 'scalar' && c.type === 'scalar') continue;
      const ok = exact ? regEqual(o, c) : regSubsumes(o, c, ids);
      if (!ok) return false;
    }
    // The current frame's slots nothing reads again need not agree (liveStackSlots).
    const deadSlot = (k: number): boolean => !exact && top && ((k < 32 ? slotsLo >>> k : slotsHi >>> (k - 32)) & 1) === 0;
    for (let i = 0; i < STACK_BYTES; i++) {
      if ((i & 7) === 0 && deadSlot(i >> 3)) {
        i += 7;
        continue;
      }
      const o = of.slots[i]!;
      const c = cf.slots[i]!;
      if (exact) {
        if (o !== c) return false;
        continue;
      }
      if (o === Slot.INVALID) continue;
      // Uninitialised bytes read as unknown data (allow_uninit_stack), so MISC covers them.
      if (o === Slot.MISC) {
        if (c === Slot.SPILL && cf.spills[i >> 3]!.type !== 'scalar') return false;
        continue;
      }
      if (o === Slot.ZERO) {
        if (c !== Slot.ZERO) return false;
        continue;
      }
      if (c !== Slot.SPILL) return false;
    }
    for (let s = 0; s < STACK_BYTES / 8; s++) {
      if (deadSlot(s)) continue;
      const os = of.spills[s];
      if (!os || of.slots[s * 8] !== Slot.SPILL) continue;
      const cs = cf.spills[s];
      if (!cs) return false;
      if (exact ? !regEqual(os, cs) : !regSubsumes(os, cs, ids)) return false;
    }
  }
  for (let i = 0; i < old.refs.length; i++) {
    if (!ids.same(old.refs[i]!.id, cur.refs[i]!.id)) return false;
  }
  return true;
}
