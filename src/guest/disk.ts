// One virtio-blk disk inside the guest: blk-mq (tags, plug merging, splitting, none or mq-deadline, dispatch) and the virtio-blk driver (descriptors, kicks, completions).
import type { Engine } from '../sim/engine.js';
import { address, StructLayout, type Address, type SimMemory } from '../sim/memory.js';
import type { FexitSite, ProbeSite, RawTracepointSite, Task, TracepointSite } from '../sim/probes.js';
import type { Rng } from '../sim/random.js';
import { directIoFlags, EV, freshTruth, rwbsOf, type AppOp, type SimRequest, type SimVirtqueue } from '../sim/request.js';
import type { DiskSpec } from '../sim/spec.js';
import type { Btf } from '../vm/index.js';
import { GUEST_COSTS, GUEST_SIGMA } from './costs.js';
import { MqDeadline } from './mq-deadline.js';

/**
 * Where the guest's hooks fire: each resolved once into a site that fires at a true time in a task
 * (the world turns the time into the guest clock); undefined where no program is attached.
 */
export interface GuestHookSite {
  /** Whether any guest program is attached: when not, neither hooks nor the memory they read need the work. */
  readonly on: boolean;
  /** A tracepoint taking the values of `fields` in order. */
  tracepoint(name: string, fields: readonly string[]): TracepointSite | undefined;
  /** A kprobe with `argc` arguments, or a kretprobe. */
  probe(kind: 'kprobe' | 'kretprobe', name: string, argc?: number): ProbeSite | undefined;
  /** A raw tracepoint, fired with its TP_PROTO arguments just after its tracepoint. */
  rawTracepoint(event: string): RawTracepointSite | undefined;
  /** A kernel function's return, for fexit programs. */
  fexit(name: string, argc: number): FexitSite | undefined;
}

/** The guest's hook sites, resolved once per disk. */
interface GuestSites {
  submitReq?: TracepointSite;
  bioQueue?: TracepointSite;
  split?: TracepointSite;
  backmerge?: TracepointSite;
  mergeBio?: ProbeSite;
  ioStart?: TracepointSite;
  rqInsert?: TracepointSite;
  startRequest?: ProbeSite;
  rqIssue?: TracepointSite;
  endRequest?: ProbeSite;
  rqComplete?: TracepointSite;
  ioDone?: TracepointSite;
  uringComplete?: TracepointSite;
  ioStartRaw?: RawTracepointSite;
  rqInsertRaw?: RawTracepointSite;
  rqIssueRaw?: RawTracepointSite;
  rqCompleteRaw?: RawTracepointSite;
  ioDoneRaw?: RawTracepointSite;
  queueRq?: ProbeSite;
  addSgs?: ProbeSite;
  kickPrepare?: ProbeSite;
  kickPrepareRet?: ProbeSite;
  notify?: ProbeSite;
  vringInterrupt?: ProbeSite;
  completeRequest?: ProbeSite;
  /** The functions' returns, for fexit programs. */
  mergeBioExit?: FexitSite;
  startRequestExit?: FexitSite;
  queueRqExit?: FexitSite;
  addSgsExit?: FexitSite;
  kickPrepareExit?: FexitSite;
  notifyExit?: FexitSite;
  vringInterruptExit?: FexitSite;
  completeRequestExit?: FexitSite;
  endRequestExit?: FexitSite;
}

/** irqreturn_t values vring_interrupt returns. */
const IRQ_NONE = 0;
const IRQ_HANDLED = 1;

/** Bytes of a struct elevator_queue (Linux 6.18, x86-64): only its address is read. */
const ELEVATOR_QUEUE_SIZE = 640;

/** The fields of the block_rq event class (block_rq_insert, block_rq_issue, block_io_start, block_io_done), in the order the disk gives them. */
const RQ_FIELDS = ['dev', 'sector', 'nr_sector', 'bytes', 'ioprio', 'rwbs', 'comm', 'cmd'] as const;

