// The named scenarios: a healthy baseline and one scenario per culprit a user hunts for, each with the stage that must dominate.
import type { DeviceSpec, DiskSpec, HostSpec, JobSpec, ScenarioSpec, VmSpec } from './spec.js';

const GiB = 1 << 30;

/**
 * A datacenter NVMe TLC SSD: ~80 us 4 KiB random reads at QD1, ~20 us writes into its cache, 32
 * commands serviced at once (docs/models.md).
 */
const NVME: DeviceSpec = { name: 'nvme0n1', parallelism: 32, readNs: 80_000, writeNs: 20_000, perKiBNs: 1_200, sigma: 0.3 };

const randread = (over: Partial<JobSpec> = {}): JobSpec => ({ name: 'randread', rw: 'randread', bs: 4096, iodepth: 16, batch: 4, numjobs: 1, size: 8 * GiB, ...over });

const vda = (jobs: JobSpec[], over: Partial<DiskSpec> = {}): DiskSpec => ({
  name: 'vda', queues: 2, queueSize: 256, tags: 256, maxSectors: 2560, scheduler: 'none', jobs, sizeBytes: 64 * GiB, hostOffset: 1 << 20, ...over,
});

const vm = (name: string, disks: DiskSpec[]): VmSpec => ({ name, vcpus: 2, disks });

const host = (over: Partial<HostSpec> = {}): HostSpec => ({ device: NVME, uringEntries: 128, ...over });

const base = (s: Pick<ScenarioSpec, 'name' | 'description' | 'culprit' | 'vms' | 'host'>): ScenarioSpec => ({
  // The guest booted 70 hours after the host (so its monotonic clock is 70 h behind); it runs 35 ppm
  // fast, as an unsynchronised guest clock can.
  clock: { offsetNs: -70 * 3_600_000_000_000, driftPpm: 35 },
  requests: 20_000,
  ringBytes: { guest: 256 * 1024, host: 512 * 1024 },
  ...s,
});

/** Every scenario, baseline first. */
export const SCENARIOS: readonly ScenarioSpec[] = [
  base({
    name: 'baseline',
    description: 'one VM, fio 4k random reads at iodepth 16 on an idle NVMe SSD: the device dominates, as it should',
    culprit: 'host_io',
    vms: [vm('vm0', [vda([randread()])])],
    host: host(),
  }),
  base({
    name: 'slow-disk',
    description: 'the host disk is slow or overloaded: 1.5 ms reads (a failing or saturated device)',
    culprit: 'host_io',
    vms: [vm('vm0', [vda([randread()])])],
    host: host({ device: { ...NVME, name: 'sda', parallelism: 8, readNs: 1_500_000, writeNs: 1_200_000 } }),
  }),
  base({
    name: 'noisy-neighbour',
    description: "a second VM's large sequential writes share the host device; the first VM's reads queue behind them",
    culprit: 'host_io',
    vms: [
      vm('vm0', [vda([randread({ iodepth: 8, batch: 1 })])]),
      vm('noisy', [vda([{ name: 'seqwrite', rw: 'write', bs: 256 * 1024, iodepth: 32, batch: 8, numjobs: 2, size: 16 * GiB }], { hostOffset: 128 * GiB })]),
    ],
    host: host({ device: { ...NVME, parallelism: 4, writeNs: 60_000, perKiBNs: 2_000 } }),
  }),
  base({
    name: 'iothread-stall',
    description: "QEMU's iothread blocks for 3 ms every 10 ms (a long bottom half, a blocking call): fio's steady 20k IOPS wait to be popped",
    culprit: 'notify',
    vms: [vm('vm0', [vda([randread({ iodepth: 128, batch: 1, rateIops: 20_000 })])])],
    host: host({ iothreadStall: { everyNs: 10_000_000, durationNs: 3_000_000 } }),
  }),
  base({
    name: 'main-loop-busy',
    description: "virtio-blk without an iothread (QEMU's default): its handlers share QEMU's main loop, which QMP polling, a VNC display and timers keep busy 30% of the time in ~500 us periods; fio's steady 10k IOPS wait to be popped",
    culprit: 'notify',
    vms: [vm('vm0', [vda([randread({ iodepth: 64, batch: 1, rateIops: 10_000 })], { loop: 'main' })])],
    host: host({ mainLoopBusy: { busyFraction: 0.3, meanNs: 500_000 } }),
  }),
  base({
    name: 'host-cpu-contention',
    description: 'host CPUs are oversubscribed: the vCPU is off its CPU 60% of the time, in ~400 us slices; interrupts wait for it',
    culprit: 'interrupt',
    vms: [vm('vm0', [vda([randread()])])],
    host: host({ cpuContention: { busyFraction: 0.6, meanNs: 400_000 } }),
  }),
  base({
    name: 'uring-saturation',
    description: "QEMU's io_uring has 4 entries for iodepth 64: requests wait in QEMU before the host kernel sees them",
    culprit: 'qemu_submit',
    vms: [vm('vm0', [vda([randread({ iodepth: 64, batch: 8 })])])],
    host: host({ uringEntries: 4 }),
  }),
  base({
    name: 'guest-queueing',
    description: 'the guest allows 2 requests per queue (nr_requests=2) under iodepth 32: requests wait for tags in blk-mq',
    culprit: 'guest_queue',
    vms: [vm('vm0', [vda([randread({ iodepth: 32, batch: 8 })], { queues: 1, tags: 2 })])],
    host: host(),
  }),
  base({
    name: 'guest-elevator',
    description: "mixed random I/O at iodepth 256 on one virtqueue of 128 descriptors, the guest's scheduler mq-deadline: requests wait in its elevator, served in sector-sorted batches (reads first), with a long tail",
    culprit: 'guest_queue',
    vms: [vm('vm0', [vda([{ name: 'randrw', rw: 'randrw', rwmixread: 70, bs: 4096, iodepth: 256, batch: 32, numjobs: 1, size: 8 * GiB }], { queues: 1, queueSize: 128, tags: 256, scheduler: 'mq-deadline' })])],
    host: host(),
  }),
  {
    ...base({
      name: 'stitch-stress',
      description: 'the correlator under stress: 128 in flight on 4 virtqueues, mixed random and sequential I/O that QEMU merges, the guest clock 50 ms ahead and 100 ppm fast, 1% of records lost on each side',
      culprit: 'host_io',
      vms: [{
        name: 'vm0', vcpus: 4,
        disks: [vda([
          { name: 'randrw', rw: 'randrw', rwmixread: 70, bs: 4096, iodepth: 32, batch: 4, numjobs: 2, size: 8 * GiB },
          { name: 'seqwrite', rw: 'write', bs: 16384, iodepth: 32, batch: 8, numjobs: 2, size: 8 * GiB },
        ], { queues: 4 })],
      }],
      // A device serving 12 at once (a smaller drive): 128 in flight keep it the bottleneck, not QEMU's one iothread.
      host: host({ device: { ...NVME, parallelism: 12 } }),
    }),
    clock: { offsetNs: 50_000_000, driftPpm: 100 },
    recordLoss: { guest: 0.01, host: 0.01 },
  },
];

/** A scenario by name. */
export function scenario(name: string): ScenarioSpec | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
