// QEMU for one VM: its event loops (an iothread, the main loop), the virtio-blk devices (pop, multireq merge, io_uring submission, completion, irqfd) and KVM's side of the boundary.
import type { Engine } from '../sim/engine.js';
import { StructLayout, type Address, type SimMemory } from '../sim/memory.js';
import type { FexitSite, ProbeSite, RawTracepointSite, Task, TracepointSite } from '../sim/probes.js';
import type { Rng } from '../sim/random.js';
import { EV, type SimRequest, type SimVirtqueue } from '../sim/request.js';
import type { DiskSpec, HostSpec } from '../sim/spec.js';
import type { Btf } from '../vm/index.js';
import { HOST_COSTS, HOST_SIGMA } from './costs.js';
import { BusyPeriods, CONTINUES, EventLoop, periodicStall } from './event-loop.js';
import type { HostKernel, HostOp } from './kernel.js';
import { EXIT_REASON_EPT_MISCONFIG, EXIT_REASON_IO_INSTRUCTION, GUEST_MMIO_NOTIFY_RIP, GUEST_PIO_NOTIFY_RIP, ioExitQualification, KVM_ISA_VMX, MOV_TO_MEM16_BYTES, OUT_DX_AX_BYTES } from './vmx.js';

/** Pointers QEMU passes that no program reads: the MultiReqBuffer on the handler's stack, virtio_blk_rw_complete (blk_aio_*'s cb), the AioContext's LuringState. */
const MULTIREQ_BUFFER: Address = 0x7f3a_0000_1000;
const BLK_AIO_COMPLETE: Address = 0x55d0_0040_0000;
const LURING_STATE: Address = 0x55d0_0050_0000;

/**
 * Where the host's hooks fire: each resolved once into a site that fires at a true time in a task
 * (the world turns the time into the host clock); undefined where no program is attached.
 */
export interface HostHookSite {
  /** Whether any host program is attached: when not, neither hooks nor the memory they read need the work. */
  readonly on: boolean;
  /** A tracepoint taking the values of `fields` in order. */
  tracepoint(name: string, fields: readonly string[]): TracepointSite | undefined;
  /** A uprobe with `argc` arguments, or a uretprobe; a kprobe on a host kernel function. */
  probe(kind: 'uprobe' | 'uretprobe' | 'kprobe', name: string, argc?: number): ProbeSite | undefined;
  /** A raw tracepoint, fired with its TP_PROTO arguments just after its tracepoint. */
  rawTracepoint(event: string): RawTracepointSite | undefined;
  /** A host kernel function's return, for fexit programs. */
  fexit(name: string, argc: number): FexitSite | undefined;
}

/** QEMU's and KVM's hook sites, resolved once per QEMU process. */
interface QemuSites {
  vmExit?: TracepointSite;
  vmEntry?: TracepointSite;
  pio?: TracepointSite;
  fastMmio?: TracepointSite;
  pioRaw?: RawTracepointSite;
  fastMmioRaw?: RawTracepointSite;
  handleVq?: ProbeSite;
  handleRequest?: ProbeSite;
  handleRequestRet?: ProbeSite;
  preadv?: ProbeSite;
  pwritev?: ProbeSite;
  luringSubmit?: ProbeSite;
  reqComplete?: ProbeSite;
  notifyIrqfd?: ProbeSite;
  notifyIrqfdRet?: ProbeSite;
  acceptIrq?: TracepointSite;
  acceptIrqRaw?: RawTracepointSite;
}

