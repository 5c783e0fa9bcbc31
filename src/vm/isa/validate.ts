// Load-time checks of a program's encoding: every field as RFC 9669 allows it, jumps and calls inside the program.
import type { Instruction } from './instruction.js';
import { KERNEL_HELPER_NAMES } from '../helpers/kernel-names.js';
import { AluOp, AtomicOp, CallSrc, Class, CORE_POISON_HELPER, FRAME_POINTER, Imm64Src, JmpOp, Mode, Size, Source } from './opcodes.js';

/** The most instructions a program may have (uBPF's limit; far above what tracing programs need). */
export const MAX_PROGRAM_INSNS = 65536;

/** A program refused at load: names the instruction index. */
export class LoadError extends Error {
  constructor(
    readonly pc: number,
    readonly reason: string,
  ) {
    super(`insn ${pc}: ${reason}`);
    this.name = 'LoadError';
  }
}

/** What the checker needs to know beyond the bytes. */
export interface ValidateOptions {
  /** Whether a helper id exists in the VM that will run the program. */
  helperExists(id: number): boolean;
}

/** Where each function of a program starts and ends (subprograms are `call local` targets). */
export interface FunctionLayout {
  /** Sorted start indices; 0 first. */
  starts: number[];
  /** Index of the function containing each instruction. */
  functionOf: Int32Array;
}

const ATOMIC_IMMS = new Set<number>([
  AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR,
  AtomicOp.ADD | AtomicOp.FETCH, AtomicOp.OR | AtomicOp.FETCH, AtomicOp.AND | AtomicOp.FETCH, AtomicOp.XOR | AtomicOp.FETCH,
  AtomicOp.XCHG, AtomicOp.CMPXCHG,
]);

const hex = (v: number): string => `0x${v.toString(16).padStart(2, '0')}`;

function fieldsZero(insn: Instruction, pc: number, fields: ('dst' | 'src' | 'off' | 'imm')[]): void {
  for (const f of fields) {
    if (insn[f] !== 0) throw new LoadError(pc, `${f} field must be 0 for opcode ${hex(insn.opcode)} (it is ${insn[f]})`);
  }
}

function checkAlu(insn: Instruction, pc: number): void {
  const { opcode, dst, src, off, imm } = insn;
  const is64 = (opcode & 0x07) === Class.ALU64;
  const op = opcode & 0xf0;
  const x = (opcode & Source.X) !== 0;
  if (dst === FRAME_POINTER) throw new LoadError(pc, 'frame pointer is read only');
  if (op > AluOp.END) throw new LoadError(pc, `unknown opcode ${hex(opcode)}`);
  if (op === AluOp.NEG) {
    if (x) throw new LoadError(pc, `unknown opcode ${hex(opcode)}`);
    fieldsZero(insn, pc, ['src', 'off', 'imm']);
    return;
  }
  if (op === AluOp.END) {
    if (is64 && x) throw new LoadError(pc, `unknown opcode ${hex(opcode)}`);
    fieldsZero(insn, pc, ['src', 'off']);
    if (imm !== 16 && imm !== 32 && imm !== 64) throw new LoadError(pc, `invalid endian immediate ${imm} (16, 32 or 64)`);
    return;
  }
  const offOk = op === AluOp.DIV || op === AluOp.MOD ? off === 0 || off === 1 : op === AluOp.MOV && x ? off === 0 || off === 8 || off === 16 || (is64 && off === 32) : off === 0;
  if (!offOk) throw new LoadError(pc, `offset ${off} is not valid for opcode ${hex(opcode)}`);
  if (x) {
    fieldsZero(insn, pc, ['imm']);
    // The kernel forbids all but moving and adding/subtracting on the frame pointer.
    if (src === FRAME_POINTER && op !== AluOp.MOV && op !== AluOp.ADD && op !== AluOp.SUB) {
      throw new LoadError(pc, `${is64 ? '' : '32-bit '}arithmetic on the frame pointer r10 is prohibited`);
    }
    if (src === FRAME_POINTER && !is64) throw new LoadError(pc, '32-bit arithmetic on the frame pointer r10 is prohibited');
  } else fieldsZero(insn, pc, ['src']);
}

