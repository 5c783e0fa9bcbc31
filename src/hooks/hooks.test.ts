// The hook table against the real format files and the paired programs; tracepoint contexts byte for byte.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/shared.js';
import { loadObject, parseBtf } from '../vm/index.js';
import { attachRefusal, findHook, HOOKS, PT_REGS, PT_REGS_BYTES, ptRegs, RAW_TRACEPOINTS, tracepointLayout, writePtRegs } from './index.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Fields of a shared format file, read with a regex of our own (not the code under test). */
function sharedFields(system: string, event: string): { name: string; offset: number; size: number; dataLoc: boolean }[] {
  const text = readFileSync(sharedPath('kernel', 'tracefs-formats', system, `${event}.format`), 'utf8');
  return [...text.matchAll(/field:(.*?);\s*offset:(\d+);\s*size:(\d+);/g)].map((m) => ({
    name: m[1]!.trim().split(/\s+/).pop()!.replace(/\[.*$/, ''), offset: Number(m[2]), size: Number(m[3]), dataLoc: m[1]!.includes('__data_loc'),
  }));
}

describe('vendored format files', () => {
  for (const system of readdirSync(repo('src/hooks/formats'))) {
    for (const file of readdirSync(repo(`src/hooks/formats/${system}`))) {
      it(`${system}/${file} is the Linux 6.18 file`, () => {
        expect(readFileSync(repo(`src/hooks/formats/${system}/${file}`), 'utf8')).toBe(readFileSync(sharedPath('kernel', 'tracefs-formats', system, file), 'utf8'));
      });
    }
  }
});

describe('tracepoint contexts', () => {
  const tracepoints = [...new Set(HOOKS.filter((h) => h.kind === 'tracepoint').map((h) => h.name))];
  it.each(tracepoints)('%s: every field at its format-file offset, common header first', (name) => {
    const [system, event] = name.split(':') as [string, string];
    const layout = tracepointLayout(name);
    const fields = sharedFields(system, event);
    // A distinct value per field, so a field written at the wrong offset shows.
    const values: Record<string, bigint | string> = {};
    fields.forEach((f, i) => {
      if (f.name.startsWith('common_')) return;
      values[f.name] = f.dataLoc || (f.size > 8) ? `v${i}` : BigInt(0x11 * (i + 1)) & ((1n << BigInt(8 * f.size)) - 1n);
    });
    const rec = layout.encode(values, { pid: 4321, flags: 1, preemptCount: 2 });
    const dv = new DataView(rec.buffer);
    const id = Number(/^ID: (\d+)/m.exec(readFileSync(sharedPath('kernel', 'tracefs-formats', system, `${event}.format`), 'utf8'))![1]);
    expect(dv.getUint16(0, true)).toBe(id);
    expect([dv.getUint8(2), dv.getUint8(3), dv.getInt32(4, true)]).toEqual([1, 2, 4321]);
    for (const f of fields) {
      if (f.name.startsWith('common_')) continue;
      const v = values[f.name]!;
      if (f.dataLoc) {
        const loc = dv.getUint32(f.offset, true);
        const at = loc & 0xffff;
        const len = loc >>> 16;
        expect(new TextDecoder().decode(rec.subarray(at, at + len))).toBe(`${v}\0`);
      } else if (typeof v === 'string') {
        expect(new TextDecoder().decode(rec.subarray(f.offset, f.offset + v.length))).toBe(v);
      } else {
        let got = 0n;
        for (let b = f.size - 1; b >= 0; b--) got = (got << 8n) | BigInt(rec[f.offset + b]!);
        expect(got, f.name).toBe(v);
      }
    }
  });

  it('refuses a field the event does not have', () => {
    expect(() => tracepointLayout('block:block_rq_issue').encode({ secter: 1 }, { pid: 1 })).toThrow(/no field secter/);
    expect(() => tracepointLayout('block:block_rq_issue').encode({ dev: 1, sector: 8, secter: 1 }, { pid: 1 })).toThrow(/no field secter/);
    // common_* names are the header's: allowed, and the header comes from the common fields argument.
    const rec = tracepointLayout('block:block_rq_issue').encode({ common_pid: 99, dev: 1 }, { pid: 7 });
    expect(new DataView(rec.buffer).getInt32(4, true)).toBe(7);
  });

  it('writes numbers beyond 32 bits and BigInts alike, and clears what the previous record of the event set', () => {
    const layout = tracepointLayout('block:block_rq_complete');
    const sectorAt = sharedFields('block', 'block_rq_complete').find((f) => f.name === 'sector')!.offset;
    const asNumber = layout.encode({ dev: 5, sector: 2 ** 40 + 17, nr_sector: 8, error: -5, rwbs: 'R' }, { pid: 1 }).slice();
    const asBigInt = layout.encode({ dev: 5n, sector: 2n ** 40n + 17n, nr_sector: 8n, error: -5n, rwbs: 'R' }, { pid: 1 }).slice();
    expect(asNumber).toEqual(asBigInt);
    expect(new DataView(asNumber.buffer).getBigUint64(sectorAt, true)).toBe(2n ** 40n + 17n);
    // The buffer is reused: fields the next record leaves out read zero, not the last record's values.
    const next = layout.encode({ dev: 5 }, { pid: 1 });
    expect(new DataView(next.buffer).getBigUint64(sectorAt, true)).toBe(0n);
  });
});

describe('pt_regs', () => {
  it('puts arguments where libbpf\'s PT_REGS_PARM1..6 read them (x86-64)', () => {
    const r = ptRegs({ args: [1n, 2n, 3n, 4n, 5n, 6n], ret: 7n, ip: 0xffffffff81000000n });
    const dv = new DataView(r.buffer);
    // bpf_tracing.h, __TARGET_ARCH_x86: PARM1 di (112), PARM2 si (104), PARM3 dx (96), PARM4 cx (88), PARM5 r8 (72), RC ax (80).
    expect([112, 104, 96, 88, 72, 64, 80].map((o) => dv.getBigUint64(o, true))).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(dv.getBigUint64(PT_REGS.ip, true)).toBe(0xffffffff81000000n);
    expect(r.length).toBe(168);
  });

  it('takes numbers as BigInts (negative ones as two\'s complement) and clears the previous hit\'s registers', () => {
    expect(ptRegs({ args: [1, -1, 2 ** 40] })).toEqual(ptRegs({ args: [1n, -1n, 2n ** 40n] }));
    const dv = new DataView(new ArrayBuffer(PT_REGS_BYTES));
    writePtRegs(dv, { args: [1n, 2n, 3n, 4n, 5n, 6n], ret: 9n }, false);
    writePtRegs(dv, { args: [8n] }, true);
    expect(new Uint8Array(dv.buffer)).toEqual(ptRegs({ args: [8n] }, true));
    expect(() => ptRegs({ args: [0.5] })).toThrow(/not an exact integer/);
  });
});

describe('the paired programs and the table', () => {
  const btf = parseBtf(readFileSync(repo('bpf/btf/linux-6.18.min.btf')), 'min');
  it("every program of guest.bpf.o and host.bpf.o attaches to a hook of its side, and every hook but those kept for users' tools has a program", () => {
    const used = new Set<string>();
    for (const side of ['guest', 'host'] as const) {
      const o = loadObject(readFileSync(repo(`bpf/${side}.bpf.o`)), `${side}.bpf.o`, { possibleCpus: 2, targetBtf: btf });
      for (const p of o.programs) {
        const h = findHook(side, p.kind, p.attachTo);
        expect(h, `${side} ${p.kind} ${p.attachTo}`).toBeDefined();
        used.add(`${h!.side} ${h!.kind} ${h!.name}`);
      }
    }
    const unused = HOOKS.filter((h) => !used.has(`${h.side} ${h.kind} ${h.name}`)).map((h) => `${h.side} ${h.kind} ${h.name}`);
    expect(unused).toEqual(HOOKS.filter((h) => h.toolsOnly).map((h) => `${h.side} ${h.kind} ${h.name}`));
    expect(unused).toEqual([
      'guest kprobe blk_account_io_merge_bio', 'guest tracepoint block:block_io_start', 'guest kprobe blk_mq_start_request', 'guest kprobe blk_mq_end_request', 'guest tracepoint block:block_io_done',
      'host tracepoint kvm:kvm_exit', 'host tracepoint kvm:kvm_entry', 'host tracepoint block:block_io_start', 'host kprobe blk_mq_start_request', 'host kprobe blk_mq_end_request', 'host tracepoint block:block_io_done',
    ]);
  });
});

describe('raw tracepoints', () => {
  it('are the tracepoints with a TP_PROTO, found by event name, their arguments named from it', () => {
    expect(RAW_TRACEPOINTS.map((h) => `${h.side} ${h.name}`)).toEqual([
      'guest block_io_start', 'guest block_rq_insert', 'guest block_rq_issue', 'guest block_rq_complete', 'guest block_io_done',
      'host kvm_fast_mmio', 'host kvm_pio',
      'host block_io_start', 'host block_rq_insert', 'host block_rq_issue', 'host block_rq_complete', 'host block_io_done',
      'host kvm_apic_accept_irq',
    ]);
    for (const raw of RAW_TRACEPOINTS) expect(HOOKS.find((h) => h.kind === 'tracepoint' && h.side === raw.side && h.name.endsWith(`:${raw.name}`))!.fires).toBe(raw.fires);
    // KVM's, with their TP_PROTOs of Linux 6.18 (arch/x86/kvm/trace.h): the same names as the record's fields, but data where the record has val.
    expect(findHook('host', 'raw_tracepoint', 'kvm_pio')!.args).toEqual(['rw', 'port', 'size', 'count', 'data']);
    expect(findHook('host', 'raw_tracepoint', 'kvm_apic_accept_irq')!.args).toEqual(['apicid', 'dm', 'tm', 'vec']);
    expect(findHook('guest', 'raw_tracepoint', 'kvm_fast_mmio')).toBeUndefined();
    expect(findHook('guest', 'raw_tracepoint', 'block_rq_complete')!.args).toEqual(['rq', 'error', 'nr_bytes']);
    expect(findHook('host', 'raw_tracepoint', 'block_rq_complete')!.side).toBe('host');
    expect(findHook('host', 'raw_tracepoint', 'io_uring_complete')).toBeUndefined();
    expect(findHook('guest', 'raw_tracepoint', 'block:block_rq_issue')).toBeUndefined();
  });
  it('give fentry programs the kernel functions the table declares: the kprobe hook, not its kretprobe, not a tracepoint', () => {
    expect(findHook('guest', 'fentry', 'virtio_queue_rq')).toMatchObject({ kind: 'kprobe', proto: ['struct blk_mq_hw_ctx *hctx', 'const struct blk_mq_queue_data *bd'] });
    expect(findHook('guest', 'fentry', 'blk_account_io_merge_bio')!.proto).toEqual(['struct request *req']);
    expect(findHook('guest', 'fentry', 'block_rq_issue')).toBeUndefined();
    expect(findHook('host', 'fentry', 'virtio_blk_handle_vq')).toBeUndefined();
    // fexit: where the table gives the function's return type (every kprobe's now), never a tracepoint's.
    expect(findHook('guest', 'fexit', 'virtio_queue_rq')!.returns).toBe('blk_status_t');
    expect(findHook('host', 'fexit', 'blk_mq_end_request')!.returns).toBe('void');
    expect(findHook('guest', 'fexit', 'vring_interrupt')!.returns).toBe('irqreturn_t');
    expect(HOOKS.filter((h) => h.kind === 'kprobe' && !h.returns)).toEqual([]);
    expect(findHook('guest', 'fexit', 'block_rq_issue')).toBeUndefined();
    // Every guest kprobe's function is declared, with as many parameters as the hook names.
    for (const h of HOOKS.filter((x) => x.kind === 'kprobe')) expect(h.proto?.length, h.name).toBe(h.args!.length);
    expect(RAW_TRACEPOINTS.every((r) => HOOKS.some((h) => h.kind === 'tracepoint' && h.name.endsWith(`:${r.name}`)))).toBe(true);
  });
  it('refuse an attach that reads past the arguments, as tracepoints past the record', () => {
    const issue = findHook('guest', 'raw_tracepoint', 'block_rq_issue')!;
    expect(attachRefusal(issue, 8)).toBeUndefined();
    expect(attachRefusal(issue, 16)).toBe("reads raw tracepoint block_rq_issue's arguments up to byte 16, but it has 1 (rq: 8 bytes)");
    expect(attachRefusal(findHook('guest', 'raw_tracepoint', 'block_rq_complete')!, 24)).toBeUndefined();
    const tp = findHook('guest', 'tracepoint', 'block:block_rq_issue')!;
    expect(attachRefusal(tp, tracepointLayout(tp.name).fixedSize)).toBeUndefined();
    expect(attachRefusal(tp, tracepointLayout(tp.name).fixedSize + 1)).toMatch(/^reads block:block_rq_issue up to byte \d+, but its record has \d+$/);
    expect(attachRefusal(findHook('guest', 'kprobe', 'virtio_queue_rq')!, 168)).toBeUndefined();
  });
});
