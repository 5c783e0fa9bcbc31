// The simulated stack's mechanics against what real captures show: blk-mq splits, virtio-blk notifications, QEMU merges, counted in records and ground truth.
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
