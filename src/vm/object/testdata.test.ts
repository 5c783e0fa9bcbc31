// Small clang-built objects (bpf/testdata) loaded, verified and run on both engines; results read back through the user-space map API.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { contextFor, mapSpec, verify, type VerifierError } from '../verifier/index.js';
import { DEFAULT_ENVIRONMENT, Program, type Engine } from '../program.js';
import { ArrayMap, HashMap, RingBufConsumer, RingBufMap, BPF_NOEXIST, type AnyMap } from '../maps/index.js';
import { parseBtf } from '../btf/index.js';
import { libbpfReason, loadObject, type BpfObject } from './index.js';

const ENGINES: Engine[] = ['interpreter', 'jit'];
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const load = (name: string): BpfObject => loadObject(readFileSync(here(`../../../bpf/testdata/${name}.bpf.o`)), `${name}.bpf.o`, { possibleCpus: 4 });

/** An x86-64 pt_regs with the first arguments in di, si, dx (offsets 112, 104, 96). */
function ptRegs(...args: bigint[]): Uint8Array {
  const regs = new Uint8Array(168);
  const dv = new DataView(regs.buffer);
  args.forEach((a, i) => dv.setBigUint64([112, 104, 96, 88, 72][i]!, a, true));
  return regs;
}

/** Loads one program of an object, verified with a kprobe context. */
function program(obj: BpfObject, name: string, engine: Engine, clock: { t: number }, cpu = 0): Program {
  const p = obj.program(name)!;
  const prog = new Program(p.insns, { maps: obj.maps.map((m) => m.map), engine, ctxWritable: false, verify: { ctx: contextFor(p.kind), lines: p.lines, globals: p.globals } });
  prog.env = { ...DEFAULT_ENVIRONMENT, cpu, pid: 4242, tgid: 4200, ktimeNs: () => clock.t };
  return prog;
}

const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const u64 = (v: bigint): Uint8Array => new Uint8Array(new BigUint64Array([v]).buffer);
const readU64 = (b: Uint8Array | null): bigint => (b ? new DataView(b.buffer, b.byteOffset).getBigUint64(0, true) : -1n);
const map = (obj: BpfObject, name: string): AnyMap => obj.map(name)!;
/** A hash or array map of the object, for element lookups. */
function elements(obj: BpfObject, name: string): HashMap | ArrayMap {
  const m = map(obj, name);
  if (!(m instanceof HashMap || m instanceof ArrayMap)) throw new Error(`${name} is not a hash or array map`);
  return m;
}

