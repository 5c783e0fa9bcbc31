// The streaming two-sided stitcher: records pushed as they arrive, each guest request decided once both sides have passed it, memory bounded by a time window.
import type {
  GuestAppOpRecord, GuestRequestRecord, GuestTime, HostBlockRecord, HostTime, KickRecord, NotifyRecord, QemuRequestRecord,
  Topology, TraceRecord, UringOpRecord, VirtualDisk, VirtualMachine,
} from '../records/index.js';
import { fileOffsetToDeviceSector } from '../records/index.js';
import { ClockEstimator, guestToHost, hostToGuest, type ClockEstimate } from './clock.js';
import type { RequestPath, UnmatchedReason } from './path.js';
import type { PathEvent } from './stages.js';
import { devName, guestEvents } from './guest-only.js';
import { EVENT_INDEX, eventTimes, stagesFromTimes, type EventTimes } from './telescope.js';
import { Fifo, joinKey, KeyedWindow } from './window.js';

/** What the stitcher found, besides the paths it published. */
export interface StitchSummary {
  /** The clock estimate of the first VM that has one. */
  clock?: ClockEstimate;
  /** Each VM's clock estimate (each guest has its own clock). */
  clocks: Record<string, ClockEstimate>;
  matched: number;
  guestOnly: number;
  hostOnly: number;
  unmatched: Partial<Record<UnmatchedReason, number>>;
}

/** How the stitcher waits for records and how long it keeps them. */
export interface StitcherOptions {
  /** Sees each match made (for measuring the stitcher against ground truth). */
  onMatch?: (guest: GuestRequestRecord, host: QemuRequestRecord, path: RequestPath) => void;
  /**
   * How far one side's records may arrive behind the other's, and behind their own side's order
   * (ns). A guest request is decided once both sides have passed its completion by this much, and
   * is matched only to a QEMU request that completed at most this long before the guest saw it.
   * Default 100 ms: ring buffers are drained every few ms, and interrupts take microseconds.
   */
  lagNs?: number;
  /**
   * How long the notify exits (the only records a request needs from its start) are kept (ns).
   * Default 5 s; a request slower than this loses its vm_exit split, nothing else.
   */
  horizonNs?: number;
  /** Decide nothing until finish(): for records in no particular time order. Memory then grows with the input. */
  batch?: boolean;
}

/** Slack for causality checks after mapping host times with an estimate: its uncertainty plus this. */
const SLACK_NS = 2_000;
const DEFAULT_LAG_NS = 100_000_000;
const DEFAULT_HORIZON_NS = 5_000_000_000;
/** Bounds per direction (1 ms buckets), and the time they cover, before the first estimate is used. */
const WARM_BOUNDS = 4;
const WARM_SPAN_NS = 10_000_000;
/** Guest requests held while waiting for a first estimate before deciding them without one. */
const WARM_MAX = 50_000;
/** A VM's estimate is refreshed when the requests decided have moved on by this much guest time. */
const REESTIMATE_NS = 1_000_000;
/** Records pushed between polls. */
const POLL_EVERY = 256;

/** A virtual disk as both sides name it, with a small number standing for it in join keys. */
interface DiskSlot {
  slot: number;
  vm: VmState;
  disk: VirtualDisk;
}

/** A QEMU request waiting to be claimed by its guest request. */
interface QemuEntry {
  q: QemuRequestRecord;
  d: DiskSlot | undefined;
  write: boolean;
  used: boolean;
}

/** A guest request waiting for both sides to pass it. */
interface PendingGuest {
  g: GuestRequestRecord;
  d: DiskSlot | undefined;
  /** Join key (disk, sector, length, direction). */
  key: number;
  /** When the request was made available to the device (vq_add, else rq_issue), guest ns. */
  start: number;
  /** Queue and head known (not a tracefs-only guest record): they must match too. */
  full: boolean;
  /** Already given to the clock estimator. */
  sampled: boolean;
}

