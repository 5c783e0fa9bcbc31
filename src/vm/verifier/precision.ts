// Which registers' scalar values can matter to the verifier from each instruction on: the static stand-in for the kernel's precision marks.
//
// The kernel compares a scalar of an explored state with the current one only when the scalar is
// "precise": when backtracking from a check that depends on its value (a pointer offset, a helper's
// size, a branch it decides, a spill) reached it. An imprecise scalar covers any scalar, so loops
// whose counters only feed map values prune instead of being walked once per value (libbpf's
// bounded loops, QEMU request chains). This pass over-approximates, statically, what the kernel marks, by
// a backward dataflow over the control flow graph: a register is precise at an instruction when
// its value may reach, before it is redefined, any of
// - a conditional jump (either operand),
// - a memory access (as the base; pointers are compared exactly anyway, and what was added to
//   them is so marked),
// - either operand of register-register arithmetic that may involve a pointer (pointer arithmetic
//   checks the number's bounds; of two numbers, the operands matter only where the result does),
// - a helper's arguments,
// - the exit's r0 where the program's return value is checked (fentry, fexit; not kprobes or tracepoints),
// - a store into the stack whose value may be loaded back into a register that matters: the main
//   frame's 8-byte slots are followed through frame-pointer stores and loads, solved together with
//   the registers (a loop counter stored as a map key is free, as the kernel leaves it imprecise; one
//   stored and loaded back for a branch is not); a load through another pointer into the stack makes
//   every slot matter, a store through one its value.
// A store into a map value, a ring-buffer record or other memory leaves the stored value free: what
// is read back from there is an unknown scalar whatever was written. Helpers read their memory
// arguments without the verifier using the bytes' values.
//
// liveStackSlots, a second backward pass, finds the main frame's slots that may still be read (by a
// load, an atomic, or a helper's key, value or buffer: the kernel marks those read too); states need
// not agree on the others, as the kernel's stacksafe skips slots not marked read. The slots a live
// one holds are compared exactly. A program with local calls or callbacks keeps every register
// precise and every slot live (its frames share values these passes do not follow).
import type { Instruction } from '../isa/instruction.js';
import { AtomicOp, AluOp, CallSrc, Class, Imm64Src, JmpOp, Mode, sizeBytes, Source, STACK_SIZE } from '../isa/opcodes.js';
import { BPF_LOOP_HELPER as BPF_LOOP, helperProto } from '../helpers/table.js';
import { secondHalves, successors } from './cfg.js';
import { elidesNullness } from './helper-call.js';

/** Every register (r0-r10). */
export const ALL_PRECISE = 0x7ff;

const LD_IMM64 = 0x18;
const FP = 1 << 10;
/** r0-r5: what a helper call defines (r0) or clobbers. */
const CALLER_SAVED = 0x3f;

const bit = (r: number): number => 1 << r;

/**
 * Both passes at once, for the verifier: the registers that may matter (preciseRegisters) and the
 * stack slots that may still be read (liveStackSlots), from one look at the stack pointers.
 */
export function stackPrecision(insns: readonly Instruction[], everyRegister: boolean, maps: readonly MapSizes[] = [], exitR0Precise = true, btfLoads = true): { precise: Uint16Array; slots: { lo: Int32Array; hi: Int32Array } } {
  if (everyRegister) return { precise: preciseRegisters(insns, true), slots: liveStackSlots(insns, true) };
  const facts = stackFacts(insns);
  const known = frameValues(insns, facts.secondHalf);
  return { precise: precise(insns, facts, known, maps, exitR0Precise, btfLoads), slots: liveSlots(insns, facts, maps, known) };
}

/**
 * For each instruction, the registers (bit r) whose scalar values may matter on some path from it
 * (ALL_PRECISE everywhere with `everyRegister`: a program with local calls or callbacks, or a walk asked to
 * compare every scalar).
 */
export function preciseRegisters(insns: readonly Instruction[], everyRegister: boolean, maps: readonly MapSizes[] = [], exitR0Precise = true, btfLoads = false): Uint16Array {
  if (everyRegister) return new Uint16Array(insns.length).fill(ALL_PRECISE);
  const facts = stackFacts(insns);
  return precise(insns, facts, frameValues(insns, facts.secondHalf), maps, exitR0Precise, btfLoads);
}

/** A map's sizes, as a helper call's key and value arguments read them, and its type. */
type MapSizes = { keySize: number; valueSize: number; type?: number };

