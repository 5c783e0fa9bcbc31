// The host kernel under QEMU: io_uring taking SQEs, the block layer issuing to the device, completions posted as CQEs.
import type { Engine } from '../sim/engine.js';
import { address, StructLayout, type Address, type SimMemory } from '../sim/memory.js';
import type { FexitSite, ProbeSite, RawTracepointSite, Task, TracepointSite } from '../sim/probes.js';
import type { Rng } from '../sim/random.js';
import { directIoFlags, EV, rwbsOf } from '../sim/request.js';
import { HOST_COSTS, HOST_SIGMA } from './costs.js';
import type { Device, DeviceIo } from './device.js';
import type { Btf } from '../vm/index.js';
import type { HostHookSite } from './qemu.js';

/** One io_uring operation of a QEMU process. */
export interface HostOp {
  userData: Address;
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
/** Where the host's io_ring_ctx of each QEMU process, and its io_kiocbs, are (kernel addresses). */
const RING_CTXS = address(0xffff8881_2345_0000n);
const IO_KIOCBS = address(0xffff8881_3000_0000n);
const HOST_READ_RWBS = rwbsOf(directIoFlags('host', false));
const HOST_WRITE_RWBS = rwbsOf(directIoFlags('host', true));
/**
 * The host block layer's struct request objects, for raw tracepoint programs that read them:
 * one per tag (blk-mq preallocates a request per tag), the lowest free tag taken as sbitmap
 * mostly does; each request's q points to the device's request_queue and its gendisk.
 */
class HostRequests {
  private readonly request: StructLayout;
  private readonly write: ReturnType<StructLayout['writer']>;
  private readonly q: Address;
  private readonly addr: Address[] = [];
  private readonly free: number[] = [];
  private next = 0;

  constructor(private readonly memory: SimMemory, btf: Btf, major: number, minor: number, name: string) {
    const L = (n: string): StructLayout => new StructLayout(btf, n);
    this.request = L('request');
    this.write = this.request.writer('__sector', '__data_len', 'cmd_flags', 'tag');
    const disk = memory.alloc(L('gendisk').size);
    L('gendisk').write(memory, disk, { major, first_minor: minor });
    L('gendisk').writeString(memory, disk, 'disk_name', name);
    this.q = memory.alloc(L('request_queue').size);
    L('request_queue').write(memory, this.q, { disk });
  }

  /** A request for `io` at blk_mq_get_tag: its tag and address. */
  take(io: KernelIo): void {
    const tag = this.free.length > 0 ? this.free.pop()! : this.next++;
    let a = this.addr[tag];
    if (a === undefined) {
      a = this.memory.alloc(this.request.size);
      this.request.write(this.memory, a, { q: this.q });
      this.addr[tag] = a;
    }
    this.write(this.memory, a, io.sector, io.bytes, directIoFlags('host', io.write), tag);
    io.tag = tag;
    io.rqAddr = a;
  }

