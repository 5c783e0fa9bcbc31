// The verifier against its corpus (refusals with their messages, acceptances), the shipped objects, and random programs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/index.js';
import { readElf } from '../elf/index.js';
import { assemble } from '../isa/asm.js';
import type { Instruction } from '../isa/instruction.js';
import { loadObject } from '../object/index.js';
import { Program, type Engine } from '../program.js';
import { VmError } from '../memory.js';
import { COMPLEXITY_LIMIT_INSNS, contextFor, mapSpec, rememberedVerdict, verify, verifyInSlices, VerifierError } from './index.js';
import { check, corpusMaps, ctxOf, readCorpus } from './testdata/corpus.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

const corpus = readCorpus();

describe('verifier corpus', () => {
  it('has refusals and acceptances', () => {
    expect(corpus.filter((c) => c.expect === 'accept').length).toBeGreaterThanOrEqual(15);
    expect(corpus.filter((c) => c.expect !== 'accept').length).toBeGreaterThanOrEqual(45);
    // Each name once: the kernel test and the tools that rewrite an expectation find a case by it.
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });
  it.each(corpus.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const maps = corpusMaps();
    const insns = assemble(c.asm);
    expect(check(insns, maps, ctxOf(c.ctx), c.limit)).toBe(c.expect);
    if (c.expect !== 'accept') return;
    // An accepted program runs, on both engines, without touching memory it was not given.
    for (const engine of ['interpreter', 'jit'] as Engine[]) {
      const prog = new Program(insns, { maps, engine, ctxWritable: false });
      const ctx = c.ctx === 'none' ? undefined : new Uint8Array(ctxOf(c.ctx)!.size);
      expect(() => prog.run(ctx)).not.toThrow();
    }
  });
});

describe('verifier log', () => {
  it('names the instruction, shows the path and the registers', () => {
    const insns = assemble(['stdw [%r10-8], 0', 'mov %r2, %r10', 'add %r2, -8', 'lddw %r1, map[0]', 'call 1', 'ldxdw %r0, [%r0+0]', 'exit'].join('\n'));
    try {
      verify(insns, { ctx: contextFor('kprobe'), maps: corpusMaps().map((m, i) => mapSpec(`m${i}`, m)) });
      expect.unreachable();
    } catch (e) {
      const err = e as VerifierError;
      expect(err.pc).toBe(6);
      expect(err.log).toContain('5: call 1');
      expect(err.log).toMatch(/R0=map_value_or_null\(map=0,off=0,id=\d+\)/);
      expect(err.log.split('\n').at(-2)).toBe("R0 invalid mem access 'map_value_or_null'");
      expect(err.log.split('\n').at(-1)).toMatch(/^processed 6 insns \(limit 1000000\)/);
      expect(err.processed).toBe(6);
    }
  });

  it('shows the failing path alone, from its entry, as the kernel\'s log level 1 does: the paths walked before it and the pruned ones left out', () => {
    // The fall-through path exits; the branch's, walked after it, loads through a number.
    const insns = assemble(['ldxdw %r6, [%r1+0]', 'mov %r0, 0', 'jgt %r6, 3, +1', 'exit', 'ldxdw %r0, [%r6+0]', 'exit'].join('\n'));
    const log = (p: Instruction[]): string[] => {
      try {
        verify(p, { ctx: contextFor('kprobe'), maps: [] });
      } catch (e) {
        return (e as VerifierError).log.split('\n');
      }
      return expect.unreachable();
    };
    const lines = log(insns);
    // Each with the registers it touched, as they were after it, and a branch taken after the
    // other was walked with the whole state it goes on from: as the kernel's log level 1 shows them.
    expect(lines.slice(0, -3)).toEqual([
      '0: ldxdw %r6, [%r1+0]\t; R1=ctx() R6=scalar()', '1: mov %r0, 0x0\t; R0=0', '2: jgt %r6, 0x3, +1\t4: R0=0 R1=ctx() R6=scalar(umin=4) R10=fp0', '4: ldxdw %r0, [%r6+0]',
    ]);
    expect(lines.at(-2)).toBe("R6 invalid mem access 'scalar'");
    // A second fork (at 8) is pruned at 16 (a checkpoint after 2 jumps and 8 instructions), then the first's path fails.
    const pruned = assemble([
      'ldxdw %r6, [%r1+0]', 'mov %r0, 0', 'mov %r2, 0', 'mov %r3, 0', 'mov %r4, 0', 'mov %r5, 0', 'ja +0', // 0-6
      'jgt %r6, 3, +10', 'jgt %r6, 5, +7', 'mov %r7, 0', 'mov %r2, 1', 'mov %r3, 1', 'mov %r4, 1', 'mov %r5, 1', 'mov %r8, 1', 'ja +0', // 7-15
      'mov %r0, 0', 'exit', 'ldxdw %r0, [%r6+0]', 'exit', // 16-19
    ].join('\n'));
    expect(log(pruned).slice(0, -3).map((l) => Number(/^\d+/.exec(l)![0]))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 18]);
  });

  it('summarises what it processed', () => {
    const v = verify(assemble('mov %r0, 0\nmov %r6, 0\nl: add %r6, 1\njlt %r6, 10, l\nexit'), { ctx: contextFor('kprobe'), maps: [] });
    expect(v.processed).toBe(2 + 10 * 2 + 1);
    expect(v.log).toMatch(/^processed 23 insns \(limit 1000000\)/);
  });
});