function qemuSites(h: HostHookSite): QemuSites {
  return {
    // The fields not listed are 0 for a notify exit: info2 (no event was being delivered), intr_info, error_code, requests.
    vmExit: h.tracepoint('kvm:kvm_exit', ['exit_reason', 'guest_rip', 'isa', 'info1', 'vcpu_id']),
    vmEntry: h.tracepoint('kvm:kvm_entry', ['vcpu_id', 'rip']),
    pio: h.tracepoint('kvm:kvm_pio', ['rw', 'port', 'size', 'count', 'val']),
    fastMmio: h.tracepoint('kvm:kvm_fast_mmio', ['gpa']),
    pioRaw: h.rawTracepoint('kvm_pio'),
    fastMmioRaw: h.rawTracepoint('kvm_fast_mmio'),
    handleVq: h.probe('uprobe', 'virtio_blk_handle_vq', 2),
    handleRequest: h.probe('uprobe', 'virtio_blk_handle_request', 2),
    handleRequestRet: h.probe('uretprobe', 'virtio_blk_handle_request'),
    preadv: h.probe('uprobe', 'blk_aio_preadv', 6),
    pwritev: h.probe('uprobe', 'blk_aio_pwritev', 6),
    luringSubmit: h.probe('uprobe', 'luring_do_submit', 5),
    reqComplete: h.probe('uprobe', 'virtio_blk_req_complete', 2),
    notifyIrqfd: h.probe('uprobe', 'virtio_notify_irqfd', 2),
    notifyIrqfdRet: h.probe('uretprobe', 'virtio_notify_irqfd'),
    acceptIrq: h.tracepoint('kvm:kvm_apic_accept_irq', ['apicid', 'dm', 'tm', 'vec']),
    acceptIrqRaw: h.rawTracepoint('kvm_apic_accept_irq'),
  };
}

/** What QEMU needs from the world. */
export interface QemuWorld {
  engine: Engine;
  rng: Rng;
  hooks: HostHookSite;
  kernel: HostKernel;
  /** The interrupt of `vq` of disk `disk` reaches the guest at true time t. */
  deliver(disk: number, vq: SimVirtqueue, t: number): void;
}

/** One virtio-blk device of the VM. */
export interface BlockDevice {
  index: number;
  spec: DiskSpec;
  vdev: Address;
  blk: Address;
  vqs: SimVirtqueue[];
  /** A handler run is queued or running for these virtqueues. */
  handling: Set<number>;
  /** Delivers the interrupt of each virtqueue at a true time (engine events' functions, made once). */
  deliverTo: ((t: number) => void)[];
  /** The AioContext the device runs in. */
  ctx: AioContext;
}

/**
 * One of QEMU's AioContexts as virtio-blk uses it: its event loop and its io_uring (QEMU's
 * LuringState is per AioContext), with the SQEs waiting for room and the CQEs waiting for the loop.
 */
interface AioContext {
  loop: EventLoop;
  /** SQEs QEMU holds because its io_uring is full. */
  held: Sqe[];
  inUring: number;
  /** Completions waiting for the loop. */
  cqes: Sqe[];
  completionPosted: boolean;
  /** The requests of the completion run in progress, and the next one's index. */
  completing: QemuReq[];
  completingAt: number;
}

/** QEMU's per-request state (its VirtIOBlockReq). */
interface QemuReq {
  rq: SimRequest;
  addr: Address;
  dev: BlockDevice;
  vq: SimVirtqueue;
}

/** An SQE QEMU prepared: its group, its LuringAIOCB (user_data) and qiov. */
interface Sqe {
  group: Group;
  lcb: Address;
  qiov: Address;
}

/** A virtio-blk device's requests as QEMU submits them: one group per merged (multireq) run. */
interface Group {
  ctx: AioContext;
  reqs: QemuReq[];
  write: boolean;
  sector: number;
  sectors: number;
}

const SECTOR = 512;
/** QEMU merges adjacent requests up to this many bytes (the backend's max transfer). */
const MAX_MERGE_BYTES = 1 << 20;
/** And up to this many requests (virtio-blk's VIRTIO_BLK_MAX_MERGE_REQS). */
const MAX_MERGE_REQS = 32;