  /** The request is freed after its completion; free tags are kept highest first, so `take` pops the lowest, as a mostly idle sbitmap hands them out. */
  release(io: KernelIo): void {
    const at = this.free.findIndex((t) => t < io.tag);
    this.free.splice(at < 0 ? this.free.length : at, 0, io.tag);
  }
}

/** The host's io_uring and block layer over one device. */
export class HostKernel {
  /** dev_t of the host device (nvme0n1 is 259:0). */
  readonly dev = (259 << 20) | 0;
  private readonly irq: Task = { pid: 0, tgid: 0, comm: 'swapper/0', cpu: 0 };
  private readonly sites: {
    submitReq?: TracepointSite; ioStart?: TracepointSite; rqInsert?: TracepointSite; rqIssue?: TracepointSite; rqComplete?: TracepointSite; ioDone?: TracepointSite; uringComplete?: TracepointSite;
    ioStartRaw?: RawTracepointSite; rqInsertRaw?: RawTracepointSite; rqIssueRaw?: RawTracepointSite; rqCompleteRaw?: RawTracepointSite; ioDoneRaw?: RawTracepointSite;
    startRequest?: ProbeSite; endRequest?: ProbeSite; startRequestExit?: FexitSite; endRequestExit?: FexitSite;
  };
  /** The struct requests the programs given a struct request * read; undefined when none is attached. */
  private readonly requests: HostRequests | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly rng: Rng,
    hooks: HostHookSite,
    private readonly device: Device,
    /** The host kernel's memory and BTF, where its block requests (and KVM's port I/O data) live for raw tracepoint programs. */
    readonly memory: SimMemory,
    btf: Btf,
  ) {
    const rq = ['dev', 'sector', 'nr_sector', 'bytes', 'ioprio', 'rwbs', 'comm', 'cmd'];
    this.sites = {
      submitReq: hooks.tracepoint('io_uring:io_uring_submit_req', ['ctx', 'req', 'user_data', 'opcode', 'flags', 'sq_thread', 'op_str']),
      ioStart: hooks.tracepoint('block:block_io_start', rq),
      rqInsert: hooks.tracepoint('block:block_rq_insert', rq),
      rqIssue: hooks.tracepoint('block:block_rq_issue', rq),
      rqComplete: hooks.tracepoint('block:block_rq_complete', ['dev', 'sector', 'nr_sector', 'error', 'rwbs', 'cmd']),
      ioDone: hooks.tracepoint('block:block_io_done', rq),
      uringComplete: hooks.tracepoint('io_uring:io_uring_complete', ['ctx', 'req', 'user_data', 'res', 'cflags', 'extra1', 'extra2']),
      ioStartRaw: hooks.rawTracepoint('block_io_start'),
      rqInsertRaw: hooks.rawTracepoint('block_rq_insert'),
      rqIssueRaw: hooks.rawTracepoint('block_rq_issue'),
      rqCompleteRaw: hooks.rawTracepoint('block_rq_complete'),
      ioDoneRaw: hooks.rawTracepoint('block_io_done'),
      startRequest: hooks.probe('kprobe', 'blk_mq_start_request', 1),
      endRequest: hooks.probe('kprobe', 'blk_mq_end_request', 2),
      startRequestExit: hooks.fexit('blk_mq_start_request', 1),
      endRequestExit: hooks.fexit('blk_mq_end_request', 2),
    };
    // Programs given a struct request * (raw tracepoints, kprobes, fexit) need the requests in memory;
    // with none of those sites attached, none fires and io.rqAddr is never read.
    const { ioStartRaw, rqInsertRaw, rqIssueRaw, rqCompleteRaw, ioDoneRaw, startRequest, endRequest, startRequestExit, endRequestExit } = this.sites;
    const givenRequest = [ioStartRaw, rqInsertRaw, rqIssueRaw, rqCompleteRaw, ioDoneRaw, startRequest, endRequest, startRequestExit, endRequestExit].some((x) => x !== undefined);
    this.requests = givenRequest ? new HostRequests(memory, btf, 259, 0, 'nvme0n1') : undefined;
  }

  private readonly rings = new Map<number, Address>();

  /** The io_ring_ctx of a process's ring (one per QEMU process). */
  private ringAddr(tgid: number): Address {
    let r = this.rings.get(tgid);
    if (r === undefined) this.rings.set(tgid, (r = RING_CTXS + tgid * 0x1000));
    return r;
  }

  private cost(median: number): number {
    return this.rng.lognormal(median, HOST_SIGMA);
  }

  /** io_uring_enter took the SQE at true time t: block request, device, completion, CQE. */
  submit(op: HostOp, t: number): void {
    const io = new KernelIo(this, op, this.ringAddr(op.task.tgid), IO_KIOCBS + (op.userData & 0xffff), t);
    this.engine.atWith(t, submitted, io);
  }

