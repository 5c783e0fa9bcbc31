// Hostile programs: out-of-bounds accesses, wild jumps, endless loops, deep calls, bad helpers — each a clean error.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/shared.js';
import { parseDataFile, programOf } from './conformance.js';
import { assemble, assembleBytes } from './isa/asm.js';
import { disassemble } from './isa/disasm.js';
import { encode } from './isa/instruction.js';
import { BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_RINGBUF, consumeRing, createMap, type HashMap, type RingBufMap } from './maps/index.js';
import { Program, type Engine } from './program.js';

const ENGINES: Engine[] = ['interpreter', 'jit'];

function fails(asm: string, engine: Engine, ctx?: Uint8Array): string {
  try {
    const p = new Program(assemble(asm), { engine, budget: 100_000 });
    p.run(ctx);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('ran without error');
}

describe.each(ENGINES)('hostile programs (%s)', (engine) => {
  it('a load past the context names the instruction and the address', () => {
    expect(fails('ldxdw %r0, [%r1+60]\nexit', engine, new Uint8Array(64))).toBe('insn 0: load of 8 bytes at 0x90000003c is outside the memory given to the program');
  });
  it('a store below the stack frame is refused', () => {
    expect(fails('mov %r0, 0\nstdw [%r10-520], 1\nexit', engine)).toMatch(/^insn 1: store of 8 bytes at 0xfffffff8 is outside/);
  });
  it('a read through a kernel address is refused (only probe_read may read it)', () => {
    expect(fails('lddw %r1, 0xffff888012345678\nldxdw %r0, [%r1]\nexit', engine)).toMatch(/^insn 2: load of 8 bytes at 0xffff888012345678/);
  });
  it('a pointer forged from a number cannot reach the stack of another frame', () => {
    expect(fails('lddw %r1, 0x200000000\nldxb %r0, [%r1]\nexit', engine)).toBe('insn 2: load of 1 bytes at 0x200000000 is outside the memory given to the program');
  });
  it('a store into a read-only context is refused', () => {
    const p = new Program(assemble('stb [%r1], 1\nmov %r0, 0\nexit'), { engine, ctxWritable: false });
    expect(() => p.run(new Uint8Array(8))).toThrow('insn 0: store of 1 bytes at 0x900000000: ctx is read only');
  });
  it('an endless loop runs out of its budget', () => {
    expect(fails('mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit', engine)).toMatch(/instruction budget of 100000 exceeded/);
  });
  it('unbounded recursion stops at 8 frames', () => {
    expect(fails('f:\ncall local f\nexit', engine)).toMatch(/call stack too deep: more than 8 frames/);
  });
  it('callx of an unknown helper is a clean error', () => {
    expect(fails('mov %r2, 999\ncall %r2\nexit', engine)).toBe('insn 1: call to unknown helper 999');
  });
  it('a map helper given a non-map is a clean error', () => {
    expect(fails('mov %r1, %r10\nmov %r2, %r10\ncall 1\nexit', engine)).toMatch(/^insn 2: argument 1 \(0x1000002\d\d\) is not a map/);
  });
});

describe('load checks refuse wild programs', () => {
  it.each([
    ['ja +5\nexit', 'insn 0: jump out of range from insn 0 to 6'],
    // The lddw is never reached: the kernel says so before it says where the jump lands.
    ['ja +1\nlddw %r0, 1\nexit', 'insn 1: unreachable insn 1'],
    ['jeq %r1, 0, +1\nlddw %r0, 1\nexit', 'insn 1: jump into the middle of ldimm64 insn 1'],
    ['mov %r0, 1', 'insn 0: program does not end with EXIT or unconditional jump'],
    ['mov %r10, 1\nexit', 'insn 0: frame pointer is read only'],
    ['call 9999\nexit', 'insn 0: invalid func unknown#9999'],
    // A helper the kernel has (Linux 6.18's bpf_func_id) and the VM does not: said by its name.
    ['call 109\nexit', "insn 0: helper bpf_send_signal#109 is not implemented by viotrace's VM"],
  ])('%j', (asm, error) => {
    expect(() => new Program(assemble(asm))).toThrow(error);
  });
});

describe('helpers with kernel semantics', () => {
  it('map helpers update and look up a hash map; the ring buffer gets a record', () => {
    const env = { possibleCpus: 2 };
    const counts = createMap({ name: 'counts', type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 16 }, env) as HashMap;
    const events = createMap({ name: 'events', type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }, env) as RingBufMap;
    // `lddw %rN, MAP` below is turned into a map reference (src 1, imm = map index), as the loader does.
    const insns = assemble(`
      stw [%r10-4], 7
      stdw [%r10-16], 5
      lddw %r1, 0
      mov %r2, %r10
      add %r2, -4
      mov %r3, %r10
      add %r3, -16
      mov %r4, 0
      call 2
      lddw %r1, 0
      mov %r2, %r10
      add %r2, -4
      call 1
      jeq %r0, 0, out
      mov %r1, 10
      lock add [%r0+0], %r1
      mov %r6, %r0
      lddw %r1, 1
      mov %r2, 16
      mov %r3, 0
      call 131
      jeq %r0, 0, out
      ldxdw %r7, [%r6+0]
      stxdw [%r0+0], %r7
      stdw [%r0+8], 42
      mov %r1, %r0
      mov %r2, 0
      call 132
      mov %r0, 1
      exit
      out:
      mov %r0, 0
      exit`).map((i) => (i.opcode === 0x18 ? { ...i, src: 1 } : i));
    for (const engine of ENGINES) expect(new Program(encode(insns), { engine, maps: [counts, events] }).run()).toBe(1);
    expect(counts.lookup(Uint8Array.of(7, 0, 0, 0))).toEqual(Uint8Array.of(15, 0, 0, 0, 0, 0, 0, 0));
    const seen: bigint[][] = [];
    consumeRing(events, (d: Uint8Array, off: number) => {
      const v = new DataView(d.buffer, d.byteOffset + off);
      seen.push([v.getBigUint64(0, true), v.getBigUint64(8, true)]);
      return 0;
    });
    // Each engine's run updates the value to 5, adds 10, and emits it.
    expect(seen).toEqual([[15n, 42n], [15n, 42n]]);
  });

  it('probe_read_kernel reads simulated memory, and zeroes the destination with -EFAULT where nothing is mapped', () => {
    const p = new Program(assemble(`
      mov %r1, %r10
      add %r1, -8
      mov %r2, 8
      lddw %r3, 0xffff888000001000
      call 113
      mov %r6, %r0
      ldxdw %r7, [%r10-8]
      mov %r1, %r10
      add %r1, -16
      mov %r2, 8
      lddw %r3, 0xffff888000009000
      call 113
      ldxdw %r8, [%r10-16]
      add %r0, %r6
      add %r0, %r8
      add %r0, %r7
      exit`));
    p.env = {
      cpu: 0, pid: 1, tgid: 1, uid: 0, gid: 0, comm: 'x', ktimeNs: () => 0,
      readMemory: (space, lo, hi, dst, off, len) => {
        if (space !== 'kernel' || hi >>> 0 !== 0xffff8880 || lo !== 0x1000) return false;
        dst.fill(3, off, off + len);
        return true;
      },
    };
    p.run();
    // 0 (ok) + -14 (EFAULT) + 0 (zeroed) + 0x0303030303030303
    expect(p.r0).toBe(0x0303030303030303n - 14n);
  });
});

describe('disassembler', () => {
  it('reassembles every conformance program to the same bytes', () => {
    const dir = sharedPath('conformance', 'bpf_conformance', 'tests');
    let n = 0;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.data'))) {
      const c = parseDataFile(readFileSync(join(dir, f), 'utf8'));
      const insns = programOf(c);
      const text = disassemble(insns).map((l) => l.text).join('\n');
      expect(Buffer.from(assembleBytes(text)).toString('hex'), f).toBe(Buffer.from(encode(insns)).toString('hex'));
      n++;
    }
    expect(n).toBeGreaterThan(300);
  });
});