/** One QEMU process. */
export class Qemu {
  readonly pid: number;
  /** QEMU's main thread (the process's first: tid = pid), which runs the main loop. */
  readonly mainThread: Task;
  /** The iothread (`-object iothread,id=iothread0`) that devices with `loop: 'iothread'` run in. */
  readonly iothread: Task;
  readonly vcpus: Task[];
  readonly devices: BlockDevice[] = [];
  private readonly L: Record<'req' | 'elem' | 'vq' | 'qiov' | 'lcb' | 'iov' | 'hdr', StructLayout>;
  /** The per-request writes of QEMU's structures, members resolved once. */
  private readonly W: ReturnType<typeof writers>;
  /** Offsets inside a VirtIOBlockReq allocation: the out iovec, its second entry, the qiov. */
  private readonly outSgAt: number;
  private readonly inSgAt: number;
  private readonly qiovAt: number;
  /** The out headers' addresses in guest RAM, by ring slot (made as first used). */
  private readonly hdrAddr: Address[] = [];
  /** Guest RAM as QEMU maps it: the out headers live there. */
  private readonly guestRam: Address;
  /** The AioContexts, made as the first device using each is added. */
  private iothreadCtx?: AioContext;
  private mainCtx?: AioContext;
  private readonly sites: QemuSites;

  constructor(
    readonly world: QemuWorld,
    readonly vmIndex: number,
    readonly host: HostSpec,
    readonly memory: SimMemory,
    btf: Btf,
    vcpus: number,
  ) {
    this.pid = 5000 + vmIndex * 100;
    this.sites = qemuSites(world.hooks);
    this.mainThread = { pid: this.pid, tgid: this.pid, comm: 'qemu-system-x86', cpu: (vmIndex * 2) % 2 };
    this.iothread = { pid: this.pid + 2, tgid: this.pid, comm: 'IO iothread0', cpu: (vmIndex * 2 + 1) % 2 };
    this.vcpus = Array.from({ length: vcpus }, (_, i) => ({ pid: this.pid + 10 + i, tgid: this.pid, comm: `CPU ${i}/KVM`, cpu: i % 2 }));
    const S = (n: string): StructLayout => new StructLayout(btf, n);
    this.L = { req: S('VirtIOBlockReq'), elem: S('VirtQueueElement'), vq: S('VirtQueue'), qiov: S('QEMUIOVector'), lcb: S('LuringAIOCB'), iov: S('qemu_iovec'), hdr: S('virtio_blk_outhdr') };
    this.guestRam = memory.alloc(1 << 16);
    this.W = writers(this.L);
    this.outSgAt = this.L.req.size;
    this.inSgAt = this.L.req.size + this.L.iov.size;
    this.qiovAt = this.L.req.member('qiov').offset;
  }

  /** Adds a disk: its VirtIOBlock and VirtQueues in QEMU memory; returns the virtqueues both sides share. */
  addDisk(spec: DiskSpec, diskIndex: number): SimVirtqueue[] {
    const vdev = this.memory.alloc(4096);
    const vqs: SimVirtqueue[] = [];
    for (let i = 0; i < spec.queues; i++) {
      const hostAddr = this.memory.alloc(this.L.vq.size);
      this.L.vq.write(this.memory, hostAddr, { queue_index: i, vdev, vector: i + 1 });
      vqs.push({
        index: i, avail: [], used: [], wantsNotify: true, guestAddr: 0, hostAddr,
        usedIdx: 0, signalledUsed: 0, signalledValid: false, usedEvent: 0, lastUsed: 0, inHandler: false, handlerIrq: 0, irqLatched: false,
        // virtio-pci modern notify area of this disk's BAR: one doorbell per queue (notify_off_multiplier 4);
        // with port I/O, the disk's notify port and the queue index written to it (port << 16 | queue).
        notifyGpa: spec.notify === 'pio' ? pioPort(diskIndex) * 0x10000 + i : 0xfe003000 + diskIndex * 0x4000 + i * 4,
        msiVector: 0x22 + diskIndex * 8 + i,
      });
    }
    const deliverTo = vqs.map((vq) => (t: number) => this.world.deliver(diskIndex, vq, t));
    this.devices.push({ index: diskIndex, spec, vdev, blk: this.memory.alloc(256), vqs, handling: new Set(), deliverTo, ctx: this.context(spec.loop ?? 'iothread') });
    return vqs;
  }

