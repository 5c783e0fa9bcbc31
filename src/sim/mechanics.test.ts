// The simulated stack's mechanics against what real captures show: blk-mq splits, virtio-blk notifications, QEMU merges, counted in records and ground truth.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario, scenario, type DiskSpec, type EmittedRecord, type JobSpec, type ScenarioSpec, type TruthRequest } from './index.js';

const MiB = 1 << 20;

/** baseline's VM, host and clocks with one disk running `jobs`. */
function oneDisk(name: string, jobs: JobSpec[], disk: Partial<DiskSpec> = {}): ScenarioSpec {
  const base = scenario('baseline')!;
  const vda = base.vms[0]!.disks[0]!;
  return { ...base, name, vms: [{ ...base.vms[0]!, disks: [{ ...vda, ...disk, jobs }] }] };
}

function run(spec: ScenarioSpec, requests: number, seed = 1) {
  const records: EmittedRecord[] = [];
  const truth: TruthRequest[] = [];
  const result = runScenario(spec, { seed, requests, onRecord: (r) => records.push(r), onTruth: (t) => truth.push(t) });
  const of = (struct: EmittedRecord['struct']) => records.filter((r) => r.struct === struct);
  return { records, truth, result, of };
}

describe('blk-mq in the guest', () => {
  it('splits a 1 MiB O_DIRECT read at max_segments (254 one-page segments on a 256-entry virtqueue), and QEMU merges the halves again', () => {
    // traces/real/qd1-mixed: dd bs=1M iflag=direct gives block_split at 16384 / 18416 (2032 + 16
    // sectors, under max_sectors_kb 1280), and QEMU's virtio_blk_submit_multireq num_reqs 2 size 1048576.
    const spec = oneDisk('read-1m', [{ name: 'read1m', rw: 'read', bs: MiB, iodepth: 1, batch: 1, numjobs: 1, size: 64 * MiB }], { queues: 1, queueSize: 256, maxSectors: 2560 });
    const { truth, of } = run(spec, 40);
    expect(new Set(truth.map((t) => t.nrSectors))).toEqual(new Set([2032, 16]));
    const merged = of('vt_qemu_req').filter((q) => Number(q.fields['merged_count']) === 2);
    expect(merged.length).toBeGreaterThan(0);
    expect(new Set(of('vt_uring_op').map((u) => Number(u.fields['nbytes'])))).toEqual(new Set([MiB]));
  });

  it('splits at max_sectors when that is the smaller limit, and never merges a request past it', () => {
    const spec = oneDisk('write-seq', [{ name: 'seqwrite', rw: 'write', bs: 256 * 1024, iodepth: 16, batch: 8, numjobs: 1, size: 256 * MiB }], { queues: 1, queueSize: 256, maxSectors: 1024 });
    const { truth } = run(spec, 400);
    expect(Math.max(...truth.map((t) => t.nrSectors))).toBe(1024);
    // Sequential bios of one submission back-merge in the plug: requests larger than a bio.
    expect(truth.some((t) => t.nrSectors > 512)).toBe(true);
  });
});

/** The share of QEMU's completions that signalled the guest in a real capture's QEMU trace: trace_virtio_notify_irqfd fires only past virtio_should_notify. */
function realInterruptShare(capture: string): { notified: number; completed: number } {
  const log = readFileSync(new URL(`../../traces/real/${capture}/qemu-trace.log`, import.meta.url), 'utf8');
  const count = (event: string) => log.split('\n').filter((l) => l.includes(`:${event} `)).length;
  return { notified: count('virtio_notify_irqfd'), completed: count('virtio_blk_req_complete') };
}

