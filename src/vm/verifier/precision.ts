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
// - either operand of register-register arithmetic (pointer arithmetic checks the scalar's bounds),
// - a helper's arguments,
// - the exit (r0),
// - a store whose base may point into the stack (spilled values are compared exactly).
// A store into a map value, a ring-buffer record or other memory leaves the stored value free: what
// is read back from there is an unknown scalar whatever was written. Stack slots stay exact, and a
// program with local calls or callbacks keeps every register precise (its frames share values this
// pass does not follow).
import type { Instruction } from '../isa/instruction.js';
import { AtomicOp, AluOp, CallSrc, Class, JmpOp, Mode, Source } from '../isa/opcodes.js';
import { helperProto } from '../helpers/table.js';
import { backwardFixpoint, secondHalves, successors } from './cfg.js';

/** Every register (r0-r10). */
export const ALL_PRECISE = 0x7ff;

const LD_IMM64 = 0x18;
const FP = 1 << 10;
/** r0-r5: what a helper call defines (r0) or clobbers. */
const CALLER_SAVED = 0x3f;

const bit = (r: number): number => 1 << r;

/**
 * For each instruction, the registers (bit r) whose scalar values may matter on some path from it
 * (ALL_PRECISE everywhere with `everyRegister`: a program with local calls or callbacks, or a walk asked to
 * compare every scalar).
 */
export function preciseRegisters(insns: readonly Instruction[], everyRegister: boolean): Uint16Array {
  if (everyRegister) return new Uint16Array(insns.length).fill(ALL_PRECISE);
  const secondHalf = secondHalves(insns);
  const stackBase = mayPointIntoStack(insns, secondHalf);
  return backwardFixpoint(insns, secondHalf, (pc, out) => transfer(insns[pc]!, out, stackBase[pc]!));
}

/** The registers precise before `insn`, from those precise after it; `stackBase` holds the registers that may point into the stack there. */
function transfer(insn: Instruction, out: number, stackBase: number): number {
  const { dst, src } = insn;
  const cls = insn.opcode & 0x07;
  switch (cls) {
    case Class.LD:
      // ld_imm64 defines its register; the legacy packet loads (not for tracing programs) keep everything.
      return insn.opcode === LD_IMM64 ? out & ~bit(dst) : ALL_PRECISE;
    case Class.LDX:
      return (out & ~bit(dst)) | bit(src);
    case Class.ST:
      return out | bit(dst);
    case Class.STX: {
      if ((insn.opcode & 0xe0) === Mode.ATOMIC) {
        // Every operand, r0 included for a compare-and-exchange; the fetched value is defined.
        const cmpxchg = insn.imm === AtomicOp.CMPXCHG;
        const def = cmpxchg ? 1 : insn.imm & AtomicOp.FETCH ? bit(src) : 0;
        return (out & ~def) | bit(dst) | bit(src) | (cmpxchg ? 1 : 0);
      }
      return out | bit(dst) | (stackBase & bit(dst) ? bit(src) : 0);
    }
    case Class.ALU:
    case Class.ALU64: {
      const op = insn.opcode & 0xf0;
      const x = (insn.opcode & Source.X) !== 0;
      if (op === AluOp.MOV) return x ? (out & ~bit(dst)) | (out & bit(dst) ? bit(src) : 0) : out & ~bit(dst);
      if (!x || op === AluOp.NEG || op === AluOp.END) return out;
      return out | bit(dst) | bit(src);
    }
    default: {
      const op = insn.opcode & 0xf0;
      if (op === JmpOp.EXIT) return 1;
      if (op === JmpOp.JA) return out;
      if (op === JmpOp.CALL) {
        const nargs = insn.src === CallSrc.HELPER ? (helperProto(insn.imm)?.args.length ?? 5) : 5;
        return (out & ~CALLER_SAVED) | ((1 << (nargs + 1)) - 2);
      }
      return out | bit(dst) | ((insn.opcode & Source.X) !== 0 ? bit(src) : 0);
    }
  }
}

/**
 * For each instruction, the registers that may hold a pointer into the stack before it (r10 always;
 * copies of it and values derived from them; values loaded from the stack once a stack pointer may
 * have been spilled), a forward dataflow to a fixed point.
 */
function mayPointIntoStack(insns: readonly Instruction[], secondHalf: Uint8Array): Uint16Array {
  const n = insns.length;
  const into = new Uint16Array(n);
  // Whether a stack pointer may have been stored in memory (then loads from the stack may give one back).
  let spilled = false;
  for (let changed = true; changed; ) {
    changed = false;
    into.fill(0);
    into[0] = FP;
    const seen = new Uint8Array(n);
    seen[0] = 1;
    const work = [0];
    while (work.length) {
      const pc = work.pop()!;
      const insn = insns[pc]!;
      const inn = into[pc]!;
      const { dst, src } = insn;
      const cls = insn.opcode & 0x07;
      let out = inn;
      switch (cls) {
        case Class.LD:
          out &= ~bit(dst);
          break;
        case Class.LDX:
          out = spilled && inn & bit(src) ? out | bit(dst) : out & ~bit(dst);
          break;
        case Class.STX:
          if (inn & bit(src) && !spilled) {
            spilled = true;
            changed = true;
          }
          if ((insn.opcode & 0xe0) === Mode.ATOMIC) {
            const def = insn.imm === AtomicOp.CMPXCHG ? 1 : insn.imm & AtomicOp.FETCH ? bit(src) : 0;
            out = spilled && inn & bit(dst) ? out | def : out & ~def;
          }
          break;
        case Class.ALU:
        case Class.ALU64: {
          const op = insn.opcode & 0xf0;
          const x = (insn.opcode & Source.X) !== 0;
          if (op === AluOp.MOV) out = x && inn & bit(src) ? out | bit(dst) : out & ~bit(dst);
          else if (x && inn & bit(src)) out |= bit(dst);
          break;
        }
        default:
          if ((insn.opcode & 0xf0) === JmpOp.CALL) out &= ~CALLER_SAVED;
      }
      out |= FP;
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
