// Differential tests of helper calls: the JIT's call-site fast paths (maps named by ld_imm64, stack arguments, probe reads, ring buffers) against the interpreter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, type Instruction } from './isa/instruction.js';
import { AluOp, Class, JmpOp, Mode, Size, Source } from './isa/opcodes.js';
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_RINGBUF, createMap,
  PerfEventArrayMap, RingBufMap, type AnyMap,
} from './maps/index.js';
import { DEFAULT_ENVIRONMENT, Program, type Engine } from './program.js';

const I = (opcode: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ opcode, dst, src, off, imm });
const mov = (d: number, k: number): Instruction => I(Class.ALU64 | AluOp.MOV | Source.K, d, 0, 0, k);
const movx = (d: number, s: number): Instruction => I(Class.ALU64 | AluOp.MOV | Source.X, d, s);
const add = (d: number, k: number): Instruction => I(Class.ALU64 | AluOp.ADD | Source.K, d, 0, 0, k);
const ldMap = (d: number, i: number): Instruction[] => [I(Class.LD | Mode.IMM | Size.DW, d, 1, 0, i), I(0)];
const call = (id: number): Instruction => I(Class.JMP | JmpOp.CALL, 0, 0, 0, id);
/** r7 += r0 (the program's result folds every helper's return). */
const fold = I(Class.ALU64 | AluOp.ADD | Source.X, 7, 0);

/** The maps each run starts from: hash, LRU hash, per-CPU hash, array, ring buffer. */
function freshMaps(): AnyMap[] {
  const env = { possibleCpus: 2 };
  return [
    createMap({ name: 'h', type: BPF_MAP_TYPE_HASH, keySize: 8, valueSize: 16, maxEntries: 4 }, env),
    createMap({ name: 'lru', type: BPF_MAP_TYPE_LRU_HASH, keySize: 8, valueSize: 8, maxEntries: 3 }, env),
    createMap({ name: 'pc', type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 4 }, env),
    createMap({ name: 'a', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, env),
    createMap({ name: 'rb', type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }, env),
  ];
}

const stackOff = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -40, max: -1 }) }, { weight: 1, arbitrary: fc.integer({ min: -530, max: 8 }) });
const mapIndex = fc.integer({ min: 0, max: 4 });

/** One snippet: a store to the stack, a map call, a probe read, a ring-buffer record. */
const snippet: fc.Arbitrary<Instruction[]> = fc.oneof(
  fc.record({ off: fc.integer({ min: -48, max: -1 }), v: fc.integer({ min: 0, max: 255 }) }).map(({ off, v }) => [I(Class.ST | Mode.MEM | Size.B, 10, 0, off, v)]),
  fc.record({ off: fc.integer({ min: -6, max: -1 }), v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }).map(({ off, v }) => [I(Class.ST | Mode.MEM | Size.DW, 10, 0, off * 8, v)]),
  // map_lookup_elem, then a read of the value when there is one (a pointer from the fast path must work).
  fc.record({ m: mapIndex, k: stackOff }).map(({ m, k }) => [...ldMap(1, m), movx(2, 10), add(2, k), call(1), fold,
    I(Class.JMP | JmpOp.JEQ | Source.K, 0, 0, 1, 0), I(Class.LDX | Mode.MEM | Size.B, 6, 0, 0)]),
  fc.record({ m: mapIndex, k: stackOff, v: stackOff, flags: fc.integer({ min: 0, max: 3 }) }).map(({ m, k, v, flags }) => [
    ...ldMap(1, m), movx(2, 10), add(2, k), movx(3, 10), add(3, v), mov(4, flags), call(2), fold]),
  fc.record({ m: mapIndex, k: stackOff }).map(({ m, k }) => [...ldMap(1, m), movx(2, 10), add(2, k), call(3), fold]),
  // A key that is not on the stack: the context (r9), or a value a lookup returned (r6 after it).
  fc.record({ m: mapIndex, ctxOff: fc.integer({ min: -2, max: 66 }) }).map(({ m, ctxOff }) => [...ldMap(1, m), movx(2, 9), add(2, ctxOff), call(1), fold]),
  fc.record({ dst: stackOff, len: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.constant(600)), src: fc.constantFrom('ctx', 'mem', 'bad'), srcOff: fc.integer({ min: -4, max: 70 }), id: fc.constantFrom(4, 112, 113) })
    .map(({ dst, len, src, srcOff, id }) => [movx(1, 10), add(1, dst), mov(2, len),
      ...(src === 'ctx' ? [movx(3, 9), add(3, srcOff)] : [I(Class.LD | Mode.IMM | Size.DW, 3, 0, 0, (src === 'mem' ? 0x1000 : 0x9000) + srcOff), I(0, 0, 0, 0, 0x7f00)]),
      call(id), fold]),
  // ringbuf_reserve, write into the record when there is one, submit (or discard) it.
  fc.record({ m: mapIndex, size: fc.integer({ min: 0, max: 40 }), discard: fc.boolean() }).map(({ m, size, discard }) => [
    ...ldMap(1, m), mov(2, size), mov(3, 0), call(131), I(Class.JMP | JmpOp.JEQ | Source.K, 0, 0, 4, 0),
    I(Class.ST | Mode.MEM | Size.B, 0, 0, 0, 0x5a), movx(1, 0), mov(2, 0), call(discard ? 133 : 132)]),
);