function checkJmp(insns: readonly Instruction[], insn: Instruction, pc: number, opts: ValidateOptions): void {
  const { opcode, imm } = insn;
  const is32 = (opcode & 0x07) === Class.JMP32;
  const op = opcode & 0xf0;
  const x = (opcode & Source.X) !== 0;
  if (op > JmpOp.JSLE) throw new LoadError(pc, `unknown opcode ${hex(opcode)}`);
  if (op === JmpOp.EXIT) {
    if (is32 || x) throw new LoadError(pc, `unknown opcode ${hex(opcode)}`);
    fieldsZero(insn, pc, ['dst', 'src', 'off', 'imm']);
    return;
  }
  if (op === JmpOp.CALL) {
    if (is32) throw new LoadError(pc, `unknown opcode ${hex(opcode)}`);
    if (x) {
      fieldsZero(insn, pc, ['src', 'off', 'imm']);
      return;
    }
    fieldsZero(insn, pc, ['dst', 'off']);
    if (insn.src === CallSrc.HELPER) {
      // libbpf's poisoned CO-RE relocation loads; the verifier refuses it where it is reached.
      if (imm !== CORE_POISON_HELPER && !opts.helperExists(imm)) throw new LoadError(pc, unknownHelper(imm));
    } else if (insn.src === CallSrc.LOCAL) {
      const target = pc + 1 + imm;
      if (target < 0 || target >= insns.length) throw new LoadError(pc, `call local to ${target}: out of the program`);
    } else if (insn.src === CallSrc.KFUNC) {
      throw new LoadError(pc, `kernel function calls (kfunc ${imm}) are not supported`);
    } else throw new LoadError(pc, `invalid call source ${insn.src}`);
    return;
  }
  if (op === JmpOp.JA) {
    if (x) throw new LoadError(pc, `unknown opcode ${hex(opcode)}`);
    fieldsZero(insn, pc, is32 ? ['dst', 'src', 'off'] : ['dst', 'src', 'imm']);
    return;
  }
  fieldsZero(insn, pc, x ? ['imm'] : ['src']);
}

function checkMemory(insn: Instruction, pc: number): void {
  const { opcode, dst, imm } = insn;
  const cls = opcode & 0x07;
  const mode = opcode & 0xe0;
  const size = opcode & 0x18;
  if (cls === Class.LDX) {
    if (mode !== Mode.MEM && mode !== Mode.MEMSX) throw new LoadError(pc, `unknown opcode ${hex(opcode)}`);
    if (mode === Mode.MEMSX && size === Size.DW) throw new LoadError(pc, `unknown opcode ${hex(opcode)} (no 64-bit sign-extending load)`);
    if (dst === FRAME_POINTER) throw new LoadError(pc, 'frame pointer is read only');
    fieldsZero(insn, pc, ['imm']);
    return;
  }
  if (cls === Class.ST) {
    if (mode !== Mode.MEM) throw new LoadError(pc, `unknown opcode ${hex(opcode)}`);
    fieldsZero(insn, pc, ['src']);
    return;
  }
  // STX
  if (mode === Mode.MEM) {
    fieldsZero(insn, pc, ['imm']);
    return;
  }
  if (mode !== Mode.ATOMIC || (size !== Size.W && size !== Size.DW)) throw new LoadError(pc, `unknown opcode ${hex(opcode)}`);
  if (!ATOMIC_IMMS.has(imm)) throw new LoadError(pc, `unknown atomic operation ${hex(imm)}`);
}

/** The function an ld_imm64 of a code address (BPF_PSEUDO_FUNC: a callback for bpf_loop) loads, or -1 for any other instruction. */
export function codeAddressTarget(insn: Instruction, pc: number): number {
  return insn.opcode === (Class.LD | Mode.IMM | Size.DW) && insn.src === Imm64Src.CODE_ADDR ? pc + 1 + insn.imm : -1;
}

