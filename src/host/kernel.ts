// The host kernel under QEMU: io_uring taking SQEs, the block layer issuing to the device, completions posted as CQEs.
import type { Engine } from '../sim/engine.js';
import type { Task, TracepointSite } from '../sim/probes.js';
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
  private readonly sites: { submitReq?: TracepointSite; rqInsert?: TracepointSite; rqIssue?: TracepointSite; rqComplete?: TracepointSite; uringComplete?: TracepointSite };

  constructor(
    private readonly engine: Engine,
    private readonly rng: Rng,
    hooks: HostHookSite,
    private readonly device: Device,
  ) {
    const rq = ['dev', 'sector', 'nr_sector', 'bytes', 'ioprio', 'rwbs', 'comm', 'cmd'];
    this.sites = {
      submitReq: hooks.tracepoint('io_uring:io_uring_submit_req', ['ctx', 'req', 'user_data', 'opcode', 'flags', 'sq_thread', 'op_str']),
      rqInsert: hooks.tracepoint('block:block_rq_insert', rq),
      rqIssue: hooks.tracepoint('block:block_rq_issue', rq),
      rqComplete: hooks.tracepoint('block:block_rq_complete', ['dev', 'sector', 'nr_sector', 'error', 'rwbs', 'cmd']),
      uringComplete: hooks.tracepoint('io_uring:io_uring_complete', ['ctx', 'req', 'user_data', 'res', 'cflags', 'extra1', 'extra2']),
    };
  }

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
      this.sites.submitReq?.fire(t, op.task, ring, req, op.userData, op.write ? 2 : 1, 0n, 0, op.write ? 'WRITEV' : 'READV');
      op.onEvent(EV.uring_submit, t);
      const tIssue = t + this.cost(HOST_COSTS.submitToIssue);
      const sector = op.deviceOffset / SECTOR;
      const nr = op.bytes / SECTOR;
      const rwbs = op.write ? 'WS' : 'R';
      this.engine.at(tIssue, () => {
        this.sites.rqInsert?.fire(tIssue, op.task, this.dev, sector, nr, op.bytes, 0, rwbs, op.task.comm, '');
        this.sites.rqIssue?.fire(tIssue, op.task, this.dev, sector, nr, op.bytes, 0, rwbs, op.task.comm, '');
        op.onEvent(EV.host_blk_issue, tIssue);
        this.device.submit(op.write, op.bytes, (tDone) => {
          this.sites.rqComplete?.fire(tDone, this.irq, this.dev, sector, nr, 0, rwbs, '');
          op.onEvent(EV.host_blk_complete, tDone);
          // The CQE is posted by task work in the submitting thread.
          const tCqe = tDone + this.cost(HOST_COSTS.completeToCqe);
          this.engine.at(tCqe, () => {
            this.sites.uringComplete?.fire(tCqe, op.task, ring, req, op.userData, op.bytes, 0, 0n, 0n);
            op.onEvent(EV.uring_complete, tCqe);
            op.onCqe(tCqe);
          });
        });
      });
    });
  }
}
