// The host kernel under QEMU: io_uring taking SQEs, the block layer issuing to the device, completions posted as CQEs.
import type { Engine } from '../sim/engine.js';
import type { Task, TracepointSite } from '../sim/probes.js';
import type { Rng } from '../sim/random.js';
import { EV } from '../sim/request.js';
import { HOST_COSTS, HOST_SIGMA } from './costs.js';
import type { Device, DeviceIo } from './device.js';
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
    const io = new KernelIo(this, op, this.ringAddr(op.task.tgid), 0xffff8881_3000_0000n + (op.userData & 0xffffn), t);
    this.engine.atWith(t, submitted, io);
  }

  /** The SQE is taken: io_uring_submit_req, then the block request after the submission cost. */
  taken(io: KernelIo): void {
    const { op, t } = io;
    this.sites.submitReq?.fire(t, op.task, io.ring, io.req, op.userData, op.write ? 2 : 1, 0n, 0, op.write ? 'WRITEV' : 'READV');
    op.onEvent(EV.uring_submit, t);
    io.tIssue = t + this.cost(HOST_COSTS.submitToIssue);
    this.engine.atWith(io.tIssue, issued, io);
  }

  /** The block request is inserted and issued to the device. */
  issue(io: KernelIo): void {
    const { op, tIssue } = io;
    this.sites.rqInsert?.fire(tIssue, op.task, this.dev, io.sector, io.nr, op.bytes, 0, io.rwbs, op.task.comm, '');
    this.sites.rqIssue?.fire(tIssue, op.task, this.dev, io.sector, io.nr, op.bytes, 0, io.rwbs, op.task.comm, '');
    op.onEvent(EV.host_blk_issue, tIssue);
    this.device.submit(io);
  }

  /** The device completed it: block_rq_complete, and the CQE after the task work's cost. */
  completed(io: KernelIo, tDone: number): void {
    const op = io.op;
    this.sites.rqComplete?.fire(tDone, this.irq, this.dev, io.sector, io.nr, 0, io.rwbs, '');
    op.onEvent(EV.host_blk_complete, tDone);
    // The CQE is posted by task work in the submitting thread.
    io.tCqe = tDone + this.cost(HOST_COSTS.completeToCqe);
    this.engine.atWith(io.tCqe, posted, io);
  }

  /** The CQE is posted. */
  post(io: KernelIo): void {
    const { op, tCqe } = io;
    this.sites.uringComplete?.fire(tCqe, op.task, io.ring, io.req, op.userData, op.bytes, 0, 0n, 0n);
    op.onEvent(EV.uring_complete, tCqe);
    op.onCqe(tCqe);
  }
}

/**
 * One SQE on its way through the host kernel: each step an engine event with this as its argument
 * (no closure per step), in the order and at the times submit's nested callbacks once had.
 */
class KernelIo implements DeviceIo {
  readonly write: boolean;
  readonly bytes: number;
  readonly sector: number;
  readonly nr: number;
  readonly rwbs: string;
  tIssue = 0;
  tCqe = 0;

  constructor(
    readonly kernel: HostKernel,
    readonly op: HostOp,
    readonly ring: bigint,
    readonly req: bigint,
    /** When io_uring_enter took it. */
    readonly t: number,
  ) {
    this.write = op.write;
    this.bytes = op.bytes;
    this.sector = op.deviceOffset / SECTOR;
    this.nr = op.bytes / SECTOR;
    this.rwbs = op.write ? 'WS' : 'R';
  }

  deviceDone(t: number): void {
    this.kernel.completed(this, t);
  }
}

const submitted = (io: KernelIo): void => io.kernel.taken(io);
const issued = (io: KernelIo): void => io.kernel.issue(io);
const posted = (io: KernelIo): void => io.kernel.post(io);