function guestSites(h: GuestHookSite): GuestSites {
  return {
    submitReq: h.tracepoint('io_uring:io_uring_submit_req', ['ctx', 'req', 'user_data', 'opcode', 'flags', 'sq_thread', 'op_str']),
    bioQueue: h.tracepoint('block:block_bio_queue', ['dev', 'sector', 'nr_sector', 'rwbs', 'comm']),
    split: h.tracepoint('block:block_split', ['dev', 'sector', 'new_sector', 'rwbs', 'comm']),
    backmerge: h.tracepoint('block:block_bio_backmerge', ['dev', 'sector', 'nr_sector', 'rwbs', 'comm']),
    mergeBio: h.probe('kprobe', 'blk_account_io_merge_bio', 1),
    ioStart: h.tracepoint('block:block_io_start', RQ_FIELDS),
    rqInsert: h.tracepoint('block:block_rq_insert', RQ_FIELDS),
    startRequest: h.probe('kprobe', 'blk_mq_start_request', 1),
    rqIssue: h.tracepoint('block:block_rq_issue', RQ_FIELDS),
    endRequest: h.probe('kprobe', 'blk_mq_end_request', 2),
    rqComplete: h.tracepoint('block:block_rq_complete', ['dev', 'sector', 'nr_sector', 'error', 'rwbs', 'cmd']),
    ioDone: h.tracepoint('block:block_io_done', RQ_FIELDS),
    uringComplete: h.tracepoint('io_uring:io_uring_complete', ['ctx', 'req', 'user_data', 'res', 'cflags', 'extra1', 'extra2']),
    ioStartRaw: h.rawTracepoint('block_io_start'),
    rqInsertRaw: h.rawTracepoint('block_rq_insert'),
    rqIssueRaw: h.rawTracepoint('block_rq_issue'),
    rqCompleteRaw: h.rawTracepoint('block_rq_complete'),
    ioDoneRaw: h.rawTracepoint('block_io_done'),
    queueRq: h.probe('kprobe', 'virtio_queue_rq', 2),
    addSgs: h.probe('kprobe', 'virtqueue_add_sgs', 6),
    kickPrepare: h.probe('kprobe', 'virtqueue_kick_prepare', 1),
    kickPrepareRet: h.probe('kretprobe', 'virtqueue_kick_prepare'),
    notify: h.probe('kprobe', 'virtqueue_notify', 1),
    vringInterrupt: h.probe('kprobe', 'vring_interrupt', 2),
    completeRequest: h.probe('kprobe', 'blk_mq_complete_request', 1),
    mergeBioExit: h.fexit('blk_account_io_merge_bio', 1),
    startRequestExit: h.fexit('blk_mq_start_request', 1),
    queueRqExit: h.fexit('virtio_queue_rq', 2),
    addSgsExit: h.fexit('virtqueue_add_sgs', 6),
    kickPrepareExit: h.fexit('virtqueue_kick_prepare', 1),
    notifyExit: h.fexit('virtqueue_notify', 1),
    vringInterruptExit: h.fexit('vring_interrupt', 2),
    completeRequestExit: h.fexit('blk_mq_complete_request', 1),
    endRequestExit: h.fexit('blk_mq_end_request', 2),
  };
}

/** What the disk needs from the rest of the world. */
export interface DiskWorld {
  engine: Engine;
  rng: Rng;
  hooks: GuestHookSite;
  kernel: SimMemory;
  kernelBtf: Btf;
  /** The guest wrote the doorbell of `vq` at true time t (the VM exit follows); returns the exit's ns, after which the vCPU is back in virtqueue_notify. */
  notify(vq: SimVirtqueue, t: number): number;
  /** A request completed in the guest (for ground truth and counting). */
  completed(rq: SimRequest): void;
  /**
   * Whether the run has completed all the requests it was asked for: the handler's pass stops
   * there, as a trace ending mid-pass would, so that a run of N requests completes N, not N and
   * the rest of the pass.
   */
  enough(): boolean;
  /** An application op completed at true time t. */
  appCompleted(op: AppOp, t: number): void;
  /** Ground-truth ids. */
  nextRequestId(): number;
}

interface PendingBio {
  op: AppOp;
  sector: number;
  nrSectors: number;
  task: Task;
  t: number;
  truthStart: { app_submit: number; bio_queue: number };
}