const MAP_LOOKUP_ELEM = 1;

/** What both passes look at: the second halves of ld_imm64, and where a register may point into the stack. */
interface StackFacts {
  secondHalf: Uint8Array;
  stackBase: Uint16Array;
}

function stackFacts(insns: readonly Instruction[]): StackFacts {
  const secondHalf = secondHalves(insns);
  return { secondHalf, stackBase: mayPointIntoStack(insns, secondHalf) };
}

/**
 * `exitR0Precise`: whether the program's return value is checked against a range at its exit
 * (check_return_code: fentry and fexit programs must return 0; kprobes, tracepoints and raw
 * tracepoints are not checked, so their r0 is not marked there).
 */
function precise(insns: readonly Instruction[], { secondHalf, stackBase }: StackFacts, known: FrameValues, maps: readonly MapSizes[], exitR0Precise = true, btfLoads = true): Uint16Array {
  const pointers = mayHoldPointer(insns, secondHalf, btfLoads);
  // Registers and stack slots are solved together: a register is precise where it is stored into a
  // slot that is, and a slot where it is loaded into a register that is.
  return solveBackward(insns, secondHalf, (pc, p) => {
    const insn = insns[pc]!;
    transfer(insn, p, stackBase[pc]!, pointers[pc]!);
    if (!exitR0Precise && (insn.opcode & 0xf7) === (Class.JMP | JmpOp.EXIT)) p.regs = 0;
    // An array lookup's key: when it is a scalar spilled at the start of a slot, whether it is a
    // known number below max_entries decides whether the result may be NULL, so its value matters
    // (the kernel marks the slot precise; zero bytes are compared exactly anyway). Any lookup whose
    // map is not known here is taken to be one.
    if ((insn.opcode & 0x07) === Class.JMP && (insn.opcode & 0xf0) === JmpOp.CALL && insn.src === CallSrc.HELPER && !(insn.opcode & Source.X) && insn.imm === MAP_LOOKUP_ELEM) {
      const map = known.kind[pc * 11 + 1] === MAP ? maps[known.value[pc * 11 + 1]!] : undefined;
      if (map?.type !== undefined && !elidesNullness({ type: map.type })) return;
      const at = fpOffsetOf(known, pc, 2);
      if (Number.isNaN(at)) {
        if (stackBase[pc]! & bit(2)) {
          p.lo = -1;
          p.hi = -1;
        }
        return;
      }
      if (at % 8 !== 0) return;
      const s = slotsOf(at, map ? Math.max(1, map.keySize) : Math.max(1, -at));
      p.lo |= s.lo;
      p.hi |= s.hi;
    }
  }).regs;
}

/** Register r's offset from the frame pointer before instruction pc, or NaN (frameValues). */
function fpOffsetOf(known: FrameValues, pc: number, r: number): number {
  return r === 10 ? 0 : known.kind[pc * 11 + r] === FP_OFFSET ? known.value[pc * 11 + r]! : NaN;
}


/**
 * A backward dataflow to a fixed point over registers and slots: what holds before each
 * instruction is `step` applied to the union of what holds before its successors.
 */
function solveBackward(insns: readonly Instruction[], secondHalf: Uint8Array, step: (pc: number, p: Precise) => void): { regs: Uint16Array; lo: Int32Array; hi: Int32Array } {
  const n = insns.length;
  const regs = new Uint16Array(n);
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const p: Precise = { regs: 0, lo: 0, hi: 0 };
  for (let changed = true; changed; ) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      if (secondHalf[pc]) continue;
      p.regs = 0;
      p.lo = 0;
      p.hi = 0;
      for (const s of successors(insns, pc)) {
        if (s >= n) continue;
        p.regs |= regs[s]!;
        p.lo |= lo[s]!;
        p.hi |= hi[s]!;
      }
      step(pc, p);
      if (p.regs !== regs[pc] || p.lo !== lo[pc] || p.hi !== hi[pc]) {
        regs[pc] = p.regs;
        lo[pc] = p.lo;
        hi[pc] = p.hi;
        changed = true;
      }
    }
  }
  return { regs, lo, hi };
}

/**
 * What may matter at a point: registers (bit r), and the main frame's 8-byte stack slots (bit k of
 * lo, then hi: the slot at fp-512+8k), those whose contents may be loaded into a register that matters.
 */
interface Precise {
  regs: number;
  lo: number;
  hi: number;
}