  /**
   * The AioContext of an iothread or of the main loop. The main loop wakes through glib's dispatch
   * and retakes the BQL after its ppoll, and shares its thread with all else QEMU's main loop serves
   * (QMP, the display, timers), which a scenario's `mainLoopBusy` makes it busy with.
   */
  private context(loop: 'iothread' | 'main'): AioContext {
    const made = loop === 'main' ? this.mainCtx : this.iothreadCtx;
    if (made) return made;
    const { engine } = this.world;
    const { iothreadStall, mainLoopBusy } = this.host;
    const ctx: AioContext = {
      loop: loop === 'main'
        ? new EventLoop(engine, this.mainThread, HOST_COSTS.mainLoopDispatch, mainLoopBusy ? new BusyPeriods(this.world.rng, mainLoopBusy).freeAt : undefined)
        : new EventLoop(engine, this.iothread, 0, iothreadStall ? periodicStall(iothreadStall) : undefined),
      held: [], inUring: 0, cqes: [], completionPosted: false, completing: [], completingAt: 0,
    };
    if (loop === 'main') this.mainCtx = ctx;
    else this.iothreadCtx = ctx;
    return ctx;
  }

  private cost(median: number): number {
    return this.world.rng.lognormal(median, HOST_SIGMA);
  }

  /** Under host CPU contention, the periods the vCPUs are off their CPU. */
  private offCpu?: BusyPeriods;

  /** The first moment at or after t that the vCPU runs (so an injected interrupt is taken). */
  private vcpuRunning(t: number): number {
    const c = this.host.cpuContention;
    if (!c) return t;
    this.offCpu ??= new BusyPeriods(this.world.rng, c);
    return this.offCpu.freeAt(t);
  }

  /** Each vCPU's vcpu->arch.pio_data page in host kernel memory (made when a raw kvm_pio program first needs it). */
  private readonly pioPages: Address[] = [];

  /**
   * The address of vCPU `vcpu`'s port I/O data holding `value` (the 2-byte queue index a notify
   * writes), as kvm_pio's raw tracepoint gets it: KVM copies the guest's OUT data there first.
   */
  private pioData(vcpu: number, value: number): Address {
    const kernel = this.world.kernel.memory;
    const page = (this.pioPages[vcpu] ??= kernel.alloc(4096));
    kernel.writeInt(page, 2, value);
    return page;
  }

  /**
   * The guest wrote `vq`'s doorbell at true time t: KVM exits (kvm_fast_mmio, or kvm_pio for a port I/O notify, in the vCPU thread),
   * signals the ioeventfd, and the device's event loop handles the queue.
   */
  kick(disk: number, vq: SimVirtqueue, t: number, exitNs: number, vcpu: number): void {
    const dev = this.devices.find((d) => d.index === disk)!;
    const tExit = t + exitNs;
    const vcpuId = vcpu % this.vcpus.length;
    const pio = dev.spec.notify === 'pio';
    // The write traps at once; the exit's handling and the entry back take the exit's time (vmExit).
    this.sites.vmExit?.fire(t, this.vcpus[vcpuId]!, pio ? EXIT_REASON_IO_INSTRUCTION : EXIT_REASON_EPT_MISCONFIG, pio ? GUEST_PIO_NOTIFY_RIP : GUEST_MMIO_NOTIFY_RIP, KVM_ISA_VMX, pio ? ioExitQualification(pioPort(disk), 2) : 0, vcpuId);
    this.world.engine.at(tExit, () => {
      const task = this.vcpus[vcpuId]!;
      if (pio) {
        this.sites.pio?.fire(tExit, task, 1, pioPort(disk), 2, 1, vq.index);
        if (this.sites.pioRaw) this.sites.pioRaw.fire(tExit, task, 1, pioPort(disk), 2, 1, this.pioData(vcpu % this.vcpus.length, vq.index));
      } else {
        this.sites.fastMmio?.fire(tExit, task, vq.notifyGpa);
        this.sites.fastMmioRaw?.fire(tExit, task, vq.notifyGpa);
      }
      // KVM skipped the write (kvm_skip_emulated_instruction): the guest resumes past it.
      this.sites.vmEntry?.fire(tExit, task, vcpuId, pio ? GUEST_PIO_NOTIFY_RIP + OUT_DX_AX_BYTES : GUEST_MMIO_NOTIFY_RIP + MOV_TO_MEM16_BYTES);
      for (const rq of vq.avail) if (rq.truth[EV.kick] === t) rq.truth[EV.kick_exit] = tExit;
      const ready = tExit + this.cost(HOST_COSTS.iothreadWakeup + dev.ctx.loop.extraWakeupNs);
      this.world.engine.at(ready, () => this.schedule(dev, vq));
    });
  }

