// `viotrace prog dump`: lists a real object's programs and maps and shows CO-RE-relocated disassembly with C lines.
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const w = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'viotrace', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = w;
    process.stderr.write = e;
    process.exitCode = undefined;
  }
}

describe('viotrace prog dump', () => {
  it('shows guest.bpf.o with maps, programs and source lines', async () => {
    const r = await run(['prog', 'dump', 'bpf/guest.bpf.o', '--btf', 'bpf/btf/linux-6.18.min.btf']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('bpf/guest.bpf.o: license GPL, 15 programs, 10 maps');
    expect(r.out).toMatch(/inflight\s+hash\s+key 16\s+value 96\s+max_entries 16384/);
    expect(r.out).toContain('blk_mq_complete_request: kprobe blk_mq_complete_request');
    expect(r.out).toContain('; guest.bpf.c:139: struct gendisk *disk = BPF_CORE_READ(rq, q, disk);');
    // request_queue.disk is at byte 104 in Linux 6.18: the CO-RE relocation put it there.
    expect(r.out).toContain('mov %r1, 0x68');
    expect(r.out).toContain('call 113 # probe_read_kernel');
  });

  it('refuses a file that is not an object with exit 1 and the file named', async () => {
    const r = await run(['prog', 'dump', 'package.json']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('viotrace: package.json: not a loadable BPF object: no ELF magic\n');
  });
});

describe('viotrace prog verify', () => {
  it('verifies every program of the shipped objects', async () => {
    for (const [file, count] of [['bpf/guest.bpf.o', 15], ['bpf/host.bpf.o', 18]] as const) {
      const r = await run(['prog', 'verify', file, '--btf', 'bpf/btf/linux-6.18.min.btf']);
      expect(r.code, r.err).toBe(0);
      expect(r.out.trim().split('\n').filter((l) => / verified \(/.test(l))).toHaveLength(count);
    }
    const r = await run(['prog', 'verify', 'bpf/guest.bpf.o', '--btf', 'bpf/btf/linux-6.18.min.btf', '--program', 'block_rq_issue', '--log']);
    expect(r.out).toMatch(/^block_rq_issue: verified \(tracepoint block:block_rq_issue, 66 insns, processed \d+, reads tracepoint record up to byte 24\)\n {2}processed \d+ insns \(limit 1000000\)/);
  });

  it('refuses a clang-built program that dereferences a lookup without a NULL check, with the log', async () => {
    const r = await run(['prog', 'verify', 'bpf/testdata/verifier_reject.bpf.o', '--btf', 'bpf/btf/linux-6.18.min.btf']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^checked: verified/);
    expect(r.err).toContain('  6: call 1 # map_lookup_elem\n');
    expect(r.err).toContain("  R0 invalid mem access 'map_value_or_null'\n");
    expect(r.err.trim().split('\n').at(-1)).toBe(
      "viotrace: bpf/testdata/verifier_reject.bpf.o: program unchecked: insn 7: R0 invalid mem access 'map_value_or_null' (verifier_reject.bpf.c:32: return *ts > 0;)",
    );
  });

  it('names the programs an object has when asked for one it lacks', async () => {
    const r = await run(['prog', 'verify', 'bpf/testdata/verifier_reject.bpf.o', '--program', 'nope']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no program named "nope" (it has checked, unchecked)');
  });
});
