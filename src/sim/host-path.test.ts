// One guest request's host side through every host hook, QEMU memory laid out by qemu.h's BTF: host.bpf.o emits its records.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject, parseBtf } from '../vm/index.js';
import { RecordDecoder, SideProbes, SimMemory, StructLayout, USER_HEAP, type DecodedRecord } from './index.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const kernelBtf = parseBtf(readFileSync(repo('bpf/btf/linux-6.18.min.btf')), 'linux-6.18.min.btf');
const KINDS = ['', 'vt_guest_rq', 'vt_guest_app_op', 'vt_qemu_req', 'vt_uring_op', 'vt_host_blk', 'vt_kick', 'vt_notify'];

describe('host.bpf.o on the host hooks', () => {
  it('follows one request from the notify exit (MMIO, or port I/O writes only) to the injected interrupt and emits kick, uring_op, host_blk, qemu_req and notify', () => {
    const { object, qemu, probes, records, clock } = hostProbes();

    // QEMU's objects, laid out from qemu.h as clang's BTF of host.bpf.o describes them.
    const L = (name: string): StructLayout => new StructLayout(object.btf, name);
    const vdev = qemu.alloc(4096);
    const vq = qemu.alloc(L('VirtQueue').size);
    L('VirtQueue').write(qemu, vq, { queue_index: 0, vdev });
    const outhdr = qemu.alloc(16);
    L('virtio_blk_outhdr').write(qemu, outhdr, { type: 0, sector: 2048 });
    const outSg = qemu.alloc(16);
    L('qemu_iovec').write(qemu, outSg, { iov_base: outhdr, iov_len: 16 });
    const req = qemu.alloc(L('VirtIOBlockReq').size);
    L('VirtQueueElement').write(qemu, req, { index: 37, out_num: 1, in_num: 2, out_sg: outSg });
    L('VirtIOBlockReq').write(qemu, req, { sector_num: 2048, dev: vdev, vq, mr_next: 0 });
    const qiovAt = req + L('VirtIOBlockReq').member('qiov').offset;
    L('QEMUIOVector').write(qemu, qiovAt, { niov: 1, size: 4096 });
    const lcb = qemu.alloc(L('LuringAIOCB').size);
    L('LuringAIOCB').write(qemu, lcb, { qiov: qiovAt, is_read: 1 });

    const qemuPid = 5100;
    const vcpu = { pid: 5104, tgid: qemuPid, comm: 'CPU 0/KVM', cpu: 0 };
    const iothread = { pid: 5102, tgid: qemuPid, comm: 'IO iothread0', cpu: 1 };
    const irqCtx = { pid: 0, tgid: 0, comm: 'swapper/1', cpu: 1 };
    const hostDev = (259 << 20) | 0;
    const at = (t: number, fire: () => void): void => {
      clock.now = t;
      fire();
    };
    at(5_100, () => probes.tracepoint('kvm:kvm_fast_mmio', { gpa: 0xfe003000n }, vcpu));
    // A port I/O notify of queue 2 (one port for all queues, the index written), and a port read, which is no notify.
    at(5_200, () => probes.tracepoint('kvm:kvm_pio', { rw: 1, port: 0xc050, size: 2, count: 1, val: 2 }, vcpu));
    at(5_300, () => probes.tracepoint('kvm:kvm_pio', { rw: 0, port: 0xc050, size: 2, count: 1, val: 0 }, vcpu));
    at(9_000, () => probes.probe('uprobe', 'virtio_blk_handle_vq', { args: [vdev, vq] }, iothread));
    at(9_500, () => probes.probe('uprobe', 'virtio_blk_handle_request', { args: [req, 0x55d0ffff0000n] }, iothread));
    at(9_600, () => probes.probe('uretprobe', 'virtio_blk_handle_request', { ret: 0n }, iothread));
    at(9_800, () => probes.probe('uprobe', 'blk_aio_preadv', { args: [0x55d0aaaa0000n, 2048n * 512n, qiovAt, 0n, 0x55d0bbbb0000n, req] }, iothread));
    at(10_000, () => probes.probe('uprobe', 'luring_do_submit', { args: [9n, lcb, 0x55d0cccc0000n, 2048n * 512n, 1n] }, iothread));
    at(10_500, () => probes.tracepoint('io_uring:io_uring_submit_req', { ctx: 0xffff888123450000n, req: 0xffff888123460000n, user_data: lcb, opcode: 1, flags: 0n, sq_thread: 0, op_str: 'READV' }, iothread));
    at(11_000, () => probes.tracepoint('block:block_rq_issue', { dev: hostDev, sector: 1_050_624n, nr_sector: 8, bytes: 4096, rwbs: 'R', comm: 'IO iothread0' }, iothread));
    at(80_000, () => probes.tracepoint('block:block_rq_complete', { dev: hostDev, sector: 1_050_624n, nr_sector: 8, error: 0, rwbs: 'R', cmd: '' }, irqCtx));
    at(81_000, () => probes.tracepoint('io_uring:io_uring_complete', { ctx: 0xffff888123450000n, req: 0xffff888123460000n, user_data: lcb, res: 4096, cflags: 0 }, iothread));
    at(82_000, () => probes.probe('uprobe', 'virtio_blk_req_complete', { args: [req, 0n] }, iothread));
    at(83_000, () => probes.probe('uprobe', 'virtio_notify_irqfd', { args: [vdev, vq] }, iothread));
    at(84_000, () => probes.tracepoint('kvm:kvm_apic_accept_irq', { apicid: 0, dm: 0, tm: 0, vec: 35 }, iothread));

    probes.drain();
    expect(probes.lost).toBe(0);
    const of = (kind: string): DecodedRecord[] => records.filter((r) => r['record'] === kind);
    expect(of('vt_kick')).toMatchObject([
      { qemu_pid: BigInt(qemuPid), tid: 5104n, gpa: 0xfe003000n, t: 5_100n },
      { qemu_pid: BigInt(qemuPid), tid: 5104n, gpa: (0xc050n << 16n) | 2n, t: 5_200n },
    ]);
    expect(of('vt_uring_op')).toMatchObject([{ pid: BigInt(qemuPid), user_data: BigInt(lcb), res: 4096n, nbytes: 4096n, offset: 2048n * 512n, t_luring_submit: 10_000n, t_submit: 10_500n, t_complete: 81_000n }]);
    expect(of('vt_host_blk')).toMatchObject([{ dev: BigInt(hostDev), sector: 1_050_624n, nr_sector: 8n, t_issue: 11_000n, t_complete: 80_000n, rwbs: 'R' }]);
    expect(of('vt_qemu_req')).toMatchObject([{
      qemu_pid: BigInt(qemuPid), vq: 0n, vdev: BigInt(vdev), head: 37n, type: 0n, sector: 2048n, nbytes: 4096n, status: 0n, merged_count: 1n, user_data: BigInt(lcb),
      t_handle: 9_000n, t_pop: 9_500n, t_aio: 9_800n, t_req_complete: 82_000n,
    }]);
    expect(of('vt_notify')).toMatchObject([{ qemu_pid: BigInt(qemuPid), vq: 0n, vdev: BigInt(vdev), vector: 35n, t_notify: 83_000n, t_inject: 84_000n }]);
  });
});