/** One guest: its clock estimate, its requests waiting, its application ops. */
class VmState {
  readonly estimator = new ClockEstimator();
  clock: ClockEstimate | undefined;
  slack = SLACK_NS;
  /** Guest time of the decision at which the clock was last estimated. */
  clockAt = -Infinity;
  newSamples = 0;
  readonly pending = new Fifo<PendingGuest>();
  /**
   * Start times (guest ns) of the pending guest requests under each join key: a pair sets the
   * clock only if no other request held could have been served by the same QEMU request.
   */
  readonly pendingKeys = new Map<number, number | number[]>();
  guestMax = -Infinity;
  seenGuest = false;
  scannedAt = 0;
  readonly apps = new KeyedWindow<GuestAppOpRecord>((a) => a.tComplete);
  constructor(readonly name: string, readonly vm: VirtualMachine | undefined) {}

  toGuest(h: number): GuestTime {
    return hostToGuest(this.clock!, h as HostTime);
  }
}

/**
 * Stitches guest and host records into one path per guest request, as they arrive.
 *
 * Joins: guest_rq -> qemu_req by (VM's QEMU, disk's vdev, vq, head, sector, bytes, direction) and
 * time; qemu_req -> uring_op by (QEMU pid, user_data) and time; uring_op -> host_blk by the disk
 * image's extents (file offset -> device sector) inside the op's time; qemu_req -> notify by (vdev,
 * vq) and time; guest kick -> kick by the queue's doorbell address and time. Each VM's clock is
 * estimated from the requests whose key is unique among those held (request made available ->
 * popped by QEMU; completed by QEMU -> the guest's interrupt handler), first from the opening
 * requests, then refreshed as decisions move on; every candidate is checked against it, and a
 * request with no consistent candidate, or two, is unmatched with the reason.
 *
 * A guest request is decided when both sides' records have passed its completion by `lagNs`;
 * records are dropped once no undecided request can need them, so memory follows the window,
 * not the stream. QEMU requests no guest request claimed are published as host_only then.
 */
export class Stitcher {
  private readonly lag: number;
  private readonly horizon: number;
  private readonly batch: boolean;
  private readonly onMatch: StitcherOptions['onMatch'];
  private readonly vms = new Map<string, VmState>();
  private readonly vmOrder: VmState[] = [];
  /** Disks by VM name and guest dev_t. */
  private readonly diskByGuest = new Map<string, Map<number, DiskSlot>>();
  private readonly diskByQemu = new Map<number, Map<bigint, DiskSlot>>();
  /** The last QEMU disk looked up: nearly every host record is for the disk before it. */
  private lastQemu: { pid: number; vdev: bigint; d: DiskSlot | undefined } = { pid: -1, vdev: -1n, d: undefined };
  /** QEMU requests by disk, sector, length and direction (queue and head are compared after). */
  private readonly qreqs = new KeyedWindow<QemuEntry>((e) => e.q.tReqComplete);
  private readonly qFifo = new Fifo<QemuEntry>();
  private readonly urings = new KeyedWindow<UringOpRecord>((r) => r.tComplete);
  private readonly blks = new KeyedWindow<HostBlockRecord>((r) => r.tComplete);
  private readonly blksByDev = new KeyedWindow<HostBlockRecord>((r) => r.tComplete);
  private readonly notifies = new KeyedWindow<NotifyRecord>((r) => r.tNotify);
  private readonly kicks = new KeyedWindow<KickRecord>((r) => r.t);
  private hostMax = -Infinity;
  private hostRecords = 0;
  private sincePoll = 0;
  private evictedAt = -Infinity;
  /** The path events of the request being decided, by index. */
  private readonly times = eventTimes();
  private readonly sum: StitchSummary = { clocks: {}, matched: 0, guestOnly: 0, hostOnly: 0, unmatched: {} };

  constructor(private readonly topology: Topology, private readonly onPath: (p: RequestPath) => void, opts: StitcherOptions = {}) {
    this.lag = opts.lagNs ?? DEFAULT_LAG_NS;
    this.horizon = opts.horizonNs ?? DEFAULT_HORIZON_NS;
    this.batch = opts.batch ?? false;
    this.onMatch = opts.onMatch;
    let slot = 0;
    for (const vm of topology.vms) {
      const state = this.vmState(vm.name);
      let byVdev = this.diskByQemu.get(vm.qemuPid);
      if (!byVdev) this.diskByQemu.set(vm.qemuPid, (byVdev = new Map()));
      for (const disk of vm.disks) {
        const d: DiskSlot = { slot: slot++, vm: state, disk };
        let byDev = this.diskByGuest.get(vm.name);
        if (!byDev) this.diskByGuest.set(vm.name, (byDev = new Map()));
        byDev.set(disk.guestDev, d);
        byVdev.set(disk.vdev, d);
      }
    }
  }