/** The slots `[off, off + size)` from the frame pointer covers, as masks (every slot where that leaves the frame). */
function slotsOf(off: number, size: number): { lo: number; hi: number } {
  const from = STACK_SIZE + off;
  const to = from + size - 1;
  if (from < 0 || to >= STACK_SIZE) return { lo: -1, hi: -1 };
  let l = 0;
  let h = 0;
  for (let k = from >> 3; k <= to >> 3; k++) {
    if (k < 32) l |= 1 << k;
    else h |= 1 << (k - 32);
  }
  return { lo: l, hi: h };
}

/**
 * Turns `p`, what is precise after `insn`, into what is precise before it; `stackBase` holds the
 * registers that may point into the stack there.
 */
function transfer(insn: Instruction, p: Precise, stackBase: number, pointers = ALL_PRECISE): void {
  const { dst, src } = insn;
  const cls = insn.opcode & 0x07;
  const out = p.regs;
  switch (cls) {
    case Class.LD:
      // ld_imm64 defines its register; the legacy packet loads (not for tracing programs) keep everything.
      if (insn.opcode === LD_IMM64) p.regs = out & ~bit(dst);
      else everything(p);
      return;
    case Class.LDX:
      // The loaded value matters: so do the slots it may come from.
      if (out & bit(dst)) slotsRead(p, insn, src, stackBase);
      p.regs = (out & ~bit(dst)) | bit(src);
      return;
    case Class.ST:
    case Class.STX: {
      if (cls === Class.STX && (insn.opcode & 0xe0) === Mode.ATOMIC) {
        // The pointer matters; the value only goes into memory (and r0 of a compare-and-exchange is
        // compared there, by the CPU, not the verifier), so the kernel's backtracking leaves it
        // imprecise, unless it lands in a stack slot that matters (as a store's value). The
        // fetched value is defined. A slot it works on keeps what it held mattering.
        const cmpxchg = insn.imm === AtomicOp.CMPXCHG;
        const def = cmpxchg ? 1 : insn.imm & AtomicOp.FETCH ? bit(src) : 0;
        const s = dst === 10 ? slotsOf(insn.off, sizeOf(insn.opcode)) : { lo: -1, hi: -1 };
        const intoStack = dst === 10 || (stackBase & bit(dst)) !== 0;
        const matters = intoStack && ((p.lo & s.lo) !== 0 || (p.hi & s.hi) !== 0);
        p.regs = (out & ~def) | bit(dst) | (matters ? bit(src) | (cmpxchg ? 1 : 0) : 0);
        slotsRead(p, insn, dst, stackBase);
        return;
      }
      const stored = cls === Class.STX ? bit(src) : 0;
      if (dst === 10) {
        // Through the frame pointer: the stored value matters if a slot it lands in does; a whole
        // aligned slot written is defined here, a part of one keeps the rest mattering.
        const size = sizeOf(insn.opcode);
        const s = slotsOf(insn.off, size);
        const matters = (p.lo & s.lo) !== 0 || (p.hi & s.hi) !== 0;
        if (size === 8 && insn.off % 8 === 0) {
          p.lo &= ~s.lo;
          p.hi &= ~s.hi;
        }
        p.regs = out | bit(dst) | (matters ? stored : 0);
        return;
      }
      // Through another pointer that may point into the stack: which slot is not known here.
      p.regs = out | bit(dst) | (stackBase & bit(dst) ? stored : 0);
      return;
    }
    case Class.ALU:
    case Class.ALU64: {
      const op = insn.opcode & 0xf0;
      const x = (insn.opcode & Source.X) !== 0;
      if (op === AluOp.MOV) p.regs = x ? (out & ~bit(dst)) | (out & bit(dst) ? bit(src) : 0) : out & ~bit(dst);
      else if (x && op !== AluOp.NEG && op !== AluOp.END) {
        // Two numbers: their values matter only if the result's does (the kernel's backtracking).
        // With a pointer among them, the number is a pointer's offset, checked for its bounds.
        if (!(pointers & (bit(dst) | bit(src)))) p.regs = out & bit(dst) ? out | bit(src) : out & ~bit(dst);
        else p.regs = out | bit(dst) | bit(src);
      }
      return;
    }
    default: {
      const op = insn.opcode & 0xf0;
      if (op === JmpOp.EXIT) {
        // The frame ends: nothing of its stack is read after.
        p.regs = 1;
        p.lo = 0;
        p.hi = 0;
        return;
      }
      if (op === JmpOp.JA) return;
      if (op === JmpOp.CALL) {
        // A helper reads its memory arguments' bytes without the verifier using their values, and
        // what it writes into the stack is not followed here: the slots stay as they are.
        const nargs = insn.src === CallSrc.HELPER ? (helperProto(insn.imm)?.args.length ?? 5) : 5;
        p.regs = (out & ~CALLER_SAVED) | ((1 << (nargs + 1)) - 2);
        return;
      }
      p.regs = out | bit(dst) | ((insn.opcode & Source.X) !== 0 ? bit(src) : 0);
    }
  }
}