describe('the shipped objects', () => {
  const btf = parseBtf(readFileSync(here('../../../bpf/btf/linux-6.18.min.btf')), 'linux-6.18.min.btf');
  for (const file of ['guest.bpf.o', 'host.bpf.o']) {
    it(`verifies every program of ${file}, within the tracepoint record sizes`, () => {
      const obj = loadObject(readFileSync(here(`../../../bpf/${file}`)), file, { possibleCpus: 2, targetBtf: btf });
      const specs = obj.maps.map(({ name, map }) => mapSpec(name, map));
      for (const p of obj.programs) {
        const v = verify(p.insns, { ctx: contextFor(p.kind), maps: specs, lines: p.lines });
        expect(v.processed, p.name).toBeGreaterThanOrEqual(p.insns.length / 2);
        if (p.kind === 'tracepoint') expect(v.maxCtxOffset, p.name).toBeLessThanOrEqual(64);
      }
    });
  }

  it('verifies in slices with the event loop let run in between: the same verdict, remembered for verify; a stop gives up', async () => {
    // 100,004 instructions to walk, as on Linux 6.18: many slices.
    const obj = loadObject(readFileSync(here('../../../bpf/testdata/loops.bpf.o')), 'loops.bpf.o', { possibleCpus: 2 });
    const p = obj.program('long_bounded')!;
    // A limit of its own: a verdict no other test has remembered.
    const opts = { ctx: contextFor(p.kind), maps: obj.maps.map(({ name, map }) => mapSpec(name, map)), maxProcessed: COMPLEXITY_LIMIT_INSNS - 1 };
    let turns = 0;
    let walking = true;
    const turn = (): void => {
      turns++;
      if (walking) setImmediate(turn);
    };
    setImmediate(turn);
    expect(rememberedVerdict(p.insns, opts)).toBeUndefined();
    expect(await verifyInSlices(p.insns, opts, () => false, 5)).toBe(true);
    walking = false;
    expect(turns).toBeGreaterThan(3);
    // verify answers with the acceptance the slices reached, not a walk of its own.
    const sliced = rememberedVerdict(p.insns, opts);
    expect(sliced).toBeDefined();
    const remembered = verify(p.insns, opts);
    expect(remembered).toBe(sliced);
    const walked = verify(p.insns, { ...opts, maxProcessed: COMPLEXITY_LIMIT_INSNS - 2 });
    expect(remembered.processed).toBe(walked.processed);
    expect(remembered.stackDepth).toEqual(walked.stackDepth);
    expect(await verifyInSlices(p.insns, { ...opts, maxProcessed: COMPLEXITY_LIMIT_INSNS - 3 }, () => true, 1)).toBe(false);
  });
});

describe('long loops', () => {
  // Before, every iteration's open checkpoint stayed in its instruction's list and each visit compared
  // against all of them: these two ran for minutes instead of reaching the budget.
  const obj = loadObject(readFileSync(here('../../../bpf/testdata/loops.bpf.o')), 'loops.bpf.o', { possibleCpus: 2 });
  const verdict = (name: string): string => {
    const p = obj.program(name)!;
    try {
      return `verified, processed ${verify(p.insns, { ctx: contextFor(p.kind), maps: [], lines: p.lines }).processed}`;
    } catch (e) {
      if (e instanceof VerifierError) return e.message;
      throw e;
    }
  };
  it('walks a short loop', () => {
    expect(verdict('bounded')).toBe('verified, processed 33');
  });
  it.each(['unbounded', 'too_long'])('refuses %s at the 1,000,000-instruction budget', (name) => {
    expect(verdict(name)).toMatch(/^insn \d+: BPF program is too large\. Processed 1000001 insn$/);
  }, 30_000);
});