  private schedule(dev: BlockDevice, vq: SimVirtqueue): void {
    if (dev.handling.has(vq.index)) return;
    dev.handling.add(vq.index);
    dev.ctx.loop.post((t) => this.handleVq(dev, vq, t));
  }

  /** virtio_blk_handle_vq: pops every available request with notifications off, then submits them (multireq). */
  private handleVq(dev: BlockDevice, vq: SimVirtqueue, t: number): number {
    const sites = this.sites;
    const task = dev.ctx.loop.task;
    sites.handleVq?.fire(t, task, dev.vdev, vq.hostAddr);
    const start = t;
    vq.wantsNotify = false;
    const popped: QemuReq[] = [];
    while (vq.avail.length > 0) {
      t += this.cost(HOST_COSTS.pop);
      const rq = vq.avail.shift()!;
      const req = this.makeReq(dev, vq, rq);
      sites.handleRequest?.fire(t, task, req.addr, MULTIREQ_BUFFER);
      rq.truth[EV.qemu_handle] = start;
      rq.truth[EV.qemu_pop] = t;
      sites.handleRequestRet?.fire(t + 150, task, 0);
      t += 150;
      popped.push(req);
    }
    if (popped.length > 0) t = this.submitMultireq(popped, t + this.cost(HOST_COSTS.popToAio));
    // Notifications back on; anything that arrived meanwhile is handled without a new kick.
    const end = t;
    this.world.engine.at(end, () => {
      dev.handling.delete(vq.index);
      vq.wantsNotify = true;
      if (vq.avail.length > 0) {
        vq.wantsNotify = false;
        this.schedule(dev, vq);
      }
    });
    return end;
  }

  /** virtqueue_pop's VirtQueueElement and the VirtIOBlockReq around it, in QEMU's heap. */
  private makeReq(dev: BlockDevice, vq: SimVirtqueue, rq: SimRequest): QemuReq {
    const m = this.memory;
    const addr = m.alloc(this.L.req.size + 3 * this.L.iov.size);
    // QEMU memory only programs read: not filled in when no host program is attached.
    if (!this.world.hooks.on) return { rq, addr, dev, vq };
    const W = this.W;
    const outSg = addr + this.outSgAt;
    const slot = ((vq.index * 256 + rq.head) * 16) % (1 << 16);
    const hdr = (this.hdrAddr[slot] ??= this.guestRam + slot);
    W.hdr(m, hdr, rq.write ? 1 : 0, 0, rq.sector);
    W.iov(m, outSg, hdr, 16);
    W.elem(m, addr, rq.head, 1, 2, outSg, addr + this.inSgAt);
    W.req(m, addr, rq.sector, dev.vdev, vq.hostAddr, 0);
    W.qiov(m, addr + this.qiovAt, 1, rq.nrSectors * SECTOR);
    return { rq, addr, dev, vq };
  }

  /** virtio_blk_submit_multireq: sort by sector, merge adjacent same-direction requests, submit each group. */
  private submitMultireq(reqs: QemuReq[], t: number): number {
    const sorted = [...reqs].sort((a, b) => a.rq.sector - b.rq.sector);
    const groups: Group[] = [];
    for (const r of sorted) {
      const g = groups[groups.length - 1];
      if (g && g.write === r.rq.write && g.sector + g.sectors === r.rq.sector && g.reqs.length < MAX_MERGE_REQS && (g.sectors + r.rq.nrSectors) * SECTOR <= MAX_MERGE_BYTES) {
        g.reqs.push(r);
        g.sectors += r.rq.nrSectors;
      } else groups.push({ ctx: r.dev.ctx, reqs: [r], write: r.rq.write, sector: r.rq.sector, sectors: r.rq.nrSectors });
    }
    for (const g of groups) t = this.submitGroup(g, t);
    return t;
  }

