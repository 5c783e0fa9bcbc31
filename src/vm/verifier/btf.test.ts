// BTF-typed kernel pointers (tp_btf): the struct walk against Linux 6.18's BTF, trusted and walked pointers in the verifier, PROBE_MEM loads in both engines.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Kind, parseBtf } from '../btf/index.js';
import { assemble } from '../isa/asm.js';
import { Program, type Engine } from '../program.js';
import { DEFAULT_ENVIRONMENT, type RunEnvironment } from '../helpers/call.js';
import { structRead } from './btf-access.js';
import { tracingContext, verify, VerifierError } from './index.js';

const btf = parseBtf(readFileSync(new URL('../../../bpf/btf/linux-6.18.min.btf', import.meta.url)), 'linux-6.18.min.btf');
const request = btf.struct('request')!;
const queue = btf.struct('request_queue')!;
const gendisk = btf.struct('gendisk')!;
const at = (s: typeof request, name: string): number => btf.member(s, name)!.offset;

/** The refusal's instruction and reason. */
function refusal(f: () => unknown): [number, string] {
  try {
    f();
  } catch (e) {
    if (e instanceof VerifierError) return [e.pc, e.reason];
    throw e;
  }
  throw new Error('verified');
}

describe('structRead: a load through a BTF-typed pointer, as btf_struct_access walks it', () => {
  it('finds numbers in integer members and array elements, and a pointer to the member struct in a pointer member', () => {
    expect(structRead(btf, request.id, at(request, 'tag'), 4)).toEqual({ kind: 'scalar' });
    // A narrower read inside an integer is a number too.
    expect(structRead(btf, request.id, at(request, '__sector'), 2)).toEqual({ kind: 'scalar' });
    expect(structRead(btf, request.id, at(request, 'q'), 8)).toEqual({ kind: 'ptr', pointee: { id: queue.id, name: 'request_queue', trusted: false } });
    expect(structRead(btf, queue.id, at(queue, 'disk'), 8)).toEqual({ kind: 'ptr', pointee: { id: gendisk.id, name: 'gendisk', trusted: false } });
    expect(structRead(btf, gendisk.id, at(gendisk, 'disk_name') + 3, 1)).toEqual({ kind: 'scalar' });
  });

  it("refuses in the kernel's words: part of a pointer, past the struct, across a member's end, a hole", () => {
    expect(structRead(btf, request.id, at(request, 'q'), 4)).toEqual({ kind: 'refused', reason: `cannot access ptr member q with moff ${at(request, 'q')} in struct request with off ${at(request, 'q')} size 4` });
    expect(structRead(btf, request.id, request.size, 8)).toEqual({ kind: 'refused', reason: `access beyond struct request at off ${request.size} size 8` });
    const tag = at(request, 'tag');
    expect(structRead(btf, request.id, tag + 2, 4)).toEqual({ kind: 'refused', reason: `access beyond the end of member tag (mend:${tag + 4}) in struct request with off ${tag + 2} size 4` });
    // The simulator's BTF keeps only the fields it simulates: the rest of struct request is a hole.
    expect(structRead(btf, request.id, 200, 8)).toEqual({ kind: 'refused', reason: "struct request doesn't have field at offset 200" });
  });

  it("answers every read of every struct of a real kernel's BTF: a number or a struct pointer inside it, else a refusal", () => {
    const vmlinux = (() => {
      try {
        return parseBtf(readFileSync('/sys/kernel/btf/vmlinux'), 'vmlinux');
      } catch {
        return btf;
      }
    })();
    const structs = vmlinux.types.filter((t) => t && (t.kind === Kind.STRUCT || t.kind === Kind.UNION) && t.size > 0);
    fc.assert(
      fc.property(fc.nat({ max: structs.length - 1 }), fc.nat({ max: 4096 }), fc.constantFrom(1, 2, 4, 8), (i, off, size) => {
        const s = structs[i]!;
        const r = structRead(vmlinux, s.id, off % (s.size + 16), size);
        if (r.kind === 'ptr') expect([Kind.STRUCT, Kind.UNION]).toContain(vmlinux.type(r.pointee.id)!.kind);
        if (r.kind !== 'refused') expect(off % (s.size + 16) + size).toBeLessThanOrEqual(s.size);
      }),
      { numRuns: 20000, seed: 7 },
    );
  });
});