describe('virtio-blk interrupts (EVENT_IDX)', () => {
  const randrw = (iodepth: number): JobSpec[] => [{ name: `randrw-qd${iodepth}`, rw: 'randrw', rwmixread: 70, bs: 4096, iodepth, batch: 1, numjobs: 1, size: 48 * MiB }];
  const injectedShare = (truth: TruthRequest[]) => truth.filter((t) => t.events.irq_inject !== undefined).length / truth.length;

  it('interrupts for nearly every completion at depth 1, as the real qd1 capture does', () => {
    const real = realInterruptShare('qd1-mixed');
    expect(real.completed).toBeGreaterThan(200);
    const { truth } = run(oneDisk('qd1', randrw(1), { queues: 1 }), 1000);
    expect(Math.abs(injectedShare(truth) - real.notified / real.completed)).toBeLessThan(0.05);
  });

  it('suppresses most interrupts at depth 16 while the guest handler runs, as the real qd16 capture does', () => {
    // The capture (fio randrw and sequential writes at depth 16): 149 interrupts for 516 completions.
    const real = realInterruptShare('qd16-mixed');
    const share = real.notified / real.completed;
    expect(share).toBeLessThan(0.5);
    const { truth } = run(oneDisk('qd16', randrw(16), { queues: 1 }), 4000);
    expect(Math.abs(injectedShare(truth) - share)).toBeLessThan(0.1);
  });

  it('calls virtio_notify_irqfd once per completion and reports each suppressed call (vector -1)', () => {
    const { truth, of, result } = run(oneDisk('qd16', randrw(16), { queues: 1 }), 2000);
    expect(result.lost).toEqual({ guest: 0, host: 0 });
    const notes = of('vt_notify');
    const suppressed = notes.filter((n) => Number(n.fields['vector']) < 0).length;
    const injected = new Set(truth.filter((t) => t.events.irq_inject !== undefined).map((t) => t.events.irq_inject)).size;
    expect(suppressed).toBeGreaterThan(notes.length / 2);
    expect(notes.length - suppressed).toBeGreaterThanOrEqual(injected);
    expect(notes.length).toBeGreaterThanOrEqual(truth.length);
  });

  it('reaps each request after QEMU pushed it and, if its push interrupted, after the injection', () => {
    for (const depth of [4, 16, 32]) {
      const { truth } = run(oneDisk(`qd${depth}`, randrw(depth), { queues: 1 }), 2000);
      for (const { events: e } of truth) {
        expect(e.vring_interrupt).toBeDefined();
        if (e.irq_inject !== undefined) expect(e.vring_interrupt!, `depth ${depth}`).toBeGreaterThan(e.irq_inject);
        expect(e.complete_rq!, `depth ${depth}`).toBeGreaterThan(e.qemu_req_complete!);
      }
    }
  });
});

/** The thread ids a real capture's QEMU trace log shows its events on (`TID@SEC.USEC:event`), and QEMU's pid from its manifest. */
function realQemuThreads(capture: string): { tids: Set<number>; pid: number } {
  const dir = new URL(`../../traces/real/${capture}/`, import.meta.url);
  const log = readFileSync(new URL('qemu-trace.log', dir), 'utf8').split('\n').filter((l) => /^\d+@/.test(l));
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as { qemu?: { pid?: number }; pid?: number };
  return { tids: new Set(log.map((l) => Number(l.slice(0, l.indexOf('@'))))), pid: Number(manifest.qemu?.pid ?? manifest.pid) };
}