describe('context pointers', () => {
  // The kernel refuses a context load through a pointer moved by a constant (CO-RE leaves &regs->di
  // as ctx + 112 in a register); it was accepted here, so an object viotrace ran failed to load.
  it('refuses a load through a moved ctx pointer, as Linux 6.18 does', () => {
    const bytes = readFileSync(here('../../../bpf/testdata/ctx_offset.bpf.o'));
    // The object's own BTF has x86's struct pt_regs, the target its CO-RE pt_regs___core resolves to.
    const targetBtf = parseBtf(readElf(bytes, 'ctx_offset.bpf.o').section('.BTF')!.data, 'ctx_offset.bpf.o');
    const obj = loadObject(bytes, 'ctx_offset.bpf.o', { possibleCpus: 2, targetBtf });
    const verdict = (name: string): () => unknown => () => verify(obj.program(name)!.insns, { ctx: contextFor('kprobe'), maps: [] });
    expect(verdict('arg_first')).not.toThrow();
    expect(verdict('arg_sum')).toThrow('insn 4: dereference of modified ctx ptr R3 off=112 disallowed');
  });
});

/** Random programs from a small grammar that often verifies: whatever verifies must run without faults. */
describe('verified programs are memory-safe', () => {
  const reg = fc.integer({ min: 0, max: 9 });
  const stackOff = fc.integer({ min: -24, max: -1 });
  const size = fc.constantFrom('b', 'h', 'w', 'dw');
  const line = fc.oneof(
    fc.tuple(reg, fc.integer({ min: -64, max: 64 })).map(([r, k]) => `mov %r${r}, ${k}`),
    fc.tuple(reg, reg).map(([a, b]) => `mov %r${a}, %r${b}`),
    fc.tuple(fc.constantFrom('add', 'sub', 'and', 'or', 'lsh', 'rsh', 'mul'), reg, fc.integer({ min: 0, max: 70 })).map(([op, r, k]) => `${op} %r${r}, ${k}`),
    fc.tuple(fc.constantFrom('add', 'sub', 'and'), reg, reg).map(([op, a, b]) => `${op} %r${a}, %r${b}`),
    fc.tuple(reg, fc.integer({ min: -24, max: 0 })).map(([r, k]) => `mov %r${r}, %r10\nadd %r${r}, ${k}`),
    fc.tuple(size, reg, stackOff).map(([s, r, o]) => `stx${s} [%r10${o}], %r${r}`),
    fc.tuple(size, reg, reg, fc.integer({ min: -16, max: 16 })).map(([s, d, p, o]) => `ldx${s} %r${d}, [%r${p}${o < 0 ? o : `+${o}`}]`),
    fc.tuple(size, reg, reg, fc.integer({ min: -16, max: 16 })).map(([s, d, p, o]) => `stx${s} [%r${d}${o < 0 ? o : `+${o}`}], %r${p}`),
    fc.tuple(reg, fc.integer({ min: 0, max: 200 })).map(([r, o]) => `ldxdw %r${r}, [%r1+${o}]`),
    fc.constant('stdw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -8\nlddw %r1, map[1]\ncall 1'),
    fc.constant('stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map[1]\ncall 1'),
    fc.tuple(reg, fc.integer({ min: 0, max: 70 }), fc.integer({ min: 1, max: 3 })).map(([r, k, skip]) => `jgt %r${r}, ${k}, +${skip}`),
    fc.tuple(reg, fc.integer({ min: 1, max: 3 })).map(([r, skip]) => `jeq %r${r}, 0, +${skip}`),
    fc.tuple(reg).map(([r]) => `ldxb %r${r}, [%r0+${r * 7}]`),
  );
  // Registers start as small numbers (r1 stays the context) so that paths get past their first read.
  const PROLOGUE = [0, 2, 3, 4, 5, 6, 7, 8, 9].map((r) => `mov %r${r}, ${r * 3}\n`).join('');
  it('never lets an accepted program fault', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 24 }), (lines) => {
        const text = `${PROLOGUE}${lines.join('\n')}\nja +0\nja +0\nja +0\nmov %r0, 0\nexit`;
        let insns: Instruction[];
        try {
          insns = assemble(text);
        } catch {
          return;
        }
        const maps = corpusMaps();
        if (check(insns, maps, contextFor('kprobe')) !== 'accept') return;
        accepted++;
        for (const engine of ['interpreter', 'jit'] as Engine[]) {
          const prog = new Program(insns, { maps, engine, ctxWritable: false });
          try {
            prog.run(new Uint8Array(168).fill(0x5a));
          } catch (e) {
            if (e instanceof VmError) throw new Error(`verified program faulted: ${e.message}\n${text}`);
            throw e;
          }
        }
      }),
      { numRuns: 3000, seed: 9669 },
    );
    // The grammar must produce enough accepted programs for the property to mean something.
    expect(accepted).toBeGreaterThan(400);
  });
});

