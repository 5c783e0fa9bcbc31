// The control-flow pass before symbolic execution: reachability, prune points, register liveness, the call graph.
import type { Instruction } from '../isa/instruction.js';
import { AtomicOp, CallSrc, Class, JmpOp, Mode, Source } from '../isa/opcodes.js';
import { codeAddressTarget } from '../isa/validate.js';
import { BPF_LOOP_HELPER, helperProto } from '../helpers/table.js';

/** What the control-flow pass learns about a program. */
export interface ControlFlow {
  /** Instructions where states are checkpointed for pruning (jump targets and fall-throughs of branches). */
  prunePoint: Uint8Array;
  /** Registers (bit r) read before written on some path from each instruction. */
  liveIn: Uint16Array;
  /** Call edges: [call site, callee start]; a callback's is [the ld_imm64 of its address, its start]. */
  calls: [number, number][];
  /**
   * Calls of bpf_loop: a state is always checkpointed there, and each callback iteration comes
   * back to it (the kernel's calls_callback and force_checkpoint).
   */
  callsCallback: Uint8Array;
}

/** An unreachable instruction, or another control-flow fault; the verifier turns it into its error. */
export class CfgError extends Error {
  constructor(
    readonly pc: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const LD_IMM64 = 0x18;

function isJump(insn: Instruction): boolean {
  const cls = insn.opcode & 0x07;
  return cls === Class.JMP || cls === Class.JMP32;
}

/** Successors of an instruction inside its own function (a call falls through to the next). */
export function successors(insns: readonly Instruction[], pc: number): number[] {
  const insn = insns[pc]!;
  if (insn.opcode === LD_IMM64) return [pc + 2];
  if (!isJump(insn)) return [pc + 1];
  const op = insn.opcode & 0xf0;
  if (op === JmpOp.EXIT) return [];
  if (op === JmpOp.CALL) return [pc + 1];
  if (op === JmpOp.JA) {
    const delta = (insn.opcode & 0x07) === Class.JMP32 ? insn.imm : insn.off;
    return [pc + 1 + delta];
  }
  return [pc + 1, pc + 1 + insn.off];
}

function useDef(insns: readonly Instruction[], pc: number): [number, number] {
  const insn = insns[pc]!;
  const bit = (r: number): number => 1 << r;
  const cls = insn.opcode & 0x07;
  switch (cls) {
    case Class.LD:
      return [0, bit(insn.dst)];
    case Class.LDX:
      return [bit(insn.src), bit(insn.dst)];
    case Class.ST:
      return [bit(insn.dst), 0];
    case Class.STX:
      if ((insn.opcode & 0xe0) === Mode.ATOMIC) {
        if (insn.imm === AtomicOp.CMPXCHG) return [bit(insn.dst) | bit(insn.src) | 1, 1];
        return [bit(insn.dst) | bit(insn.src), insn.imm & AtomicOp.FETCH ? bit(insn.src) : 0];
      }
      return [bit(insn.dst) | bit(insn.src), 0];
    case Class.ALU:
    case Class.ALU64: {
      const op = insn.opcode & 0xf0;
      const x = (insn.opcode & Source.X) !== 0;
      if (op === 0xb0) return [x ? bit(insn.src) : 0, bit(insn.dst)];
      return [bit(insn.dst) | (x ? bit(insn.src) : 0), bit(insn.dst)];
    }
    default: {
      const op = insn.opcode & 0xf0;
      if (op === JmpOp.EXIT) return [1, 0];
      if (op === JmpOp.JA) return [0, 0];
      if (op === JmpOp.CALL) {
        const nargs = insn.src === CallSrc.HELPER ? (helperProto(insn.imm)?.args.length ?? 5) : 5;
        return [(1 << (nargs + 1)) - 2, 0x3f];
      }
      return [bit(insn.dst) | ((insn.opcode & Source.X) !== 0 ? bit(insn.src) : 0), 0];
    }
  }
}

/**
 * Checks every instruction is reachable (from the entry or a called function) and computes prune
 * points and liveness. `secondHalf` marks the second slot of each LD_IMM64.
 */
export function analyzeControlFlow(insns: readonly Instruction[]): ControlFlow {
  const n = insns.length;
  const secondHalf = secondHalves(insns);

  const reached = new Uint8Array(n);
  const prunePoint = new Uint8Array(n);
  const callsCallback = new Uint8Array(n);
  const calls: [number, number][] = [];
  const work = [0];
  reached[0] = 1;
  while (work.length) {
    const pc = work.pop()!;
    const insn = insns[pc]!;
    const succ = successors(insns, pc);
    const callback = codeAddressTarget(insn, pc);
    // Prune points where the kernel's check_cfg() marks them (visit_insn, push_insn): a
    // conditional jump and its target, an unconditional jump's target, past every call, a local
    // call and the function it calls, a callback's address, past it and the callback.
    if (callback >= 0) {
      // A callback's address: the function is reached (bpf_loop calls it) and its stack is on this one's.
      calls.push([pc, callback]);
      prunePoint[pc] = 1;
      if (pc + 2 < n) prunePoint[pc + 2] = 1;
      prunePoint[callback] = 1;
      succ.push(callback);
    }
    if (isJump(insn)) {
      const op = insn.opcode & 0xf0;
      if (op === JmpOp.CALL) {
        if (pc + 1 < n) prunePoint[pc + 1] = 1;
        if (insn.src === CallSrc.HELPER && !(insn.opcode & Source.X) && insn.imm === BPF_LOOP_HELPER) {
          prunePoint[pc] = 1;
          callsCallback[pc] = 1;
        }
        if (insn.src === CallSrc.LOCAL) {
          const target = pc + 1 + insn.imm;
          calls.push([pc, target]);
          prunePoint[pc] = 1;
          prunePoint[target] = 1;
          succ.push(target);
        }
      } else if (op === JmpOp.JA) {
        for (const s of succ) prunePoint[s] = 1;
      } else if (op !== JmpOp.EXIT) {
        prunePoint[pc] = 1;
        prunePoint[pc + 1 + insn.off] = 1;
      }
    }
    for (const s of succ) {
      if (s < n && !reached[s]) {
        reached[s] = 1;
        work.push(s);
      }
    }
  }
  for (let pc = 0; pc < n; pc++) if (!reached[pc] && !secondHalf[pc]) throw new CfgError(pc, `unreachable insn ${pc}`);

  // Backward liveness to a fixed point; calls are edges to the next instruction, callees stand alone.
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  for (let pc = 0; pc < n; pc++) {
    if (secondHalf[pc]) continue;
    [use[pc], def[pc]] = useDef(insns, pc);
  }
  const liveIn = backwardFixpoint(insns, secondHalf, (pc, out) => use[pc]! | (out & ~def[pc]!));
  return { prunePoint, liveIn, calls, callsCallback };
}

/** Marks the second slot of each LD_IMM64 (not an instruction of its own). */
export function secondHalves(insns: readonly Instruction[]): Uint8Array {
  const secondHalf = new Uint8Array(insns.length);
  for (let pc = 0; pc < insns.length; pc++) if (insns[pc]!.opcode === LD_IMM64) secondHalf[++pc] = 1;
  return secondHalf;
}

/**
 * A backward dataflow of register masks to a fixed point: each instruction's mask is `transfer` of
 * the union of its successors' (inside its function; a call falls through). Skips `secondHalf` slots.
 */
export function backwardFixpoint(insns: readonly Instruction[], secondHalf: Uint8Array, transfer: (pc: number, out: number) => number): Uint16Array {
  const n = insns.length;
  const mask = new Uint16Array(n);
  for (let changed = true; changed; ) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      if (secondHalf[pc]) continue;
      let out = 0;
      for (const s of successors(insns, pc)) if (s < n) out |= mask[s]!;
      const inn = transfer(pc, out);
      if (inn !== mask[pc]) {
        mask[pc] = inn;
        changed = true;
      }
    }
  }
  return mask;
}