  private submitGroup(g: Group, t: number): number {
    const { hooks } = this.world;
    const m = this.memory;
    // The merged group is chained through mr_next; QEMU builds one qiov for it.
    if (hooks.on) for (let i = 0; i < g.reqs.length; i++) this.W.mrNext(m, g.reqs[i]!.addr, g.reqs[i + 1]?.addr ?? 0);
    const first = g.reqs[0]!;
    const dev = first.dev;
    const offset = g.sector * SECTOR;
    const qiov = g.reqs.length === 1 ? first.addr + this.qiovAt : m.alloc(this.L.qiov.size);
    if (g.reqs.length > 1 && hooks.on) this.W.qiov(m, qiov, g.reqs.length, g.sectors * SECTOR);
    const task = g.ctx.loop.task;
    (g.write ? this.sites.pwritev : this.sites.preadv)?.fire(t, task, dev.blk, offset, qiov, 0, BLK_AIO_COMPLETE, first.addr);
    for (const r of g.reqs) r.rq.truth[EV.qemu_aio] = t;
    t += this.cost(HOST_COSTS.aioToLuring);
    // luring_do_submit runs in the request's coroutine right away: the SQE is prepared (user_data =
    // the LuringAIOCB) and queued in QEMU's submit queue; ioq_submit moves it into the ring when
    // the ring has room, so a full ring holds requests here, after luring_do_submit.
    const lcb = m.alloc(this.L.lcb.size);
    if (this.world.hooks.on) this.W.lcb(m, lcb, qiov, g.write ? 0 : 1);
    this.sites.luringSubmit?.fire(t, task, 9, lcb, LURING_STATE, offset, g.write ? 2 : 1);
    for (const r of g.reqs) r.rq.truth[EV.luring_submit] = t;
    const sqe = { group: g, lcb, qiov };
    if (g.ctx.inUring < this.host.uringEntries) return this.enterUring(sqe, t);
    g.ctx.held.push(sqe);
    return t;
  }

  /** io_uring_enter: the host kernel takes the SQE. */
  private enterUring(sqe: Sqe, t: number): number {
    const { group: g, lcb, qiov } = sqe;
    const offset = g.sector * SECTOR;
    t += this.cost(HOST_COSTS.luringToSubmit);
    g.ctx.inUring++;
    // Methods, not arrow properties: a named closure per SQE costs a name definition where the
    // simulator runs under tsx (keepNames), more than the rest of the op.
    const qemu = this;
    const op: HostOp = {
      userData: lcb, write: g.write, fileOffset: offset, deviceOffset: offset + g.reqs[0]!.dev.spec.hostOffset, bytes: g.sectors * SECTOR, task: g.ctx.loop.task,
      onEvent(event, at) {
        for (const r of g.reqs) r.rq.truth[event] = at;
      },
      onCqe(at) {
        qemu.world.engine.at(at, () => qemu.cqeArrived(sqe));
      },
    };
    this.world.kernel.submit(op, t);
    return t;
  }

  /** A CQE is posted: the event loop wakes on the io_uring's eventfd and processes every CQE there is. */
  private cqeArrived(sqe: Sqe): void {
    const ctx = sqe.group.ctx;
    ctx.cqes.push(sqe);
    if (ctx.completionPosted) return;
    ctx.completionPosted = true;
    const ready = this.world.engine.now + this.cost(HOST_COSTS.completionWakeup + ctx.loop.extraWakeupNs);
    this.world.engine.at(ready, () => ctx.loop.post((t) => this.processCompletions(ctx, t)));
  }

  /**
   * luring_process_completions: every request of every CQE completed in turn, one engine event
   * each (`completeNext`), so that each virtio_notify_irqfd decides on the guest's used_event as it
   * is at that moment; then the held SQEs go in.
   */
  private processCompletions(ctx: AioContext, t: number): number {
    ctx.completionPosted = false;
    const batch = ctx.cqes.splice(0);
    const reqs = ctx.completing;
    for (const c of batch) {
      ctx.inUring--;
      for (const r of c.group.reqs) reqs.push(r);
      this.memory.free(c.lcb);
      if (c.group.reqs.length > 1) this.memory.free(c.qiov);
    }
    ctx.completingAt = 0;
    this.world.engine.atWith(t + this.cost(HOST_COSTS.reqComplete), this.completeNext, ctx);
    return CONTINUES;
  }