  /** The SQE is taken: io_uring_submit_req, then the block request after the submission cost. */
  taken(io: KernelIo): void {
    const { op, t } = io;
    this.sites.submitReq?.fire(t, op.task, io.ring, io.req, op.userData, op.write ? 2 : 1, 0, 0, op.write ? 'WRITEV' : 'READV');
    op.onEvent(EV.uring_submit, t);
    io.tIssue = t + this.cost(HOST_COSTS.submitToIssue);
    this.engine.atWith(io.tIssue, issued, io);
  }

  /** The block request is inserted and issued to the device. */
  issue(io: KernelIo): void {
    const { op, tIssue } = io;
    const sites = this.sites;
    this.requests?.take(io);
    sites.ioStart?.fire(tIssue, op.task, this.dev, io.sector, io.nr, op.bytes, 0, io.rwbs, op.task.comm, '');
    sites.ioStartRaw?.fire(tIssue, op.task, io.rqAddr);
    sites.rqInsert?.fire(tIssue, op.task, this.dev, io.sector, io.nr, op.bytes, 0, io.rwbs, op.task.comm, '');
    sites.rqInsertRaw?.fire(tIssue, op.task, io.rqAddr);
    sites.startRequest?.fire(tIssue, op.task, io.rqAddr);
    sites.rqIssue?.fire(tIssue, op.task, this.dev, io.sector, io.nr, op.bytes, 0, io.rwbs, op.task.comm, '');
    sites.rqIssueRaw?.fire(tIssue, op.task, io.rqAddr);
    sites.startRequestExit?.fire(tIssue, op.task, 0, io.rqAddr);
    op.onEvent(EV.host_blk_issue, tIssue);
    this.device.submit(io);
  }

  /** The device completed it: block_rq_complete, and the CQE after the task work's cost. */
  completed(io: KernelIo, tDone: number): void {
    const op = io.op;
    const sites = this.sites;
    sites.endRequest?.fire(tDone, this.irq, io.rqAddr, 0);
    sites.rqComplete?.fire(tDone, this.irq, this.dev, io.sector, io.nr, 0, io.rwbs, '');
    sites.rqCompleteRaw?.fire(tDone, this.irq, io.rqAddr, 0, io.bytes);
    // __blk_mq_end_request: the request's accounting ends, then it is freed.
    sites.ioDone?.fire(tDone, this.irq, this.dev, io.sector, io.nr, io.bytes, 0, io.rwbs, this.irq.comm, '');
    sites.ioDoneRaw?.fire(tDone, this.irq, io.rqAddr);
    sites.endRequestExit?.fire(tDone, this.irq, 0, io.rqAddr, 0);
    this.requests?.release(io);
    op.onEvent(EV.host_blk_complete, tDone);
    // The CQE is posted by task work in the submitting thread.
    io.tCqe = tDone + this.cost(HOST_COSTS.completeToCqe);
    this.engine.atWith(io.tCqe, posted, io);
  }

  /** The CQE is posted. */
  post(io: KernelIo): void {
    const { op, tCqe } = io;
    this.sites.uringComplete?.fire(tCqe, op.task, io.ring, io.req, op.userData, op.bytes, 0, 0, 0);
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
  /** Its struct request's tag and address (HostRequests), when raw tracepoint programs read them. */
  tag = -1;
  rqAddr: Address = 0;

  constructor(
    readonly kernel: HostKernel,
    readonly op: HostOp,
    readonly ring: Address,
    readonly req: Address,
    /** When io_uring_enter took it. */
    readonly t: number,
  ) {
    this.write = op.write;
    this.bytes = op.bytes;
    this.sector = op.deviceOffset / SECTOR;
    this.nr = op.bytes / SECTOR;
    this.rwbs = op.write ? HOST_WRITE_RWBS : HOST_READ_RWBS;
  }

  deviceDone(t: number): void {
    this.kernel.completed(this, t);
  }
}

const submitted = (io: KernelIo): void => io.kernel.taken(io);
const issued = (io: KernelIo): void => io.kernel.issue(io);
const posted = (io: KernelIo): void => io.kernel.post(io);
