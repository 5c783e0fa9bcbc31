// Benchmarks of the eBPF VM: instructions per second for the interpreter and the JIT on three kinds of program.
import { assemble, Program, type Engine } from '../src/vm/index.js';
import { timePerCall, type Figure, type Suite } from './harness.js';

const ITER = 200_000;

/** A tight ALU loop: 64-bit add, xor, shift, multiply, compare-and-branch. */
const ALU = `
  mov %r0, 0
  mov %r1, ${ITER}
  lddw %r2, 0x9e3779b97f4a7c15
loop:
  add %r0, %r1
  xor %r0, %r2
  lsh %r0, 3
  mul %r0, 7
  rsh %r0, 1
  sub %r1, 1
  jne %r1, 0, loop
  exit`;

/** A memory-heavy loop: loads and stores on the stack and the context. */
const MEM = `
  mov %r0, 0
  mov %r6, ${ITER}
loop:
  ldxdw %r2, [%r1+0]
  ldxw %r3, [%r1+8]
  add %r2, %r3
  stxdw [%r10-8], %r2
  ldxdw %r4, [%r10-8]
  stxw [%r1+12], %r4
  ldxb %r5, [%r1+13]
  add %r0, %r5
  sub %r6, 1
  jne %r6, 0, loop
  exit`;

/** A loop calling helpers (ktime_get_ns, get_smp_processor_id), as tracing programs do at every event. */
const HELPERS = `
  mov %r6, ${ITER / 4}
  mov %r7, 0
loop:
  call 5
  add %r7, %r0
  call 8
  add %r7, %r0
  sub %r6, 1
  jne %r6, 0, loop
  mov %r0, %r7
  exit`;

function rate(asm: string, engine: Engine): number {
  const p = new Program(assemble(asm), { engine, budget: 1e9 });
  let t = 0;
  p.env = { cpu: 1, pid: 1, tgid: 1, uid: 0, gid: 0, comm: 'bench', ktimeNs: () => (t += 100) };
  const ctx = new Uint8Array(64);
  p.run(ctx);
  const insns = p.executed;
  const s = timePerCall(() => p.run(ctx), 700);
  return insns / s;
}

/** The vm suite (issue 2's figures). */
export const vmSuite: Suite = {
  name: 'vm',
  run(): Figure[] {
    const out: Figure[] = [];
    const r: Record<string, number> = {};
    for (const [kind, asm] of [['alu', ALU], ['mem', MEM], ['helper', HELPERS]] as const) {
      for (const engine of ['interpreter', 'jit'] as const) {
        const v = rate(asm, engine);
        const name = `vm.${engine === 'jit' ? 'jit' : 'interp'}.${kind}_insn_per_s`;
        r[name] = v;
        out.push({ name, value: v, unit: 'insn/s' });
      }
    }
    for (const kind of ['alu', 'mem', 'helper']) {
      out.push({ name: `vm.jit_over_interp.${kind}`, value: r[`vm.jit.${kind}_insn_per_s`]! / r[`vm.interp.${kind}_insn_per_s`]!, unit: 'x', baseline: `vm.interp.${kind}_insn_per_s` });
    }
    return out;
  },
};