/** Per hardware queue: tags, the tag waiters, the dispatch list, its virtqueue. */
interface HwQueue {
  index: number;
  freeTags: number[];
  /** Requests preallocated per tag (blk_mq_alloc_rqs), struct request followed by virtio-blk's pdu. */
  requestAddr: Address[];
  /** The virtblk_req (pdu) after each tag's request: what virtqueue_add_sgs is handed. */
  pduAddr: Address[];
  tagWaiters: PendingBio[];
  /** Requests inserted and not yet issued: hctx->dispatch with no scheduler, or the elevator's. */
  dispatch: SimRequest[];
  /** The elevator when the disk uses mq-deadline. */
  sched: MqDeadline | undefined;
  vq: SimVirtqueue;
  hctxAddr: Address;
  bdAddr: Address;
  /** Free descriptor heads, most recently freed first (detach_buf pushes on free_head). */
  freeHeads: number[];
  /** Requests added in the current batch (its notify, if any, publishes them). */
  batch: SimRequest[];
  /** Puts a request on the virtqueue's avail ring (an engine event's function, made once per queue). */
  makeAvailable: (rq: SimRequest) => void;
}

const SECTOR = 512;
const GUEST_READ_RWBS = rwbsOf(directIoFlags('guest', false));
const GUEST_WRITE_RWBS = rwbsOf(directIoFlags('guest', true));
/** The guest's page: one segment of an application buffer. */
const PAGE = 4096;

/** The io_kiocb fio's job `job` submits through (one per job, as the guest's io_uring allocates it). */
const uringReqs: Address[] = [];
const URING_REQS = address(0xffff888104b00000n);
function uringReqAddr(job: number): Address {
  return (uringReqs[job] ??= URING_REQS + job * 0x100);
}
/** The guest io_uring's io_ring_ctx. */
const URING_CTX = address(0xffff888104a00000n);
/** The scatterlist array virtio_queue_rq hands virtqueue_add_sgs (on the vmalloc'd stack). */
const SGS = address(0xffffc90000a00000n);

function startTruth(start: PendingBio['truthStart']): SimRequest['truth'] {
  const truth = freshTruth();
  truth[EV.app_submit] = start.app_submit;
  truth[EV.bio_queue] = start.bio_queue;
  return truth;
}

/** The disk: what happens between an application's SQE and its CQE inside the guest. */
export class GuestDisk {
  readonly dev: number;
  readonly queues: HwQueue[];
  private readonly layout: { request: StructLayout; vvq: StructLayout; vq: StructLayout };
  /** The per-request member writes, resolved once. */
  /** A request's fields as blk_mq_rq_ctx_init and the bio it starts from set them (__sector, __data_len, cmd_flags, tag). */
  private readonly writeRequest: ReturnType<StructLayout['writer']>;
  /** __data_len again, after a bio back-merges. */
  private readonly writeDataLen: ReturnType<StructLayout['writer']>;
  private readonly writeFreeHead: ReturnType<StructLayout['writer']>;
  private readonly softirq: Task = { pid: 0, tgid: 0, comm: 'ksoftirqd/0', cpu: 0 };
  /** The interrupted task of each CPU a queue's interrupt lands on. */
  private readonly irqTasks: Task[] = [0, 1].map((cpu) => ({ pid: 0, tgid: 0, comm: 'swapper', cpu }));
  private readonly sites: GuestSites;
  /**
   * The most sectors one request holds: max_sectors, or fewer where max_segments one-page segments
   * say so (a 1 MiB O_DIRECT read on a 256-entry virtqueue splits at 254 pages, 2032 sectors, as
   * traces/real/qd1-mixed shows).
   */
  private readonly requestSectors: number;

