// Differential tests: the JIT and the interpreter agree on random programs and inputs, traps included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, type Instruction } from './isa/instruction.js';
import { AluOp, AtomicOp, Class, JmpOp, Mode, Size, Source } from './isa/opcodes.js';
import { assemble } from './isa/asm.js';
import { DEFAULT_ENVIRONMENT, Program, type Engine } from './program.js';

const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.NEG, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH, AluOp.END];
const JMP_OPS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE];
const SIZES = [Size.B, Size.H, Size.W, Size.DW];
const reg = fc.integer({ min: 0, max: 9 });
const imm = fc.oneof(fc.integer({ min: -4, max: 70 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));

/** One random instruction slot (or an LD_IMM64 pair); jumps are filled in afterwards. */
const insnArb: fc.Arbitrary<Instruction[]> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ cls: fc.constantFrom(Class.ALU, Class.ALU64), op: fc.constantFrom(...ALU_OPS), x: fc.boolean(), d: reg, s: reg, imm, signed: fc.boolean(), ext: fc.constantFrom(8, 16, 32), w: fc.constantFrom(16, 32, 64) }).map(({ cls, op, x, d, s, imm: k, signed, ext, w }) => {
    if (op === AluOp.NEG) return [{ opcode: cls | op, dst: d, src: 0, off: 0, imm: 0 }];
    if (op === AluOp.END) return [{ opcode: cls | op | (cls === Class.ALU && x ? Source.X : 0), dst: d, src: 0, off: 0, imm: w }];
    const off = (op === AluOp.DIV || op === AluOp.MOD) && signed ? 1 : op === AluOp.MOV && x && signed ? (cls === Class.ALU && ext === 32 ? 8 : ext) : 0;
    return [{ opcode: cls | op | (x ? Source.X : 0), dst: d, src: x ? s : 0, off, imm: x ? 0 : k }];
  }) },
  { weight: 2, arbitrary: fc.record({ d: reg, lo: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), hi: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }).map(({ d, lo, hi }) => [
    { opcode: Class.LD | Mode.IMM | Size.DW, dst: d, src: 0, off: 0, imm: lo },
    { opcode: 0, dst: 0, src: 0, off: 0, imm: hi },
  ]) },
  // Loads and stores relative to the context (r1 copy in r9) or the stack, sometimes out of bounds.
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('ldx', 'st', 'stx', 'ldsx', 'atomic'), base: fc.constantFrom(9, 10), size: fc.constantFrom(...SIZES), off: fc.integer({ min: -520, max: 70 }), d: reg, s: reg, imm, aop: fc.constantFrom(AtomicOp.ADD, AtomicOp.OR | AtomicOp.FETCH, AtomicOp.XCHG, AtomicOp.CMPXCHG, AtomicOp.XOR) }).map(({ kind, base, size, off, d, s, imm: k, aop }) => {
    if (kind === 'ldx' || kind === 'ldsx') return [{ opcode: Class.LDX | (kind === 'ldsx' && size !== Size.DW ? Mode.MEMSX : Mode.MEM) | size, dst: d === 9 ? 8 : d, src: base, off, imm: 0 }];
    if (kind === 'st') return [{ opcode: Class.ST | Mode.MEM | size, dst: base, src: 0, off, imm: k }];
    if (kind === 'atomic') return [{ opcode: Class.STX | Mode.ATOMIC | (size === Size.W ? Size.W : Size.DW), dst: base, src: s === 9 ? 8 : s, off, imm: aop }];
    return [{ opcode: Class.STX | Mode.MEM | size, dst: base, src: s, off, imm: 0 }];
  }) },
  { weight: 2, arbitrary: fc.record({ cls: fc.constantFrom(Class.JMP, Class.JMP32), op: fc.constantFrom(...JMP_OPS), x: fc.boolean(), d: reg, s: reg, imm, back: fc.boolean() }).map(({ cls, op, x, d, s, imm: k, back }) => [
    // off is a placeholder: 1 = forward, -1 = backward; fixed up by the program builder.
    { opcode: cls | op | (x ? Source.X : 0), dst: d, src: x ? s : 0, off: back ? -1 : 1, imm: x ? 0 : k },
  ]) },
  { weight: 1, arbitrary: fc.constantFrom(5, 7, 8, 14).map((id) => [{ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: 0, off: 0, imm: id }]) },
);

