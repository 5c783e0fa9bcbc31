// What a simulation runs: the VMs and their disks and fio-like jobs, the host and its device, the clocks, the scenario's culprit.
import type { StageName } from '../correlate/index.js';

/** fio's rw= values viotrace models ('readwrite': fio's rw=rw, sequential mixed reads and writes). */
export type RwMode = 'read' | 'write' | 'randread' | 'randwrite' | 'randrw' | 'readwrite';

/** A fio-like job run by one guest application (ioengine=io_uring). */
export interface JobSpec {
  name: string;
  rw: RwMode;
  /** Block size in bytes (whole sectors), or [min, max] for bsrange (multiples of 4 KiB, drawn in 4 KiB steps). */
  bs: number | [number, number];
  iodepth: number;
  /** SQEs submitted per io_uring_enter (iodepth_batch_submit); 1 submits each alone. */
  batch: number;
  numjobs: number;
  /** Reads in percent for randrw and readwrite (rwmixread; fio's default 50). */
  rwmixread?: number;
  /** Bytes of the disk the job covers (size=). */
  size: number;
  /** I/O operations per second per job (rate_iops); absent: as fast as completions allow. */
  rateIops?: number;
  /**
   * Bytes each job issues, then stops (fio's io_size, which defaults to size, when not time_based);
   * absent: no end of its own. A run whose jobs all have an end is over when the last is reaped.
   */
  ioBytes?: number;
  /** I/Os each job issues, then stops (fio's number_ios); with ioBytes, whichever comes first. */
  ios?: number;
}

/** A virtio-blk disk of a VM. */
export interface DiskSpec {
  name: string;
  /** Hardware queues = virtqueues (num-queues). */
  queues: number;
  queueSize: 128 | 256;
  /** The guest's nr_requests per hardware queue (tags). */
  tags: number;
  /** max_sectors_kb * 2: larger bios are split. */
  maxSectors: number;
  /**
   * The device's seg_max, which the guest takes as max_segments: a bio with more segments is split
   * too. Each segment is one 4 KiB page (fio's buffers are page-aligned, not physically
   * contiguous), so a request holds at most maxSegments * 8 sectors. Default queueSize - 2, what
   * QEMU offers with seg-max-adjust (on since QEMU 5.0).
   */
  maxSegments?: number;
  scheduler: 'none' | 'mq-deadline';
  /**
   * How the guest notifies the device: 'mmio' (virtio-pci modern: one doorbell address per queue,
   * kvm_fast_mmio) or 'pio' (legacy virtio-pci, or QEMU's modern-pio-notify=on: every queue writes
   * its index to one I/O port, kvm_pio). Default 'mmio'.
   */
  notify?: 'mmio' | 'pio';
  /**
   * Where QEMU runs the device: 'iothread' (`-device virtio-blk-pci,iothread=iothread0`: one
   * iothread per QEMU, shared by the disks that name it) or 'main' (no iothread=, QEMU's own
   * default: the main loop, in QEMU's main thread, under the BQL, beside all else that loop
   * serves). Each has its own io_uring. Default 'iothread'.
   */
  loop?: 'iothread' | 'main';
  jobs: JobSpec[];
  /** The disk's size; its raw image file is one extent of the host device. */
  sizeBytes: number;
  /** Byte offset of that extent on the host device. */
  hostOffset: number;
}

/** A guest VM. */
export interface VmSpec {
  name: string;
  vcpus: number;
  disks: DiskSpec[];
}

/** The host's storage device. */
export interface DeviceSpec {
  name: string;
  /** Requests the device services at once (NVMe internal parallelism). */
  parallelism: number;
  /** Median service time of a 4 KiB read / write, ns; each further KiB adds perKiBNs. */
  readNs: number;
  writeNs: number;
  perKiBNs: number;
  /** Log-normal shape of service times. */
  sigma: number;
}

/** Host-side conditions. */
export interface HostSpec {
  device: DeviceSpec;
  /** QEMU's io_uring SQ entries (per AioContext); more in flight wait in QEMU. */
  uringEntries: number;
  /** The iothread stops for `durationNs` every `everyNs` (a blocking call, a page fault storm, a long bottom half). */
  iothreadStall?: { everyNs: number; durationNs: number };
  /**
   * QEMU's main loop is busy with its other work (QMP, a VNC display, timers, a block job; the BQL
   * held by vCPU threads' exits) for `busyFraction` of the time, in periods of exponential length
   * with this mean: work of a device on the main loop (`loop: 'main'`) waits for it.
   */
  mainLoopBusy?: { busyFraction: number; meanNs: number };
  /**
   * Host CPU contention: the VM's vCPUs lose their CPU to other host tasks for `busyFraction` of the
   * time, in periods of exponential length with this mean; an interrupt injected meanwhile waits
   * for the vCPU to run again.
   */
  cpuContention?: { busyFraction: number; meanNs: number };
}

/** A named scenario. */
export interface ScenarioSpec {
  name: string;
  description: string;
  /** The stage the per-stage breakdown must show as dominant. */
  culprit: StageName;
  vms: VmSpec[];
  host: HostSpec;
  /** guest = host + offsetNs + driftPpm * (host - t0). */
  clock: { offsetNs: number; driftPpm: number };
  /** The fio job description (its file's name) the first disk's jobs were read from, when not the scenario's own (`--job`). */
  workload?: string;
  /** Requests the run completes, of every VM and disk, unless told otherwise. */
  requests: number;
  /** Guest and host ring buffer sizes in bytes (power of two pages). */
  ringBytes: { guest: number; host: number };
  /**
   * Fraction of drained records user space loses at random on each side (0..1), counted as lost:
   * what a lossy transport or perf-buffer pressure does, without the bursts a full ring makes.
   */
  recordLoss?: { guest: number; host: number };
}
