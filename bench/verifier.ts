// Benchmark of the verifier: time to verify a 1000-instruction tracing program, against the load-time encoding checks.
import { assemble, contextFor, helperProto, mapSpec, maps, validateProgram, verify, type Instruction } from '../src/vm/index.js';
import { timePerCall, type Figure, type Suite } from './harness.js';

/**
 * One block of what a tracing program does per hook: read an argument, look a start timestamp up,
 * NULL-check it, bound an index, update a histogram slot, branch on a flag. 32 instructions.
 */
function block(i: number): string {
  return `
  ldxdw %r7, [%r6+${(i % 14) * 8}]
  stxdw [%r10-8], %r7
  mov %r2, %r10
  add %r2, -8
  lddw %r1, map[0]
  call 1
  jeq %r0, 0, skip${i}
  ldxdw %r8, [%r0+0]
  call 5
  sub %r0, %r8
  mov %r9, %r0
  rsh %r9, 10
  and %r9, 63
  stw [%r10-16], 0
  mov %r2, %r10
  add %r2, -16
  lddw %r1, map[1]
  call 1
  jeq %r0, 0, skip${i}
  lsh %r9, 3
  add %r0, %r9
  mov %r1, 1
  lock add [%r0+0], %r1
  jgt %r7, ${1000 + i}, skip${i}
  mov %r2, %r10
  add %r2, -8
  lddw %r1, map[0]
  call 3
skip${i}:`;
}

/** A program of about `n` instructions made of blocks. */
function program(n: number): Instruction[] {
  const blocks: string[] = ['mov %r6, %r1'];
  for (let i = 0; (blocks.length - 1) * 30 < n - 3; i++) blocks.push(block(i));
  blocks.push('mov %r0, 0\nexit');
  return assemble(blocks.join('\n'));
}

/** The verifier suite. */
export const verifierSuite: Suite = {
  name: 'verifier',
  run(): Figure[] {
    const insns = program(1000);
    const env = { possibleCpus: 2 };
    const specs = [
      mapSpec('starts', maps.createMap({ name: 'starts', type: maps.BPF_MAP_TYPE_HASH, keySize: 8, valueSize: 8, maxEntries: 1024, flags: 0 }, env)),
      mapSpec('hist', maps.createMap({ name: 'hist', type: maps.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 512, maxEntries: 1, flags: 0 }, env)),
    ];
    const perK = 1000 / insns.length;
    const verifyS = timePerCall(() => verify(insns, { ctx: contextFor('kprobe'), maps: specs }), 1000);
    const checkS = timePerCall(() => validateProgram(insns, { helperExists: (id) => helperProto(id) !== undefined }), 500);
    const processed = verify(insns, { ctx: contextFor('kprobe'), maps: specs }).processed;
    return [
      { name: 'verifier.ms_per_1000_insns', value: verifyS * 1000 * perK, unit: 'ms' },
      { name: 'verifier.processed_insn_per_s', value: processed / verifyS, unit: 'insn/s' },
      { name: 'verifier.load_checks_ms_per_1000_insns', value: checkS * 1000 * perK, unit: 'ms' },
      { name: 'verifier.over_load_checks', value: verifyS / checkS, unit: 'x', baseline: 'verifier.load_checks_ms_per_1000_insns' },
    ];
  },
};