  constructor(
    readonly world: DiskWorld,
    readonly vmIndex: number,
    readonly diskIndex: number,
    readonly spec: DiskSpec,
    virtqueues: SimVirtqueue[],
    minor: number,
  ) {
    const { kernel, kernelBtf } = world;
    this.sites = guestSites(world.hooks);
    this.requestSectors = Math.min(spec.maxSectors, (spec.maxSegments ?? spec.queueSize - 2) * (PAGE / SECTOR));
    const L = (n: string): StructLayout => new StructLayout(kernelBtf, n);
    this.layout = { request: L('request'), vvq: L('vring_virtqueue'), vq: L('virtqueue') };
    this.writeRequest = this.layout.request.writer('__sector', '__data_len', 'cmd_flags', 'tag');
    this.writeDataLen = this.layout.request.writer('__data_len');
    this.writeFreeHead = this.layout.vvq.writer('free_head');
    this.dev = (253 << 20) | minor;
    // The objects the kprobes read: gendisk <- request_queue <- every request; hctx; vring_virtqueue.
    const disk = kernel.alloc(L('gendisk').size);
    L('gendisk').write(kernel, disk, { major: 253, first_minor: minor });
    // virtio-blk names its disks vda, vdb, ... in probe order (virtblk_name_format).
    L('gendisk').writeString(kernel, disk, 'disk_name', `vd${String.fromCharCode(97 + diskIndex)}`);
    const q = kernel.alloc(L('request_queue').size);
    // q->elevator: the scheduler's struct elevator_queue (mq-deadline), NULL for none (biosnoop -Q tests it).
    const elevator = spec.scheduler === 'mq-deadline' ? kernel.alloc(ELEVATOR_QUEUE_SIZE) : 0;
    L('request_queue').write(kernel, q, { disk, elevator });
    const pdu = 64; // struct virtblk_req follows struct request (blk_mq_rq_to_pdu)
    this.queues = virtqueues.map((vq, index) => {
      const hctxAddr = kernel.alloc(L('blk_mq_hw_ctx').size);
      L('blk_mq_hw_ctx').write(kernel, hctxAddr, { queue_num: index });
      const bdAddr = kernel.alloc(L('blk_mq_queue_data').size);
      const requestAddr: Address[] = [];
      for (let tag = 0; tag < spec.tags; tag++) {
        const a = kernel.alloc(this.layout.request.size + pdu);
        this.layout.request.write(kernel, a, { q });
        requestAddr.push(a);
      }
      vq.guestAddr = kernel.alloc(this.layout.vvq.size);
      this.layout.vq.write(kernel, vq.guestAddr, { index });
      this.layout.vvq.write(kernel, vq.guestAddr, { packed_ring: 0, free_head: 0 });
      return {
        index, pduAddr: requestAddr.map((a) => a + this.layout.request.size), freeTags: Array.from({ length: spec.tags }, (_, i) => spec.tags - 1 - i), requestAddr, tagWaiters: [], dispatch: [], vq, hctxAddr, bdAddr,
        // One elevator per hardware queue: each of the simulated queues is fed by its own CPUs.
        sched: spec.scheduler === 'mq-deadline' ? new MqDeadline() : undefined,
        freeHeads: Array.from({ length: spec.queueSize }, (_, i) => i), batch: [], makeAvailable: (rq: SimRequest) => vq.avail.push(rq),
      };
    });
  }

  private cost(median: number): number {
    return this.world.rng.lognormal(median, GUEST_SIGMA);
  }

  private rwbs(write: boolean): string {
    return write ? GUEST_WRITE_RWBS : GUEST_READ_RWBS;
  }

  /**
   * An application submits a batch of SQEs at true time t from `task`: each becomes a bio, split at
   * max_sectors; contiguous bios of one batch back-merge in the plug; the plug is flushed at the end.
   */
  submitBatch(ops: { op: AppOp; sector: number }[], task: Task, t: number): void {
    const sites = this.sites;
    const hw = this.queues[task.cpu % this.queues.length]!;
    const plug: SimRequest[] = [];
    for (const { op, sector } of ops) {
      sites.submitReq?.fire(t, task, URING_CTX, uringReqAddr(op.job), op.userData, op.write ? 2 : 1, 0, 0, op.write ? 'WRITEV' : 'READV');
      const appSubmit = t;
      t += this.cost(GUEST_COSTS.appToBio);
      const nr = op.bytes / SECTOR;
      sites.bioQueue?.fire(t, task, this.dev, sector, nr, this.rwbs(op.write), task.comm);
      const bioQueue = t;
      // Split at the request limit (max_sectors, max_segments): block_split names the remainder's first sector.
      const parts: [number, number][] = [];
      for (let s = sector, left = nr; left > 0; ) {
        const n = Math.min(left, this.requestSectors);
        parts.push([s, n]);
        s += n;
        left -= n;
        if (left > 0) sites.split?.fire(t, task, this.dev, s - n, s, this.rwbs(op.write), task.comm);
      }
      op.pending = parts.length;
      for (const [s, n] of parts) {
        const last = plug[plug.length - 1];
        if (last && last.write === op.write && last.sector + last.nrSectors === s && last.nrSectors + n <= this.requestSectors) {
          sites.backmerge?.fire(t, task, this.dev, s, n, this.rwbs(op.write), task.comm);
          last.nrSectors += n;
          if (this.world.hooks.on) this.writeDataLen(this.world.kernel, last.rqAddr, last.nrSectors * SECTOR);
          sites.mergeBio?.fire(t, task, last.rqAddr);
          sites.mergeBioExit?.fire(t, task, 0, last.rqAddr);
          last.appOps.push(op);
          continue;
        }
        const bio: PendingBio = { op, sector: s, nrSectors: n, task, t, truthStart: { app_submit: appSubmit, bio_queue: bioQueue } };
        const rq = this.allocate(hw, bio, t);
        if (rq) plug.push(rq);
        else hw.tagWaiters.push(bio);
      }
    }
    t += this.cost(GUEST_COSTS.bioToInsert);
    this.flushPlug(hw, plug, task, t);
  }