/**
 * Throws for a program with a jump into the second half of an LD_IMM64, in the kernel's words and
 * order (check_cfg, after every jump's range is checked): instructions are explored from the
 * start, the second half as one more instruction where a jump lands in it, and the first
 * instruction in order that is never reached is "unreachable", else the first LD_IMM64 whose
 * second half is reached is jumped "into the middle".
 */
function lddwJumpError(insns: readonly Instruction[], secondHalf: Uint8Array): never {
  const n = insns.length;
  const reached = new Uint8Array(n);
  const work = [0];
  reached[0] = 1;
  const reach = (to: number): void => {
    if (to >= 0 && to < n && !reached[to]) {
      reached[to] = 1;
      work.push(to);
    }
  };
  while (work.length) {
    const pc = work.pop()!;
    const insn = insns[pc]!;
    const cls = insn.opcode & 0x07;
    const op = insn.opcode & 0xf0;
    if (!secondHalf[pc] && insn.opcode === (Class.LD | Mode.IMM | Size.DW)) {
      reach(pc + 2);
      reach(codeAddressTarget(insn, pc));
    } else if (secondHalf[pc] || (cls !== Class.JMP && cls !== Class.JMP32)) reach(pc + 1);
    else if (op === JmpOp.CALL) {
      reach(pc + 1);
      if (insn.src === CallSrc.LOCAL) reach(pc + 1 + insn.imm);
    } else if (op !== JmpOp.EXIT) {
      reach(pc + 1 + (cls === Class.JMP32 && op === JmpOp.JA ? insn.imm : insn.off));
      if (op !== JmpOp.JA) reach(pc + 1);
    }
  }
  for (let pc = 0; pc < n; pc++) {
    if (!reached[pc]) throw new LoadError(pc, `unreachable insn ${pc}`);
    if (!secondHalf[pc] && insns[pc]!.opcode === (Class.LD | Mode.IMM | Size.DW)) {
      if (reached[pc + 1]) throw new LoadError(pc, `jump into the middle of ldimm64 insn ${pc}`);
      pc++;
    }
  }
  throw new LoadError(0, 'jump into the middle of ldimm64');
}

/**
 * Why a helper call is refused: past the kernel's helper ids, in its words (check_helper_call); id
 * 0, bpf_unspec, as it refuses it for every program type; a helper the kernel has and viotrace's
 * VM does not, by its name.
 */
function unknownHelper(id: number): string {
  const name = id >= 0 ? KERNEL_HELPER_NAMES[id] : undefined;
  if (name === undefined) return `invalid func unknown#${id}`;
  if (id === 0) return `program of this type cannot use helper bpf_${name}#${id}`;
  return `helper bpf_${name}#${id} is not implemented by viotrace's VM`;
}

/** Finds the functions: 0, every `call local` target and every callback a code address loads. */
export function functionLayout(insns: readonly Instruction[]): FunctionLayout {
  const starts = new Set<number>([0]);
  insns.forEach((insn, pc) => {
    if (insn.opcode === (Class.JMP | JmpOp.CALL) && insn.src === CallSrc.LOCAL) starts.add(pc + 1 + insn.imm);
    const callback = codeAddressTarget(insn, pc);
    if (callback >= 0 && callback < insns.length) starts.add(callback);
  });
  const sorted = [...starts].sort((a, b) => a - b);
  const functionOf = new Int32Array(insns.length);
  let f = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    while (f + 1 < sorted.length && sorted[f + 1]! <= pc) f++;
    functionOf[pc] = f;
  }
  return { starts: sorted, functionOf };
}

/**
 * Checks a program's encoding (fields, registers, LD_IMM64 pairs, jump and call targets, function
 * ends). Throws LoadError naming the instruction. Returns the function layout.
 */
