// `viotrace prog dump`: lists a real object's programs and maps and shows CO-RE-relocated disassembly with C lines.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

const run = runCli;

describe('viotrace prog dump', () => {
  it('shows guest.bpf.o with maps, programs and source lines', async () => {
    const r = await run(['prog', 'dump', 'bpf/guest.bpf.o', '--btf', 'bpf/btf/linux-6.18.min.btf']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('bpf/guest.bpf.o: license GPL, 15 programs, 11 maps');
    expect(r.out).toMatch(/lost\s+array\s+key 4\s+value 8\s+max_entries 1/);
    expect(r.out).toMatch(/inflight\s+hash\s+key 16\s+value 120\s+max_entries 16384/);
    expect(r.out).toContain('blk_mq_complete_request: kprobe blk_mq_complete_request');
    expect(r.out).toContain('; guest.bpf.c:155: struct gendisk *disk = BPF_CORE_READ(rq, q, disk);');
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
    for (const [file, count] of [['bpf/guest.bpf.o', 15], ['bpf/host.bpf.o', 19]] as const) {
      const r = await run(['prog', 'verify', file, '--btf', 'bpf/btf/linux-6.18.min.btf']);
      expect(r.code, r.err).toBe(0);
      expect(r.out.trim().split('\n').filter((l) => / verified \(/.test(l))).toHaveLength(count);
    }
    const r = await run(['prog', 'verify', 'bpf/guest.bpf.o', '--btf', 'bpf/btf/linux-6.18.min.btf', '--program', 'block_rq_issue', '--log']);
    expect(r.out).toMatch(/^block_rq_issue: verified \(tracepoint block:block_rq_issue, 139 insns, processed \d+, reads tracepoint record up to byte 24\)\n {2}processed \d+ insns \(limit 1000000\)/);
  });

  it('refuses a clang-built program that dereferences a lookup without a NULL check, with the log', async () => {
    const r = await run(['prog', 'verify', 'bpf/testdata/verifier_reject.bpf.o', '--btf', 'bpf/btf/linux-6.18.min.btf']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^checked: verified/);
    // Each instruction with the registers it touched after it, as the kernel's log level 1 shows them.
    expect(r.err).toContain('  6: call 1 # map_lookup_elem\t; R0=map_value_or_null(map=0,off=0,id=2)\n');
    expect(r.err).toContain('  ; verifier_reject.bpf.c:32: return *ts > 0;\n  7: ldxdw %r1, [%r0+0]\n');
    expect(r.err).toContain("  R0 invalid mem access 'map_value_or_null'\n");
    expect(r.err.trim().split('\n').at(-1)).toBe(
      "viotrace: bpf/testdata/verifier_reject.bpf.o: program unchecked: insn 7: R0 invalid mem access 'map_value_or_null' (verifier_reject.bpf.c:32: return *ts > 0;)",
    );
  });

  it('gives every program its verdict, refusals included, and exits 1 if any is refused', async () => {
    const r = await run(['prog', 'verify', 'bpf/testdata/loops.bpf.o']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^bounded: verified \(kprobe blk_mq_start_request, 33 insns, processed 33\)\nlong_bounded: verified \(kprobe blk_mq_end_request, 9 insns, processed 100004\)\n$/);
    const refusals = r.err.split('\n').filter((l) => l.startsWith('viotrace: bpf/testdata/loops.bpf.o: program '));
    expect(refusals.map((l) => l.replace(/insn \d+/, 'insn N').replace(/ \(loops.*$/, ''))).toEqual([
      'viotrace: bpf/testdata/loops.bpf.o: program unbounded: insn N: BPF program is too large. Processed 1000001 insn',
      'viotrace: bpf/testdata/loops.bpf.o: program too_long: insn N: BPF program is too large. Processed 1000001 insn',
    ]);
    expect(r.err).toContain('verifier log of unbounded:\n');
    expect(r.err).toContain('verifier log of too_long:\n');
  }, 60_000);

  it('refuses a tracepoint and a section type it does not know, and warns of a probe on a function it does not simulate', async () => {
    const f = 'bpf/testdata/unknown_hooks.bpf.o';
    const r = await run(['prog', 'verify', f]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('known: verified (kprobe blk_mq_end_request, 2 insns, processed 2)\nno_function: verified (kprobe no_such_function_xyz, 2 insns, processed 2)\nno_raw_event: verified (raw_tracepoint no_such_event, 2 insns, processed 2)\n');
    const lines = r.err.trim().split('\n');
    expect(lines).toContain(`viotrace: ${f}: SEC("frobnicate/whatever"): not a program type (tracepoint/, kprobe/, kretprobe/, uprobe/, uretprobe/, raw_tp/, tp_btf/, fentry/, fexit/, usdt/); its code is not loaded`);
    expect(lines).toContain(`viotrace: ${f}: SEC("fmod_ret/blk_mq_start_request"): fmod_ret programs are not supported, so its code is not loaded; fentry/ and fexit/ programs on the kernel functions viotrace simulates are, and kprobe/ and kretprobe/ ones (viotrace hooks lists them)`);
    expect(lines).toContain(`viotrace: warning: ${f}: program no_raw_event: SEC("raw_tp/no_such_event"): raw tracepoint no_such_event is not one viotrace fires (viotrace hooks lists them); checked against 12 u64 arguments, as the kernel loads it (it checks at attach that the tracepoint exists and has the arguments read)`);
    expect(lines).toContain(`viotrace: ${f}: program no_tracepoint: SEC("tracepoint/bogus/nonexistent"): tracepoint bogus:nonexistent is not in viotrace's hook table, so its record layout is unknown (viotrace hooks lists them)`);
    expect(lines).toContain(`viotrace: warning: ${f}: program no_function: SEC("kprobe/no_such_function_xyz"): kprobe no_such_function_xyz is not a hook viotrace simulates (viotrace hooks lists them); checked against pt_regs only (the kernel checks at attach that the function exists)`);
    const dump = await run(['prog', 'dump', f]);
    expect(dump.code).toBe(0);
    expect(dump.err).toContain(`viotrace: warning: ${f}: SEC("frobnicate/whatever"): not a program type`);
    expect(dump.err).toContain(`viotrace: warning: ${f}: program no_tracepoint: SEC("tracepoint/bogus/nonexistent")`);
    // Asked to, it verifies the tracepoint anyway (as a record of unknown layout).
    const any = await run(['prog', 'verify', f, '--program', 'no_tracepoint', '--any-hook']);
    expect(any.code).toBe(0);
    expect(any.out).toBe('no_tracepoint: verified (tracepoint bogus:nonexistent, 2 insns, processed 2)\n');
  });

  it('names the programs an object has when asked for one it lacks', async () => {
    const r = await run(['prog', 'verify', 'bpf/testdata/verifier_reject.bpf.o', '--program', 'nope']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no program named "nope" (it has checked, unchecked)');
  });
});

describe('viotrace prog on bad objects', () => {
  const good = readFileSync('bpf/testdata/subprog.bpf.o');
  const dir = mkdtempSync(join(tmpdir(), 'viotrace-bad-'));
  const variant = (name: string, mutate: (b: Uint8Array, dv: DataView) => Uint8Array | void): string => {
    const b = new Uint8Array(good);
    const out = mutate(b, new DataView(b.buffer)) ?? b;
    const f = join(dir, name);
    writeFileSync(f, out);
    return f;
  };
  const cases: [string, string, RegExp][] = [
    ['truncated', variant('truncated.o', (b) => b.subarray(0, 1000)), /run past the end of the file \(1000 bytes\): truncated\?/],
    ['wrong machine', variant('x86.o', (_, dv) => dv.setUint16(18, 62, true)), /e_machine 62 \(EM_BPF is 247/],
    ['unknown relocation', variant('reloc.o', (b, dv) => {
      // The first R_BPF_64_64 relocation's type becomes 99.
      for (let o = 0; o + 16 <= b.length; o += 8) {
        if (dv.getUint32(o + 8, true) === 1 && dv.getUint32(o + 12, true) === 7 && dv.getBigUint64(o, true) === 16n) {
          dv.setUint32(o + 8, 99, true);
          return;
        }
      }
      throw new Error('relocation not found');
    }), /unknown relocation type 99/],
    ['bad BTF', variant('btf.o', (b) => {
      // Corrupt the .BTF header's magic (0xeB9F).
      for (let o = 0; o + 2 <= b.length; o++) if (b[o] === 0x9f && b[o + 1] === 0xeb && b[o + 2] === 1) { b[o] = 0; return; }
      throw new Error('BTF not found');
    }), /BTF/],
  ];
  for (const [what, file, message] of cases) {
    it(`${what}: one line on stderr naming the file, exit 1`, async () => {
      for (const cmd of ['dump', 'verify']) {
        const r = await run(['prog', cmd, file]);
        expect(r.code).toBe(1);
        const lines = r.err.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^viotrace: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
        expect(lines[0]).toMatch(message);
      }
    });
  }
});

describe('viotrace hooks', () => {
  it('prints the hook table as JSON with the record layouts of the format files', async () => {
    const r = await run(['hooks', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as { side: string; kind: string; name: string; context: string; args?: string[]; paired: boolean }[];
    // 20 tracepoints and probes, and 5 of those tracepoints again as raw tracepoints.
    expect(rows.filter((h) => h.side === 'guest')).toHaveLength(25);
    expect(rows.filter((h) => h.kind === 'raw_tracepoint').map((h) => `${h.side} ${h.name}(${h.args!.join(', ')})`)).toEqual([
      'guest block_io_start(rq)', 'guest block_rq_insert(rq)', 'guest block_rq_issue(rq)', 'guest block_rq_complete(rq, error, nr_bytes)', 'guest block_io_done(rq)',
      'host kvm_fast_mmio(gpa)', 'host kvm_pio(rw, port, size, count, data)',
      'host block_io_start(rq)', 'host block_rq_insert(rq)', 'host block_rq_issue(rq)', 'host block_rq_complete(rq, error, nr_bytes)', 'host block_io_done(rq)',
      'host kvm_apic_accept_irq(apicid, dm, tm, vec)',
    ]);
    expect(rows.find((h) => h.kind === 'raw_tracepoint' && h.name === 'kvm_pio')!.context).toBe(
      'u64 args[5] (40 bytes): unsigned int rw, unsigned int port, unsigned int size, unsigned int count, const void *data',
    );
    expect(rows.find((h) => h.kind === 'raw_tracepoint' && h.name === 'block_rq_complete')!.context).toBe(
      'u64 args[3] (24 bytes): struct request *rq, blk_status_t error, unsigned int nr_bytes',
    );
    expect(rows.find((h) => h.name === 'kvm:kvm_exit')!.context).toBe('record 72 bytes: exit_reason@8 guest_rip@16 isa@24 info1@32 info2@40 intr_info@48 error_code@52 vcpu_id@56 requests@64');
    expect(rows.find((h) => h.side === 'host' && h.name === 'block:block_rq_issue')!.context).toBe(
      'record 64 bytes: dev@8 sector@16 nr_sector@24 bytes@28 ioprio@32 rwbs@34 comm@44 cmd@60',
    );
    expect(rows.find((h) => h.name === 'luring_do_submit')).toMatchObject({ kind: 'uprobe', args: ['fd', 'luringcb', 's', 'offset', 'type'], context: 'struct pt_regs (168 bytes)', sections: ['uprobe//usr/bin/qemu-system-x86_64:luring_do_submit'] });
    // A raw tracepoint takes raw_tp/ programs and BTF-typed tp_btf/ ones.
    expect(rows.find((h) => h.side === 'host' && h.kind === 'raw_tracepoint' && h.name === 'block_rq_issue')).toMatchObject({ sections: ['raw_tp/block_rq_issue', 'tp_btf/block_rq_issue'] });
    expect(rows.find((h) => h.side === 'guest' && h.name === 'block:block_rq_issue')).toMatchObject({ sections: ['tracepoint/block/block_rq_issue'] });
    // A kernel function the table declares takes kprobe/ and fentry/ programs, and fexit/ ones where its return point is known.
    expect(rows.find((h) => h.kind === 'kprobe' && h.name === 'blk_mq_complete_request')).toMatchObject({ sections: ['kprobe/blk_mq_complete_request', 'fentry/blk_mq_complete_request', 'fexit/blk_mq_complete_request'], context: 'struct pt_regs (168 bytes); fentry: u64 args[1]: struct request *rq; fexit: then void' });
    expect(rows.find((h) => h.kind === 'kprobe' && h.name === 'virtqueue_notify')).toMatchObject({ sections: ['kprobe/virtqueue_notify', 'fentry/virtqueue_notify', 'fexit/virtqueue_notify'] });
    expect(rows.find((h) => h.kind === 'kprobe' && h.name === 'virtio_queue_rq')).toMatchObject({ context: 'struct pt_regs (168 bytes); fentry: u64 args[2]: struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd; fexit: then blk_status_t' });
    expect(rows.find((h) => h.kind === 'kretprobe')).toMatchObject({ sections: ['kretprobe/virtqueue_kick_prepare'], paired: true });
    // Hooks kept for users' tools (biosnoop's, biotop's, kvm_stat's) say so.
    expect(rows.filter((h) => !h.paired && h.kind !== 'raw_tracepoint').map((h) => `${h.side} ${h.name}`)).toEqual([
      'guest blk_account_io_merge_bio', 'guest block:block_io_start', 'guest blk_mq_start_request', 'guest blk_mq_end_request', 'guest block:block_io_done',
      'host kvm:kvm_exit', 'host kvm:kvm_entry', 'host block:block_io_start', 'host blk_mq_start_request', 'host blk_mq_end_request', 'host block:block_io_done',
    ]);
  });
});

describe('viotrace prog run', () => {
  interface Report {
    side: string;
    requests: number;
    programs: { name: string; hook: string; runs: number }[];
    maps: { name: string; entries: number; shown: { key: string; value: string }[] }[];
    printk: { ns: number; line: string }[];
    printk_lines: number;
  }
  const histogram = (r: Report): Map<number, number> => new Map(r.maps.find((m) => m.name === 'usecs')!.shown.map((e) => [Number(e.key), Number(e.value)]));
  const mode = (h: Map<number, number>): number => [...h].sort((a, b) => b[1] - a[1])[0]![0];

  it("runs a user's latency histogram tool beside the paired programs on the guest: every completion counted, in the device's bucket, its printk lines with the guest clock", async () => {
    const r = await run(['prog', 'run', 'bpf/testdata/rq_latency.bpf.o', '--requests', '1000', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as Report;
    expect(report.side).toBe('guest');
    expect(report.programs.find((p) => p.name === 'on_complete')).toEqual({ name: 'on_complete', hook: 'guest tracepoint block:block_rq_complete', runs: 1000 });
    const h = histogram(report);
    expect([...h.values()].reduce((a, b) => a + b, 0)).toBe(1000);
    // baseline: ~100 us a request as the guest's block layer sees it, 2^6..2^7 us.
    expect(mode(h)).toBe(6);
    expect(report.maps.find((m) => m.name === '.bss')!.shown).toEqual([{ key: 'completed', value: '1000' }, { key: 'unmatched', value: '0' }]);
    expect(report.printk_lines).toBe(2);
    expect(report.printk.map((p) => p.line)).toEqual(['500 requests completed', '1000 requests completed']);
    // The guest's monotonic clock: it booted 6 hours before the run.
    expect(report.printk[0]!.ns).toBeGreaterThan(6 * 3600e9);
  });

  it('runs it on the host block layer with --side host, where slow-disk shows its 1.5 ms reads', async () => {
    const r = await run(['prog', 'run', 'bpf/testdata/rq_latency.bpf.o', '--side', 'host', '--scenario', 'slow-disk', '--requests', '400', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as Report;
    expect(report.programs.map((p) => p.hook)).toEqual(['host tracepoint block:block_rq_issue', 'host tracepoint block:block_rq_complete']);
    // 1.5 ms reads, 8 at once, iodepth 16: issue to complete 1.5-3 ms, 2^10..2^12 us (baseline's was 2^6).
    expect(mode(histogram(report))).toBeGreaterThanOrEqual(10);
    expect(mode(histogram(report))).toBeLessThanOrEqual(11);
  });

  it("runs in the VM --vm names: the noisy neighbour's own 256 KiB writes, milliseconds each", async () => {
    const r = await run(['prog', 'run', 'bpf/testdata/rq_latency.bpf.o', '--scenario', 'noisy-neighbour', '--vm', 'noisy', '--requests', '600', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as Report & { vm: string };
    expect(report.vm).toBe('noisy');
    // Its completions only: fewer than the run's, which counts both VMs'.
    const completes = report.programs.find((p) => p.name === 'on_complete')!.runs;
    expect(completes).toBeGreaterThan(100);
    expect(completes).toBeLessThan(600);
    expect(mode(histogram(report))).toBeGreaterThanOrEqual(12);
    const bad = await run(['prog', 'run', 'bpf/testdata/rq_latency.bpf.o', '--vm', 'nope']);
    expect([bad.code, bad.err]).toEqual([2, 'viotrace: --vm: scenario baseline has no VM "nope" (it has vm0)\n']);
  });

  it("decodes the first ring-buffer records as a struct of the object's BTF: the paired guest program run as a tool", async () => {
    const r = await run(['prog', 'run', 'bpf/guest.bpf.o', '--record-struct', 'vt_guest_rq', '--records', '2', '--requests', '100', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { records: number; first_records: { ring: string; record: string }[] };
    // A guest request record and an app-op record for each of the 100 requests.
    expect(report.records).toBe(200);
    expect(report.first_records).toHaveLength(2);
    expect(report.first_records[0]!.ring).toBe('events');
    expect(report.first_records[0]!.record).toMatch(/^\{kind=1, dev=\d+, sector=\d+, nr_sector=8, .*rwbs="R", .*t_rq_issue=\d+/);
    const missing = await run(['prog', 'run', 'bpf/guest.bpf.o', '--record-struct', 'nope', '--requests', '10']);
    expect([missing.code, missing.err]).toEqual([1, 'viotrace: bpf/guest.bpf.o: its BTF has no struct nope (--record-btf FILE takes it from another object, built from the header that declares it)\n']);
  });

  it('prints an array map as a log2 histogram as bpftrace prints hist(), --hist MAP', async () => {
    const r = await run(['prog', 'run', 'bpf/testdata/rq_latency.bpf.o', '--hist', 'usecs', '--requests', '600']);
    expect(r.code, r.err).toBe(0);
    const rows = r.out.split('\n').filter((l) => /^\[\d+K?, \d+K?\)/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    // The largest bucket's bar is the full 52 characters; counts add up to the completions.
    expect(rows.some((l) => l.includes(`|${'@'.repeat(52)}|`))).toBe(true);
    expect(rows.map((l) => Number(/\)\s+(\d+) \|/.exec(l)![1])).reduce((a, b) => a + b, 0)).toBe(600);
    expect(r.out).toMatch(/^\[64, 128\)\s+\d+ \|@+/m);
    const bad = await run(['prog', 'run', 'bpf/testdata/rq_latency.bpf.o', '--hist', 'issued']);
    expect([bad.code, bad.err]).toEqual([2, 'viotrace: --hist issued: not an array map\n']);
  });

  it('prints maps by their BTF types in text', async () => {
    const r = await run(['prog', 'run', 'bpf/testdata/rq_latency.bpf.o', '--requests', '200']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^rq_latency\.bpf\.o on the guest of vm0, beside the paired programs: scenario baseline \(seed 1\), 200 requests/);
    expect(r.out).toMatch(/\{dev=\d+, pad=0, sector=\d+\}: \d+/);
    expect(r.out).toContain('on_complete.____fmt: "%llu requests completed"');
  });

  describe('raw tracepoints: a tool keyed by struct request *, reading the request with CO-RE (biolat_raw.bpf.o)', () => {
    const value = (r: Report, map: string, key: string): string | undefined => r.maps.find((m) => m.name === map)!.shown.find((e) => e.key === key)?.value;
    const hist = (r: Report, map: string): Map<number, number> => new Map(r.maps.find((m) => m.name === map)!.shown.map((e) => [Number(e.key), Number(e.value)]));
    const sum = (h: Map<number, number>): number => [...h.values()].reduce((a, b) => a + b, 0);

    it("baseline's 4 KiB reads: every completion in the read histogram at the tracepoint tool's bucket, the bytes and disk name the request holds, tags below the queue depth", async () => {
      const [raw, tp] = await Promise.all([
        run(['prog', 'run', 'bpf/testdata/biolat_raw.bpf.o', '--requests', '1000', '--json']),
        run(['prog', 'run', 'bpf/testdata/rq_latency.bpf.o', '--requests', '1000', '--json']),
      ]);
      expect(raw.code, raw.err).toBe(0);
      const report = JSON.parse(raw.out) as Report;
      expect(report.programs.map((p) => p.hook)).toEqual(['guest raw_tracepoint block_rq_insert', 'guest raw_tracepoint block_rq_issue', 'guest raw_tracepoint block_rq_complete']);
      expect(report.programs.find((p) => p.name === 'block_rq_complete')!.runs).toBe(1000);
      const reads = hist(report, 'read_usecs');
      expect(sum(reads)).toBe(1000);
      expect(sum(hist(report, 'write_usecs'))).toBe(0);
      // The same issue-to-complete times as the tracepoint tool's, keyed another way.
      expect(mode(reads)).toBe(mode(histogram(JSON.parse(tp.out) as Report)));
      expect(value(report, '.bss', 'bytes')).toBe(String(1000 * 4096));
      expect(value(report, '.bss', 'partial')).toBe('0');
      expect(value(report, '.bss', 'unmatched')).toBe('0');
      expect(value(report, '.bss', 'disk')).toBe('"vda"');
      // iodepth 16 on the disk's tags: the highest tag a request held.
      const maxTag = Number(value(report, '.data', 'max_tag'));
      expect(maxTag).toBeGreaterThanOrEqual(8);
      expect(maxTag).toBeLessThan(64);
    });

    it("the noisy neighbour's writes: cmd_flags says write, and __data_len follows the back-merges of its sequential bios", async () => {
      const r = await run(['prog', 'run', 'bpf/testdata/biolat_raw.bpf.o', '--scenario', 'noisy-neighbour', '--vm', 'noisy', '--requests', '600', '--json']);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as Report;
      const completed = Number(value(report, '.bss', 'completed'));
      expect(completed).toBeGreaterThan(100);
      expect(sum(hist(report, 'write_usecs'))).toBe(completed);
      expect(sum(hist(report, 'read_usecs'))).toBe(0);
      expect(mode(hist(report, 'write_usecs'))).toBeGreaterThanOrEqual(12);
      // nr_bytes of every completion equals the request's __data_len, merged requests included.
      expect(value(report, '.bss', 'partial')).toBe('0');
      expect(Number(value(report, '.bss', 'bytes')) / completed).toBeGreaterThanOrEqual(256 * 1024);
    });

    it("on the host's block layer, --side host: the NVMe disk's requests, slow-disk's reads in the tracepoint tool's bucket, both VMs' reads and writes in noisy-neighbour", async () => {
      const [raw, tp, nn] = await Promise.all([
        run(['prog', 'run', 'bpf/testdata/biolat_raw.bpf.o', '--side', 'host', '--scenario', 'slow-disk', '--requests', '400', '--json']),
        run(['prog', 'run', 'bpf/testdata/rq_latency.bpf.o', '--side', 'host', '--scenario', 'slow-disk', '--requests', '400', '--json']),
        run(['prog', 'run', 'bpf/testdata/biolat_raw.bpf.o', '--side', 'host', '--scenario', 'noisy-neighbour', '--requests', '600', '--json']),
      ]);
      expect(raw.code, raw.err).toBe(0);
      const report = JSON.parse(raw.out) as Report;
      expect(report.programs.map((p) => p.hook)).toEqual(['host raw_tracepoint block_rq_insert', 'host raw_tracepoint block_rq_issue', 'host raw_tracepoint block_rq_complete']);
      expect(value(report, '.bss', 'disk')).toBe('"nvme0n1"');
      const reads = hist(report, 'read_usecs');
      expect(sum(reads)).toBe(400);
      expect(mode(reads)).toBe(mode(histogram(JSON.parse(tp.out) as Report)));
      expect(value(report, '.bss', 'bytes')).toBe(String(400 * 4096));
      expect(value(report, '.bss', 'partial')).toBe('0');
      expect(Number(value(report, '.data', 'max_tag'))).toBeGreaterThanOrEqual(7);
      const both = JSON.parse(nn.out) as Report;
      expect(nn.code, nn.err).toBe(0);
      const writes = sum(hist(both, 'write_usecs'));
      expect(writes).toBeGreaterThan(50);
      expect(sum(hist(both, 'read_usecs'))).toBeGreaterThan(50);
      expect(sum(hist(both, 'read_usecs')) + writes).toBe(Number(value(both, '.bss', 'completed')));
    });

    it('refuses to attach a program that reads an argument its raw tracepoint lacks, as the kernel does; prog verify loads it with a warning', async () => {
      const r = await run(['prog', 'run', 'bpf/testdata/raw_tp_args.bpf.o']);
      expect([r.code, r.err]).toEqual([1, "viotrace: raw_tp_args.bpf.o: program second_arg: reads raw tracepoint block_rq_issue's arguments up to byte 16, but it has 1 (rq: 8 bytes)\n"]);
      const v = await run(['prog', 'verify', 'bpf/testdata/raw_tp_args.bpf.o']);
      expect(v.code, v.err).toBe(0);
      expect(v.out).toBe('second_arg: verified (raw_tracepoint block_rq_issue, 6 insns, processed 5, reads raw tracepoint args up to byte 16)\n');
      expect(v.err).toBe("viotrace: warning: bpf/testdata/raw_tp_args.bpf.o: program second_arg: it loads, but the kernel refuses to attach it (EINVAL): it reads raw tracepoint block_rq_issue's arguments up to byte 16, but it has 1 (rq: 8 bytes)\n");
    });
  });

  describe('BTF-typed tracepoints: the same tool reading struct request straight through its BTF-typed pointer (biolat_btf.bpf.o)', () => {
    const value = (r: Report, map: string, key: string): string | undefined => r.maps.find((m) => m.name === map)!.shown.find((e) => e.key === key)?.value;
    const hist = (r: Report, map: string): Map<number, number> => new Map(r.maps.find((m) => m.name === map)!.shown.map((e) => [Number(e.key), Number(e.value)]));

    it("gives the raw tracepoint tool's histogram on the same run, bitesize's size buckets, and the disk's dev and name read through rq->q->disk", async () => {
      const [btf, raw] = await Promise.all([
        run(['prog', 'run', 'bpf/testdata/biolat_btf.bpf.o', '--requests', '1000', '--json']),
        run(['prog', 'run', 'bpf/testdata/biolat_raw.bpf.o', '--requests', '1000', '--json']),
      ]);
      expect(btf.code, btf.err).toBe(0);
      const report = JSON.parse(btf.out) as Report;
      const rawReport = JSON.parse(raw.out) as Report;
      expect(report.programs.map((p) => p.hook)).toEqual(['guest tp_btf block_rq_insert', 'guest tp_btf block_rq_issue', 'guest tp_btf block_rq_complete']);
      // rq->tag, rq->__data_len and rq->cmd_flags read directly, as biolat_raw reads them with bpf_probe_read_kernel.
      expect(hist(report, 'read_usecs')).toEqual(hist(rawReport, 'read_usecs'));
      expect(value(report, '.data', 'max_tag')).toBe(value(rawReport, '.data', 'max_tag'));
      const issues = report.programs.find((p) => p.name === 'block_rq_issue')!.runs;
      // 4 KiB requests: log2(4) = 2, every one.
      expect([...hist(report, 'size_kib')]).toEqual([[2, issues]]);
      expect(value(report, '.bss', 'completed')).toBe('1000');
      expect(value(report, '.bss', 'bytes')).toBe(String(1000 * 4096));
      expect(value(report, '.bss', 'partial')).toBe('0');
      expect(value(report, '.bss', 'unmatched')).toBe('0');
      expect(value(report, '.bss', 'no_disk')).toBe('0');
      // virtio-blk's major 253, minor 0: MKDEV as the kernel makes it.
      expect(value(report, '.bss', 'dev')).toBe(String((253 << 20) | 0));
      expect(value(report, '.bss', 'first')).toBe(String('v'.charCodeAt(0)));
      expect(value(report, '.bss', 'disk')).toBe('"vda"');
      expect(value(report, '.bss', 'last_sector')).not.toBe('0');
      // Scheduler none: q->elevator is NULL.
      expect(value(report, '.bss', 'elevator_issues')).toBe('0');
    });

    it("reads q->elevator as biosnoop -Q does: set under guest-elevator's mq-deadline, for every issue", async () => {
      const r = await run(['prog', 'run', 'bpf/testdata/biolat_btf.bpf.o', '--scenario', 'guest-elevator', '--requests', '300', '--json']);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as Report;
      const issues = report.programs.find((p) => p.name === 'block_rq_issue')!.runs;
      expect(issues).toBeGreaterThan(300);
      expect(value(report, '.bss', 'elevator_issues')).toBe(String(issues));
    });

    it("runs on the host's block layer: the NVMe disk, 259:0, slow-disk's reads in the raw tool's buckets", async () => {
      const [btf, raw] = await Promise.all([
        run(['prog', 'run', 'bpf/testdata/biolat_btf.bpf.o', '--side', 'host', '--scenario', 'slow-disk', '--requests', '400', '--json']),
        run(['prog', 'run', 'bpf/testdata/biolat_raw.bpf.o', '--side', 'host', '--scenario', 'slow-disk', '--requests', '400', '--json']),
      ]);
      expect(btf.code, btf.err).toBe(0);
      const report = JSON.parse(btf.out) as Report;
      expect(report.programs.map((p) => p.hook)).toEqual(['host tp_btf block_rq_insert', 'host tp_btf block_rq_issue', 'host tp_btf block_rq_complete']);
      expect(hist(report, 'read_usecs')).toEqual(hist(JSON.parse(raw.out) as Report, 'read_usecs'));
      expect(value(report, '.bss', 'disk')).toBe('"nvme0n1"');
      expect(value(report, '.bss', 'dev')).toBe(String((259 << 20) | 0));
    });

    it("follows requests as biosnoop does: each completion's task from block_io_start, one perf event per completion, drained as the run goes; block_io_start and block_io_done records with the request's bytes", async () => {
      const r = await run(['prog', 'run', 'bpf/testdata/io_account.bpf.o', '--requests', '1000', '--record-struct', 'event', '--record-btf', 'bpf/testdata/io_event.bpf.o', '--records', '1000', '--json']);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as Report & { records: number; lost: number; first_records: { ring: string; record: string }[] };
      const runs = (name: string): number => report.programs.find((p) => p.name === name)!.runs;
      expect(report.programs.map((p) => p.hook)).toEqual([
        'guest tp_btf block_io_start', 'guest tp_btf block_rq_issue', 'guest tp_btf block_rq_complete', 'guest kprobe blk_account_io_merge_bio', 'guest kprobe blk_mq_start_request',
        'guest tracepoint block:block_io_start', 'guest tracepoint block:block_io_done', 'guest tracepoint block:block_bio_backmerge',
      ]);
      // Every request is started (accounted) once, before it is issued; every completion ends one.
      expect(runs('io_start')).toBe(runs('rq_issue'));
      expect(runs('tp_io_start')).toBe(runs('io_start'));
      // blk_mq_start_request (biotop's start) runs for each request, after its block_io_start.
      expect(runs('mq_start')).toBe(runs('rq_issue'));
      expect(value(report, '.bss', 'mq_starts')).toBe(String(runs('rq_issue')));
      expect(value(report, '.bss', 'start_unknown')).toBe('0');
      expect(runs('tp_io_done')).toBe(1000);
      expect(value(report, '.bss', 'io_start_bytes')).toBe(String(runs('io_start') * 4096));
      expect(value(report, '.bss', 'io_done_bytes')).toBe(String(1000 * 4096));
      expect(value(report, '.bss', 'no_task')).toBe('0');
      expect(value(report, '.bss', 'output_errors')).toBe('0');
      expect([report.records, report.lost]).toEqual([1000, 0]);
      expect(report.first_records).toHaveLength(1000);
      expect(new Set(report.first_records.map((e) => e.ring))).toEqual(new Set(['events']));
      expect(report.first_records.every((e) => /^\{delta_ns=\d+, sector=\d+, len=4096, pid=1000, comm="fio"\}$/.test(e.record))).toBe(true);
    });

    it("sees each bio merged into a request as biosnoop does, with kprobe blk_account_io_merge_bio: the noisy VM's sequential writes, once per block_bio_backmerge", async () => {
      const r = await run(['prog', 'run', 'bpf/testdata/io_account.bpf.o', '--scenario', 'noisy-neighbour', '--vm', 'noisy', '--requests', '300', '--json']);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as Report;
      const merges = Number(value(report, '.bss', 'merges'));
      expect(merges).toBeGreaterThan(10);
      expect(value(report, '.bss', 'backmerges')).toBe(String(merges));
      // Every merged-into request was started before: its task is known.
      expect(value(report, '.bss', 'merge_unknown')).toBe('0');
    });

    it("decodes events with a struct the tool's own BTF lacks, from --record-btf, as its user space decodes them with its header", async () => {
      const bare = await run(['prog', 'run', 'bpf/testdata/io_account.bpf.o', '--record-struct', 'event']);
      expect([bare.code, bare.err]).toEqual([1, 'viotrace: bpf/testdata/io_account.bpf.o: its BTF has no struct event (--record-btf FILE takes it from another object, built from the header that declares it)\n']);
      const raw = await run(['prog', 'run', 'bpf/testdata/io_account.bpf.o', '--requests', '50', '--record-struct', 'request', '--record-btf', 'bpf/btf/linux-6.18.min.btf', '--records', '1', '--json']);
      // Raw BTF works too (here the kernel's struct request, which these samples are not: decoded as asked).
      expect(raw.code, raw.err).toBe(0);
      expect((JSON.parse(raw.out) as { first_records: { record: string }[] }).first_records[0]!.record).toMatch(/^\{q=0x[0-9a-f]+, cmd_flags=\d+, tag=-?\d+\}$/);
      const alone = await run(['prog', 'run', 'bpf/testdata/io_account.bpf.o', '--record-btf', 'bpf/testdata/io_event.bpf.o']);
      expect([alone.code, alone.err]).toEqual([2, 'viotrace: --record-btf goes with --record-struct\n']);
    });

    it("--skip leaves programs unloaded, as a tool's user space turns off their autoload; a name the object lacks is a usage error", async () => {
      const r = await run(['prog', 'run', 'bpf/testdata/io_account.bpf.o', '--requests', '200', '--skip', 'tp_io_start', 'tp_io_done', 'tp_backmerge', '--json']);
      const bad = await run(['prog', 'run', 'bpf/testdata/io_account.bpf.o', '--skip', 'block_rq_insert_btf']);
      const all = await run(['prog', 'run', 'bpf/testdata/io_account.bpf.o', '--skip', 'io_start', 'io_merge', 'mq_start', 'rq_issue', 'rq_complete', 'tp_io_start', 'tp_io_done', 'tp_backmerge']);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as Report;
      expect(report.programs.map((p) => p.name)).toEqual(['io_start', 'rq_issue', 'rq_complete', 'io_merge', 'mq_start']);
      expect(value(report, '.bss', 'io_dones')).toBe('0');
      expect([bad.code, bad.err]).toEqual([2, 'viotrace: --skip block_rq_insert_btf: no program of that name (it has io_start, io_merge, mq_start, rq_issue, rq_complete, tp_io_start, tp_io_done, tp_backmerge)\n']);
      expect([all.code, all.err]).toEqual([2, 'viotrace: --skip: every program skipped, nothing to run\n']);
    });

    it("on the host, a completion's task is the QEMU process whose iothread submitted it: both VMs' in noisy-neighbour", async () => {
      // The host's block layer merges no bios (QEMU merged them already): the merge hooks are the guest's.
      const r = await run(['prog', 'run', 'bpf/testdata/io_account.bpf.o', '--side', 'host', '--skip', 'io_merge', 'tp_backmerge', '--scenario', 'noisy-neighbour', '--requests', '600', '--record-struct', 'event', '--record-btf', 'bpf/testdata/io_event.bpf.o', '--records', '10000', '--json']);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as Report & { records: number; first_records: { record: string }[] };
      expect(report.first_records.length).toBe(report.records);
      expect(report.records).toBe(Number(value(report, '.bss', 'io_dones')));
      // The host kernel's blk_mq_start_request, on the requests QEMU's io_uring made.
      expect(Number(value(report, '.bss', 'mq_starts'))).toBe(report.programs.find((p) => p.name === 'rq_issue')!.runs);
      expect(value(report, '.bss', 'start_unknown')).toBe('0');
      const pids = new Set(report.first_records.map((e) => /pid=(\d+)/.exec(e.record)![1]));
      expect(pids.size).toBe(2);
      expect(report.first_records.every((e) => e.record.endsWith('comm="IO iothread0"}'))).toBe(true);
    });

    it("runs fentry programs on the guest's virtio-blk functions with their typed arguments: every request through ->queue_rq and bd->rq, every completion's request matched", async () => {
      const [r, raw] = await Promise.all([
        run(['prog', 'run', 'bpf/testdata/fentry_virtio.bpf.o', '--requests', '1000', '--json']),
        run(['prog', 'run', 'bpf/testdata/biolat_raw.bpf.o', '--requests', '1000', '--json']),
      ]);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as Report;
      const runs = (rep: Report, name: string): number => rep.programs.find((p) => p.name === name)!.runs;
      expect(report.programs.map((p) => p.hook)).toEqual(['guest fentry virtio_queue_rq', 'guest fentry virtqueue_notify', 'guest fentry blk_mq_complete_request']);
      // ->queue_rq sees each request as it is issued; bd->rq->tag is the tag the raw tracepoint tool reads.
      expect(runs(report, 'queue_rq')).toBe(runs(JSON.parse(raw.out) as Report, 'block_rq_issue'));
      expect(value(report, '.bss', 'queue_rqs')).toBe(String(runs(report, 'queue_rq')));
      expect(value(report, '.bss', 'queue_bytes')).toBe(String(runs(report, 'queue_rq') * 4096));
      expect(value(report, '.data', 'max_tag')).toBe(value(JSON.parse(raw.out) as Report, '.data', 'max_tag'));
      expect(value(report, '.bss', 'max_queue')).toBe('0');
      // virtblk_done completes every used request of its pass before the block layer sees the first: the run may stop within a pass.
      const completions = runs(report, 'complete');
      expect(completions).toBeGreaterThanOrEqual(1000);
      expect(completions).toBeLessThan(1000 + 16);
      expect(value(report, '.bss', 'completions')).toBe(String(completions));
      expect(value(report, '.bss', 'completed_bytes')).toBe(String(completions * 4096));
      expect(value(report, '.bss', 'unmatched')).toBe('0');
      expect(value(report, '.bss', 'null_rq')).toBe('0');
      expect(Number(value(report, '.bss', 'kicks'))).toBe(runs(report, 'notify'));
      expect(runs(report, 'notify')).toBeGreaterThan(0);
    });

    it("refuses, in libbpf's words, a BTF-typed program whose target the kernel's BTF lacks; verifies one the hook table declares", async () => {
      const f = 'bpf/testdata/btf_targets.bpf.o';
      const r = await run(['prog', 'verify', f, '--btf', 'bpf/btf/linux-6.18.min.btf']);
      expect(r.code).toBe(1);
      expect(r.out).toBe('starts: verified (fentry blk_mq_start_request, 7 insns, processed 6)\n');
      expect(r.err.trim().split('\n')).toEqual([
        `viotrace: ${f}: program switches: tp_btf/sched_switch: failed to find kernel BTF type ID of 'sched_switch' (no btf_trace_sched_switch in the kernel BTF, and no such raw tracepoint in viotrace hooks)`,
        `viotrace: ${f}: program no_function: fentry/no_such_function_xyz: failed to find kernel BTF type ID of 'no_such_function_xyz' (no such function in the kernel BTF, and no such kprobe in viotrace hooks)`,
      ]);
    });

    it("pairs fentry and fexit on the guest's functions: time inside virtio_queue_rq, virtqueue_kick_prepare's answer, blk_mq_start_request's request read again on return", async () => {
      const [r, raw] = await Promise.all([
        run(['prog', 'run', 'bpf/testdata/fexit_virtio.bpf.o', '--requests', '1000', '--json']),
        run(['prog', 'run', 'bpf/testdata/biolat_raw.bpf.o', '--requests', '1000', '--json']),
      ]);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as Report;
      const runs = (name: string): number => report.programs.find((p) => p.name === name)!.runs;
      expect(report.programs.map((p) => p.hook)).toEqual([
        'guest fentry virtio_queue_rq', 'guest fentry virtqueue_notify', 'guest fentry vring_interrupt',
        'guest fexit virtio_queue_rq', 'guest fexit virtqueue_kick_prepare', 'guest fexit virtqueue_notify', 'guest fexit vring_interrupt', 'guest fexit blk_mq_start_request',
      ]);
      const calls = runs('queue_rq_entry');
      // Every call returns once, BLK_STS_OK, on the CPU it was made on, after it was made.
      expect(runs('queue_rq_exit')).toBe(calls);
      expect(value(report, '.bss', 'queue_rq_returns')).toBe(String(calls));
      expect(value(report, '.bss', 'nonzero_status')).toBe('0');
      expect(value(report, '.bss', 'unmatched')).toBe('0');
      const inside = hist(report, 'queue_rq_ns');
      expect([...inside.values()].reduce((a, b) => a + b, 0)).toBe(calls);
      // Descriptor setup, and for a batch's last request the kick and its VM exit: between 256 ns and 8 us.
      expect(Math.min(...inside.keys())).toBeGreaterThanOrEqual(8);
      expect(Math.max(...inside.keys())).toBeLessThanOrEqual(12);
      // virtqueue_notify returns true once the vCPU is back from its exit (1.5 us median, docs/models.md).
      const notifies = Number(value(report, '.bss', 'notifies'));
      expect(value(report, '.bss', 'notify_returns')).toBe(String(notifies));
      expect(value(report, '.bss', 'notify_true')).toBe(String(notifies));
      const exits = hist(report, 'notify_ns');
      expect([...exits.values()].reduce((a, b) => a + b, 0)).toBe(notifies);
      expect(Math.min(...exits.keys())).toBeGreaterThanOrEqual(9);
      expect(Math.max(...exits.keys())).toBeLessThanOrEqual(12);
      expect([...exits].sort((a, b) => b[1] - a[1])[0]![0]).toBe(10);
      // vring_interrupt returns IRQ_HANDLED when virtblk_done's loop is done; one handler may still run as the run stops.
      const handled = Number(value(report, '.bss', 'irq_handled'));
      expect(handled).toBeGreaterThan(100);
      expect(Number(value(report, '.bss', 'interrupts')) - handled - Number(value(report, '.bss', 'irq_none'))).toBeLessThanOrEqual(1);
      // kick_prepare said yes exactly as often as virtqueue_notify was called.
      expect(value(report, '.bss', 'kicks_wanted')).toBe(value(report, '.bss', 'notifies'));
      expect(Number(value(report, '.bss', 'kicks_wanted')) + Number(value(report, '.bss', 'kicks_not_wanted'))).toBe(runs('kick_prepare_exit'));
      expect(value(report, '.bss', 'starts_returned')).toBe(String(runs('start_exit')));
      expect(value(report, '.data', 'max_tag')).toBe(value(JSON.parse(raw.out) as Report, '.data', 'max_tag'));
    });

    it('refuses what Linux 6.18 refuses, in its words: a store, an argument the tracepoint lacks, half a pointer, past the struct, a variable offset', async () => {
      const cases: [string, string][] = [
        ['btf_store', 'program store_field: insn 2: only read is supported'],
        ['btf_arg', 'program second_arg: insn 0: invalid bpf_context access off=8 size=8'],
        ['btf_half_ptr', 'program half_pointer: insn 1: cannot access ptr member q with moff 0 in struct request with off 0 size 4'],
        ['btf_past_struct', 'program past_struct: insn 1: access beyond struct request at off 4096 size 8'],
        ['btf_var_off', 'program var_offset: insn 4: R6 is ptr_request invalid variable offset: off=0, var_off=(0x0; 0x7)'],
      ];
      const results = await Promise.all(cases.map(([f]) => run(['prog', 'verify', `bpf/testdata/${f}.bpf.o`, '--btf', 'bpf/btf/linux-6.18.min.btf'])));
      results.forEach((r, i) => {
        const [f, text] = cases[i]!;
        expect(r.code).toBe(1);
        expect(r.err).toContain(`viotrace: bpf/testdata/${f}.bpf.o: ${text} (`);
      });
      // The kernel's line before the reason is in the log.
      expect(results[1]!.err).toContain("func 'block_rq_issue' doesn't have 2-th argument\n");
      const sim = await run(['prog', 'run', 'bpf/testdata/btf_store.bpf.o']);
      expect([sim.code, sim.err]).toEqual([1, 'viotrace: btf_store.bpf.o: program store_field: insn 2: only read is supported\n']);
    });
  });

  describe("a tool configured as libbpf-tools configure theirs (tool_config.bpf.o): --set before load, .kconfig, a cgroup filter, a poisoned field", () => {
    const value = (r: Report, map: string, key: string): string | undefined => r.maps.find((m) => m.name === map)!.shown.find((e) => e.key === key)?.value;

    it('verifies as Linux 6.18 does: the version test walked one way, the instructions processed counted alike', async () => {
      const r = await run(['prog', 'verify', 'bpf/testdata/tool_config.bpf.o']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toBe('on_issue: verified (raw_tracepoint block_rq_issue, 34 insns, processed 23, reads raw tracepoint args up to byte 8)\non_complete: verified (raw_tracepoint block_rq_complete, 86 insns, processed 47, reads raw tracepoint args up to byte 8)\n');
    });

    it('runs with its defaults, then per op with --set per_op=1 (reads and writes apart) and with the cgroup filter on (no cgroup stored: -EAGAIN, which lets every request through)', async () => {
      const [plain, perOp] = await Promise.all([
        run(['prog', 'run', 'bpf/testdata/tool_config.bpf.o', '--scenario', 'guest-elevator', '--requests', '500', '--json']),
        run(['prog', 'run', 'bpf/testdata/tool_config.bpf.o', '--scenario', 'guest-elevator', '--requests', '500', '--set', 'per_op=1', 'filter_cg=true', '--json']),
      ]);
      expect(plain.code, plain.err).toBe(0);
      const a = JSON.parse(plain.out) as Report;
      expect(a.maps.find((m) => m.name === 'by_op')!.shown).toEqual([{ key: '0', value: '500' }]);
      expect(value(a, '.kconfig', 'LINUX_KERNEL_VERSION')).toBe(String((6 << 16) + (18 << 8)));
      expect(value(a, '.kconfig', 'CONFIG_VIOTRACE_NOT_THERE')).toBe('0');
      expect(value(a, '.data', 'cgroup_answer')).toBe('1');
      expect(perOp.code, perOp.err).toBe(0);
      const b = JSON.parse(perOp.out) as Report;
      const byOp = new Map(b.maps.find((m) => m.name === 'by_op')!.shown.map((e) => [e.key, Number(e.value)]));
      expect([...byOp.keys()].sort()).toEqual(['0', '1']);
      expect(byOp.get('0')! + byOp.get('1')!).toBe(500);
      expect(byOp.get('1')).toBeGreaterThan(50);
      expect(value(b, '.rodata', 'per_op')).toBe('1');
      expect(value(b, '.data', 'cgroup_answer')).toBe('-11');
    });

    it("refuses, as libbpf reports it, a field the kernel's BTF lacks once an option reaches it; --set names it cannot set are errors", async () => {
      const r = await run(['prog', 'run', 'bpf/testdata/tool_config.bpf.o', '--set', 'old_disk_field=1']);
      expect([r.code, r.err]).toEqual([1, 'viotrace: tool_config.bpf.o: program on_complete: insn 53: failed to resolve CO-RE relocation <byte_off> [31] struct request___old.rq_disk (0:0 @ offset 0)\n']);
      const dump = await run(['prog', 'dump', 'bpf/testdata/tool_config.bpf.o']);
      expect(dump.code, dump.err).toBe(0);
      expect(dump.out).toContain('    53: call 195896080\t; <invalid CO-RE relocation> <byte_off> [31] struct request___old.rq_disk (0:0 @ offset 0)\n');
      const v = await run(['prog', 'verify', 'bpf/testdata/core_poison.bpf.o']);
      expect(v.code).toBe(1);
      expect(v.err).toContain('viotrace: bpf/testdata/core_poison.bpf.o: program old_kernel_only: insn 0: failed to resolve CO-RE relocation <byte_off> [6] struct request___old.rq_disk (0:0 @ offset 0) (core_poison.bpf.c:16:');
      const unknown = await run(['prog', 'run', 'bpf/testdata/tool_config.bpf.o', '--set', 'nope=1']);
      expect([unknown.code, unknown.err]).toEqual([1, 'viotrace: bpf/testdata/tool_config.bpf.o: no global variable nope in .rodata, .data or .bss\n']);
      const bad = await run(['prog', 'run', 'bpf/testdata/tool_config.bpf.o', '--set', 'per_op']);
      expect([bad.code, bad.err]).toEqual([2, 'viotrace: --set takes NAME=VALUE, not "per_op"\n']);
      const word = await run(['prog', 'run', 'bpf/testdata/tool_config.bpf.o', '--set', 'per_op=yes']);
      expect([word.code, word.err]).toEqual([2, 'viotrace: --set per_op: "yes" is not an integer or true/false\n']);
    });

    it('takes CONFIG_* values with --kconfig, and refuses a strong extern without one as libbpf does', async () => {
      const missing = await run(['prog', 'run', 'bpf/testdata/kconfig_strong.bpf.o', '--requests', '50']);
      expect(missing.code).toBe(1);
      expect(missing.err).toBe("viotrace: bpf/testdata/kconfig_strong.bpf.o: extern (kcfg) 'CONFIG_HZ': value not found (viotrace knows LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE and LINUX_HAS_SYSCALL_WRAPPER; give others with prog run --kconfig NAME=VALUE, or declare it __weak to get 0)\n");
      const given = await run(['prog', 'run', 'bpf/testdata/kconfig_strong.bpf.o', '--requests', '50', '--kconfig', 'CONFIG_HZ=250', '--json']);
      expect(given.code, given.err).toBe(0);
      const r = JSON.parse(given.out) as Report;
      expect(value(r, '.bss', 'hz')).toBe('250');
      expect(value(r, '.kconfig', 'CONFIG_HZ')).toBe('250');
      const bad = await run(['prog', 'run', 'bpf/testdata/kconfig_strong.bpf.o', '--kconfig', 'CONFIG_HZ']);
      expect([bad.code, bad.err]).toEqual([2, 'viotrace: --kconfig takes NAME=VALUE, not "CONFIG_HZ"\n']);
    });
  });

  it("runs kprobes on blk_mq_start_request and blk_mq_end_request on either side: issue to completion, the raw tracepoint tool's histogram", async () => {
    const hist = (r: Report, map: string): [number, number][] => r.maps.find((m) => m.name === map)!.shown.map((e) => [Number(e.key), Number(e.value)]);
    for (const side of [['--requests', '500'], ['--side', 'host', '--scenario', 'slow-disk', '--requests', '300']]) {
      const [k, raw] = await Promise.all([
        run(['prog', 'run', 'bpf/testdata/timestamp.bpf.o', ...side, '--json']),
        run(['prog', 'run', 'bpf/testdata/biolat_raw.bpf.o', ...side, '--json']),
      ]);
      expect(k.code, k.err).toBe(0);
      const report = JSON.parse(k.out) as Report;
      const where = side.includes('host') ? 'host' : 'guest';
      expect(report.programs.map((p) => p.hook)).toEqual([`${where} kprobe blk_mq_start_request`, `${where} kprobe blk_mq_end_request`]);
      expect(hist(report, 'hist')).toEqual(hist(JSON.parse(raw.out) as Report, 'read_usecs'));
    }
  });

  it('refuses an object with a hook neither side has, exit 1, and a side it does not know, exit 2', async () => {
    const r = await run(['prog', 'run', 'bpf/testdata/unknown_hooks.bpf.o']);
    expect([r.code, r.err]).toEqual([1, 'viotrace: bpf/testdata/unknown_hooks.bpf.o: program no_function: no hook kprobe no_such_function_xyz on either side (viotrace hooks lists them; --skip no_function leaves it unloaded, as a tool turns off autoload for what the kernel lacks)\n']);
    const s = await run(['prog', 'run', 'bpf/testdata/rq_latency.bpf.o', '--side', 'qemu']);
    expect([s.code, s.err]).toEqual([2, 'viotrace: --side takes guest or host, not "qemu"\n']);
  });
});