/**
 * Marks the slots `insn` reads through base register `base` as mattering: those at its offset from
 * the frame pointer, or every slot through another register that may point into the stack.
 */
function slotsRead(p: Precise, insn: Instruction, base: number, stackBase: number): void {
  if (base === 10) {
    const s = slotsOf(insn.off, sizeOf(insn.opcode));
    p.lo |= s.lo;
    p.hi |= s.hi;
  } else if (stackBase & bit(base)) {
    p.lo = -1;
    p.hi = -1;
  }
}

/** Every register and slot (an instruction this pass does not follow). */
function everything(p: Precise): void {
  p.regs = ALL_PRECISE;
  p.lo = -1;
  p.hi = -1;
}

/** Bytes a load or store of this opcode moves. */
const sizeOf = (opcode: number): number => sizeBytes(opcode & 0x18);

/**
 * For each instruction, the registers that may hold a pointer of any kind before it (a forward
 * dataflow to a fixed point): the context and the frame pointer at entry, ld_imm64 of a map or an
 * address, a helper's pointer result, copies and sums of them, and loads where a pointer may have
 * been stored (or, with `btfLoads`, any load: a typed context's members are pointers). Everything
 * else is a number, whose value matters only where it goes.
 */
function mayHoldPointer(insns: readonly Instruction[], secondHalf: Uint8Array, btfLoads: boolean): Uint16Array {
  let stored = false;
  return forwardMasks(insns, secondHalf, FP | bit(1), (insn, inn, learn) => {
    const { dst, src } = insn;
    switch (insn.opcode & 0x07) {
      case Class.LD:
        return insn.opcode === LD_IMM64 && insn.src === Imm64Src.IMM ? inn & ~bit(dst) : inn | bit(dst);
      case Class.LDX:
        return stored || btfLoads ? inn | bit(dst) : inn & ~bit(dst);
      case Class.STX: {
        if (inn & bit(src) && !stored) stored = learn();
        if ((insn.opcode & 0xe0) !== Mode.ATOMIC) return inn;
        const def = insn.imm === AtomicOp.CMPXCHG ? 1 : insn.imm & AtomicOp.FETCH ? bit(src) : 0;
        return stored ? inn | def : inn & ~def;
      }
      case Class.ALU64: {
        const op = insn.opcode & 0xf0;
        const x = (insn.opcode & Source.X) !== 0;
        if (op === AluOp.MOV) return x && inn & bit(src) ? inn | bit(dst) : inn & ~bit(dst);
        if (op === AluOp.ADD || op === AluOp.SUB) return x && inn & bit(src) ? inn | bit(dst) : inn;
        return inn & ~bit(dst);
      }
      case Class.ALU:
        return inn & ~bit(dst);
      default: {
        if ((insn.opcode & 0xf0) !== JmpOp.CALL) return inn;
        const ret = insn.src === CallSrc.HELPER ? helperProto(insn.imm)?.ret : undefined;
        return (inn & ~CALLER_SAVED) | (ret === undefined || ret.startsWith('RET_PTR') ? 1 : 0);
      }
    }
  });
}

/**
 * A forward dataflow of register masks to a fixed point, from `entry` at the first instruction:
 * `step` gives what holds after an instruction from what holds before it (r10 always added). A
 * step that learns something which changes earlier answers (a pointer stored to memory: loads may
 * give it back) calls `learn` (which returns true), and the walk starts over.
 */
function forwardMasks(insns: readonly Instruction[], secondHalf: Uint8Array, entry: number, step: (insn: Instruction, inn: number, learn: () => true) => number): Uint16Array {
  const n = insns.length;
  const into = new Uint16Array(n);
  for (let again = true; again; ) {
    again = false;
    const learn = (): true => (again = true);
    into.fill(0);
    into[0] = entry;
    const seen = new Uint8Array(n);
    seen[0] = 1;
    const work = [0];
    while (work.length) {
      const pc = work.pop()!;
      const out = step(insns[pc]!, into[pc]!, learn) | FP;
      for (const s of successors(insns, pc)) {
        if (s >= n || secondHalf[s]) continue;
        const merged = into[s]! | out;
        if (!seen[s] || merged !== into[s]) {
          seen[s] = 1;
          into[s] = merged;
          work.push(s);
        }
      }
    }
  }
  return into;
}