export function validateProgram(insns: readonly Instruction[], opts: ValidateOptions): FunctionLayout {
  if (insns.length === 0) throw new LoadError(0, 'empty program');
  if (insns.length > MAX_PROGRAM_INSNS) throw new LoadError(MAX_PROGRAM_INSNS, `too many instructions (max ${MAX_PROGRAM_INSNS})`);
  const secondHalf = new Uint8Array(insns.length);
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    if (secondHalf[pc]) continue;
    if (insn.dst > 10) throw new LoadError(pc, `invalid destination register r${insn.dst}`);
    if (insn.src > 10 && (insn.opcode & 0x07) !== Class.LD) throw new LoadError(pc, `invalid source register r${insn.src}`);
    switch (insn.opcode & 0x07) {
      case Class.ALU:
      case Class.ALU64:
        checkAlu(insn, pc);
        break;
      case Class.JMP:
      case Class.JMP32:
        checkJmp(insns, insn, pc, opts);
        break;
      case Class.LDX:
      case Class.ST:
      case Class.STX:
        checkMemory(insn, pc);
        break;
      case Class.LD: {
        if (insn.opcode !== (Class.LD | Mode.IMM | Size.DW)) throw new LoadError(pc, `unknown opcode ${hex(insn.opcode)}${(insn.opcode & 0xe0) === Mode.ABS || (insn.opcode & 0xe0) === Mode.IND ? ' (legacy packet access is not supported)' : ''}`);
        if (pc + 1 >= insns.length) throw new LoadError(pc, 'incomplete lddw');
        if (insn.src > Imm64Src.MAP_IDX_VALUE) throw new LoadError(pc, `invalid source register for LDDW (${insn.src})`);
        if (insn.dst === FRAME_POINTER) throw new LoadError(pc, 'frame pointer is read only');
        fieldsZero(insn, pc, ['off']);
        if (insn.src === Imm64Src.CODE_ADDR) {
          const target = codeAddressTarget(insn, pc);
          if (target < 0 || target >= insns.length) throw new LoadError(pc, `code address out of range: insn ${target}`);
        }
        const next = insns[pc + 1]!;
        if (next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) throw new LoadError(pc + 1, 'invalid lddw second half');
        secondHalf[pc + 1] = 1;
        break;
      }
    }
  }
  const layout = functionLayout(insns);
  for (const start of layout.starts) {
    if (secondHalf[start]) throw new LoadError(start, 'call local into the middle of lddw');
  }
  // Jumps: inside the program, inside their own function, never into the middle of LD_IMM64.
  let intoLddw = false;
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    if (secondHalf[pc]) continue;
    const cls = insn.opcode & 0x07;
    const op = insn.opcode & 0xf0;
    if ((cls !== Class.JMP && cls !== Class.JMP32) || op === JmpOp.CALL || op === JmpOp.EXIT) continue;
    const delta = cls === Class.JMP32 && op === JmpOp.JA ? insn.imm : insn.off;
    const target = pc + 1 + delta;
    if (target < 0 || target >= insns.length) throw new LoadError(pc, `jump out of range from insn ${pc} to ${target}`);
    if (layout.functionOf[target] !== layout.functionOf[pc]) throw new LoadError(pc, `jump out of bounds: from function at ${layout.starts[layout.functionOf[pc]!]} into another function (to ${target})`);
    if (secondHalf[target]) intoLddw = true;
    if (delta === -1 && op === JmpOp.JA) throw new LoadError(pc, 'infinite loop (jump to itself)');
  }
  if (intoLddw) lddwJumpError(insns, secondHalf);
  // Every function ends with EXIT or an unconditional jump: execution cannot fall off its end.
  layout.starts.forEach((start, f) => {
    const end = (layout.starts[f + 1] ?? insns.length) - 1;
    let last = end;
    if (last > start && secondHalf[last]) last = -1;
    const insn = last >= 0 ? insns[last]! : undefined;
    const op = insn ? insn.opcode & 0xf0 : -1;
    const cls = insn ? insn.opcode & 0x07 : -1;
    const ends = insn && (cls === Class.JMP || cls === Class.JMP32) && (op === JmpOp.EXIT || op === JmpOp.JA);
    if (!ends) throw new LoadError(end, `${f === 0 ? 'program' : 'sub-program'} does not end with EXIT or unconditional jump`);
  });
  return layout;
}
