// The host kernel under QEMU: io_uring taking SQEs, the block layer issuing to the device, completions posted as CQEs.
import type { Engine } from '../sim/engine.js';
import type { Task } from '../sim/probes.js';
import type { Rng } from '../sim/random.js';
import { EV } from '../sim/request.js';
import { HOST_COSTS, HOST_SIGMA } from './costs.js';
import type { Device } from './device.js';
import type { HostHookSite } from './qemu.js';

/** One io_uring operation of a QEMU process. */
export interface HostOp {
  userData: bigint;
  write: boolean;
  /** Byte offset in the disk image file (what QEMU submits). */
  fileOffset: number;
  /** Where those bytes are on the host device (the image's extent applied, as FIEMAP shows it). */
  deviceOffset: number;
  bytes: number;
  task: Task;
  /** Ground truth of the host events the op meets, by event index (EV). */
  onEvent(event: number, t: number): void;
  /** The CQE is posted at true time t. */
  onCqe(t: number): void;
}

const SECTOR = 512;

/** The host's io_uring and block layer over one device. */
export class HostKernel {
  /** dev_t of the host device (nvme0n1 is 259:0). */
  readonly dev = (259 << 20) | 0;
  private readonly irq: Task = { pid: 0, tgid: 0, comm: 'swapper/0', cpu: 0 };

  constructor(
    private readonly engine: Engine,
    private readonly rng: Rng,
    private readonly hooks: HostHookSite,
    private readonly device: Device,
  ) {}

  private readonly rings = new Map<number, bigint>();

  /** The io_ring_ctx of a process's ring (one per QEMU process). */
  private ringAddr(tgid: number): bigint {
    let r = this.rings.get(tgid);
    if (r === undefined) this.rings.set(tgid, (r = 0xffff8881_2345_0000n + BigInt(tgid) * 0x1000n));
    return r;
  }

  private cost(median: number): number {
    return this.rng.lognormal(median, HOST_SIGMA);
  }

  /** io_uring_enter took the SQE at true time t: block request, device, completion, CQE. */
  submit(op: HostOp, t: number): void {
    const ring = this.ringAddr(op.task.tgid);
    const req = 0xffff8881_3000_0000n + (op.userData & 0xffffn);
    this.engine.at(t, () => {
      if (this.hooks.on) this.hooks.tracepoint(t, 'io_uring:io_uring_submit_req', { ctx: ring, req, user_data: op.userData, opcode: op.write ? 2 : 1, flags: 0n, sq_thread: 0, op_str: op.write ? 'WRITEV' : 'READV' }, op.task);
      op.onEvent(EV.uring_submit, t);
      const tIssue = t + this.cost(HOST_COSTS.submitToIssue);
      const sector = op.deviceOffset / SECTOR;
      const nr = op.bytes / SECTOR;
      const rwbs = op.write ? 'WS' : 'R';
      const values = { dev: this.dev, sector, nr_sector: nr, bytes: op.bytes, ioprio: 0, rwbs, comm: op.task.comm, cmd: '' };
      this.engine.at(tIssue, () => {
        if (this.hooks.on) this.hooks.tracepoint(tIssue, 'block:block_rq_insert', values, op.task);
        if (this.hooks.on) this.hooks.tracepoint(tIssue, 'block:block_rq_issue', values, op.task);
        op.onEvent(EV.host_blk_issue, tIssue);
        this.device.submit(op.write, op.bytes, (tDone) => {
          if (this.hooks.on) this.hooks.tracepoint(tDone, 'block:block_rq_complete', { dev: this.dev, sector, nr_sector: nr, error: 0, rwbs, cmd: '' }, this.irq);
          op.onEvent(EV.host_blk_complete, tDone);
          // The CQE is posted by task work in the submitting thread.
          const tCqe = tDone + this.cost(HOST_COSTS.completeToCqe);
          this.engine.at(tCqe, () => {
            if (this.hooks.on) this.hooks.tracepoint(tCqe, 'io_uring:io_uring_complete', { ctx: ring, req, user_data: op.userData, res: op.bytes, cflags: 0, extra1: 0n, extra2: 0n }, op.task);
            op.onEvent(EV.uring_complete, tCqe);
            op.onCqe(tCqe);
          });
        });
      });
    });
  }
}