/**
 * For each instruction, the registers that may hold a pointer into the stack before it (r10 always;
 * copies of it and values derived from them; values loaded from the stack once a stack pointer may
 * have been spilled), a forward dataflow to a fixed point.
 */
function mayPointIntoStack(insns: readonly Instruction[], secondHalf: Uint8Array): Uint16Array {
  // Whether a stack pointer may have been stored in memory (then loads from the stack may give one back).
  let spilled = false;
  return forwardMasks(insns, secondHalf, FP, (insn, inn, learn) => {
    const { dst, src } = insn;
    switch (insn.opcode & 0x07) {
      case Class.LD:
        return inn & ~bit(dst);
      case Class.LDX:
        return spilled && inn & bit(src) ? inn | bit(dst) : inn & ~bit(dst);
      case Class.STX: {
        if (inn & bit(src) && !spilled) spilled = learn();
        if ((insn.opcode & 0xe0) !== Mode.ATOMIC) return inn;
        const def = insn.imm === AtomicOp.CMPXCHG ? 1 : insn.imm & AtomicOp.FETCH ? bit(src) : 0;
        return spilled && inn & bit(dst) ? inn | def : inn & ~def;
      }
      case Class.ALU:
      case Class.ALU64: {
        const op = insn.opcode & 0xf0;
        const x = (insn.opcode & Source.X) !== 0;
        if (op === AluOp.MOV) return x && inn & bit(src) ? inn | bit(dst) : inn & ~bit(dst);
        return x && inn & bit(src) ? inn | bit(dst) : inn;
      }
      default:
        return (insn.opcode & 0xf0) === JmpOp.CALL ? inn & ~CALLER_SAVED : inn;
    }
  });
}

/**
 * Which of the main frame's 8-byte stack slots may still be read from each instruction on (bit k
 * of lo, then hi: the slot at fp-512+8k): by a load, an atomic, or a helper reading memory an
 * argument points at. A slot nothing reads again holds nothing a state's future depends on, so
 * states need not agree on it (the kernel's stacksafe skips slots not marked read). Everything is
 * live with `everyRegister` (local calls and callbacks: frames this pass does not follow).
 */
export function liveStackSlots(insns: readonly Instruction[], everyRegister: boolean, maps: readonly MapSizes[] = []): { lo: Int32Array; hi: Int32Array } {
  if (everyRegister) return { lo: new Int32Array(insns.length).fill(-1), hi: new Int32Array(insns.length).fill(-1) };
  return liveSlots(insns, stackFacts(insns), maps);
}

