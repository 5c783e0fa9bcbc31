// One guest request through every guest hook, with kernel objects laid out from the 6.18 BTF: guest.bpf.o emits its vt_guest_rq.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject, parseBtf } from '../vm/index.js';
import { KERNEL_HEAP, RecordDecoder, SideProbes, SimMemory, StructLayout, type DecodedRecord } from './index.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const kernelBtf = parseBtf(readFileSync(repo('bpf/btf/linux-6.18.min.btf')), 'linux-6.18.min.btf');

describe('guest.bpf.o on the guest hooks', () => {
  it('times one read at every guest hook and emits one vt_guest_rq with the real keys', () => {
    const object = loadObject(readFileSync(repo('bpf/guest.bpf.o')), 'guest.bpf.o', { possibleCpus: 2, targetBtf: kernelBtf });
    const kernel = new SimMemory(KERNEL_HEAP);
    let now = 0;
    const probes = new SideProbes('guest', object, { kernel }, () => now, 'guest.bpf.o');
    const records: DecodedRecord[] = [];
    const decoder = new RecordDecoder(object.btf, 'vt_guest_rq');
    probes.onRecord = (bytes) => records.push(decoder.decode(bytes));

    // The kernel objects the kprobes read through CO-RE, at their Linux 6.18 offsets.
    const L = (name: string): StructLayout => new StructLayout(kernelBtf, name);
    const disk = kernel.alloc(L('gendisk').size);
    L('gendisk').write(kernel, disk, { major: 254, first_minor: 16 });
    const queue = kernel.alloc(L('request_queue').size);
    L('request_queue').write(kernel, queue, { disk });
    const rq = kernel.alloc(L('request').size + 64);
    L('request').write(kernel, rq, { q: queue, __sector: 2048 });
    const hctx = kernel.alloc(L('blk_mq_hw_ctx').size);
    L('blk_mq_hw_ctx').write(kernel, hctx, { queue_num: 1 });
    const bd = kernel.alloc(L('blk_mq_queue_data').size);
    L('blk_mq_queue_data').write(kernel, bd, { rq });
    const vq = kernel.alloc(L('vring_virtqueue').size);
    L('virtqueue').write(kernel, vq, { index: 1 });
    L('vring_virtqueue').write(kernel, vq, { packed_ring: 0, free_head: 37 });

    const dev = (254 << 20) | 16;
    const task = { pid: 812, tgid: 812, comm: 'fio', cpu: 1 };
    const at = (t: number, fire: () => void): void => {
      now = t;
      fire();
    };
    const rqFields = { dev, sector: 2048n, nr_sector: 8, bytes: 4096, rwbs: 'R', comm: 'fio' };
    at(1_000, () => probes.tracepoint('block:block_bio_queue', { dev, sector: 2048n, nr_sector: 8, rwbs: 'R', comm: 'fio' }, task));
    at(2_000, () => probes.tracepoint('block:block_rq_insert', rqFields, task));
    at(3_000, () => probes.tracepoint('block:block_rq_issue', rqFields, task));
    at(3_500, () => probes.probe('kprobe', 'virtio_queue_rq', { args: [hctx, bd] }, task));
    at(4_000, () => probes.probe('kprobe', 'virtqueue_add_sgs', { args: [vq, 0n, 1n, 1n, rq + BigInt(L('request').size), 0x820n] }, task));
    at(4_500, () => probes.probe('kprobe', 'virtqueue_kick_prepare', { args: [vq] }, task));
    at(4_600, () => probes.probe('kretprobe', 'virtqueue_kick_prepare', { ret: 1n }, task));
    at(5_000, () => probes.probe('kprobe', 'virtqueue_notify', { args: [vq] }, task));
    const irq = { pid: 0, tgid: 0, comm: 'swapper/0', cpu: 0 };
    at(100_000, () => probes.probe('kprobe', 'vring_interrupt', { args: [25n, vq] }, irq));
    at(101_000, () => probes.probe('kprobe', 'blk_mq_complete_request', { args: [rq] }, irq));
    at(102_000, () => probes.tracepoint('block:block_rq_complete', { dev, sector: 2048n, nr_sector: 8, error: 0, rwbs: 'R', cmd: '' }, irq));

    expect(probes.drain()).toBe(1);
    expect(probes.lost).toBe(0);
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect({ ...r }).toMatchObject({
      kind: 1n, dev: BigInt(dev), sector: 2048n, nr_sector: 8n, error: 0n, hwq: 1n, vq: 1n, head: 37n, rwbs: 'R',
      t_bio_queue: 1_000n, t_rq_insert: 2_000n, t_rq_issue: 3_000n, t_queue_rq: 3_500n, t_vq_add: 4_000n,
      t_kick: 5_000n, t_vring_interrupt: 100_000n, t_complete_rq: 101_000n, t_rq_complete: 102_000n,
    });
    expect(probes.runs).toBe(11);
  });
});