/** A tp_btf program's context on block_rq_complete: (struct request *rq, blk_status_t error, unsigned int nr_bytes). */
const ctx = tracingContext('block_rq_complete', [{ kind: 'ptr', id: request.id, name: 'request' }, { kind: 'scalar' }, { kind: 'scalar' }]);
const Q = at(request, 'q');
const DISK = at(queue, 'disk');
const TAG = at(request, 'tag');

// r0 = rq->q->disk ? rq->tag : -1, with a test of rq itself the kernel knows the outcome of.
const program = assemble(`
  ldxdw %r6, [%r1+0]
  jeq %r6, 0, null
  ldxdw %r2, [%r6+${Q}]
  jeq %r2, 0, null
  ldxdw %r3, [%r2+${DISK}]
  jeq %r3, 0, null
  ldxw %r0, [%r6+${TAG}]
  exit
null:
  mov %r0, -1
  exit`);

describe('the verifier on ptr_to_btf_id', () => {
  it('types the argument as a trusted pointer (never NULL) and what is read through it as pointers that may be NULL; those loads are PROBE_MEM', () => {
    const v = verify(program, { ctx, maps: [], btf });
    expect(v.probeMem).toEqual([2, 4, 6]);
    // 8 instructions through, 2 on rq->q's NULL arm, 1 on q->disk's (pruned where the first arm was).
    expect(v.processed).toBe(11);
    expect(v.maxCtxOffset).toBe(8);
    // The code under rq == NULL is never walked (a load past struct request there is not refused); under rq->q == NULL it is.
    const bad = (reg: string): string => `ldxdw %r6, [%r1+0]\nldxdw %r2, [%r6+${Q}]\njne ${reg}, 0, +2\nldxdw %r0, [%r6+${request.size}]\nexit\nmov %r0, 0\nexit`;
    expect(verify(assemble(bad('%r6')), { ctx, maps: [], btf }).processed).toBe(5);
    expect(refusal(() => verify(assemble(bad('%r2')), { ctx, maps: [], btf }))).toEqual([3, `access beyond struct request at off ${request.size} size 8`]);
    // An fentry program's arguments are not trusted (prog_args_trusted): its rq may be NULL, so that arm is walked.
    const fentry = tracingContext('blk_mq_complete_request', [{ kind: 'ptr', id: request.id, name: 'request' }], false);
    expect(refusal(() => verify(assemble(bad('%r6')), { ctx: fentry, maps: [], btf }))).toEqual([3, `access beyond struct request at off ${request.size} size 8`]);
    // fexit: the return value's slot follows the arguments, and nothing after it.
    const fexit = tracingContext('blk_mq_start_request', [{ kind: 'ptr', id: request.id, name: 'request' }, { kind: 'scalar' }], false);
    expect(verify(assemble('ldxdw %r0, [%r1+8]\nexit'), { ctx: fexit, maps: [], btf }).maxCtxOffset).toBe(16);
    expect(refusal(() => verify(assemble('ldxdw %r0, [%r1+16]\nexit'), { ctx: fexit, maps: [], btf }))).toEqual([0, 'invalid bpf_context access off=16 size=8']);
  });

  it('refuses one instruction loading through a BTF-typed pointer on one path and the stack on another', () => {
    const both = assemble(`
      ldxdw %r6, [%r1+0]
      mov %r2, %r10
      add %r2, -8
      stdw [%r10-8], 0
      ldxdw %r7, [%r1+8]
      jeq %r7, 0, +1
      mov %r2, %r6
      ldxw %r0, [%r2+${TAG}]
      exit`);
    expect(refusal(() => verify(both, { ctx, maps: [], btf }))).toEqual([7, 'same insn cannot be used with different pointers']);
  });

  it('refuses loads through it without the kernel BTF, and stores and atomics through it', () => {
    const load = assemble(`ldxdw %r6, [%r1+0]\nldxw %r0, [%r6+${TAG}]\nexit`);
    expect(() => verify(load, { ctx, maps: [] })).toThrow(/no kernel BTF/);
    const atomic = assemble(`ldxdw %r6, [%r1+0]\nmov %r2, 1\nlock add32 [%r6+${TAG}], %r2\nmov %r0, 0\nexit`);
    expect(refusal(() => verify(atomic, { ctx, maps: [], btf }))).toEqual([2, 'only read is supported']);
  });
});