  private vmState(name: string): VmState {
    let s = this.vms.get(name);
    if (!s) {
      s = new VmState(name, this.topology.vms.find((v) => v.name === name));
      this.vms.set(name, s);
      this.vmOrder.push(s);
    }
    return s;
  }

  /** Records held (waiting to be decided or for their partners), for memory checks. */
  get held(): number {
    let n = this.qFifo.size + this.urings.size + this.blks.size + this.blksByDev.size + this.notifies.size + this.kicks.size;
    for (const v of this.vmOrder) n += v.pending.size + v.apps.size;
    return n;
  }

  /** Takes one record (either side, roughly in its side's time order). */
  push(r: TraceRecord): void {
    switch (r.kind) {
      case 'guest_rq': {
        const vm = this.vmState(r.vm);
        vm.seenGuest = true;
        if (r.tRqComplete > vm.guestMax) vm.guestMax = r.tRqComplete;
        const d = this.diskByGuest.get(r.vm)?.get(r.dev);
        // Guest records from tracefs alone have no queue or head: they join by disk, sector, length and direction.
        const full = r.vq >= 0 && r.head >= 0;
        const key = d ? joinKey(d.slot, r.sector, r.nrSectors * 512, r.op === 'write' ? 1 : 0) : 0;
        const start = r.tVqAdd || r.tRqIssue;
        vm.pending.push({ g: r, d, key, start, full, sampled: false });
        if (d) {
          const held = vm.pendingKeys.get(key);
          vm.pendingKeys.set(key, held === undefined ? start : typeof held === 'number' ? [held, start] : (held.push(start), held));
        }
        break;
      }
      case 'guest_app_op': {
        const vm = this.vmState(r.vm);
        if (r.tComplete > vm.guestMax) vm.guestMax = r.tComplete;
        vm.apps.add(Number(r.userData), r);
        break;
      }
      case 'qemu_req': {
        this.host(r.tReqComplete);
        const d = this.qemuDisk(r.qemuPid, r.vdev);
        const write = r.type === 'out';
        const e: QemuEntry = { q: r, d, write, used: false };
        this.qFifo.push(e);
        if (d) this.qreqs.add(joinKey(d.slot, r.sector, r.nbytes, write ? 1 : 0), e);
        break;
      }
      case 'uring_op':
        this.host(r.tComplete);
        this.urings.add(joinKey(r.pid, Number(r.userData)), r);
        break;
      case 'host_blk':
        this.host(r.tComplete);
        this.blks.add(joinKey(r.dev, r.sector), r);
        this.blksByDev.add(r.dev, r);
        break;
      case 'notify': {
        this.host(r.tInject > r.tNotify ? r.tInject : r.tNotify);
        const d = this.qemuDisk(r.qemuPid, r.vdev);
        if (d) this.notifies.add(joinKey(d.slot, r.vq), r);
        break;
      }
      case 'kick':
        this.host(r.t);
        this.kicks.add(joinKey(r.qemuPid, Number(r.gpa)), r);
        break;
    }
    if (!this.batch && ++this.sincePoll >= POLL_EVERY) {
      this.sincePoll = 0;
      this.poll(false);
    }
  }

  private qemuDisk(pid: number, vdev: bigint): DiskSlot | undefined {
    const last = this.lastQemu;
    if (last.pid === pid && last.vdev === vdev) return last.d;
    const d = this.diskByQemu.get(pid)?.get(vdev);
    this.lastQemu = { pid, vdev, d };
    return d;
  }

  private host(t: number): void {
    this.hostRecords++;
    if (t > this.hostMax) this.hostMax = t;
  }

  /** Decides every request still held and publishes unclaimed QEMU requests; returns the summary. */
  finish(): StitchSummary {
    this.poll(true);
    for (let e = this.qFifo.shift(); e; e = this.qFifo.shift()) if (!e.used) this.hostOnly(e);
    return this.summary();
  }

  /** The summary so far. */
  summary(): StitchSummary {
    const clocks: Record<string, ClockEstimate> = {};
    let first: ClockEstimate | undefined;
    for (const v of this.vmOrder) {
      if (!v.clock) continue;
      clocks[v.name] = v.clock;
      first ??= v.clock;
    }
    return { ...this.sum, unmatched: { ...this.sum.unmatched }, clocks, ...(first ? { clock: first } : {}) };
  }