describe("QEMU's event loops", () => {
  const job: JobSpec[] = [{ name: 'randread', rw: 'randread', bs: 4096, iodepth: 16, batch: 4, numjobs: 1, size: 64 * MiB }];
  const hostTids = (records: EmittedRecord[], struct: 'vt_qemu_req' | 'vt_uring_op') => new Set(records.filter((r) => r.struct === struct).map((r) => Number(r.fields['tid'])));

  it("runs a device without an iothread in QEMU's main thread (tid = pid), as the real qd16 capture shows", () => {
    const real = realQemuThreads('qd16-mixed');
    expect(real.tids).toEqual(new Set([real.pid]));
    const { records, result } = run(oneDisk('main-loop', job, { loop: 'main' }), 300);
    const pid = result.topology.vms[0]!.qemuPid;
    expect(hostTids(records, 'vt_qemu_req')).toEqual(new Set([pid]));
    expect(hostTids(records, 'vt_uring_op')).toEqual(new Set([pid]));
    // With iothread=, the same work is the iothread's: another thread of the same process.
    const io = run(oneDisk('iothread', job, { loop: 'iothread' }), 300);
    const [tid] = [...hostTids(io.records, 'vt_qemu_req')];
    expect(tid).not.toBe(pid);
    expect(hostTids(io.records, 'vt_uring_op')).toEqual(new Set([tid]));
  });

  it("delays only the main loop's device when the main loop is busy; a disk on the iothread beside it is not held up", () => {
    const base = scenario('baseline')!;
    const vda = base.vms[0]!.disks[0]!;
    // Arrivals at a steady rate, so that requests do not wait out a busy period in step with it (as a closed loop would).
    const steady: JobSpec[] = [{ ...job[0]!, iodepth: 64, batch: 1, rateIops: 5_000 }];
    const spec: ScenarioSpec = {
      ...base, name: 'two-loops',
      vms: [{ ...base.vms[0]!, disks: [{ ...vda, name: 'vda', loop: 'iothread', jobs: steady }, { ...vda, name: 'vdb', loop: 'main', hostOffset: 80 * (1 << 30), jobs: steady }] }],
      host: { ...base.host, mainLoopBusy: { busyFraction: 0.3, meanNs: 500_000 } },
    };
    const { truth, records, result } = run(spec, 3000);
    // The time a request waits on QEMU's loop: from rq_issue until popped, and from its CQE until completed.
    const loopWait = (disk: number) => {
      const w = truth.filter((t) => t.disk === disk).map(({ events: e }) => e.qemu_pop! - e.rq_issue! + e.qemu_req_complete! - e.uring_complete!);
      return w.reduce((a, b) => a + b, 0) / w.length;
    };
    // The iothread's device: baseline's wakeups and pops (~20 us); the main loop's: its busy periods too
    // (30% of the time busy, ~500 us left of a busy period when one is met: ~150 us a wait).
    expect(loopWait(0)).toBeLessThan(30_000);
    expect(loopWait(1)).toBeGreaterThan(5 * loopWait(0));
    // Each device's records come from its own loop's thread.
    const [vdaVdev, vdbVdev] = result.topology.vms[0]!.disks.map((d) => d.vdev);
    const tidsOf = (vdev: bigint) => new Set(records.filter((r) => r.struct === 'vt_qemu_req' && r.fields['vdev'] === vdev).map((r) => Number(r.fields['tid'])));
    expect(tidsOf(vdbVdev!)).toEqual(new Set([result.topology.vms[0]!.qemuPid]));
    expect(tidsOf(vdaVdev!).size).toBe(1);
    expect(tidsOf(vdaVdev!)).not.toEqual(tidsOf(vdbVdev!));
  });
});

/** The rwbs of the real capture's block_rq_issue lines from one process (by comm) or any, the ones with at least a tenth of them. */
function realRwbs(file: string, comm?: string): string[] {
  const lines = readFileSync(new URL(`../../traces/real/qd16-mixed/${file}`, import.meta.url), 'utf8').split('\n');
  const counts = new Map<string, number>();
  for (const l of lines) {
    const m = /^\s*(\S+)-\d+\s.*block_rq_issue: \d+,\d+ (\w+) /.exec(l);
    if (m && (comm === undefined || m[1] === comm)) counts.set(m[2]!, (counts.get(m[2]!) ?? 0) + 1);
  }
  const all = [...counts.values()].reduce((a, b) => a + b, 0);
  return [...counts].filter(([, n]) => n >= all / 10).map(([r]) => r).sort();
}

describe("O_DIRECT requests' flags", () => {
  it("are the real qd16 capture's: fio's reads R and writes WS in the guest, QEMU's reads RS and writes WS on the host", () => {
    expect(realRwbs('guest-serial.txt')).toEqual(['R', 'WS']);
    expect(realRwbs('host-block.txt', 'qemu-system-x86')).toEqual(['RS', 'WS']);
    const { of } = run(oneDisk('qd16', [{ name: 'randrw-qd16', rw: 'randrw', rwmixread: 70, bs: 4096, iodepth: 16, batch: 1, numjobs: 1, size: 48 * MiB }], { queues: 1 }), 400);
    const rwbs = (struct: EmittedRecord['struct']) => [...new Set(of(struct).map((r) => String(r.fields['rwbs'])))].sort();
    expect(rwbs('vt_guest_rq')).toEqual(realRwbs('guest-serial.txt'));
    expect(rwbs('vt_host_blk')).toEqual(realRwbs('host-block.txt', 'qemu-system-x86'));
  });
});