/** Simulated kernel memory: a request, its queue and its disk, at kernel addresses. */
function kernelMemory(withDisk: boolean): Map<bigint, Uint8Array> {
  const rq = new Uint8Array(request.size);
  const dv = new DataView(rq.buffer);
  dv.setBigUint64(Q, 0xffff888000002000n, true);
  dv.setInt32(TAG, -7, true);
  const q = new Uint8Array(queue.size);
  if (withDisk) new DataView(q.buffer).setBigUint64(DISK, 0xffff888000003000n, true);
  return new Map([[0xffff888000001000n, rq], [0xffff888000002000n, q], [0xffff888000003000n, new Uint8Array(gendisk.size)]]);
}

function environment(mem: Map<bigint, Uint8Array>): RunEnvironment {
  return {
    ...DEFAULT_ENVIRONMENT,
    readMemory(space, lo, hi, dst, off, len) {
      const a = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
      for (const [base, bytes] of mem) {
        if (space === 'kernel' && a >= base && a + BigInt(len) <= base + BigInt(bytes.length)) {
          const o = Number(a - base);
          dst.set(bytes.subarray(o, o + len), off);
          return true;
        }
      }
      return false;
    },
  };
}

const args = (rq: bigint): Uint8Array => {
  const b = new Uint8Array(24);
  new DataView(b.buffer).setBigUint64(0, rq, true);
  return b;
};

describe.each<Engine>(['jit', 'interpreter'])('PROBE_MEM loads (%s)', (engine) => {
  it('read simulated kernel memory through the pointers, and 0 where nothing is (NULL, an object the simulator does not keep)', () => {
    const p = new Program(program, { engine, ctxWritable: false, verify: { ctx, btf } });
    p.env = environment(kernelMemory(true));
    // ldxw zero-extends: the tag's 32 bits.
    p.run(args(0xffff888000001000n));
    expect(p.r0).toBe(BigInt.asUintN(32, -7n));
    // q->disk is NULL: the program's own test sees it.
    p.env = environment(kernelMemory(false));
    p.run(args(0xffff888000001000n));
    expect(p.r0).toBe(BigInt.asUintN(64, -1n));
    // rq itself points at nothing: the loads fault and read 0 (the kernel's exception table), so rq->q is NULL.
    p.run(args(0xffff888000009000n));
    expect(p.r0).toBe(BigInt.asUintN(64, -1n));
  });

  it('sign-extends a PROBE_MEMSX load', () => {
    const sx = assemble(`ldxdw %r6, [%r1+0]\nldxsw %r0, [%r6+${TAG}]\nexit`);
    const p = new Program(sx, { engine, ctxWritable: false, verify: { ctx, btf } });
    expect(p.verdict!.probeMem).toEqual([1]);
    p.env = environment(kernelMemory(true));
    p.run(args(0xffff888000001000n));
    expect(p.r0).toBe(BigInt.asUintN(64, -7n));
  });
});