function liveSlots(insns: readonly Instruction[], { secondHalf, stackBase }: StackFacts, maps: readonly MapSizes[], known = frameValues(insns, secondHalf)): { lo: Int32Array; hi: Int32Array } {
  const fpOffset = (pc: number, r: number): number => fpOffsetOf(known, pc, r);
  /** Marks in `p` what an access of `size` bytes at `off` from base register `base` may read (before instruction pc). */
  const read = (p: Precise, pc: number, base: number, off: number, size: number): void => {
    const at = fpOffset(pc, base);
    if (!Number.isNaN(at)) {
      const s = slotsOf(at + off, size);
      p.lo |= s.lo;
      p.hi |= s.hi;
    } else if (stackBase[pc]! & bit(base)) {
      p.lo = -1;
      p.hi = -1;
    }
  };
  const { lo, hi } = solveBackward(insns, secondHalf, (pc, p) => {
    const insn = insns[pc]!;
    const cls = insn.opcode & 0x07;
    const op = insn.opcode & 0xf0;
    if (cls === Class.LDX) read(p, pc, insn.src, insn.off, sizeOf(insn.opcode));
    else if (cls === Class.ST || cls === Class.STX) {
      if (cls === Class.STX && (insn.opcode & 0xe0) === Mode.ATOMIC) read(p, pc, insn.dst, insn.off, sizeOf(insn.opcode));
      else if (sizeOf(insn.opcode) === 8) {
        // A whole aligned slot written at a known offset: what it held before is not read.
        const at = fpOffset(pc, insn.dst);
        if (!Number.isNaN(at) && (at + insn.off) % 8 === 0) {
          const s = slotsOf(at + insn.off, 8);
          if (s.lo !== -1 || s.hi !== -1) {
            p.lo &= ~s.lo;
            p.hi &= ~s.hi;
          }
        }
      }
    } else if ((cls === Class.JMP || cls === Class.JMP32) && op === JmpOp.EXIT) {
      p.lo = 0;
      p.hi = 0;
    } else if (cls === Class.JMP && op === JmpOp.CALL && (insn.src !== CallSrc.HELPER || (insn.opcode & Source.X) !== 0)) {
      p.lo = -1;
      p.hi = -1;
    } else if (cls === Class.JMP && op === JmpOp.CALL) {
      // A helper reads what its key, value and memory arguments point at: a key or value of the
      // map in r1, a buffer of the size in the next argument when those are known, else up to
      // the frame's top. What it writes is not counted as a write.
      const proto = helperProto(insn.imm);
      const args = proto?.args ?? [];
      if (!proto) {
        p.lo = -1;
        p.hi = -1;
      }
      const map = known.kind[pc * 11 + 1] === MAP ? maps[known.value[pc * 11 + 1]!] : undefined;
      args.forEach((kind, i) => {
        if (kind !== 'ARG_PTR_TO_MAP_KEY' && kind !== 'ARG_PTR_TO_MAP_VALUE' && kind !== 'ARG_PTR_TO_MEM' && kind !== 'ARG_PTR_TO_STACK_OR_NULL') return;
        const r = i + 1;
        const at = fpOffset(pc, r);
        if (Number.isNaN(at)) {
          if (stackBase[pc]! & bit(r)) {
            p.lo = -1;
            p.hi = -1;
          }
          return;
        }
        const sizeReg = pc * 11 + r + 1;
        const size =
          kind === 'ARG_PTR_TO_MAP_KEY' && map ? map.keySize
          : kind === 'ARG_PTR_TO_MAP_VALUE' && map ? map.valueSize
          : kind === 'ARG_PTR_TO_MEM' && r < 5 && known.kind[sizeReg] === CONSTANT && known.value[sizeReg]! > 0 ? known.value[sizeReg]!
          : -at;
        if (size > 0) read(p, pc, r, 0, Math.max(1, Math.min(size, STACK_SIZE)));
      });
    } else if (cls === Class.LD && insn.opcode !== LD_IMM64) {
      p.lo = -1;
      p.hi = -1;
    }
  });
  return { lo, hi };
}

/** What a register is known to hold on every path to an instruction (frameValues). */
const UNKNOWN = 0;
const FP_OFFSET = 1;
const CONSTANT = 2;
const MAP = 3;
/** A function's address (ld_imm64 of a code address): its first instruction. */
const CODE = 4;

/** What each register holds before each instruction (index pc * 11 + r): a kind above and its value. */
interface FrameValues {
  kind: Uint8Array;
  value: Float64Array;
}

/**
 * For each instruction and register, what it holds on every path there: an offset from the frame
 * pointer (r10 plus a constant), a constant, a map (ld_imm64 of a map reference, by index), a
 * function's address, or nothing known; a forward dataflow.
 */