/** A program: r9 = ctx, random body, exit; jumps land on instruction starts inside the body. */
const programArb = fc.tuple(fc.array(insnArb, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { minLength: 40, maxLength: 40 })).map(([groups, picks]) => {
  const body: Instruction[] = [{ opcode: Class.ALU64 | AluOp.MOV | Source.X, dst: 9, src: 1, off: 0, imm: 0 }];
  const starts: number[] = [];
  for (const g of groups) {
    starts.push(body.length);
    body.push(...g.map((i) => ({ ...i })));
  }
  const exitAt = body.length;
  body.push({ opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 });
  starts.forEach((pc, i) => {
    const insn = body[pc]!;
    const cls = insn.opcode & 7;
    if ((cls !== Class.JMP && cls !== Class.JMP32) || (insn.opcode & 0xf0) === JmpOp.CALL || (insn.opcode & 0xf0) === JmpOp.EXIT) return;
    const candidates = insn.off > 0 ? [...starts.filter((s) => s > pc), exitAt] : starts.filter((s) => s <= pc);
    const target = candidates[picks[i % picks.length]! % candidates.length]!;
    insn.off = target - pc - 1;
  });
  return body;
});

function run(insns: Instruction[], engine: Engine, ctx: Uint8Array): { r0?: string; error?: string; ctx: string } {
  const mem = ctx.slice();
  try {
    const p = new Program(encode(insns), { engine, budget: 2000, seed: 7 });
    let t = 1_000;
    p.env = { cpu: 1, pid: 42, tgid: 40, uid: 0, gid: 0, comm: 'fio', ktimeNs: () => (t += 1_000) };
    p.run(mem);
    return { r0: p.r0.toString(16), ctx: Buffer.from(mem).toString('hex') };
  } catch (e) {
    const msg = (e as Error).message;
    // The JIT charges the budget per basic block, so where the budget runs out may differ by a few instructions.
    return { error: /budget/.test(msg) ? 'budget' : msg, ctx: /budget/.test(msg) ? '' : Buffer.from(mem).toString('hex') };
  }
}

describe('JIT and interpreter agree', () => {
  it('on random programs and contexts (results, memory, traps)', () => {
    fc.assert(
      fc.property(programArb, fc.uint8Array({ minLength: 64, maxLength: 64 }), (insns, ctx) => {
        expect(run(insns, 'jit', ctx)).toEqual(run(insns, 'interpreter', ctx));
      }),
      { numRuns: 3000, seed: 20261125 },
    );
  });

  it('the generator makes programs that trap and programs that finish', () => {
    const outcomes = new Set<string>();
    let refused = 0;
    fc.assert(
      fc.property(programArb, fc.uint8Array({ minLength: 64, maxLength: 64 }), (insns, ctx) => {
        const r = run(insns, 'interpreter', ctx);
        if (r.error && !/outside the memory|budget/.test(r.error)) refused++;
        outcomes.add(r.error === undefined ? 'ok' : r.error === 'budget' ? 'budget' : 'fault');
      }),
      { numRuns: 500, seed: 1 },
    );
    expect([...outcomes].sort()).toEqual(['budget', 'fault', 'ok']);
    // Nearly every generated program passes the load checks, so the comparison above runs code.
    expect(refused).toBeLessThan(25);
  });
});

describe('helpers that read the run environment', () => {
  it.each(['interpreter', 'jit'] as Engine[])('%s: return the environment, and a replaced implementation is the one called', (engine) => {
    const run = (id: number, program?: Program): [Program, bigint] => {
      const p = program ?? new Program(assemble(`call ${id}\nexit`), { engine });
      p.env = { ...DEFAULT_ENVIRONMENT, cpu: 3, pid: 4242, tgid: 4200, ktimeNs: () => 2 ** 40 + 5 };
      p.run();
      return [p, p.r0];
    };
    expect(run(5)[1]).toBe(2n ** 40n + 5n);
    expect(run(8)[1]).toBe(3n);
    expect(run(14)[1]).toBe((4200n << 32n) | 4242n);
    const [ktime] = run(5);
    ktime.setHelper(5, (c) => {
      c.retLo = 7;
      c.retHi = 1;
    });
    expect(run(5, ktime)[1]).toBe((1n << 32n) | 7n);
  });
});
