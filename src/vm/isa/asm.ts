// Assembler for the textual eBPF syntax of the conformance suites (`mov %r0, 1`, `ldxdw %r0, [%r1+8]`, `jeq %r1, 2, +3`, labels).
import { type Instruction, encode } from './instruction.js';
import { AluOp, AtomicOp, CallSrc, Class, Imm64Src, JmpOp, Mode, Size, Source } from './opcodes.js';

/** A line the assembler refuses: names the line (1-based) and the reason. */
export class AsmError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'AsmError';
  }
}

const ALU_OPS: Record<string, number> = {
  add: AluOp.ADD, sub: AluOp.SUB, mul: AluOp.MUL, div: AluOp.DIV, or: AluOp.OR, and: AluOp.AND,
  lsh: AluOp.LSH, rsh: AluOp.RSH, mod: AluOp.MOD, xor: AluOp.XOR, mov: AluOp.MOV, arsh: AluOp.ARSH,
  sdiv: AluOp.DIV, smod: AluOp.MOD,
};
const JMP_OPS: Record<string, number> = {
  jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET, jne: JmpOp.JNE, jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE, jlt: JmpOp.JLT, jle: JmpOp.JLE, jslt: JmpOp.JSLT, jsle: JmpOp.JSLE,
};
const SIZES: Record<string, number> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };
const ATOMIC_OPS: Record<string, number> = { add: AtomicOp.ADD, or: AtomicOp.OR, and: AtomicOp.AND, xor: AtomicOp.XOR };

interface Pending {
  insn: Instruction;
  /** A label whose position fixes off (jumps) or imm (local calls, ja32). */
  label?: { name: string; field: 'off' | 'imm' };
  line: number;
}

const INT32_MIN = -(2 ** 31);

/** Parses an integer literal (decimal or 0x hex, optional sign) to a bigint, or undefined. */
function parseInt64(text: string): bigint | undefined {
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(text.trim());
  if (!m) return undefined;
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}

/** A 32-bit immediate: decimal must fit int32; hex may also be written as its unsigned 32-bit pattern. */
function imm32(text: string, line: number): number {
  const v = parseInt64(text);
  if (v === undefined) throw new AsmError(line, `invalid immediate ${JSON.stringify(text)}`);
  const hex = /^[+-]?0x/i.test(text.trim());
  const max = hex ? 0xffffffffn : 0x7fffffffn;
  if (v < BigInt(INT32_MIN) || v > max) throw new AsmError(line, `immediate ${text} does not fit in 32 bits`);
  return Number(BigInt.asIntN(32, v));
}

function reg(text: string, line: number): number {
  const m = /^%r(\d+)$/.exec(text.trim());
  if (!m || Number(m[1]) > 10) throw new AsmError(line, `invalid register ${JSON.stringify(text.trim())}`);
  return Number(m[1]);
}

function isReg(text: string): boolean {
  return /^%r\d+$/.test(text.trim());
}

/** `[%r1+8]`, `[%r10-4]`, `[%r1]` -> register and signed 16-bit offset. */
function memOperand(text: string, line: number): { reg: number; off: number } {
  const m = /^\[\s*(%r\d+)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+))?\s*\]$/i.exec(text.trim());
  if (!m) throw new AsmError(line, `invalid memory operand ${JSON.stringify(text.trim())} (expected [%rN+off])`);
  const off = m[2] ? Number(BigInt(m[3]!)) * (m[2] === '-' ? -1 : 1) : 0;
  if (off < -32768 || off > 32767) throw new AsmError(line, `offset ${off} does not fit in 16 bits`);
  return { reg: reg(m[1]!, line), off };
}

/** Splits operands on commas outside brackets. */
function operands(rest: string): string[] {
  if (rest.trim() === '') return [];
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of rest) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

function expect(ops: string[], n: number, mnemonic: string, line: number): void {
  if (ops.length !== n) throw new AsmError(line, `${mnemonic} takes ${n} operand${n === 1 ? '' : 's'}, got ${ops.length}`);
}