const programArb = fc.array(snippet, { minLength: 1, maxLength: 16 }).map((parts) => [
  movx(9, 1), mov(7, 0), ...parts.flat(), movx(0, 7), I(Class.JMP | JmpOp.EXIT),
]);

/** User/kernel memory the probe reads may reach: 64 bytes at 0x7f00_00001000. */
const simulated = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff);

function run(insns: Instruction[], engine: Engine, ctx: Uint8Array): unknown {
  const maps = freshMaps();
  const mem = ctx.slice();
  let outcome: unknown;
  try {
    const p = new Program(encode(insns), { engine, maps, budget: 5000 });
    p.env = {
      ...DEFAULT_ENVIRONMENT, cpu: 1,
      readMemory: (_space, lo, hi, dst, off, len) => {
        const at = (lo >>> 0) - 0x1000;
        if (hi !== 0x7f00 || at < 0 || at + len > simulated.length) return false;
        dst.set(simulated.subarray(at, at + len), off);
        return true;
      },
    };
    p.run(mem);
    outcome = p.r0.toString(16);
  } catch (e) {
    outcome = (e as Error).message;
  }
  const contents = maps.map((m) => (m instanceof RingBufMap ? [m.producerPos, m.dropped, Buffer.from(m.dataArea.subarray(0, 512)).toString('hex')] : !('entries' in m) ? [] : [...m.entries()].map(([k, v]) => Buffer.from(k).toString('hex') + ':' + Buffer.from(v).toString('hex'))));
  return { outcome, ctx: Buffer.from(mem).toString('hex'), contents };
}

describe('helper calls: JIT and interpreter agree', () => {
  it('on random map, probe-read and ring-buffer calls (results, maps, memory, faults)', () => {
    fc.assert(
      fc.property(programArb, fc.uint8Array({ minLength: 64, maxLength: 64 }), (insns, ctx) => {
        expect(run(insns, 'jit', ctx)).toEqual(run(insns, 'interpreter', ctx));
      }),
      { numRuns: 1500, seed: 20261203 },
    );
  });

  it('the generator reaches successes and faults', () => {
    const outcomes = new Set<string>();
    fc.assert(fc.property(programArb, fc.uint8Array({ minLength: 64, maxLength: 64 }), (insns, ctx) => {
      const o = (run(insns, 'interpreter', ctx) as { outcome: string }).outcome;
      outcomes.add(/^[0-9a-f]+$/.test(o) ? 'ok' : 'fault');
    }), { numRuns: 300, seed: 2 });
    expect([...outcomes].sort()).toEqual(['fault', 'ok']);
  });
});