describe.each(ENGINES)('bpf/testdata objects (%s)', (engine) => {
  it('timestamp.bpf.o: start/end pairs fill a log2 latency histogram and leave no start behind', () => {
    const obj = load('timestamp');
    const clock = { t: 1_000_000 };
    const start = program(obj, 'start', engine, clock);
    const end = program(obj, 'end', engine, clock);
    // Three requests of 5 us, 100 us and 3 ms, interleaved.
    const lat = [5_000, 100_000, 3_000_000];
    lat.forEach((_, i) => start.run(ptRegs(0xffff888000001000n + BigInt(i) * 0x100n)));
    const starts = elements(obj, 'starts');
    expect(readU64(starts.lookup(u64(0xffff888000001100n)))).toBe(1_000_000n);
    lat.forEach((l, i) => {
      clock.t = 1_000_000 + l;
      end.run(ptRegs(0xffff888000001000n + BigInt(i) * 0x100n));
    });
    // An end without a start changes nothing.
    end.run(ptRegs(0xdeadn));
    const hist = elements(obj, 'hist');
    const slots = Array.from({ length: 32 }, (_, s) => readU64(hist.lookup(u32(s))));
    // log2 of 5, 100 and 3000 microseconds: slots 2, 6 and 11.
    expect(slots.map((c, s) => (c ? `${s}:${c}` : '')).filter(Boolean)).toEqual(['2:1', '6:1', '11:1']);
    expect(starts.nextKey(null)).toBeNull();
  });

  it('ringbuf.bpf.o: reserved, discarded and output records drain in order with the kernel header layout', () => {
    const obj = load('ringbuf');
    const clock = { t: 77 };
    const reserve = program(obj, 'reserve', engine, clock);
    const output = program(obj, 'output', engine, clock);
    reserve.run(ptRegs(2048n, 4096n));
    reserve.run(ptRegs(4096n, 0n)); // discarded: zero bytes
    clock.t = 99;
    output.run(ptRegs(8192n, 512n));
    const got: { ts: bigint; sector: bigint; bytes: number; pid: number }[] = [];
    const consumer = new RingBufConsumer().add(map(obj, 'events') as RingBufMap, (data, off, size) => {
      expect(size).toBe(24);
      const dv = new DataView(data.buffer, data.byteOffset + off, size);
      got.push({ ts: dv.getBigUint64(0, true), sector: dv.getBigUint64(8, true), bytes: dv.getUint32(16, true), pid: dv.getUint32(20, true) });
    });
    expect(consumer.consume()).toBe(2);
    expect(got).toEqual([
      { ts: 77n, sector: 2048n, bytes: 4096, pid: 4200 },
      { ts: 99n, sector: 8192n, bytes: 512, pid: 4200 },
    ]);
    expect(consumer.dropped).toBe(0);
  });

  it('ringbuf.bpf.o: a full ring drops records and counts them', () => {
    const obj = load('ringbuf');
    const output = program(obj, 'output', engine, { t: 1 });
    // 4096-byte ring, 8-byte header + 24-byte record = 32 bytes; the kernel refuses a reservation that
    // would bring the producer a full ring ahead of the consumer (`> rb->mask`), so 127 fit, not 128.
    for (let i = 0; i < 200; i++) output.run(ptRegs(BigInt(i), 512n));
    const ring = map(obj, 'events') as RingBufMap;
    let n = 0;
    const consumer = new RingBufConsumer().add(ring, () => void n++);
    consumer.consume();
    expect(n).toBe(127);
    expect(consumer.dropped).toBe(73);
  });

  it('percpu.bpf.o: counters per CPU, seen per CPU from user space', () => {
    const obj = load('percpu');
    const clock = { t: 0 };
    const onCpu = [0, 1, 3].map((cpu) => program(obj, 'count', engine, clock, cpu));
    onCpu[0]!.run(ptRegs(8n, 4096n));
    onCpu[0]!.run(ptRegs(8n, 4096n));
    onCpu[1]!.run(ptRegs(8n, 512n));
    onCpu[2]!.run(ptRegs(9n, 1024n));
    const calls = elements(obj, 'calls');
    expect(calls.lookupPerCpu(u32(0))!.map(readU64)).toEqual([2n, 1n, 0n, 1n]);
    const bytes = elements(obj, 'bytes_by_dev');
    expect(bytes.lookupPerCpu(u32(8))!.map(readU64)).toEqual([8192n, 512n, 0n, 0n]);
    expect(bytes.lookupPerCpu(u32(9))!.map(readU64)).toEqual([0n, 0n, 0n, 1024n]);
    // The program inserts with BPF_NOEXIST; user space gets -EEXIST the same way.
    expect(bytes.update(u32(9), new Uint8Array(8 * 4), BPF_NOEXIST)).toBe(-17);
  });

  it('subprog.bpf.o: a bpf-to-bpf call reads .rodata and .data and adds to .bss', () => {
    const obj = load('subprog');
    const account = program(obj, 'account', engine, { t: 0 });
    // The call survived as a bpf-to-bpf call (src 1) into .text appended after the program.
    expect(account.insns.some((i) => i.opcode === 0x85 && i.src === 1)).toBe(true);
    for (const bytes of [512n, 4096n, 65536n, 8192n]) account.run(ptRegs(bytes));
    const bss = elements(obj, '.bss');
    const v = bss.lookup(u32(0))!;
    const dv = new DataView(v.buffer, v.byteOffset);
    // seen = 4; big = (1 + 16 + 2) * weight 3 = 57 (512 bytes is under min_bytes 4096).
    expect(dv.getBigUint64(0, true)).toBe(4n);
    expect(dv.getBigUint64(8, true)).toBe(57n);
    expect(readU64(elements(obj, '.rodata').lookup(u32(0)))).toBe(4096n);
    expect(readU64(elements(obj, '.data').lookup(u32(0)))).toBe(3n);
  });

  it('bpf_loop.bpf.o: bpf_loop calls its callback per index over the caller\'s stack, stops when it returns 1, and returns its errors', () => {
    const obj = load('bpf_loop');
    const walk = program(obj, 'walk', engine, { t: 0 });
    // Loaded and verified: each program is linked with only the .text functions it reaches (walk:
    // step and count_bucket, not tick), as libbpf does; tick's body would be unreachable code in walk.
    expect(walk.engine).toBe(engine);
    const out = elements(obj, 'out');
    const slot = (i: number): bigint => BigInt.asIntN(64, readU64(out.lookup(u32(i))));
    const cases: [bigint, bigint, bigint, bigint, bigint][] = [
      // n, stop_at, flags: what bpf_loop returns, the callback's sum of indexes
      [10n, 100n, 0n, 10n, 45n],
      [10n, 3n, 0n, 4n, 6n], // 0+1+2+3, then 1 stops it: 4 iterations, the last included
      [0n, 0n, 0n, 0n, 0n],
      [10n, 100n, 1n, -22n, 0n], // flags must be 0: -EINVAL, no iteration
      [(1n << 23n) + 1n, 0n, 0n, -7n, 0n], // past BPF_MAX_LOOPS: -E2BIG
      [(1n << 32n) | 5n, 100n, 0n, 5n, 10n], // nr_loops is a u32
    ];
    for (const [n, stop, flags, ret, sum] of cases) {
      walk.run(ptRegs(n, stop, flags));
      expect([slot(0), slot(1)]).toEqual([ret, sum]);
    }
    // The callback called a global function per index: i & 7 counted in buckets, over the 10 + 4 + 5 iterations.
    const buckets = elements(obj, 'buckets');
    const counts = [0, 1, 2, 3, 4, 5, 6, 7].map((b) => readU64(buckets.lookup(u32(b))));
    expect(counts).toEqual([4n, 4n, 3n, 3n, 2n, 1n, 1n, 1n]);
    // A NULL context, and n & 0xff iterations.
    const ticks = program(obj, 'ticks', engine, { t: 0 });
    ticks.run(ptRegs(300n));
    expect(slot(2)).toBe(44n);
    expect(readU64(buckets.lookup(u32(8)))).toBe(44n);
  });

  it('bpf_loop_iterations.bpf.o: callbacks walked per iteration as Linux 6.7 and later do, in as many instructions as Linux 6.18, and run', () => {
    const obj = load('bpf_loop_iterations');
    const widen = program(obj, 'widen', engine, { t: 0 });
    const unknownCount = program(obj, 'unknown_count', engine, { t: 0 });
    const once = program(obj, 'once', engine, { t: 0 });
    // The counter widened after its second iteration, not walked once per value up to 100.
    expect([widen, unknownCount, once].map((p) => p.verdict!.processed)).toEqual([32, 28, 25]);
    expect(widen.run(ptRegs())).toBe(1);
    expect(unknownCount.run(ptRegs(5n))).toBe(1);
    expect(unknownCount.run(ptRegs(4n))).toBe(0);
    expect(once.run(ptRegs())).toBe(1);
  });

  it('kernel_accepts.bpf.o: what Linux 6.18 loads, viotrace loads and runs too', () => {
    const obj = load('kernel_accepts');
    const clock = { t: 123 };
    // A padded value goes to map_update_elem whole, its padding never written.
    program(obj, 'padded_value', engine, clock).run(ptRegs(0xffff888000002000n));
    const v = elements(obj, 'seen').lookup(u64(0xffff888000002000n))!;
    expect([readU64(v.subarray(0, 8)), readU64(v.subarray(8, 16)), new DataView(v.buffer, v.byteOffset).getUint32(16, true)]).toEqual([123n, 0n, 1]);
    // A __data_loc string read at the record's address plus the offset in the record.
    const rec = new Uint8Array(80);
    new DataView(rec.buffer).setUint32(60, (9 << 16) | 64, true);
    rec.set(new TextEncoder().encode('flush-cmd\0'), 64);
    program(obj, 'data_loc', engine, clock).run(rec);
    expect(new TextDecoder().decode(elements(obj, '.bss').lookup(u32(0))!.subarray(0, 9))).toBe('flush-cmd');
    // bpf_printk with one argument leaves r4 and r5 unset.
    const lines: string[] = [];
    const printk = program(obj, 'printk', engine, clock);
    printk.env = { ...printk.env, printk: (l) => void lines.push(l) };
    printk.run(ptRegs(0xabcn));
    expect(lines).toEqual(['notify abc']);
    // A perf_event_array without max_entries has one entry per possible CPU (4 here).
    expect(map(obj, 'irqs').maxEntries).toBe(4);
    expect(program(obj, 'perf_default', engine, clock).run(ptRegs(11n))).toBe(0);
    // 264 + 240 bytes of stack over a call.
    expect(program(obj, 'stack_504', engine, clock).verdict!.processed).toBeGreaterThan(0);
  });

  it('global_funcs.bpf.o: global functions verified on their own from their BTF arguments run as calls', () => {
    const obj = load('global_funcs');
    const p = obj.program('globals')!;
    expect([...p.globals.values()].map((g) => `${g.name}(${g.args.map((a) => (a.kind === 'mem' ? `mem ${a.size}` : a.kind)).join(', ')})`)).toEqual(['sum(mem 16)', 'first_arg(ctx)', 'scaled(scalar)']);
    const prog = program(obj, 'globals', engine, { t: 0 });
    prog.run(ptRegs(7n, 5n));
    // sum(&p) + sum(NULL) + first_arg(ctx) * 1000 + scaled(4)
    expect(readU64(elements(obj, '.bss').lookup(u32(0)))).toBe(7n + 5n + 0n + 7000n + 16n);
  });

  it('legacy.bpf.o: maps from the legacy `maps` section work as BTF-defined ones', () => {
    const obj = load('legacy');
    expect(obj.maps.map((m) => `${m.name}:${m.map.typeName}:${m.map.keySize}:${m.map.valueSize}:${m.map.maxEntries}`)).toEqual(['counts:hash:4:8:128', 'totals:array:4:8:2']);
    const count = program(obj, 'legacy_count', engine, { t: 0 });
    for (const op of [1, 1, 2, 3, 1]) count.run(ptRegs(BigInt(op)));
    const counts = elements(obj, 'counts');
    expect([1, 2, 3].map((k) => readU64(counts.lookup(u32(k))))).toEqual([3n, 1n, 1n]);
    const totals = elements(obj, 'totals');
    expect([0, 1].map((k) => readU64(totals.lookup(u32(k))))).toEqual([1n, 4n]);
  });
});