function frameValues(insns: readonly Instruction[], secondHalf: Uint8Array): FrameValues {
  const n = insns.length;
  const kind = new Uint8Array(n * 11);
  const value = new Float64Array(n * 11);
  const seen = new Uint8Array(n);
  kind[10] = FP_OFFSET;
  seen[0] = 1;
  const work = [0];
  const k = new Uint8Array(11);
  const v = new Float64Array(11);
  while (work.length) {
    const pc = work.pop()!;
    const insn = insns[pc]!;
    for (let r = 0; r < 11; r++) {
      k[r] = kind[pc * 11 + r]!;
      v[r] = value[pc * 11 + r]!;
    }
    const { dst, src } = insn;
    const cls = insn.opcode & 0x07;
    const op = insn.opcode & 0xf0;
    const x = (insn.opcode & Source.X) !== 0;
    const forget = (r: number): void => {
      k[r] = UNKNOWN;
      v[r] = 0;
    };
    if ((cls === Class.ALU64 || cls === Class.ALU) && op === AluOp.MOV && insn.off === 0) {
      if (x && cls === Class.ALU64) {
        k[dst] = k[src]!;
        v[dst] = v[src]!;
      } else if (x) forget(dst);
      else {
        k[dst] = CONSTANT;
        v[dst] = cls === Class.ALU64 ? insn.imm : insn.imm >>> 0;
      }
    } else if (cls === Class.ALU64 && !x && (op === AluOp.ADD || op === AluOp.SUB) && (k[dst] === FP_OFFSET || k[dst] === CONSTANT)) {
      v[dst] = v[dst]! + (op === AluOp.ADD ? insn.imm : -insn.imm);
    } else if (cls === Class.LD && insn.opcode === LD_IMM64 && (insn.src === Imm64Src.MAP_FD || insn.src === Imm64Src.MAP_IDX)) {
      k[dst] = MAP;
      v[dst] = insn.imm;
    } else if (cls === Class.LD && insn.opcode === LD_IMM64 && insn.src === Imm64Src.CODE_ADDR) {
      k[dst] = CODE;
      v[dst] = pc + 1 + insn.imm;
    } else if (cls === Class.ALU || cls === Class.ALU64 || cls === Class.LDX || cls === Class.LD) forget(dst);
    else if (cls === Class.STX && (insn.opcode & 0xe0) === Mode.ATOMIC) {
      if (insn.imm === AtomicOp.CMPXCHG) forget(0);
      else if (insn.imm & AtomicOp.FETCH) forget(src);
    } else if ((cls === Class.JMP || cls === Class.JMP32) && op === JmpOp.CALL) for (let r = 0; r <= 5; r++) forget(r);
    k[10] = FP_OFFSET;
    v[10] = 0;
    for (const s of successors(insns, pc)) {
      if (s >= n || secondHalf[s]) continue;
      let changed = !seen[s];
      for (let r = 0; r < 11; r++) {
        const i = s * 11 + r;
        if (!seen[s]) {
          kind[i] = k[r]!;
          value[i] = v[r]!;
        } else if (kind[i] !== UNKNOWN && (kind[i] !== k[r] || value[i] !== v[r])) {
          kind[i] = UNKNOWN;
          value[i] = 0;
          changed = true;
        }
      }
      if (changed) {
        seen[s] = 1;
        work.push(s);
      }
    }
  }
  return { kind, value };
}

/**
 * Per bpf_loop call, what of its caller may be widened when an iteration comes back to it (the
 * registers, bit r, and the 8-byte stack slots, bit k of lo then hi, whose values cannot matter):
 * neither precise before the call (what the rest of the function does with them, see precise) nor
 * loaded by the callback, through its context pointer, into a register that is precise there.
 * This is the static stand-in for the kernel's precision marks at that point, which come from the
 * paths walked before (the loop that ends at once is walked first, then each iteration).
 *
 * Only calls in the main function of a program whose other functions are all callbacks calling no
 * function are widened; the others are left out of the map (nothing is widened: iterations are
 * walked until they repeat or the count runs out, which is slower and never wrong).
 */
export function callbackWidening(insns: readonly Instruction[], callsCallback: Uint8Array, functionStarts: readonly number[], hasLocalCalls: boolean, mainExitPrecise: boolean): Map<number, { regs: number; lo: number; hi: number }> {
  const out = new Map<number, { regs: number; lo: number; hi: number }>();
  if (hasLocalCalls || !callsCallback.some((c) => c === 1)) return out;
  const facts = stackFacts(insns);
  const known = frameValues(insns, facts.secondHalf);
  const mainEnd = functionStarts.find((f) => f > 0) ?? insns.length;
  const { regs, lo, hi } = solveBackward(insns, facts.secondHalf, (pc, p) => {
    transfer(insns[pc]!, p, facts.stackBase[pc]!);
    // The program's own return value is checked only for types with a range (check_return_code:
    // not kprobes, tracepoints or raw tracepoints), so only then is it precise; a callback's always is.
    if (pc < mainEnd && !mainExitPrecise && (insns[pc]!.opcode & 0xf7) === (Class.JMP | JmpOp.EXIT)) p.regs = 0;
  });
  for (let pc = 0; pc < mainEnd; pc++) {
    if (!callsCallback[pc] || known.kind[pc * 11 + 2] !== CODE) continue;
    const start = known.value[pc * 11 + 2]!;
    const end = functionStarts.find((f) => f > start) ?? insns.length;
    let ctxLo = 0;
    let ctxHi = 0;
    const ctxKind = known.kind[pc * 11 + 3];
    if (ctxKind === FP_OFFSET) {
      const used = contextUse(insns, start, end, regs, known.value[pc * 11 + 3]!);
      if (used === undefined) continue;
      ctxLo = used.lo;
      ctxHi = used.hi;
    } else if (!(ctxKind === CONSTANT && known.value[pc * 11 + 3] === 0)) continue;
    out.set(pc, { regs: ~regs[pc]! & 0x3ff, lo: ~(lo[pc]! | ctxLo), hi: ~(hi[pc]! | ctxHi) });
  }
  return out;
}