  /** Decides what both sides have passed (everything when `final`), then drops what no one can need. */
  private poll(final: boolean): void {
    for (const vm of this.vmOrder) {
      if (!vm.seenGuest) continue;
      if (!vm.clock) this.warm(vm, final);
      for (let p = vm.pending.peek(); p; p = vm.pending.peek()) {
        if (!final && !this.ready(vm, p)) break;
        vm.pending.shift();
        this.decide(vm, p);
      }
    }
    if (!final && this.hostMax - this.evictedAt >= this.lag / 4) this.evict();
  }

  private ready(vm: VmState, p: PendingGuest): boolean {
    if (!vm.vm) return true; // a VM the topology does not know: nothing to wait for
    const t = p.g.tRqComplete + this.lag;
    // No clock yet: with no host records at all, the guest side alone decides (guest-only traces).
    if (!vm.clock) return this.hostRecords === 0 ? t <= vm.guestMax : vm.pending.size > WARM_MAX;
    return t <= vm.guestMax && t <= vm.toGuest(this.hostMax);
  }

  /** Sets a VM's first estimate from the requests held whose key is unique on both sides. */
  private warm(vm: VmState, final: boolean): void {
    if (!final && vm.pending.size - vm.scannedAt < POLL_EVERY) return;
    vm.scannedAt = vm.pending.size;
    for (const p of vm.pending) {
      if (p.sampled || !p.d || typeof vm.pendingKeys.get(p.key) !== 'number') continue;
      const [only, n] = this.candidates(p);
      if (n === 0) continue;
      p.sampled = true;
      if (only) this.sample(vm, p.g, only.q);
    }
    const s = vm.estimator.samples;
    const enough = s.guestToHost >= WARM_BOUNDS && s.hostToGuest >= WARM_BOUNDS && vm.estimator.span >= WARM_SPAN_NS;
    if (!(final || vm.pending.size > WARM_MAX || enough)) return;
    this.reestimate(vm, -Infinity);
    // The first estimate rests on loose pairs (kick to QEMU's pop): with it, find the requests'
    // notify exits, whose pairs are tight, and estimate again; twice, as each pass finds more.
    for (let pass = 0; pass < 2 && vm.clock; pass++) {
      for (const p of vm.pending) {
        if (!p.d || typeof vm.pendingKeys.get(p.key) !== 'number') continue;
        const [only] = this.candidates(p);
        if (only) this.kickExit(vm, p.d, p.g, only.q);
      }
      this.reestimate(vm, -Infinity);
    }
  }

  /** The QEMU requests held with a pending guest request's join fields: the one if only one, and how many. */
  private candidates(p: PendingGuest): [QemuEntry | undefined, number] {
    let last: QemuEntry | undefined;
    let n = 0;
    for (const c of this.qreqs.list(p.key)) if (sameKey(c, p)) (last = c), n++;
    return [n === 1 ? last : undefined, n];
  }

  /** Whether no other guest request held under `key` started early enough to have been served by `q`. */
  private onlyClaimant(vm: VmState, key: number, q: QemuRequestRecord): boolean {
    const held = vm.pendingKeys.get(key);
    if (held === undefined) return true;
    const popped = vm.toGuest(q.tPop) + vm.slack;
    if (typeof held === 'number') return held > popped;
    for (const start of held) if (start <= popped) return false;
    return true;
  }

  private sample(vm: VmState, g: GuestRequestRecord, q: QemuRequestRecord): void {
    // The latest guest event before QEMU popped it, and the earliest after QEMU completed it.
    const made = g.tKick || g.tVqAdd || g.tRqIssue;
    if (made) vm.estimator.guestToHost(made, q.tPop);
    const seen = g.tVringInterrupt || g.tCompleteRq || g.tRqComplete;
    if (seen) vm.estimator.hostToGuest(q.tReqComplete, seen);
    vm.newSamples++;
  }

  private reestimate(vm: VmState, at: number): void {
    const est = vm.estimator.estimate();
    vm.newSamples = 0;
    vm.clockAt = at;
    if (!est) return;
    vm.clock = est;
    vm.slack = Math.max(0, est.uncertaintyNs) + SLACK_NS;
  }