describe('objects the kernel refuses (Linux 6.18 says the same: test/kernel-verifier.test.ts)', () => {
  it.each([
    ['bpf_loop_iterations_reject', 'invalid access to map value, value_size=2 off=2 size=1: R1 min value is outside of the allowed memory range'],
    ['bpf_loop_reject', 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]'],
    ['bpf_loop_ctx', 'R3 type=map_value expected=fp'],
    ['global_unbounded', 'R2 unbounded memory access, make sure to bounds check any such access'],
    ['global_null', "R1 invalid mem access 'mem_or_null'"],
    ['global_void', "Caller passes invalid args into func#1 ('peek')"],
    ['global_small', "Caller passes invalid args into func#1 ('sum')"],
  ])('%s.bpf.o: %s', (name, reason) => {
    const obj = load(name);
    const p = obj.programs[0]!;
    expect(() => program(obj, p.name, 'interpreter', { t: 0 })).toThrow(reason);
  });

  it('says why a call to a global function is refused, in the log, before the refusal', () => {
    const obj = load('global_void');
    const p = obj.programs[0]!;
    try {
      verify(p.insns, { ctx: contextFor(p.kind), maps: obj.maps.map((m) => mapSpec(m.name, m.map)), globals: p.globals });
      expect.unreachable();
    } catch (e) {
      expect((e as VerifierError).log.split('\n').slice(-3, -1)).toEqual(["arg#0 reference type('UNKNOWN ') size cannot be determined: -22", "Caller passes invalid args into func#1 ('peek')"]);
    }
  });
});