  /**
   * One virtio_blk_req_complete (QEMU 7.2's order): status written, the element pushed on the used
   * ring, then virtio_notify_irqfd, which signals the irqfd only if virtio_should_notify says so
   * (EVENT_IDX: the push crossed the guest's used_event). The injection then happens in this
   * thread's eventfd write (KVM's irqfd fast path) before the function returns.
   */
  private readonly completeNext = (ctx: AioContext): void => {
    const t0 = this.world.engine.now;
    const r = ctx.completing[ctx.completingAt++]!;
    const { vq, dev } = r;
    const sites = this.sites;
    const task = ctx.loop.task;
    sites.reqComplete?.fire(t0, task, r.addr, 0);
    const truth = r.rq.truth;
    truth[EV.qemu_req_complete] = t0;
    vq.used.push(r.rq);
    vq.usedIdx = (vq.usedIdx + 1) & 0xffff;
    let t = t0 + NOTIFY_CALL_NS;
    sites.notifyIrqfd?.fire(t, task, dev.vdev, vq.hostAddr);
    truth[EV.qemu_notify] = t;
    if (shouldNotify(vq)) {
      t += this.cost(HOST_COSTS.inject);
      sites.acceptIrq?.fire(t, task, 0, 0, 0, vq.msiVector);
      sites.acceptIrqRaw?.fire(t, task, 0, 0, 0, vq.msiVector);
      truth[EV.irq_inject] = t;
      const tDeliver = this.vcpuRunning(t) + this.cost(HOST_COSTS.delivery);
      this.world.engine.atWith(tDeliver, dev.deliverTo[vq.index]!, tDeliver);
    }
    t += NOTIFY_CALL_NS;
    sites.notifyIrqfdRet?.fire(t, task, 0);
    this.memory.free(r.addr);
    if (ctx.completingAt < ctx.completing.length) {
      this.world.engine.atWith(t + this.cost(HOST_COSTS.reqComplete), this.completeNext, ctx);
      return;
    }
    ctx.completing.length = 0;
    // Held SQEs go in as entries free up.
    while (ctx.held.length > 0 && ctx.inUring < this.host.uringEntries) t = this.enterUring(ctx.held.shift()!, t);
    ctx.loop.resume(t);
  };
}

/** virtio_notify_irqfd's own cost until its decision, and after it (ns): a few loads and a barrier. */
const NOTIFY_CALL_NS = 60;

/**
 * virtio_should_notify for a split ring with EVENT_IDX (QEMU's virtio_split_should_notify): the
 * first time always; then only if the guest's used_event lies in [old, new), old being the used
 * idx last checked (vring_need_event, in 16-bit ring arithmetic).
 */
function shouldNotify(vq: SimVirtqueue): boolean {
  const valid = vq.signalledValid;
  const old = vq.signalledUsed;
  const now = vq.usedIdx;
  vq.signalledValid = true;
  vq.signalledUsed = now;
  return !valid || ((now - vq.usedEvent - 1) & 0xffff) < ((now - old) & 0xffff);
}

/** The member writes QEMU makes per request, in the order of the values given. */
function writers(L: Record<'req' | 'elem' | 'vq' | 'qiov' | 'lcb' | 'iov' | 'hdr', StructLayout>) {
  return {
    hdr: L.hdr.writer('type', 'ioprio', 'sector'),
    iov: L.iov.writer('iov_base', 'iov_len'),
    elem: L.elem.writer('index', 'out_num', 'in_num', 'out_sg', 'in_sg'),
    req: L.req.writer('sector_num', 'dev', 'vq', 'mr_next'),
    mrNext: L.req.writer('mr_next'),
    qiov: L.qiov.writer('niov', 'size'),
    lcb: L.lcb.writer('qiov', 'is_read'),
  };
}

/**
 * The notify port of a disk with port I/O notify: its I/O BAR (0xc040 + 0x40 per disk, where
 * SeaBIOS places them) plus VIRTIO_PCI_QUEUE_NOTIFY (16).
 */
function pioPort(diskIndex: number): number {
  return 0xc040 + diskIndex * 0x40 + 16;
}