/** A jump target: `+3`, `-2`, or a label. */
function target(text: string, line: number, pending: Pending, field: 'off' | 'imm'): void {
  const t = text.trim();
  if (/^[+-]\d+$/.test(t) || /^[+-]?0x[0-9a-f]+$/i.test(t)) {
    const v = Number(parseInt64(t));
    if (field === 'off') {
      if (v < -32768 || v > 32767) throw new AsmError(line, `jump offset ${t} does not fit in 16 bits`);
      pending.insn.off = v;
    } else pending.insn.imm = imm32(t, line);
    return;
  }
  if (!/^[A-Za-z_.][\w.]*$/.test(t)) throw new AsmError(line, `invalid jump target ${JSON.stringify(t)}`);
  pending.label = { name: t, field };
}

function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Instruction {
  return { opcode, dst, src, off, imm };
}

/** Assembles one statement (no label, no comment) into one or two slots. */
function statement(text: string, line: number): Pending[] {
  const m = /^(\S+)\s*(.*)$/.exec(text)!;
  let mnemonic = m[1]!.toLowerCase();
  let rest = m[2]!;
  const one = (i: Instruction): Pending[] => [{ insn: i, line }];

  if (mnemonic === 'lock') {
    const lm = /^(fetch\s+)?(\w+)\s*(.*)$/i.exec(rest);
    if (!lm) throw new AsmError(line, 'Invalid number of operands for lock');
    const fetch = !!lm[1];
    let op = lm[2]!.toLowerCase();
    const ops = operands(lm[3]!);
    if (ops.length !== 2) throw new AsmError(line, 'Invalid number of operands for lock');
    let size: number = Size.DW;
    if (op.endsWith('32')) {
      size = Size.W;
      op = op.slice(0, -2);
    }
    let imm: number;
    if (op === 'xchg' || op === 'cmpxchg') {
      if (fetch) throw new AsmError(line, `lock fetch ${op}: ${op} always fetches`);
      imm = op === 'xchg' ? AtomicOp.XCHG : AtomicOp.CMPXCHG;
    } else {
      const a = ATOMIC_OPS[op];
      if (a === undefined) throw new AsmError(line, `unknown atomic operation ${JSON.stringify(op)}`);
      imm = a | (fetch ? AtomicOp.FETCH : 0);
    }
    const mem = memOperand(ops[0]!, line);
    return one(insn(Class.STX | Mode.ATOMIC | size, mem.reg, reg(ops[1]!, line), mem.off, imm));
  }

  const ops = operands(rest);

  if (mnemonic === 'exit') {
    expect(ops, 0, mnemonic, line);
    return one(insn(Class.JMP | JmpOp.EXIT));
  }
  if (mnemonic === 'call') {
    if (ops.length === 1 && isReg(ops[0]!)) return one(insn(Class.JMP | JmpOp.CALL | Source.X, reg(ops[0]!, line)));
    const lm = /^local\s+(.+)$/.exec(rest.trim());
    if (lm) {
      const p: Pending = { insn: insn(Class.JMP | JmpOp.CALL, 0, CallSrc.LOCAL), line };
      target(lm[1]!, line, p, 'imm');
      return [p];
    }
    expect(ops, 1, mnemonic, line);
    return one(insn(Class.JMP | JmpOp.CALL, 0, CallSrc.HELPER, 0, imm32(ops[0]!, line)));
  }
  if (mnemonic === 'ja' || mnemonic === 'ja32') {
    expect(ops, 1, mnemonic, line);
    const p: Pending = { insn: insn(mnemonic === 'ja' ? Class.JMP | JmpOp.JA : Class.JMP32 | JmpOp.JA), line };
    target(ops[0]!, line, p, mnemonic === 'ja' ? 'off' : 'imm');
    return [p];
  }
  if (mnemonic === 'lddw') {
    expect(ops, 2, mnemonic, line);
    // `map[N]` and `map[N]+OFF`: a map reference by the loader's index, as the disassembler prints it.
    const mapRef = /^map\[(\d+)\](?:\+(\d+))?$/.exec(ops[1]!);
    if (mapRef) {
      const value = mapRef[2] !== undefined;
      return [
        { insn: insn(Class.LD | Mode.IMM | Size.DW, reg(ops[0]!, line), value ? Imm64Src.MAP_IDX_VALUE : Imm64Src.MAP_IDX, 0, Number(mapRef[1])), line },
        { insn: insn(0, 0, 0, 0, value ? Number(mapRef[2]) : 0), line },
      ];
    }
    // `func LABEL` (or `func +N`): a function's address, as a callback for bpf_loop.
    const fnRef = /^func\s+(.+)$/.exec(ops[1]!.trim());
    if (fnRef) {
      const p: Pending = { insn: insn(Class.LD | Mode.IMM | Size.DW, reg(ops[0]!, line), Imm64Src.CODE_ADDR), line };
      target(fnRef[1]!, line, p, 'imm');
      return [p, { insn: insn(0), line }];
    }
    const v = parseInt64(ops[1]!);
    if (v === undefined || v < -(2n ** 63n) || v > 2n ** 64n - 1n) throw new AsmError(line, `invalid 64-bit immediate ${JSON.stringify(ops[1])}`);
    const u = BigInt.asUintN(64, v);
    const lo = Number(BigInt.asIntN(32, u));
    const hi = Number(BigInt.asIntN(32, u >> 32n));
    return [
      { insn: insn(Class.LD | Mode.IMM | Size.DW, reg(ops[0]!, line), 0, 0, lo), line },
      { insn: insn(0, 0, 0, 0, hi), line },
    ];
  }
  // Loads: ldx{b,h,w,dw}, ldxs{b,h,w}.
  let lm = /^ldx(s?)(b|h|w|dw)$/.exec(mnemonic);
  if (lm) {
    expect(ops, 2, mnemonic, line);
    if (lm[1] && lm[2] === 'dw') throw new AsmError(line, 'ldxsdw does not exist');
    const mem = memOperand(ops[1]!, line);
    return one(insn(Class.LDX | (lm[1] ? Mode.MEMSX : Mode.MEM) | SIZES[lm[2]!]!, reg(ops[0]!, line), mem.reg, mem.off));
  }
  lm = /^(stx?)(b|h|w|dw)$/.exec(mnemonic);
  if (lm) {
    expect(ops, 2, mnemonic, line);
    const mem = memOperand(ops[0]!, line);
    if (lm[1] === 'stx') return one(insn(Class.STX | Mode.MEM | SIZES[lm[2]!]!, mem.reg, reg(ops[1]!, line), mem.off));
    return one(insn(Class.ST | Mode.MEM | SIZES[lm[2]!]!, mem.reg, 0, mem.off, imm32(ops[1]!, line)));
  }
  // Byte swaps.
  lm = /^(be|le|bswap|swap)(16|32|64)$/.exec(mnemonic);
  if (lm) {
    expect(ops, 1, mnemonic, line);
    // swapNN is the suites' other spelling of bswapNN.
    const cls = lm[1] === 'bswap' || lm[1] === 'swap' ? Class.ALU64 : Class.ALU;
    const src = lm[1] === 'be' ? Source.X : Source.K;
    return one(insn(cls | AluOp.END | src, reg(ops[0]!, line), 0, 0, Number(lm[2])));
  }
  // Sign-extending moves: movsx{8,16,32}{32,64}.
  lm = /^movsx(8|16|32)(32|64)$/.exec(mnemonic);
  if (lm) {
    expect(ops, 2, mnemonic, line);
    if (lm[1] === '32' && lm[2] === '32') throw new AsmError(line, 'movsx3232 does not exist');
    const cls = lm[2] === '64' ? Class.ALU64 : Class.ALU;
    return one(insn(cls | AluOp.MOV | Source.X, reg(ops[0]!, line), reg(ops[1]!, line), Number(lm[1])));
  }
  // neg, neg32, neg64.
  lm = /^neg(32|64)?$/.exec(mnemonic);
  if (lm) {
    expect(ops, 1, mnemonic, line);
    return one(insn((lm[1] === '32' ? Class.ALU : Class.ALU64) | AluOp.NEG, reg(ops[0]!, line)));
  }
  // ALU: op, op32, op64.
  lm = /^([a-z]+?)(32|64)?$/.exec(mnemonic);
  if (lm && ALU_OPS[lm[1]!] !== undefined) {
    expect(ops, 2, mnemonic, line);
    const op = ALU_OPS[lm[1]!]!;
    const cls = lm[2] === '32' ? Class.ALU : Class.ALU64;
    const off = lm[1] === 'sdiv' || lm[1] === 'smod' ? 1 : 0;
    const dst = reg(ops[0]!, line);
    if (isReg(ops[1]!)) return one(insn(cls | op | Source.X, dst, reg(ops[1]!, line), off));
    return one(insn(cls | op | Source.K, dst, 0, off, imm32(ops[1]!, line)));
  }
  // Conditional jumps: jXX, jXX32.
  lm = /^(j[a-z]+?)(32)?$/.exec(mnemonic);
  if (lm && JMP_OPS[lm[1]!] !== undefined) {
    expect(ops, 3, mnemonic, line);
    const cls = lm[2] ? Class.JMP32 : Class.JMP;
    const dst = reg(ops[0]!, line);
    const p: Pending = isReg(ops[1]!)
      ? { insn: insn(cls | JMP_OPS[lm[1]!]! | Source.X, dst, reg(ops[1]!, line)), line }
      : { insn: insn(cls | JMP_OPS[lm[1]!]! | Source.K, dst, 0, 0, imm32(ops[1]!, line)), line };
    target(ops[2]!, line, p, 'off');
    return [p];
  }
  mnemonic = JSON.stringify(m[1]);
  throw new AsmError(line, `unknown mnemonic ${mnemonic}`);
}