  private unmatched(reason: UnmatchedReason): UnmatchedReason {
    this.sum.unmatched[reason] = (this.sum.unmatched[reason] ?? 0) + 1;
    return reason;
  }

  private decide(vm: VmState, p: PendingGuest): void {
    const g = p.g;
    const d = p.d;
    if (d) {
      const held = vm.pendingKeys.get(p.key)!;
      if (typeof held === 'number') vm.pendingKeys.delete(p.key);
      else {
        held.splice(held.indexOf(p.start), 1);
        if (held.length === 1) vm.pendingKeys.set(p.key, held[0]!);
      }
    }
    if (vm.newSamples > 0 && g.tRqComplete - vm.clockAt >= REESTIMATE_NS) this.reestimate(vm, g.tRqComplete);
    const clock = vm.clock;
    // The application op it served: the first with its user_data completing after it, submitted before it.
    const ud = g.appUserData;
    let appFits: GuestAppOpRecord | undefined;
    if (ud) {
      const apps = vm.apps.list(Number(ud));
      for (let i = vm.apps.lowerBound(apps, g.tRqComplete); i < apps.length; i++) {
        const a = apps[i]!;
        if (a.userData !== ud) continue;
        if (a.tSubmit <= (g.tBioQueue || g.tRqIssue)) appFits = a;
        break;
      }
    }
    let reason: UnmatchedReason | undefined;
    let q: QemuEntry | undefined;
    let candidates = 0;
    if (this.hostRecords === 0) reason = this.unmatched('no_host_records');
    else if (!d || !clock) reason = this.unmatched('host_record_lost');
    else {
      const start = p.start;
      const slack = vm.slack;
      let fits = 0;
      for (const c of this.qreqs.list(p.key)) {
        if (!sameKey(c, p)) continue;
        candidates++;
        if (c.used) continue;
        // QEMU completed it before the guest saw the completion, but not more than the lag before.
        const done = vm.toGuest(c.q.tReqComplete);
        if (vm.toGuest(c.q.tPop) >= start - slack && done <= g.tRqComplete + slack && done >= g.tRqComplete - this.lag) (fits++, (q = c));
      }
      if (fits !== 1) {
        q = undefined;
        reason = this.unmatched(fits === 0 ? (candidates ? 'inconsistent_time' : 'host_record_lost') : 'ambiguous');
      }
    }
    const times = this.times;
    const events = guestEvents(g, appFits, times);
    let shared = 1;
    if (q && d && clock) {
      q.used = true;
      this.sum.matched++;
      // The only QEMU request that fits this guest request, which no other guest request held
      // could claim: a pair to set the clock by.
      if (!p.sampled && this.onlyClaimant(vm, p.key, q.q)) this.sample(vm, g, q.q);
      shared = Math.max(1, q.q.mergedCount);
      this.hostEvents(vm, d, g, q.q, events, times);
    } else this.sum.guestOnly++;
    const b = stagesFromTimes(times);
    const path: RequestPath = {
      vm: g.vm, disk: d?.disk.name ?? devName(g.dev), queue: g.vq, op: g.op, sector: g.sector, nrSectors: g.nrSectors,
      match: q ? 'matched' : 'guest_only', sharedHostOp: shared, events, stages: b.stages, total: b.total, start: b.start,
    };
    if (reason) path.reason = reason;
    this.onPath(path);
    if (q) this.onMatch?.(g, q.q, path);
  }

  /**
   * The exit a request's kick caused: the first on its queue's doorbell after the kick (as the
   * clock has it, less the slack), before QEMU popped the request. The pair also sets the clock
   * when the exit is the only one in that window: a doorbell write and its exit
   * are ~1 us apart, the tightest causal pair there is, and a steady supply of them keeps the
   * estimate from drifting off (the loose kick-to-pop pairs alone would let it wander by microseconds).
   */
  private kickExit(vm: VmState, d: DiskSlot, g: GuestRequestRecord, q: QemuRequestRecord): KickRecord | undefined {
    const gpa = d.disk.notifyGpa[g.vq];
    if (!g.tKick || gpa === undefined) return undefined;
    const pid = d.vm.vm!.qemuPid;
    const exits = this.kicks.list(joinKey(pid, Number(gpa)));
    const mapped = guestToHost(vm.clock!, g.tKick);
    let exit: KickRecord | undefined;
    let n = 0;
    for (let i = this.kicks.lowerBound(exits, mapped - vm.slack); i < exits.length && exits[i]!.t <= q.tPop; i++) {
      const k = exits[i]!;
      if (k.gpa === gpa && k.qemuPid === pid) (exit ??= k), n++;
    }
    if (exit && n === 1) {
      vm.estimator.guestToHost(g.tKick, exit.t as HostTime);
      vm.newSamples++;
    }
    return exit;
  }