  /**
   * blk_mq_get_tag at true time t: a request for the bio, or undefined when the hardware queue has
   * no free tag; blk_mq_bio_to_request accounts its start (block_io_start) in the bio's task.
   */
  private allocate(hw: HwQueue, bio: PendingBio, t: number): SimRequest | undefined {
    const tag = hw.freeTags.pop();
    if (tag === undefined) return undefined;
    const rqAddr = hw.requestAddr[tag]!;
    // Kernel memory only programs read: not kept up when no guest program is attached.
    if (this.world.hooks.on) this.writeRequest(this.world.kernel, rqAddr, bio.sector, bio.nrSectors * SECTOR, directIoFlags('guest', bio.op.write), tag);
    this.sites.ioStart?.fire(t, bio.task, this.dev, bio.sector, bio.nrSectors, bio.nrSectors * SECTOR, 0, this.rwbs(bio.op.write), bio.task.comm, '');
    this.sites.ioStartRaw?.fire(t, bio.task, rqAddr);
    return {
      id: this.world.nextRequestId(), vm: this.vmIndex, disk: this.diskIndex, write: bio.op.write, sector: bio.sector, nrSectors: bio.nrSectors,
      appOps: [bio.op], hwq: hw.index, tag, rqAddr, vq: hw.index, head: -1, truth: startTruth(bio.truthStart), done: false,
    };
  }

  private flushPlug(hw: HwQueue, plug: SimRequest[], task: Task, t: number): void {
    const site = this.sites.rqInsert;
    for (const rq of plug) {
      site?.fire(t, task, this.dev, rq.sector, rq.nrSectors, rq.nrSectors * SECTOR, 0, this.rwbs(rq.write), task.comm, '');
      this.sites.rqInsertRaw?.fire(t, task, rq.rqAddr);
      rq.truth[EV.rq_insert] = t;
      if (hw.sched) hw.sched.insert(rq, t);
      else hw.dispatch.push(rq);
    }
    this.dispatch(hw, task, t + this.cost(GUEST_COSTS.insertToIssue));
  }