/**
 * Assembles a program. Lines hold one instruction each; `label:` may precede an instruction or
 * stand alone; `#` and `;` start comments. Throws AsmError naming the line.
 */
export function assemble(text: string): Instruction[] {
  const pending: Pending[] = [];
  const labels = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    let s = raw.replace(/[#;].*$/, '').trim();
    if (s === '') return;
    if (s.startsWith('--')) throw new AsmError(line, `unknown directive ${JSON.stringify(s)}`);
    const lm = /^([A-Za-z_.][\w.]*):\s*(.*)$/.exec(s);
    if (lm) {
      if (labels.has(lm[1]!)) throw new AsmError(line, `label ${lm[1]} defined twice`);
      labels.set(lm[1]!, pending.length);
      s = lm[2]!;
      if (s === '') return;
    }
    pending.push(...statement(s, line));
  });
  if (pending.length === 0) throw new AsmError(1, 'empty program: no instructions');
  pending.forEach((p, pc) => {
    if (!p.label) return;
    let at = labels.get(p.label.name);
    // As in bpf_conformance's assembler, a jump to `exit` goes to the next exit instruction.
    if (at === undefined && p.label.name === 'exit') {
      const next = pending.findIndex((q, i) => i > pc && q.insn.opcode === (Class.JMP | JmpOp.EXIT));
      if (next >= 0) at = next;
    }
    if (at === undefined) throw new AsmError(p.line, `unknown label ${JSON.stringify(p.label.name)}`);
    const rel = at - pc - 1;
    if (p.label.field === 'off') {
      if (rel < -32768 || rel > 32767) throw new AsmError(p.line, `jump to ${p.label.name} is out of 16-bit range`);
      p.insn.off = rel;
    } else p.insn.imm = rel;
  });
  return pending.map((p) => p.insn);
}

/** Assembles to bytes. */
export function assembleBytes(text: string): Uint8Array {
  return encode(assemble(text));
}