  /** Adds the host side of a matched request to its path events (on the guest clock), in path order. */
  private hostEvents(vm: VmState, d: DiskSlot, g: GuestRequestRecord, q: QemuRequestRecord, events: Partial<Record<PathEvent, GuestTime>>, times: EventTimes): void {
    const pid = d.vm.vm!.qemuPid;
    const slack = vm.slack;
    const exit = this.kickExit(vm, d, g, q);
    if (exit) times[EVENT_INDEX.kick_exit] = events.kick_exit = vm.toGuest(exit.t);
    if (q.tHandle) times[EVENT_INDEX.qemu_handle] = events.qemu_handle = vm.toGuest(q.tHandle);
    times[EVENT_INDEX.qemu_pop] = events.qemu_pop = vm.toGuest(q.tPop);
    if (q.tAio) times[EVENT_INDEX.qemu_aio] = events.qemu_aio = vm.toGuest(q.tAio);
    // user_data (the LuringAIOCB address) is reused: the op is the last to complete before QEMU completed the request.
    const ud = q.userData;
    const ops = this.urings.list(joinKey(pid, Number(ud)));
    let op: UringOpRecord | undefined;
    for (let i = this.urings.lowerBound(ops, q.tReqComplete + 1) - 1; i >= 0; i--) {
      const o = ops[i]!;
      if (o.userData === ud && o.pid === pid) {
        op = o;
        break;
      }
    }
    if (op && op.tLuringSubmit >= q.tAio) {
      // A short read QEMU resubmitted is one host operation to the request: from the first submit.
      let first = op;
      if (op.resubmit) {
        for (const o of ops) if (o.userData === ud && o.pid === pid && o.tSubmit >= q.tAio && o.tSubmit < first.tSubmit && o.tComplete <= op.tComplete) first = o;
      }
      if (first.tLuringSubmit) times[EVENT_INDEX.luring_submit] = events.luring_submit = vm.toGuest(first.tLuringSubmit);
      times[EVENT_INDEX.uring_submit] = events.uring_submit = vm.toGuest(first.tSubmit);
      const devSector = fileOffsetToDeviceSector(d.disk, op.offset);
      const blk = devSector === undefined ? undefined : this.hostBlock(d.disk.hostDev, devSector, op.nbytes, first.tSubmit, op.tComplete);
      if (blk) {
        times[EVENT_INDEX.host_blk_issue] = events.host_blk_issue = vm.toGuest(blk[0]);
        times[EVENT_INDEX.host_blk_complete] = events.host_blk_complete = vm.toGuest(blk[1]);
      }
      times[EVENT_INDEX.uring_complete] = events.uring_complete = vm.toGuest(op.tComplete);
    }
    times[EVENT_INDEX.qemu_req_complete] = events.qemu_req_complete = vm.toGuest(q.tReqComplete);
    const seen = g.tVringInterrupt || g.tCompleteRq || g.tRqComplete;
    const notes = this.notifies.list(joinKey(d.slot, g.vq));
    for (let i = this.notifies.lowerBound(notes, q.tReqComplete); i < notes.length; i++) {
      const n = notes[i]!;
      if (n.vq !== g.vq || n.vdev !== q.vdev) continue;
      const t = vm.toGuest(n.tNotify);
      if (t <= seen + slack) {
        times[EVENT_INDEX.qemu_notify] = events.qemu_notify = t;
        if (n.tInject) times[EVENT_INDEX.irq_inject] = events.irq_inject = vm.toGuest(n.tInject);
      }
      break;
    }
  }