describe('an object loaded again', () => {
  it.each(ENGINES)('%s: shares compiled code and verdicts but runs on its own maps', (engine) => {
    const a = load('timestamp');
    const b = load('timestamp');
    const clock = { t: 5_000 };
    const startA = program(a, 'start', engine, clock);
    const startB = program(b, 'start', engine, clock);
    expect(startB.verdict).toBe(startA.verdict);
    // Interleaved runs: each program's writes land in its own object's map.
    startA.run(ptRegs(0x1000n));
    clock.t = 6_000;
    startB.run(ptRegs(0x2000n));
    startA.run(ptRegs(0x3000n));
    const startsA = elements(a, 'starts');
    const startsB = elements(b, 'starts');
    expect([readU64(startsA.lookup(u64(0x1000n))), readU64(startsA.lookup(u64(0x2000n))), readU64(startsA.lookup(u64(0x3000n)))]).toEqual([5_000n, -1n, 6_000n]);
    expect([readU64(startsB.lookup(u64(0x1000n))), readU64(startsB.lookup(u64(0x2000n)))]).toEqual([-1n, 6_000n]);
  });
});

describe('libbpf-tools conventions: .kconfig externs, options set before load, frozen .rodata, poisoned CO-RE', () => {
  const btf = parseBtf(readFileSync(here('../../../bpf/btf/linux-6.18.min.btf')), 'min');
  const bytes = (name: string): Uint8Array => readFileSync(here(`../../../bpf/testdata/${name}.bpf.o`));
  const verdictOf = (obj: BpfObject, name: string) => {
    const p = obj.program(name)!;
    return verify(p.insns, { ctx: contextFor(p.kind), maps: obj.maps.map((m) => mapSpec(m.name, m.map)), lines: p.lines });
  };
  const readU32 = (m: AnyMap, off: number): number => new DataView((m as ArrayMap).values.buffer).getUint32(off, true);

  it('.kconfig holds the kernel version and 0 for a __weak extern it has no value for; its branch on the version is walked one way', () => {
    const obj = loadObject(bytes('tool_config'), 'tool_config.bpf.o', { possibleCpus: 2, targetBtf: btf });
    const kconfig = obj.map('.kconfig')!;
    expect(kconfig.frozen).toBe(true);
    expect(kconfig.readOnlyForPrograms).toBe(true);
    // Laid out by alignment, then name: both 4 bytes.
    expect([readU32(kconfig, 0), readU32(kconfig, 4)]).toEqual([0, (6 << 16) + (18 << 8)]);
    expect(obj.map('.rodata')!.frozen).toBe(true);
    // KERNEL_VERSION(6, 18, 0) >= 5.11: ctx[0] only; 23 instructions processed, as Linux 6.18 counts them.
    expect(verdictOf(obj, 'on_issue')).toMatchObject({ maxCtxOffset: 8, processed: 23 });
    const old = loadObject(bytes('tool_config'), 'tool_config.bpf.o', { possibleCpus: 2, targetBtf: btf, kernelVersion: [5, 10, 0] });
    expect(readU32(old.map('.kconfig')!, 4)).toBe((5 << 16) + (10 << 8));
    // On 5.10 the other arm is walked: clang's select of ctx + 8 is a modified context pointer there.
    expect(() => verdictOf(old, 'on_issue')).toThrow('dereference of modified ctx ptr R1 off=8 disallowed');
  });

  it('sets const volatile options before .rodata is frozen, and refuses names it does not have and values that do not fit', () => {
    const obj = loadObject(bytes('tool_config'), 'tool_config.bpf.o', { possibleCpus: 2, targetBtf: btf, globals: { per_op: 1n, filter_cg: 1n } });
    const rodata = (obj.map('.rodata') as ArrayMap).values;
    expect([...rodata.subarray(0, 3)]).toEqual([1, 1, 0]);
    // filter_cg now walks the helper call: more instructions than with the option off.
    expect(verdictOf(obj, 'on_issue').processed).toBeGreaterThan(23);
    expect(() => loadObject(bytes('tool_config'), 'x.o', { possibleCpus: 2, targetBtf: btf, globals: { nope: 1n } })).toThrow('no global variable nope in .rodata, .data or .bss');
    expect(() => loadObject(bytes('tool_config'), 'x.o', { possibleCpus: 2, targetBtf: btf, globals: { per_op: 256n } })).toThrow('256 does not fit its 1 bytes');
  });

  it('poisons a relocation the kernel BTF cannot resolve: loaded, refused only where reached, named as libbpf names it', () => {
    const obj = loadObject(bytes('tool_config'), 'tool_config.bpf.o', { possibleCpus: 2, targetBtf: btf });
    const p = obj.program('on_complete')!;
    expect([...p.poisoned.values()]).toEqual(['<byte_off> [31] struct request___old.rq_disk (0:0 @ offset 0)']);
    const [at] = [...p.poisoned.keys()];
    expect(p.insns[at!]).toMatchObject({ opcode: 0x85, imm: 0xbad2310 });
    expect(() => verdictOf(obj, 'on_complete')).not.toThrow();
    const on = loadObject(bytes('tool_config'), 'tool_config.bpf.o', { possibleCpus: 2, targetBtf: btf, globals: { old_disk_field: 1n } });
    let refusal: VerifierError | undefined;
    try {
      verdictOf(on, 'on_complete');
    } catch (e) {
      refusal = e as VerifierError;
    }
    expect(refusal!.pc).toBe(at);
    expect(refusal!.reason).toBe('invalid func unknown#195896080');
    expect(libbpfReason(on.program('on_complete')!, refusal!.pc, refusal!.reason)).toBe('failed to resolve CO-RE relocation <byte_off> [31] struct request___old.rq_disk (0:0 @ offset 0)');
  });

  it('refuses a strong .kconfig extern it has no value for, as libbpf does, and loads it given one', () => {
    expect(() => loadObject(bytes('kconfig_strong'), 'kconfig_strong.bpf.o', { possibleCpus: 2 })).toThrow("extern (kcfg) 'CONFIG_HZ': value not found");
    const obj = loadObject(bytes('kconfig_strong'), 'kconfig_strong.bpf.o', { possibleCpus: 2, kconfig: { CONFIG_HZ: 250 } });
    expect(readU32(obj.map('.kconfig')!, 0)).toBe(250);
  });
});
