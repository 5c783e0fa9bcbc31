// Disassembler to the conformance suites' syntax; what it prints assembles back to the same bytes.
import type { Instruction } from './instruction.js';
import { AluOp, AtomicOp, CallSrc, Class, Imm64Src, JmpOp, Mode, Size, Source } from './opcodes.js';

const ALU_NAMES: Record<number, string> = {
  [AluOp.ADD]: 'add', [AluOp.SUB]: 'sub', [AluOp.MUL]: 'mul', [AluOp.DIV]: 'div', [AluOp.OR]: 'or', [AluOp.AND]: 'and',
  [AluOp.LSH]: 'lsh', [AluOp.RSH]: 'rsh', [AluOp.MOD]: 'mod', [AluOp.XOR]: 'xor', [AluOp.MOV]: 'mov', [AluOp.ARSH]: 'arsh',
};
const JMP_NAMES: Record<number, string> = {
  [JmpOp.JEQ]: 'jeq', [JmpOp.JGT]: 'jgt', [JmpOp.JGE]: 'jge', [JmpOp.JSET]: 'jset', [JmpOp.JNE]: 'jne', [JmpOp.JSGT]: 'jsgt',
  [JmpOp.JSGE]: 'jsge', [JmpOp.JLT]: 'jlt', [JmpOp.JLE]: 'jle', [JmpOp.JSLT]: 'jslt', [JmpOp.JSLE]: 'jsle',
};
const SIZE_NAMES: Record<number, string> = { [Size.B]: 'b', [Size.H]: 'h', [Size.W]: 'w', [Size.DW]: 'dw' };
const ATOMIC_NAMES: Record<number, string> = { [AtomicOp.ADD]: 'add', [AtomicOp.OR]: 'or', [AtomicOp.AND]: 'and', [AtomicOp.XOR]: 'xor' };

/** Options for disassembly. */
export interface DisasmOptions {
  /** Names a helper id for a trailing comment (`call 1 # map_lookup_elem`). */
  helperName?: (id: number) => string | undefined;
  /** Names the map an LD_IMM64 with a map source refers to. */
  mapName?: (index: number) => string | undefined;
}

const hex = (v: number): string => (v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);
const rel = (v: number): string => (v < 0 ? `${v}` : `+${v}`);
const mem = (r: number, off: number): string => `[%r${r}${off < 0 ? `-${-off}` : `+${off}`}]`;

/** One instruction's text; `next` is the following slot (the second half of LD_IMM64). */
export function formatInstruction(insn: Instruction, next: Instruction | undefined, opts: DisasmOptions = {}): string {
  const { opcode, dst, src, off, imm } = insn;
  const cls = opcode & 0x07;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const op = opcode & 0xf0;
      const is64 = cls === Class.ALU64;
      const sfx = is64 ? '' : '32';
      if (op === AluOp.NEG) return `neg${sfx} %r${dst}`;
      if (op === AluOp.END) {
        if (is64) return `bswap${imm} %r${dst}`;
        return `${opcode & Source.X ? 'be' : 'le'}${imm} %r${dst}`;
      }
      if (op === AluOp.MOV && (opcode & Source.X) && off !== 0) return `movsx${off}${is64 ? '64' : '32'} %r${dst}, %r${src}`;
      let name = ALU_NAMES[op] ?? `alu?${hex(op)}`;
      if ((op === AluOp.DIV || op === AluOp.MOD) && off === 1) name = `s${name}`;
      return opcode & Source.X ? `${name}${sfx} %r${dst}, %r${src}` : `${name}${sfx} %r${dst}, ${hex(imm)}`;
    }
    case Class.JMP:
    case Class.JMP32: {
      const op = opcode & 0xf0;
      if (op === JmpOp.JA) return cls === Class.JMP ? `ja ${rel(off)}` : `ja32 ${rel(imm)}`;
      if (op === JmpOp.EXIT) return 'exit';
      if (op === JmpOp.CALL) {
        if (opcode & Source.X) return `call %r${dst}`;
        if (src === CallSrc.LOCAL) return `call local ${rel(imm)}`;
        const name = opts.helperName?.(imm);
        return `call ${imm}${name ? ` # ${name}` : ''}`;
      }
      const name = `${JMP_NAMES[op] ?? `j?${hex(op)}`}${cls === Class.JMP32 ? '32' : ''}`;
      return opcode & Source.X ? `${name} %r${dst}, %r${src}, ${rel(off)}` : `${name} %r${dst}, ${hex(imm)}, ${rel(off)}`;
    }
    case Class.LD: {
      if (opcode === (Class.LD | Mode.IMM | Size.DW)) {
        const hi = next?.imm ?? 0;
        const value = (BigInt.asUintN(32, BigInt(hi)) << 32n) | BigInt.asUintN(32, BigInt(imm));
        if (src === Imm64Src.MAP_FD || src === Imm64Src.MAP_IDX) return `lddw %r${dst}, map[${opts.mapName?.(imm) ?? imm}]`;
        if (src === Imm64Src.MAP_VALUE || src === Imm64Src.MAP_IDX_VALUE) return `lddw %r${dst}, map[${opts.mapName?.(imm) ?? imm}]+${hi}`;
        if (src === Imm64Src.CODE_ADDR) return `lddw %r${dst}, func ${rel(imm)}`;
        return `lddw %r${dst}, 0x${value.toString(16)}`;
      }
      return `ld? ${hex(opcode)}`;
    }
    case Class.LDX: {
      const mode = opcode & 0xe0;
      return `ldx${mode === Mode.MEMSX ? 's' : ''}${SIZE_NAMES[opcode & 0x18]} %r${dst}, ${mem(src, off)}`;
    }
    case Class.ST:
      return `st${SIZE_NAMES[opcode & 0x18]} ${mem(dst, off)}, ${hex(imm)}`;
    case Class.STX: {
      const size = SIZE_NAMES[opcode & 0x18];
      if ((opcode & 0xe0) === Mode.ATOMIC) {
        const sfx = (opcode & 0x18) === Size.W ? '32' : '';
        if (imm === AtomicOp.XCHG) return `lock xchg${sfx} ${mem(dst, off)}, %r${src}`;
        if (imm === AtomicOp.CMPXCHG) return `lock cmpxchg${sfx} ${mem(dst, off)}, %r${src}`;
        const fetch = imm & AtomicOp.FETCH ? 'fetch ' : '';
        return `lock ${fetch}${ATOMIC_NAMES[imm & ~AtomicOp.FETCH] ?? `?${hex(imm)}`}${sfx} ${mem(dst, off)}, %r${src}`;
      }
      return `stx${size} ${mem(dst, off)}, %r${src}`;
    }
  }
  return `? ${hex(opcode)}`;
}

/** Disassembles a program: one line per instruction (the second slot of LD_IMM64 has none). */
export function disassemble(insns: readonly Instruction[], opts: DisasmOptions = {}): { pc: number; text: string }[] {
  const out: { pc: number; text: string }[] = [];
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    out.push({ pc, text: formatInstruction(insn, insns[pc + 1], opts) });
    if (insn.opcode === (Class.LD | Mode.IMM | Size.DW)) pc++;
  }
  return out;
}