  /**
   * blk_mq_dispatch_rq_list: issue each request to virtio-blk while descriptors last; the last of the
   * run closes the batch with virtqueue_kick_prepare and, when QEMU wants it, virtqueue_notify.
   */
  private dispatch(hw: HwQueue, task: Task, t: number): void {
    const hooks = this.world.hooks;
    const sites = this.sites;
    const kernel = this.world.kernel;
    let added = 0;
    // virtio_queue_rq returns after adding a request's descriptors, the batch's last after the kick
    // too: its return waits until the next request shows it was not the last (bd->rq is still its).
    const queueRqExit = sites.queueRqExit;
    while (hw.freeHeads.length > 0) {
      const rq = hw.sched ? hw.sched.dispatch(t) : hw.dispatch.shift();
      if (!rq) break;
      if (added > 0) queueRqExit?.fire(t, task, 0, hw.hctxAddr, hw.bdAddr);
      sites.startRequest?.fire(t, task, rq.rqAddr);
      sites.rqIssue?.fire(t, task, this.dev, rq.sector, rq.nrSectors, rq.nrSectors * SECTOR, 0, this.rwbs(rq.write), task.comm, '');
      sites.rqIssueRaw?.fire(t, task, rq.rqAddr);
      sites.startRequestExit?.fire(t, task, 0, rq.rqAddr);
      rq.truth[EV.rq_issue] = t;
      t += this.cost(GUEST_COSTS.issueToQueueRq);
      if (hooks.on) kernel.writeInt(hw.bdAddr, 8, rq.rqAddr);
      sites.queueRq?.fire(t, task, hw.hctxAddr, hw.bdAddr);
      rq.truth[EV.queue_rq] = t;
      t += this.cost(GUEST_COSTS.queueRqToAdd);
      const head = hw.freeHeads.shift()!;
      if (hooks.on) this.writeFreeHead(kernel, hw.vq.guestAddr, head);
      sites.addSgs?.fire(t, task, hw.vq.guestAddr, SGS, 1, 2, hw.pduAddr[rq.tag]!, 0x820);
      sites.addSgsExit?.fire(t, task, 0, hw.vq.guestAddr, SGS, 1, 2, hw.pduAddr[rq.tag]!, 0x820);
      rq.truth[EV.vq_add] = t;
      hw.batch.push(rq);
      rq.head = head;
      // Visible to QEMU from the moment it is added, not before.
      this.world.engine.atWith(t, hw.makeAvailable, rq);
      added++;
    }
    if (added === 0) return;
    t += this.cost(GUEST_COSTS.addToKick);
    sites.kickPrepare?.fire(t, task, hw.vq.guestAddr);
    const notify = hw.vq.wantsNotify;
    sites.kickPrepareRet?.fire(t, task, notify ? 1 : 0);
    sites.kickPrepareExit?.fire(t, task, notify ? 1 : 0, hw.vq.guestAddr);
    const batch = hw.batch.splice(0);
    if (!notify) {
      queueRqExit?.fire(t, task, 0, hw.hctxAddr, hw.bdAddr);
      return;
    }
    t += this.cost(GUEST_COSTS.addToKick);
    sites.notify?.fire(t, task, hw.vq.guestAddr);
    for (const rq of batch) rq.truth[EV.kick] = t;
    // QEMU will not want another notify until it has looked at the ring (EVENT_IDX).
    hw.vq.wantsNotify = false;
    const exitNs = this.world.notify(hw.vq, t);
    // The vCPU is back from the exit: virtqueue_notify returns true, then the batch's last virtio_queue_rq.
    sites.notifyExit?.fire(t + exitNs, task, 1, hw.vq.guestAddr);
    queueRqExit?.fire(t + exitNs, task, 0, hw.hctxAddr, hw.bdAddr);
  }

  /**
   * The interrupt of `vq` reaches the guest at true time t: vring_interrupt, then virtblk_done's
   * loop (`reap`). An interrupt while the handler runs is latched and taken when it returns; one
   * finding nothing used returns at once (IRQ_NONE).
   */
  interrupt(vq: SimVirtqueue, t: number): void {
    if (vq.inHandler) {
      vq.irqLatched = true;
      return;
    }
    const irqTask = this.irqTasks[vq.index % 2]!;
    this.sites.vringInterrupt?.fire(t, irqTask, vq.msiVector, vq.guestAddr);
    if (vq.used.length === 0) {
      // Nothing used: vring_interrupt returns IRQ_NONE at once.
      this.sites.vringInterruptExit?.fire(t, irqTask, IRQ_NONE, vq.msiVector, vq.guestAddr);
      return;
    }
    vq.inHandler = true;
    vq.handlerIrq = t;
    this.reap(vq, t);
  }

