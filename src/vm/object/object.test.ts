// Loads the committed clang-built paired programs, applies CO-RE against real 6.18 BTF, and runs them in the VM.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, sharedPath } from '../../../test/shared.js';
import { InputError } from '../../errors.js';
import { Kind, parseBtf, type Btf } from '../btf/index.js';
import { Class } from '../isa/opcodes.js';
import { consumeRing, type RingBufMap } from '../maps/index.js';
import { Program } from '../program.js';
import { loadObject } from './index.js';

// A copy: Buffer.slice would share memory, and the mutation tests below must not touch the original.
const obj = (name: string): Uint8Array => new Uint8Array(readFileSync(join(repoRoot, 'bpf', name)));
const minBtf = parseBtf(readFileSync(join(repoRoot, 'bpf', 'btf', 'linux-6.18.min.btf')), 'linux-6.18.min.btf');

/** A tracepoint record laid out from the tracefs format file, common header included. */
function tracepointRecord(format: string, values: Record<string, number | bigint | string>): Uint8Array {
  const text = readFileSync(sharedPath('kernel', 'tracefs-formats', format), 'utf8');
  const id = Number(/^ID: (\d+)/m.exec(text)![1]);
  const fields = [...text.matchAll(/field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d);/g)].map((m) => ({ name: m[1]!.trim().split(/\s+/).pop()!.replace(/\[.*$/, ''), offset: Number(m[2]), size: Number(m[3]) }));
  const size = Math.max(...fields.map((f) => f.offset + f.size));
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  dv.setUint16(0, id, true);
  for (const f of fields) {
    const v = f.name === 'common_type' ? id : values[f.name];
    if (v === undefined) continue;
    if (typeof v === 'string') bytes.set(new TextEncoder().encode(v).subarray(0, f.size - 1), f.offset);
    else if (f.size === 8) dv.setBigUint64(f.offset, BigInt(v), true);
    else if (f.size === 4) dv.setUint32(f.offset, Number(v), true);
    else if (f.size === 2) dv.setUint16(f.offset, Number(v), true);
    else dv.setUint8(f.offset, Number(v));
  }
  return bytes;
}