describe('stack spills of every size, and array lookups that cannot fail', () => {
  /** The verdict on `body`, then a branch to a NULL dereference taken unless r1 is 5. */
  const knowsFive = (body: string[]): string => {
    const text = [...body, 'jeq %r1, 5, +2', 'mov %r2, 0', 'ldxdw %r0, [%r2+0]', 'mov %r0, 0', 'exit'].join('\n');
    try {
      verify(assemble(text), { ctx: contextFor('kprobe'), maps: [] });
      return 'knows';
    } catch (e) {
      if (e instanceof VerifierError) return e.reason;
      throw e;
    }
  };
  it('fills back a scalar spilled at the start of a slot with its value, at the size it was stored and narrower, as the kernel does', () => {
    expect(knowsFive(['mov %r3, 5', 'stxw [%r10-8], %r3', 'ldxw %r1, [%r10-8]'])).toBe('knows');
    expect(knowsFive(['stw [%r10-8], 5', 'ldxw %r1, [%r10-8]'])).toBe('knows');
    expect(knowsFive(['stdw [%r10-16], 5', 'ldxdw %r1, [%r10-16]'])).toBe('knows');
    expect(knowsFive(['mov %r3, 0x10005', 'stxw [%r10-8], %r3', 'ldxh %r1, [%r10-8]'])).toBe('knows');
    // Not at a slot's start, or read wider than stored: plain data.
    expect(knowsFive(['mov %r3, 5', 'stxw [%r10-4], %r3', 'ldxw %r1, [%r10-4]'])).toMatch(/invalid mem access 'scalar'/);
    expect(knowsFive(['mov %r3, 5', 'stxw [%r10-8], %r3', 'stw [%r10-4], 0', 'ldxdw %r1, [%r10-8]'])).toMatch(/invalid mem access 'scalar'/);
  });
  it('refuses a pointer stored into the stack in fewer than 8 bytes', () => {
    expect(() => verify(assemble('mov %r3, %r10\nstxw [%r10-8], %r3\nmov %r0, 0\nexit'), { ctx: contextFor('kprobe'), maps: [] })).toThrow(/invalid size of register spill/);
  });

  /** Each program's verdict: its processed count, or where and why it is refused. */
  const verdicts = (file: string): string[] => {
    const obj = loadObject(readFileSync(here(`../../../bpf/testdata/${file}`)), file, { possibleCpus: 2 });
    const maps = obj.maps.map(({ name, map }) => mapSpec(name, map));
    return obj.programs.map((p) => {
      try {
        return `${p.name}: processed ${verify(p.insns, { ctx: contextFor(p.kind), maps }).processed}`;
      } catch (e) {
        if (e instanceof VerifierError) return `${p.name}: ${e.message}`;
        throw e;
      }
    });
  };
  it("takes an array lookup with a known key below max_entries to return a value, in Linux 6.18's processed counts", () => {
    expect(verdicts('array_const_key.bpf.o')).toEqual(['zero_key: processed 11', 'second_key: processed 19', 'scratch_slot: processed 15', 'checked_key: processed 13']);
  });
  it('keeps the NULL check for a key of max_entries, a key stored at fp-4, and any hash map', () => {
    expect(verdicts('array_key_reject.bpf.o')).toEqual(["past_the_end: insn 16: R0 invalid mem access 'map_value_or_null'"]);
    expect(verdicts('array_key_unaligned_reject.bpf.o')).toEqual(["unaligned_key: insn 8: R0 invalid mem access 'map_value_or_null'"]);
    expect(verdicts('hash_key_reject.bpf.o')).toEqual(["hash_zero_key: insn 7: R0 invalid mem access 'map_value_or_null'"]);
  });
});
