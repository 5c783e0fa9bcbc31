// fio-like jobs in the guest (ioengine=io_uring): offsets, sizes and directions as fio draws them, iodepth kept full, optional rate.
import type { Rng } from '../sim/random.js';
import type { AppOp } from '../sim/request.js';
import type { JobSpec } from '../sim/spec.js';
import type { Task } from '../sim/probes.js';

const SECTOR = 512;

/** One running job (one of numjobs): what it has in flight and where it goes next. */
export class FioJob {
  inFlight = 0;
  submitted = 0;
  completed = 0;
  /** Bytes issued so far (against the job's ioBytes). */
  private issuedBytes = 0;
  private nextOffset = 0;
  /** The io_u pointers (user_data) by slot. */
  private readonly ioU: number[];
  /** Free io_u slots: an io_u (and so its user_data) is reused only after its completion was reaped. */
  private readonly freeIoU: number[];
  readonly task: Task;

  constructor(
    readonly spec: JobSpec,
    readonly index: number,
    private readonly rng: Rng,
    cpu: number,
  ) {
    this.task = { pid: 1000 + index, tgid: 1000, comm: 'fio', cpu };
    // fio's io_u structures live in its heap: user_data is the io_u pointer.
    const ioUBase = 0x55a0_0000_0000 + index * 0x10_0000;
    this.ioU = Array.from({ length: spec.iodepth }, (_, slot) => ioUBase + slot * 0x100);
    this.freeIoU = Array.from({ length: spec.iodepth }, (_, i) => spec.iodepth - 1 - i);
    this.nextOffset = (index * 7919 * 4096) % Math.max(4096, spec.size);
  }

  private blockSize(): number {
    const bs = this.spec.bs;
    if (typeof bs === 'number') return bs;
    const steps = Math.floor((bs[1] - bs[0]) / 4096);
    return bs[0] + 4096 * this.rng.int(steps + 1);
  }

  private isWrite(): boolean {
    switch (this.spec.rw) {
      case 'read': case 'randread': return false;
      case 'write': case 'randwrite': return true;
      default: return this.rng.uniform() * 100 >= (this.spec.rwmixread ?? 50);
    }
  }

  /** The next I/O: direction, bytes, and its offset as a sector of the disk. */
  next(): { op: AppOp; sector: number } {
    const bytes = this.blockSize();
    const write = this.isWrite();
    let offset: number;
    if (this.spec.rw.startsWith('rand')) {
      offset = this.rng.int(Math.max(1, Math.floor((this.spec.size - bytes) / 4096))) * 4096;
    } else {
      if (this.nextOffset + bytes > this.spec.size) this.nextOffset = 0;
      offset = this.nextOffset;
      this.nextOffset += bytes;
    }
    // io_u pointers are recycled as fio reuses its io_u array.
    const slot = this.freeIoU.pop()!;
    const userData = this.ioU[slot]!;
    this.submitted++;
    this.inFlight++;
    this.issuedBytes += bytes;
    return { op: { userData, write, bytes, pending: 1, job: this.index, submitted: 0, slot }, sector: offset / SECTOR };
  }

  /** The application reaped `op`: its io_u is free again. */
  reaped(op: AppOp): void {
    this.inFlight--;
    this.completed++;
    this.freeIoU.push(op.slot);
  }

  /** How many to submit now to keep iodepth full (none once the job has issued all it was to). */
  room(): number {
    if (this.issuedAll()) return 0;
    const left = this.spec.ios === undefined ? Infinity : this.spec.ios - this.submitted;
    return Math.min(this.spec.iodepth - this.inFlight, left);
  }

  /** Whether the job has an end (ioBytes, ios) and has issued all of it. */
  issuedAll(): boolean {
    const { ioBytes, ios } = this.spec;
    return (ioBytes !== undefined && this.issuedBytes >= ioBytes) || (ios !== undefined && this.submitted >= ios);
  }

  /** Whether the job has an end and every I/O of it has been reaped: fio's job is done. */
  finished(): boolean {
    return this.inFlight === 0 && this.issuedAll();
  }
}