describe('the paired programs load as libbpf would load them', () => {
  it('guest.bpf.o: every program by SEC name, maps from BTF, global data', () => {
    const o = loadObject(obj('guest.bpf.o'), 'guest.bpf.o', { possibleCpus: 2, targetBtf: minBtf });
    expect(o.license).toBe('GPL');
    expect(o.programs.map((p) => `${p.kind}:${p.attachTo}`)).toEqual([
      'tracepoint:io_uring:io_uring_submit_req', 'tracepoint:io_uring:io_uring_complete', 'tracepoint:block:block_bio_queue',
      'tracepoint:block:block_bio_backmerge', 'tracepoint:block:block_split', 'tracepoint:block:block_rq_insert',
      'tracepoint:block:block_rq_issue', 'kprobe:virtio_queue_rq', 'kprobe:virtqueue_add_sgs', 'kprobe:virtqueue_kick_prepare',
      'kretprobe:virtqueue_kick_prepare', 'kprobe:virtqueue_notify', 'kprobe:vring_interrupt', 'kprobe:blk_mq_complete_request',
      'tracepoint:block:block_rq_complete',
    ]);
    const inflight = o.map('inflight')!;
    expect([inflight.typeName, inflight.keySize, inflight.valueSize, inflight.maxEntries]).toEqual(['hash', 16, 120, 16384]);
    expect(o.map('events')!.typeName).toBe('ringbuf');
    expect(o.map('current_rq')!.typeName).toBe('percpu_array');
    expect(o.map('bios')!.typeName).toBe('lru_hash');
    expect(o.map('.rodata')!.readOnlyForPrograms).toBe(true);
  });

  it('CO-RE reads of struct request and vring_virtqueue get the real 6.18 offsets', () => {
    const check = (target: Btf): void => {
      const o = loadObject(obj('guest.bpf.o'), 'guest.bpf.o', { possibleCpus: 2, targetBtf: target });
      const offs = (name: string): number[] => o.program(name)!.insns.filter((i) => (i.opcode & 7) === Class.LDX || ((i.opcode & 7) === Class.ALU64 && i.opcode !== 0xbf)).map((i) => ((i.opcode & 7) === Class.LDX ? i.off : i.imm));
      const req = target.struct('request')!;
      const vvq = target.struct('vring_virtqueue')!;
      // blk_mq_complete_request reads rq->__sector and rq->q->disk->major/first_minor.
      expect(offs('blk_mq_complete_request')).toEqual(expect.arrayContaining([target.member(req, '__sector')!.offset, target.member(target.struct('request_queue')!, 'disk')!.offset]));
      expect(offs('virtqueue_add_sgs')).toEqual(expect.arrayContaining([target.member(vvq, 'free_head')!.offset, target.member(vvq, 'packed_ring')!.offset]));
      expect(target.member(req, '__sector')!.offset).toBe(48);
    };
    check(minBtf);
    if (existsSync('/sys/kernel/btf/vmlinux')) check(parseBtf(readFileSync('/sys/kernel/btf/vmlinux'), 'vmlinux'));
  });

  it('host.bpf.o: uprobes on QEMU by libbpf SEC names, kvm and io_uring tracepoints', () => {
    const o = loadObject(obj('host.bpf.o'), 'host.bpf.o', { possibleCpus: 2, targetBtf: minBtf });
    expect(o.program('luring_do_submit')).toMatchObject({ kind: 'uprobe', attachTo: '/usr/bin/qemu-system-x86_64:luring_do_submit' });
    expect(o.program('virtio_blk_handle_request_ret')).toMatchObject({ kind: 'uretprobe' });
    expect(o.program('kvm_apic_accept_irq')).toMatchObject({ kind: 'tracepoint', attachTo: 'kvm:kvm_apic_accept_irq' });
    for (const p of o.programs) expect(() => new Program(p.insns, { maps: o.maps.map((m) => m.map) })).not.toThrow();
  });

  it('a block request timestamped at issue and completion comes out of the ring buffer as a vt_guest_rq', () => {
    const o = loadObject(obj('guest.bpf.o'), 'guest.bpf.o', { possibleCpus: 2, targetBtf: minBtf });
    const maps = o.maps.map((m) => m.map);
    let now = 1_000_000;
    const env = { cpu: 1, pid: 300, tgid: 300, uid: 0, gid: 0, comm: 'fio', ktimeNs: () => now };
    const load = (name: string): Program => {
      const p = new Program(o.program(name)!.insns, { maps, ctxWritable: false });
      p.env = env;
      return p;
    };
    const dev = (254 << 20) | 0;
    load('block_rq_issue').run(tracepointRecord('block/block_rq_issue.format', { dev, sector: 2048n, nr_sector: 8, bytes: 4096, rwbs: 'R', comm: 'fio' }));
    now += 95_000;
    load('block_rq_complete').run(tracepointRecord('block/block_rq_complete.format', { dev, sector: 2048n, nr_sector: 8, error: 0, rwbs: 'R' }));
    const layout = o.btf.struct('vt_guest_rq')!;
    expect(layout.kind).toBe(Kind.STRUCT);
    const field = (d: DataView, name: string): bigint => {
      const m = o.btf.member(layout, name)!;
      return m.size === 8 ? d.getBigUint64(m.offset, true) : BigInt(d.getInt32(m.offset, true));
    };
    const got: Record<string, bigint | string>[] = [];
    consumeRing(o.map('events') as RingBufMap, (data, off, size) => {
      const d = new DataView(data.buffer, data.byteOffset + off, size);
      const rwbs = o.btf.member(layout, 'rwbs')!;
      got.push({
        kind: field(d, 'kind'), dev: field(d, 'dev'), sector: field(d, 'sector'), nr_sector: field(d, 'nr_sector'),
        t_rq_issue: field(d, 't_rq_issue'), t_rq_complete: field(d, 't_rq_complete'), vq: field(d, 'vq'), cpu: field(d, 'cpu'),
        rwbs: new TextDecoder().decode(data.subarray(off + rwbs.offset, off + rwbs.offset + rwbs.size)).replace(/\0+$/, ''),
      });
    });
    expect(got).toEqual([{ kind: 1n, dev: BigInt(dev), sector: 2048n, nr_sector: 8n, t_rq_issue: 1_000_000n, t_rq_complete: 1_095_000n, vq: -1n, cpu: 1n, rwbs: 'R' }]);
    // The request left the in-flight map.
    expect([...(o.map('inflight') as unknown as { entries(): Iterable<unknown> }).entries()]).toHaveLength(0);
  });
});

describe('bad objects are refused with a clear error', () => {
  const good = obj('guest.bpf.o');
  const mutate = (f: (b: Uint8Array, dv: DataView) => void): Uint8Array => {
    const b = good.slice();
    f(b, new DataView(b.buffer));
    return b;
  };
  it.each<[string, Uint8Array, RegExp]>([
    ['truncated', good.subarray(0, 1000), /run past the end of the file \(1000 bytes\): truncated/],
    ['empty', new Uint8Array(0), /shorter than an ELF header/],
    ['not ELF', new TextEncoder().encode('#!/bin/sh\necho not an object at all, just a script that is long enough to pass the header size check\n'), /no ELF magic/],
    ['32-bit class', mutate((b) => (b[4] = 1)), /ELF class 1/],
    ['big endian', mutate((b) => (b[5] = 2)), /big endian/],
    ['x86-64 machine', mutate((_b, dv) => dv.setUint16(18, 62, true)), /e_machine 62/],
    ['executable type', mutate((_b, dv) => dv.setUint16(16, 2, true)), /ELF type 2/],
    ['section headers out of the file', mutate((_b, dv) => dv.setBigUint64(40, 1n << 40n, true)), /section headers at \d+ run past the end/],
    ['bad BTF magic', (() => { const b = good.slice(); const at = Buffer.from(b).indexOf(Buffer.from([0x9f, 0xeb, 0x01, 0x00])); b[at] = 0; return b; })(), /\.BTF: bad magic/],
  ])('%s', (_name, bytes, message) => {
    let err: unknown;
    try {
      loadObject(bytes, 'bad.o', { possibleCpus: 2, targetBtf: minBtf });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
  });

  it('an object with CO-RE reads and no kernel BTF names the instruction that needs it', () => {
    expect(() => loadObject(good, 'guest.bpf.o', { possibleCpus: 2 })).toThrow(/kprobe\/virtio_queue_rq: insn \d+ needs CO-RE .* but no kernel BTF was given/);
  });
});
