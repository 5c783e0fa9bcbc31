// Guest requests through the guest hooks, with kernel objects laid out from the 6.18 BTF: guest.bpf.o emits their vt_guest_rq records.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject, parseBtf } from '../vm/index.js';
import { KERNEL_HEAP, RecordDecoder, SideProbes, SimMemory, StructLayout, type Address, type DecodedRecord } from './index.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const kernelBtf = parseBtf(readFileSync(repo('bpf/btf/linux-6.18.min.btf')), 'linux-6.18.min.btf');

describe('guest.bpf.o on the guest hooks', () => {
  it('times one read at every guest hook and emits one vt_guest_rq with the real keys', () => {
    const { probes, records, kernel, L, queue, hctx, vq, clock } = guestKernel(1);
    const rq = kernel.alloc(L('request').size + 64);
    L('request').write(kernel, rq, { q: queue, __sector: 2048 });
    const bd = kernel.alloc(L('blk_mq_queue_data').size);
    L('blk_mq_queue_data').write(kernel, bd, { rq });
    L('vring_virtqueue').write(kernel, vq, { packed_ring: 0, free_head: 37 });

    const dev = (254 << 20) | 16;
    const task = { pid: 812, tgid: 812, comm: 'fio', cpu: 1 };
    const at = (t: number, fire: () => void): void => {
      clock.now = t;
      fire();
    };
    const rqFields = { dev, sector: 2048n, nr_sector: 8, bytes: 4096, rwbs: 'R', comm: 'fio' };
    at(1_000, () => probes.tracepoint('block:block_bio_queue', { dev, sector: 2048n, nr_sector: 8, rwbs: 'R', comm: 'fio' }, task));
    at(2_000, () => probes.tracepoint('block:block_rq_insert', rqFields, task));
    at(3_000, () => probes.tracepoint('block:block_rq_issue', rqFields, task));
    at(3_500, () => probes.probe('kprobe', 'virtio_queue_rq', { args: [hctx, bd] }, task));
    at(4_000, () => probes.probe('kprobe', 'virtqueue_add_sgs', { args: [vq, 0n, 1n, 1n, rq + L('request').size, 0x820n] }, task));
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

/**
 * guest.bpf.o attached to the guest hooks, its records decoded as drained, and the kernel objects
 * of one virtio-blk disk with hardware queue and virtqueue `index` that the kprobes read through
 * CO-RE, at their Linux 6.18 offsets. `clock.now` is what bpf_ktime_get_ns answers.
 */
function guestKernel(index: number) {
  const object = loadObject(readFileSync(repo('bpf/guest.bpf.o')), 'guest.bpf.o', { possibleCpus: 2, targetBtf: kernelBtf });
  const kernel = new SimMemory(KERNEL_HEAP);
  const clock = { now: 0 };
  const probes = new SideProbes('guest', object, { kernel }, () => clock.now, 'guest.bpf.o');
  const records: DecodedRecord[] = [];
  const decoder = new RecordDecoder(object.btf, 'vt_guest_rq');
  probes.onRecord = (bytes) => records.push(decoder.decode(bytes));
  const L = (name: string): StructLayout => new StructLayout(kernelBtf, name);
  const disk = kernel.alloc(L('gendisk').size);
  L('gendisk').write(kernel, disk, { major: 254, first_minor: 16 });
  const queue = kernel.alloc(L('request_queue').size);
  L('request_queue').write(kernel, queue, { disk });
  const hctx = kernel.alloc(L('blk_mq_hw_ctx').size);
  L('blk_mq_hw_ctx').write(kernel, hctx, { queue_num: index });
  const vq = kernel.alloc(L('vring_virtqueue').size);
  L('virtqueue').write(kernel, vq, { index });
  return { probes, records, kernel, L, queue, hctx, vq, clock };
}

/** guest.bpf.o on the guest hooks of one virtio-blk disk, and a request at a sector with its own struct request. */
function guestDisk() {
  const { probes, records, kernel, L, queue, hctx, vq, clock } = guestKernel(0);
  const dev = (254 << 20) | 16;
  const task = { pid: 812, tgid: 812, comm: 'fio', cpu: 1 };
  const at = (t: number, fire: () => void): void => {
    clock.now = t;
    fire();
  };
  /** A request at `sector` in its own struct request, or in `reuse` (a tag's, handed out again), whose descriptor chain will start at `head`. */
  const request = (sector: number, reuse?: Address) => {
    const rq = reuse ?? kernel.alloc(L('request').size + 64);
    L('request').write(kernel, rq, { q: queue, __sector: sector });
    const bd = kernel.alloc(L('blk_mq_queue_data').size);
    L('blk_mq_queue_data').write(kernel, bd, { rq });
    const fields = { dev, sector: BigInt(sector), nr_sector: 8, bytes: 4096, rwbs: 'R', comm: 'fio' };
    return {
      rq,
      bio: (t: number) => at(t, () => probes.tracepoint('block:block_bio_queue', { dev, sector: BigInt(sector), nr_sector: 8, rwbs: 'R', comm: 'fio' }, task)),
      insert: (t: number) => at(t, () => probes.tracepoint('block:block_rq_insert', fields, task)),
      issue: (t: number) => at(t, () => probes.tracepoint('block:block_rq_issue', fields, task)),
      queueRq: (t: number) => at(t, () => probes.probe('kprobe', 'virtio_queue_rq', { args: [hctx, bd] }, task)),
      /** virtio_queue_rq and, as blk_mq_start_request inside it does in the kernel, block_rq_issue. */
      dispatch: (t: number) => {
        at(t, () => probes.probe('kprobe', 'virtio_queue_rq', { args: [hctx, bd] }, task));
        at(t + 100, () => probes.tracepoint('block:block_rq_issue', fields, task));
      },
      /** virtqueue_add_sgs with the ring's free head at `head`. */
      add: (t: number, head: number) => {
        L('vring_virtqueue').write(kernel, vq, { packed_ring: 0, free_head: head });
        at(t, () => probes.probe('kprobe', 'virtqueue_add_sgs', { args: [vq, 0n, 1n, 1n, rq + L('request').size, 0x820n] }, task));
      },
      complete: (t: number) => {
        at(t, () => probes.probe('kprobe', 'blk_mq_complete_request', { args: [rq] }, task));
        at(t + 100, () => probes.tracepoint('block:block_rq_complete', { dev, sector: BigInt(sector), nr_sector: 8, error: 0, rwbs: 'R', cmd: '' }, task));
      },
    };
  };
  const drained = (): DecodedRecord[] => {
    probes.drain();
    return records.splice(0);
  };
  return { request, drained };
}

describe('guest.bpf.o with requests that share a sector', () => {
  it('gives neither of two bios waiting at one sector at once the other\'s start (one waits for a tag while the next is queued)', () => {
    const { request, drained } = guestDisk();
    const a = request(8192), b = request(8192);
    a.bio(1_000);
    b.bio(2_000);
    a.dispatch(3_000);
    a.add(3_500, 21);
    a.complete(50_000);
    b.dispatch(60_000);
    b.add(60_500, 22);
    b.complete(90_000);
    // Not in flight at once: each keeps its own issue, queue and head; no bio start is one bio's.
    expect(drained().map((r) => [r.head, r.t_bio_queue, r.t_rq_issue])).toEqual([
      [21n, 0n, 3_100n],
      [22n, 0n, 60_100n],
    ]);
    // Both bios were taken: the next one at the sector is a request's own start again.
    const c = request(8192);
    c.bio(100_000);
    c.dispatch(101_000);
    c.add(101_500, 23);
    c.complete(120_000);
    expect(drained().map((r) => [r.head, r.t_bio_queue])).toEqual([[23n, 100_000n]]);
  });

  it('counts a request an elevator holds: one inserted at its sector before it is issued makes both bare, never one with the other\'s times', () => {
    const { request, drained } = guestDisk();
    const p = request(12288), r = request(12288), w = request(12288);
    p.dispatch(1_000);
    p.add(1_500, 31);
    r.bio(2_000);
    r.insert(2_500);
    // p completes while r waits in the elevator; w is queued and inserted behind r.
    p.complete(10_000);
    w.bio(20_000);
    w.insert(20_500);
    r.dispatch(30_000);
    r.add(30_500, 32);
    r.complete(50_000);
    w.dispatch(60_000);
    w.add(60_500, 33);
    w.complete(90_000);
    const recs = drained();
    expect(recs).toHaveLength(3);
    for (const x of recs) expect([x.head, x.t_bio_queue, x.t_rq_insert, x.t_rq_issue]).toEqual([-1n, 0n, 0n, 0n]);
    // The state went with the last of the three.
    const c = request(12288);
    c.dispatch(100_000);
    c.add(100_500, 34);
    c.complete(120_000);
    expect(drained().map((x) => [x.head, x.t_rq_issue])).toEqual([[34n, 100_100n]]);
  });

  it('gives two requests in flight at one sector a record each with only their completion, never one of mixed times', () => {
    const { request, drained } = guestDisk();
    const a = request(4096), b = request(4096);
    a.dispatch(1_000);
    a.add(1_500, 11);
    b.dispatch(2_000);
    b.add(2_500, 12);
    a.complete(50_000);
    b.complete(60_000);
    expect(drained().map((r) => [r.vq, r.head, r.t_rq_issue, r.t_vq_add, r.t_rq_complete])).toEqual([
      [-1n, -1n, 0n, 0n, 50_100n],
      [-1n, -1n, 0n, 0n, 60_100n],
    ]);
    // The state went with the last of them: the next request at the sector has all its own times.
    const c = request(4096);
    c.dispatch(70_000);
    c.add(70_500, 13);
    c.complete(90_000);
    expect(drained().map((r) => [r.vq, r.head, r.t_rq_issue, r.t_vq_add])).toEqual([[0n, 13n, 70_100n, 70_500n]]);
  });

  it('sees the second request even when its event is stamped before the first one\'s (CPUs stamp and run in their own order)', () => {
    // As the simulator's CPUs ran them: a inserted, issued and handed to virtio_queue_rq, then b
    // inserted with a stamp before a's issue.
    const { request, drained } = guestDisk();
    const a = request(4096), b = request(4096);
    a.insert(25_527);
    a.issue(27_694);
    a.queueRq(27_984);
    b.insert(25_398);
    b.issue(27_968);
    b.queueRq(28_287);
    a.add(28_526, 1);
    b.add(28_772, 2);
    a.complete(315_777);
    b.complete(320_265);
    expect(drained().map((r) => [r.vq, r.t_rq_insert, r.t_rq_issue])).toEqual([[-1n, 0n, 0n], [-1n, 0n, 0n]]);
  });

  it('takes a request dispatched again after a requeue (its virtqueue was full) for one request with its last issue', () => {
    const { request, drained } = guestDisk();
    const a = request(8192);
    a.dispatch(1_000);
    a.dispatch(9_000); // the same struct request: virtio_queue_rq returned BLK_STS_DEV_RESOURCE the first time
    a.add(9_500, 3);
    a.complete(40_000);
    expect(drained().map((r) => [r.vq, r.head, r.t_rq_issue, r.t_queue_rq, r.t_vq_add])).toEqual([[0n, 3n, 9_100n, 9_000n, 9_500n]]);
  });

  it('takes a struct request handed out again at its sector for a new request, not one back after a requeue, so a third in flight there is still shared', () => {
    // Random I/O over 64 KiB at queue depth 32: a request completes and blk-mq gives its tag, and
    // so its struct request, to the next request at once, at the same sector 1 time in 15. Taken
    // for a requeue, it was uncounted; the state went with the other request's completion, and
    // this one's record took the times, queue and head of the next request at its sector.
    const { request, drained } = guestDisk();
    const a = request(16384), c = request(16384);
    a.dispatch(1_000);
    a.add(1_500, 1);
    c.dispatch(2_000);
    c.add(2_500, 2);
    c.complete(50_000);
    const b = request(16384, c.rq);
    b.dispatch(60_000);
    b.add(60_500, 2);
    a.complete(70_000);
    const d = request(16384);
    d.dispatch(80_000);
    d.add(80_500, 3);
    b.complete(100_000);
    d.complete(120_000);
    // Each was in flight with another at the sector: all four are known by their completion alone.
    expect(drained().map((r) => [r.head, r.t_rq_issue])).toEqual([[-1n, 0n], [-1n, 0n], [-1n, 0n], [-1n, 0n]]);
  });

  it('does not share a sector with a request whose completion was never seen, once it is older than the request timeout', () => {
    const { request, drained } = guestDisk();
    request(12_288).dispatch(1_000); // its block_rq_complete never comes (a program the kernel skipped)
    const b = request(12_288);
    b.dispatch(31_000_000_000);
    b.add(31_000_000_500, 7);
    b.complete(31_000_040_000);
    expect(drained().map((r) => [r.vq, r.head, r.t_rq_issue])).toEqual([[0n, 7n, 31_000_000_100n]]);
  });
});