  /**
   * The host block request(s) that carried an io_uring op's bytes starting at device sector
   * `sector`: issued and completed inside the op. The host block layer may have merged the op
   * with a neighbour (a request starting before the sector) or split it (pieces spanning from the
   * first issue to the last completion).
   */
  private hostBlock(dev: number, sector: number, nbytes: number, from: number, to: number): [number, number] | undefined {
    let blk: HostBlockRecord | undefined;
    const exact = this.blks.list(joinKey(dev, sector));
    for (let i = this.blks.lowerBound(exact, from); i < exact.length; i++) {
      const c = exact[i]!;
      if (c.dev !== dev || c.sector !== sector || c.tIssue < from) continue;
      if (c.tComplete <= to) blk = c;
      break;
    }
    // Otherwise (rare: merged with a neighbour) the request on the device that covers the sector.
    if (!blk) {
      this.blksByDev.scan(dev, from, to, (c) => {
        if (c.tIssue >= from && c.sector <= sector && sector < c.sector + c.nrSectors) blk = c;
        return blk !== undefined;
      });
    }
    if (!blk) return undefined;
    let issue = blk.tIssue;
    let complete = blk.tComplete;
    if (blk.nrSectors * 512 < nbytes) {
      const end = sector + nbytes / 512;
      this.blksByDev.scan(dev, from, to, (c) => {
        if (c.tIssue >= from && c.sector < end && c.sector + c.nrSectors > sector) {
          if (c.tIssue < issue) issue = c.tIssue;
          if (c.tComplete > complete) complete = c.tComplete;
        }
        return false;
      });
    }
    return [issue, complete];
  }

  /** Publishes a QEMU request no guest request claimed. */
  private hostOnly(e: QemuEntry): void {
    const q = e.q;
    this.sum.hostOnly++;
    this.unmatched('guest_record_lost');
    const vm = e.d?.vm ?? this.vmOrder.find((v) => v.vm?.qemuPid === q.qemuPid);
    const events: Partial<Record<PathEvent, GuestTime>> = vm?.clock ? { qemu_pop: vm.toGuest(q.tPop), qemu_req_complete: vm.toGuest(q.tReqComplete) } : {};
    const start = (events.qemu_pop ?? 0) as GuestTime;
    this.onPath({
      vm: vm?.name ?? `qemu:${q.qemuPid}`, disk: e.d?.disk.name ?? '?', queue: q.vq, op: q.type === 'out' ? 'write' : q.type === 'in' ? 'read' : 'other',
      sector: q.sector, nrSectors: q.nbytes / 512, match: 'host_only', reason: 'guest_record_lost', sharedHostOp: Math.max(1, q.mergedCount),
      events, stages: {}, total: ((events.qemu_req_complete ?? start) - start) as never, start,
    });
  }

  /**
   * Drops what no undecided request can need. Guest requests still to come complete after each
   * VM's frontier (the oldest held, or the newest seen less the lag), and a QEMU request is only
   * claimed by a guest request that saw it complete within the lag; so, mapped to the host clock,
   * the earliest frontier less the lag bounds the QEMU requests still claimable. Their io_uring
   * ops and host block requests completed before them, their notifications after.
   */
  private evict(): void {
    let h = Infinity;
    let any = false;
    for (const vm of this.vmOrder) {
      if (!vm.seenGuest || !vm.vm) continue;
      if (!vm.clock) return;
      any = true;
      const front = vm.pending.peek();
      const frontier = Math.min(front ? front.g.tRqComplete : Infinity, vm.guestMax - this.lag);
      vm.apps.evictBefore(frontier - this.lag);
      h = Math.min(h, guestToHost(vm.clock, (frontier - 2 * vm.slack) as GuestTime));
    }
    if (!any || !Number.isFinite(h)) return;
    this.evictedAt = this.hostMax;
    const q = h - this.lag;
    for (let e = this.qFifo.peek(); e && e.q.tReqComplete < q; e = this.qFifo.peek()) {
      this.qFifo.shift();
      if (!e.used) this.hostOnly(e);
    }
    this.qreqs.evictBefore(q);
    this.urings.evictBefore(q - this.lag);
    this.blks.evictBefore(q - this.lag);
    this.blksByDev.evictBefore(q - this.lag);
    this.notifies.evictBefore(q);
    this.kicks.evictBefore(q - this.horizon);
  }
}

/** Whether a QEMU request has exactly a pending guest request's join fields (keys are hashes). */
function sameKey(c: QemuEntry, p: PendingGuest): boolean {
  const q = c.q, g = p.g;
  return c.d === p.d && q.sector === g.sector && q.nbytes === g.nrSectors * 512 && c.write === (g.op === 'write') &&
    (!p.full || (q.vq === g.vq && q.head === g.head));
}