/** host.bpf.o attached to the host hooks, QEMU's memory, and its records decoded (with their kind) as drained; `clock.now` is what bpf_ktime_get_ns answers. */
function hostProbes() {
  const object = loadObject(readFileSync(repo('bpf/host.bpf.o')), 'host.bpf.o', { possibleCpus: 2, targetBtf: kernelBtf });
  const qemu = new SimMemory(USER_HEAP);
  const clock = { now: 0 };
  const probes = new SideProbes('host', object, { user: () => qemu }, () => clock.now, 'host.bpf.o');
  const decoders = new Map(KINDS.slice(3).map((k) => [k, new RecordDecoder(object.btf, k)]));
  const records: DecodedRecord[] = [];
  probes.onRecord = (bytes) => {
    const kind = KINDS[new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)]!;
    records.push({ record: kind, ...decoders.get(kind)!.decode(bytes) });
  };
  return { object, qemu, probes, records, clock };
}

describe('host.bpf.o with host block requests that share a sector', () => {
  it('gives two in flight at one device sector at once a record each with only their completion; the next one there has its issue', () => {
    const { probes, records, clock } = hostProbes();
    const dev = (259 << 20) | 0;
    const iothread = { pid: 5102, tgid: 5100, comm: 'IO iothread0', cpu: 1 };
    const fields = { dev, sector: 4096n, nr_sector: 8, bytes: 4096, rwbs: 'R', comm: 'IO iothread0' };
    const at = (t: number, name: string): void => {
      clock.now = t;
      if (name === 'block:block_rq_complete') probes.tracepoint(name, { dev, sector: 4096n, nr_sector: 8, error: 0, rwbs: 'R', cmd: '' }, iothread);
      else probes.tracepoint(name, fields, iothread);
    };
    at(1_000, 'block:block_rq_issue');
    at(2_000, 'block:block_rq_issue');
    at(50_000, 'block:block_rq_complete');
    at(60_000, 'block:block_rq_complete');
    at(70_000, 'block:block_rq_issue');
    at(90_000, 'block:block_rq_complete');
    probes.drain();
    expect(records.filter((r) => r['record'] === 'vt_host_blk').map((r) => [r['t_issue'], r['t_complete']])).toEqual([
      [0n, 50_000n], [0n, 60_000n], [70_000n, 90_000n],
    ]);
  });
});