/** Where a register may point, from the callback's context pointer: nowhere in it, at a known offset, or anywhere. */
const NOT_CTX = Number.POSITIVE_INFINITY;
const ANY_CTX = Number.NaN;

/**
 * The caller's slots a callback body [start, end) loads, through its context pointer (r2 at entry,
 * `ctx` bytes from the caller's frame pointer), into a register precise there; undefined when the
 * pointer escapes (passed to a helper or a function, stored, or moved by a register) or the body
 * calls a function, when any slot may matter.
 */
function contextUse(insns: readonly Instruction[], start: number, end: number, precise: Uint16Array, ctx: number): { lo: number; hi: number } | undefined {
  const at = new Map<number, Float64Array>();
  const entry = new Float64Array(11).fill(NOT_CTX);
  entry[2] = 0;
  at.set(start, entry);
  const work = [start];
  const used = { lo: 0, hi: 0 };
  const merge = (a: number, b: number): number => (a === b ? a : ANY_CTX);
  while (work.length) {
    const pc = work.pop()!;
    const r = at.get(pc)!.slice();
    const insn = insns[pc]!;
    const { dst, src } = insn;
    const cls = insn.opcode & 0x07;
    const op = insn.opcode & 0xf0;
    const x = (insn.opcode & Source.X) !== 0;
    const isCtx = (v: number): boolean => v !== NOT_CTX;
    if (cls === Class.LDX) {
      if (isCtx(r[src]!) && precise[pc + 1]! & bit(dst)) {
        if (Number.isNaN(r[src]!)) return undefined;
        const s = slotsOf(ctx + r[src]! + insn.off, sizeOf(insn.opcode));
        if (s.lo === -1) return undefined;
        used.lo |= s.lo;
        used.hi |= s.hi;
      }
      r[dst] = NOT_CTX;
    } else if (cls === Class.STX) {
      if (isCtx(r[src]!)) return undefined;
      // An atomic on the context reads it too.
      if ((insn.opcode & 0xe0) === Mode.ATOMIC) {
        if (isCtx(r[dst]!)) return undefined;
        if (insn.imm === AtomicOp.CMPXCHG) r[0] = NOT_CTX;
        else if (insn.imm & AtomicOp.FETCH) r[src] = NOT_CTX;
      }
    } else if (cls === Class.ALU || cls === Class.ALU64) {
      if (x && isCtx(r[src]!) && !(cls === Class.ALU64 && op === AluOp.MOV)) return undefined;
      if (cls === Class.ALU64 && op === AluOp.MOV && x) r[dst] = r[src]!;
      else if (cls === Class.ALU64 && !x && (op === AluOp.ADD || op === AluOp.SUB) && isCtx(r[dst]!)) r[dst] = r[dst]! + (op === AluOp.ADD ? insn.imm : -insn.imm);
      else if (isCtx(r[dst]!) && !(op === AluOp.MOV)) return undefined;
      else r[dst] = NOT_CTX;
    } else if (cls === Class.LD) {
      r[dst] = NOT_CTX;
    } else if ((cls === Class.JMP || cls === Class.JMP32) && op === JmpOp.CALL) {
      if (insn.src !== CallSrc.HELPER || x || insn.imm === BPF_LOOP) return undefined;
      for (let a = 1; a <= 5; a++) if (isCtx(r[a]!)) return undefined;
      for (let a = 0; a <= 5; a++) r[a] = NOT_CTX;
    }
    for (const s of successors(insns, pc)) {
      if (s < start || s >= end) continue;
      const seen = at.get(s);
      if (!seen) {
        at.set(s, r);
        work.push(s);
        continue;
      }
      let changed = false;
      for (let i = 0; i < 11; i++) {
        const m = merge(seen[i]!, r[i]!);
        if (!Object.is(m, seen[i]!)) {
          seen[i] = m;
          changed = true;
        }
      }
      if (changed) work.push(s);
    }
  }
  return used;
}