  /**
   * One pass of virtblk_done's loop at true time t: completes every used request, frees its
   * descriptor and tag, wakes tag waiters; virtqueue_enable_cb follows at the pass's end
   * (`enableCb`, an engine event, so that what QEMU pushes until then is seen).
   */
  private reap(vq: SimVirtqueue, t: number): void {
    const sites = this.sites;
    const hw = this.queues[vq.index]!;
    const irqTask = this.irqTasks[vq.index % 2]!;
    const used = vq.used.splice(0);
    vq.lastUsed = (vq.lastUsed + used.length) & 0xffff;
    const tIrq = vq.handlerIrq;
    for (const rq of used) rq.truth[EV.vring_interrupt] = tIrq;
    for (const rq of used) {
      t += this.cost(GUEST_COSTS.irqToComplete);
      sites.completeRequest?.fire(t, irqTask, rq.rqAddr);
      sites.completeRequestExit?.fire(t, irqTask, 0, rq.rqAddr);
      rq.truth[EV.complete_rq] = t;
      hw.freeHeads.unshift(rq.head);
    }
    for (const rq of used) {
      t += this.cost(GUEST_COSTS.completeToRq);
      sites.endRequest?.fire(t, this.softirq, rq.rqAddr, 0);
      sites.rqComplete?.fire(t, this.softirq, this.dev, rq.sector, rq.nrSectors, 0, this.rwbs(rq.write), '');
      sites.rqCompleteRaw?.fire(t, this.softirq, rq.rqAddr, 0, rq.nrSectors * SECTOR);
      // __blk_mq_end_request: the whole request completed in one blk_update_request, its accounting ends.
      sites.ioDone?.fire(t, this.softirq, this.dev, rq.sector, rq.nrSectors, rq.nrSectors * SECTOR, 0, this.rwbs(rq.write), this.softirq.comm, '');
      sites.ioDoneRaw?.fire(t, this.softirq, rq.rqAddr);
      sites.endRequestExit?.fire(t, this.softirq, 0, rq.rqAddr, 0);
      rq.truth[EV.rq_complete] = t;
      rq.done = true;
      hw.freeTags.push(rq.tag);
      for (const op of rq.appOps) {
        op.pending--;
        if (op.pending === 0) {
          const tApp = t + this.cost(GUEST_COSTS.rqToApp);
          rq.truth[EV.app_complete] = tApp;
          sites.uringComplete?.fire(tApp, this.softirq, URING_CTX, uringReqAddr(op.job), op.userData, op.bytes, 0, 0, 0);
          this.world.appCompleted(op, tApp);
        }
      }
      this.world.completed(rq);
      // The rest of the pass would complete requests past the count; the run ends with this event.
      if (this.world.enough()) return;
    }
    this.world.engine.atWith(t, this.enableCb, vq);
    // Freed tags go to waiting bios (each becomes a request in its submitter's context), then dispatch.
    const woken: SimRequest[] = [];
    while (hw.tagWaiters.length > 0 && hw.freeTags.length > 0) {
      const bio = hw.tagWaiters.shift()!;
      woken.push(this.allocate(hw, bio, t)!);
    }
    if (woken.length > 0) this.flushPlug(hw, woken, this.taskOf(woken[0]!), t + this.cost(GUEST_COSTS.bioToInsert));
    else if (hw.dispatch.length > 0 || (hw.sched?.size ?? 0) > 0) this.dispatch(hw, irqTask, t);
  }

  /**
   * virtqueue_enable_cb at the end of a pass: used_event = last_used_idx, then a look at the used
   * ring. Anything QEMU pushed meanwhile (no interrupt was sent for it) is reaped by another pass,
   * during which used_event is 0 (virtqueue_disable_cb_split's "hack" value); else the handler returns.
   */
  private readonly enableCb = (vq: SimVirtqueue): void => {
    const t = this.world.engine.now;
    vq.usedEvent = vq.lastUsed;
    if (vq.used.length > 0) {
      vq.usedEvent = 0;
      this.reap(vq, t);
      return;
    }
    vq.inHandler = false;
    // virtblk_done's loop found nothing more: vring_interrupt returns IRQ_HANDLED.
    this.sites.vringInterruptExit?.fire(t, this.irqTasks[vq.index % 2]!, IRQ_HANDLED, vq.msiVector, vq.guestAddr);
    if (vq.irqLatched) {
      vq.irqLatched = false;
      this.interrupt(vq, t);
    }
  };

  private taskOf(rq: SimRequest): Task {
    return { pid: 1000 + rq.appOps[0]!.job, tgid: 1000, comm: 'fio', cpu: rq.hwq };
  }
}
