// The streaming two-sided stitcher: records pushed as they arrive, each guest request decided once both sides have passed it, memory bounded by a time window.
import type { GuestRequestRecord, GuestTime, HostTime, Nanos, QemuRequestRecord, Topology, TraceRecord, VirtualDisk, VirtualMachine } from '../records/index.js';
import {
  AO_COMPLETE, AO_SUBMIT, AO_UD_LO, AO_UD_NUM, AO_VM, BATCH_WIDTH, BLOCK_OPS, fileOffsetToDeviceSector, G_APP_LO, G_APP_NUM, G_BIO, G_COMPLETE,
  G_COMPLETE_RQ, G_DEV, G_HEAD, G_INSERT, G_ISSUE, G_KICK, G_NR, G_OP, G_QUEUE_RQ, G_SECTOR, G_VM, G_VQ, G_VQ_ADD, G_VRING, HB_COMPLETE, HB_DEV,
  HB_ISSUE, HB_NR, HB_SECTOR, KX_GPA_LO, KX_GPA_NUM, KX_PID, KX_T, NT_INJECT, NT_NOTIFY, NT_PID, NT_VDEV_LO, NT_VDEV_NUM, NT_VQ, QR_AIO,
  QR_COMPLETE, QR_HANDLE, QR_HEAD, QR_MERGED, QR_NBYTES, QR_PID, QR_POP, QR_SECTOR, QR_TYPE, QR_UD_LO, QR_UD_NUM, QR_VDEV_LO, QR_VDEV_NUM,
  QR_VQ, RecordBatch, TAG_APP_OP, TAG_GUEST_RQ, TAG_HOST_BLK, TAG_KICK, TAG_NOTIFY, TAG_QEMU_REQ, TAG_URING_OP, u64Low32, u64ToNumber, UO_COMPLETE,
  UO_LURING, UO_NBYTES, UO_OFFSET, UO_PID, UO_RES, UO_RESUBMIT, UO_SUBMIT, UO_UD_LO, UO_UD_NUM,
} from '../records/index.js';
import { ClockEstimator, guestToHost, hostToGuest, MAX_DRIFT, type ClockEstimate } from './clock.js';
import { StitchedPath, type RequestPath, type UnmatchedReason } from './path.js';
import { devName } from './guest-only.js';
import { joinKey } from './join-key.js';
import { KeyedRing } from './keyed-ring.js';
import { EVENT_INDEX, foldStages, newEventNs, newStageNs, type Span } from './telescope.js';
import { TimeStreams } from './time-streams.js';

/** What the stitcher found, besides the paths it published. */
export interface StitchSummary {
  /** The clock estimate of the first VM that has one. */
  clock?: ClockEstimate;
  /** Each VM's clock estimate (each guest has its own clock). */
  clocks: Record<string, ClockEstimate>;
  matched: number;
  guestOnly: number;
  hostOnly: number;
  /**
   * QEMU requests unclaimed at the end that completed after the last one the guest reaped on their
   * queue: the guest had not reaped them yet when its trace ended (or lost the records of every
   * one of them, which a trace cannot tell apart), so they are not counted as host-only.
   */
  inFlightAtEnd: number;
  unmatched: Partial<Record<UnmatchedReason, number>>;
}

/** How the stitcher waits for records and how long it keeps them. */
export interface StitcherOptions {
  /** Sees each match made (for measuring the stitcher against ground truth). */
  onMatch?: (guest: GuestRequestRecord, host: QemuRequestRecord, path: RequestPath) => void;
  /**
   * How far one side's records may arrive behind the other's, and behind their own side's order
   * (ns), unless `skewNs` says otherwise; and how long before the guest saw a request complete
   * the QEMU request that served it may have completed (a request is matched only within this).
   * Default 100 ms: ring buffers are drained every few ms, and interrupts take microseconds.
   */
  lagNs?: number;
  /**
   * How far one side's records may arrive behind the other's, and behind their own side's order
   * (ns): a guest request is decided once both sides have passed its completion by this much.
   * Default `lagNs`. Smaller than the lag when the sources are drained often (the simulator's, every
   * millisecond): what waits to be decided, and with it what is held, shrinks with it.
   */
  skewNs?: number;
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
/** How far a loose pair of the first estimate may sit from the offset the others agree on (ns), beyond the drift. */
const WARM_TOLERANCE_NS = 50_000;
/**
 * Guest time held without enough unique pairs before the offset is looked for by alignment
 * (alignByHead), and the tries: again at twice the span, then four times, then not before the end.
 */
const ALIGN_SPAN_NS = 2 * WARM_SPAN_NS;
const ALIGN_TRIES = 3;
/** Guest requests an alignment reads at most (the oldest held): it walks every QEMU request at each one's key. */
const ALIGN_MAX_REQUESTS = 8192;
/** Pairs that must agree on the offset, and how many times more than agree on any other. */
const ALIGN_MIN_PAIRS = 16;
const ALIGN_RIVAL_RATIO = 4;
/** The widest the offsets most pairs agree on may be (ns): wider, the pairs are too loose to pick out true ones. */
const ALIGN_MAX_WIDTH_NS = 20_000;

/** A virtual disk as both sides name it, with a small number standing for it in join keys. */
interface DiskSlot {
  slot: number;
  vm: VmState;
  disk: VirtualDisk;
  /** The kick stream key of each queue's doorbell (its QEMU's pid and the doorbell), by queue. */
  kickKeys: number[];
  /** Each queue's doorbell address as a number (u64ToNumber), by queue. */
  kickGpas: number[];
  /** The low 32 bits of each queue's doorbell address, by queue (with kickGpas, exact). */
  kickLos: number[];
  /** The low 32 bits of the disk's QEMU device address (diskByQemu is by the nearest number). */
  vdevLo: number;
  /** The notification stream key of each queue (noteKey), by queue. */
  noteKeys: number[];
  /**
   * By queue, the host completion time of the latest QEMU request a guest request claimed. The
   * used ring is first in, first out, so the guest had reaped every request of that queue QEMU
   * completed up to then.
   */
  lastReaped: number[];
}

/** The notification stream key of a disk's queue. */
const noteKey = (d: DiskSlot, vq: number): number => d.noteKeys[vq] ?? joinKey(d.slot, vq);

/** Marks of a held guest request: its queue and head are known (not a tracefs-only record), so they must match too. */
const FULL = 1;
/** Marks of a held guest request: already given to the clock estimator. */
const SAMPLED = 2;
/** Marks of a held guest request: its application op was settled on the op's arrival (P_APP_SUBMIT, P_APP_COMPLETE). */
const APP_SETTLED = 4;
/** Slots of a VM's tables of guest requests by application user_data (a power of two; a clash only costs a search). */
const APP_SLOTS = 8192;
/** The slot of an application user_data's join key in those tables. */
const appSlot = (key: number): number => key & (APP_SLOTS - 1);
/** Marks of a held QEMU request: claimed by a guest request. */
const USED = 1;
/** Marks of a held QEMU request: a write (VIRTIO_BLK_T_OUT). */
const WRITE = 2;
/**
 * Marks of a held QEMU request: a guest request without queue and head found it its only fit,
 * but another held request fitted it too; it is no one's without doubt then, for the requests
 * after them with no more to go by either.
 */
const CONTESTED = 4;

// The rows the stitcher keeps beside each record (keyed-ring.ts, time-streams.ts): the fields
// its lookups compare and its matches read, copied as the record arrives. user_data and doorbell
// addresses are kept as numbers, exact below 2^53 (pointers and guest-physical addresses are);
// above, equal numbers are confirmed on the records' bigints.
/**
 * A held guest request's row (its time is when it was made available to the device): every field
 * deciding it reads, so a decision never goes back to the record (times 0 = not seen, as there).
 */
const P_COMPLETE = 0, P_SLOT = 1, P_SECTOR = 2, P_NR = 3, P_OP = 4, P_VQ = 5, P_HEAD = 6, P_APP = 7, P_BIO = 8, P_INSERT = 9,
  P_ISSUE = 10, P_QUEUE_RQ = 11, P_VQ_ADD = 12, P_KICK = 13, P_VRING = 14, P_COMPLETE_RQ = 15, P_DEV = 16,
  P_APP_SUBMIT = 17, P_APP_COMPLETE = 18, P_APP_LO = 19, P_WIDTH = 20;
/** The code of a write in BLOCK_OPS. */
const OP_WRITE = 1;
/**
 * A held QEMU request's row (its time is tReqComplete; slot -1 = unknown disk; type 0 in, 1 out,
 * 2 other), then its host operation when it was settled on arrival (Q_HOST 1; see hostOp):
 * the io_uring op's submits and completion and the host block request's issue and completion
 * (NaN: none found).
 */
const Q_SLOT = 0, Q_SECTOR = 1, Q_NBYTES = 2, Q_VQ = 3, Q_HEAD = 4, Q_POP = 5, Q_HANDLE = 6, Q_AIO = 7, Q_MERGED = 8, Q_UD = 9, Q_PID = 10,
  Q_TYPE = 11, Q_HOST = 12, Q_LURING = 13, Q_URING_SUBMIT = 14, Q_URING_COMPLETE = 15, Q_BLK_ISSUE = 16, Q_BLK_COMPLETE = 17, Q_UD_LO = 18, Q_WIDTH = 19;
/** A host block request's row in its device's stream. */
const D_ISSUE = 0, D_SECTOR = 1, D_NR = 2, D_WIDTH = 3;
/** An io_uring op's row (its time is tComplete). */
const U_UD = 0, U_PID = 1, U_SUBMIT = 2, U_LURING = 3, U_OFFSET = 4, U_NBYTES = 5, U_RESUBMIT = 6, U_RES = 7, U_LO = 8, U_WIDTH = 9;
/** A notification's row (its time is tNotify). */
const N_VQ = 0, N_SLOT = 1, N_INJECT = 2, N_WIDTH = 3;
/** A notify exit's row. */
const K_PID = 0, K_GPA = 1, K_LO = 2, K_WIDTH = 3;
/** An application op's row (its time is tComplete). */
const A_UD = 0, A_SUBMIT = 1, A_LO = 2, A_WIDTH = 3;
/**
 * Numbers from 2^53 on are not exact: two that are equal may stand for different u64s, so rows
 * with such a user_data or doorbell also compare its low 32 bits (the pair is exact). No record
 * object is held (unless onMatch wants the pairs): what waits in the window is typed arrays only.
 */
const EXACT = 2 ** 53;

/** One guest: its clock estimate, its requests waiting, its application ops. */
class VmState {
  estimator = new ClockEstimator();
  /**
   * The loose pairs the first estimate is made of, four numbers each (guest made, host pop, host
   * done, guest seen; 0 = no such event), kept until it is made so that pairs which contradict
   * the rest can be left out of it.
   */
  warmPairs: number[] = [];
  clock: ClockEstimate | undefined;
  /** Alignments tried (alignByHead), and the requests held at the last. */
  aligns = 0;
  alignedAt = 0;
  slack = SLACK_NS;
  /** Guest time of the decision at which the clock was last estimated. */
  clockAt = -Infinity;
  newSamples = 0;
  /**
   * Guest requests waiting for both sides to pass them, in arrival order: each with the time it
   * was made available to the device (vq_add, else rq_issue) as its time, its join key (disk,
   * sector, length, direction), and its row (P_*; a disk slot of -1 = unknown disk, then not in
   * the index). The index tells whether a request's key is unique among those held: a pair sets
   * the clock only if no other request held could have been served by the same QEMU request.
   */
  readonly pending = new KeyedRing<GuestRequestRecord>(P_WIDTH);
  guestMax = -Infinity;
  seenGuest = false;
  scannedAt = 0;
  readonly apps = new TimeStreams<never>(A_WIDTH);
  /** The newest guest request held with each application user_data, by its key's slot (-1: none). */
  readonly appRequest = new Float64Array(APP_SLOTS).fill(-1);
  /**
   * By the same slots: guest requests before this sequence number may have missed an application
   * op that arrived after them, out of time order (so theirs is searched for when they are decided).
   */
  readonly appLate = new Float64Array(APP_SLOTS);
  /** The latest completion of the application ops seen, by the same slots. */
  readonly appMax = new Float64Array(APP_SLOTS).fill(-Infinity);
  constructor(readonly name: string, readonly vm: VirtualMachine | undefined) {}

  /** The clock estimate's terms, for mapping host times inline: guest = h + off + beta · (h − ref), as hostToGuest computes it. */
  off = 0;
  beta = 0;
  ref = 0;

  toGuest(h: number): GuestTime {
    return hostToGuest(this.clock!, h as HostTime);
  }

  /**
   * Whether the held guest request `seq` is the only one held under its key that could claim a
   * QEMU request: one known by its completion alone (time 0) never is paired (decide), so it is
   * neither unique nor a rival.
   */
  uniqueKey(seq: number): boolean {
    const p = this.pending;
    const times = p.times;
    if (p.get(seq, P_SLOT) < 0 || times[p.slotOf(seq)] === 0) return false;
    for (let s = p.newest(p.keyAt(seq)); s >= 0; s = p.older(s)) if (s !== seq && times[p.slotOf(s)] !== 0) return false;
    return true;
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
 * A guest request is decided when both sides' records have passed its completion by `skewNs`
 * (the lag unless a source is drained more often than that);
 * records are dropped once no undecided request can need them, so memory follows the window,
 * not the stream. QEMU requests no guest request claimed are published as host_only then.
 *
 * By the time a request is decided, the records it joins arrived a lag ago and have left the
 * cache, and reading them there was most of a decision's cost. So joins that records still to
 * come cannot change are made as the later record arrives, while the earlier is among the newest
 * held: a QEMU request's io_uring op and host block request when QEMU's record arrives (hostOp),
 * a guest request's application op when the op's arrives (settleApp). What is not settled so
 * (records out of order, short reads, split or merged block requests) is searched for when the
 * request is decided, as before; the paths are the same either way.
 */
export class Stitcher {
  private readonly lag: number;
  private readonly skew: number;
  private readonly horizon: number;
  private readonly batch: boolean;
  private readonly onMatch: StitcherOptions['onMatch'];
  private readonly vms = new Map<string, VmState>();
  private readonly vmOrder: VmState[] = [];
  /** Disks by slot number. */
  private readonly slots: DiskSlot[] = [];
  /** Disks by VM name and guest dev_t. */
  private readonly diskByGuest = new Map<string, Map<number, DiskSlot>>();
  /** Disks by QEMU pid and device address (its nearest number; several only if they differ past 2^53). */
  private readonly diskByQemu = new Map<number, Map<number, DiskSlot[]>>();
  /** The last QEMU disk looked up: nearly every host record is for the disk before it. */
  private lastQemu: { pid: number; vdev: number; lo: number; d: DiskSlot | undefined } = { pid: -1, vdev: -1, lo: -1, d: undefined };
  /** The last doorbell a kick was filed under, and its key. */
  private lastKick = { gpa: -1, lo: -1, pid: -1, key: 0 };
  /**
   * The last guest disk looked up, likewise: by the VM's name's index in a batch's strings (those
   * of `strings`) and the guest dev_t.
   */
  private lastGuest: { strings: readonly string[]; vm: number; dev: number; state: VmState | undefined; d: DiskSlot | undefined } = {
    strings: [], vm: -1, dev: -1, state: undefined, d: undefined,
  };
  /** The batch push() writes each record into. */
  private readonly one = new RecordBatch();
  /**
   * QEMU requests in arrival order, by disk, sector, length and direction (queue and head are
   * compared after): time tReqComplete, row Q_* (a disk slot of -1 = unknown disk, not in the index).
   */
  private readonly qreqs = new KeyedRing<QemuRequestRecord>(Q_WIDTH);
  private readonly urings = new TimeStreams<never>(U_WIDTH);
  // Host block requests and notifications are read from their rows only: no record is held (never).
  private readonly blksByDev = new TimeStreams<never>(D_WIDTH);
  private readonly notifies = new TimeStreams<never>(N_WIDTH);
  private readonly kicks = new TimeStreams<never>(K_WIDTH);
  private hostMax = -Infinity;
  private hostRecords = 0;
  private sincePoll = 0;
  private evictedAt = -Infinity;
  /** Where the stages of the request being decided start, and their total. */
  private readonly span: Span = { start: 0, total: 0 };
  private readonly sum: StitchSummary = { clocks: {}, matched: 0, guestOnly: 0, hostOnly: 0, inFlightAtEnd: 0, unmatched: {} };

  constructor(private readonly topology: Topology, private readonly onPath: (p: RequestPath) => void, opts: StitcherOptions = {}) {
    this.lag = opts.lagNs ?? DEFAULT_LAG_NS;
    this.skew = Math.min(opts.skewNs ?? this.lag, this.lag);
    this.horizon = opts.horizonNs ?? DEFAULT_HORIZON_NS;
    this.batch = opts.batch ?? false;
    this.onMatch = opts.onMatch;
    for (const vm of topology.vms) {
      const state = this.vmState(vm.name);
      let byVdev = this.diskByQemu.get(vm.qemuPid);
      if (!byVdev) this.diskByQemu.set(vm.qemuPid, (byVdev = new Map()));
      for (const disk of vm.disks) {
        const kickGpas = disk.notifyGpa.map(u64ToNumber);
        const kickLos = disk.notifyGpa.map(u64Low32);
        const slot = this.slots.length;
        const kickKeys = kickGpas.map((gpa) => joinKey(vm.qemuPid, gpa));
        const vdevLo = u64Low32(disk.vdev);
        const d: DiskSlot = { slot, vm: state, disk, kickKeys, kickGpas, kickLos, vdevLo, noteKeys: kickGpas.map((_, vq) => joinKey(slot, vq)), lastReaped: [] };
        this.slots.push(d);
        let byDev = this.diskByGuest.get(vm.name);
        if (!byDev) this.diskByGuest.set(vm.name, (byDev = new Map()));
        byDev.set(disk.guestDev, d);
        const vdev = u64ToNumber(disk.vdev);
        byVdev.set(vdev, [...(byVdev.get(vdev) ?? []), d]);
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
    let n = this.qreqs.size + this.urings.size + this.blksByDev.size + this.notifies.size + this.kicks.size;
    for (const v of this.vmOrder) n += v.pending.size + v.apps.size;
    return n;
  }

  /** Takes one record (either side, roughly in its side's time order). */
  push(r: TraceRecord): void {
    const one = this.one;
    this.take(one.put(r), one.values, 0, one.strings, r);
  }

  /**
   * Takes a batch's records in their order, as push would one by one, with no object per record.
   * Not with onMatch, whose pairs are records: that takes push.
   */
  pushBatch(batch: RecordBatch): void {
    if (this.onMatch) throw new Error('pushBatch has no records to give onMatch: push records instead');
    const tags = batch.tags, v = batch.values, strings = batch.strings;
    for (let i = 0, o = 0; i < batch.length; i++) {
      const tag = tags[i]!;
      this.take(tag, v, o, strings, undefined);
      o += BATCH_WIDTH[tag]!;
    }
  }

  /** Takes the record of `tag` whose numbers start at `o` of `v` (its VM named in `strings`); `r` is its object, if there is one. */
  private take(tag: number, v: Float64Array, o: number, strings: readonly string[], r: TraceRecord | undefined): void {
    // Each kind in a method of its own: small enough for the compiler to inline the rings' own methods into.
    switch (tag) {
      case TAG_GUEST_RQ:
        this.guestRequest(v, o, strings, r);
        break;
      case TAG_APP_OP:
        this.appOp(v, o, strings);
        break;
      case TAG_QEMU_REQ:
        this.qemuRequest(v, o, r);
        break;
      case TAG_URING_OP:
        this.uringOp(v, o);
        break;
      case TAG_HOST_BLK:
        this.hostBlk(v, o);
        break;
      case TAG_NOTIFY:
        this.notify(v, o);
        break;
      case TAG_KICK:
        this.kick(v, o);
        break;
    }
    if (!this.batch && ++this.sincePoll >= POLL_EVERY) {
      this.sincePoll = 0;
      this.poll(false);
    }
  }

  /** The VM named by index `vm` in `strings`: nearly always the VM of the guest record before, so no lookup by name. */
  private guestVm(strings: readonly string[], vm: number): VmState {
    const last = this.lastGuest;
    return last.strings === strings && last.vm === vm && last.state ? last.state : this.vmState(strings[vm]!);
  }

  /** An application op: the VM's newest guest time, and its request settled if it is held (settleApp). */
  private appOp(v: Float64Array, o: number, strings: readonly string[]): void {
    const vm = this.guestVm(strings, v[o + AO_VM]!);
    const done = v[o + AO_COMPLETE]!, submit = v[o + AO_SUBMIT]!;
    if (done > vm.guestMax) vm.guestMax = done;
    const ud = v[o + AO_UD_NUM]!;
    const key = joinKey(ud, 0);
    if (ud < EXACT) this.settleApp(vm, key, ud, submit, done);
    const row = vm.apps.row;
    row[A_UD] = ud;
    row[A_SUBMIT] = submit;
    row[A_LO] = v[o + AO_UD_LO]!;
    vm.apps.add(key, done, undefined);
  }

  /** An io_uring op, into its user_data's stream. */
  private uringOp(v: Float64Array, o: number): void {
    const done = v[o + UO_COMPLETE]!;
    this.host(done);
    const ud = v[o + UO_UD_NUM]!, pid = v[o + UO_PID]!;
    const row = this.urings.row;
    row[U_UD] = ud;
    row[U_PID] = pid;
    row[U_SUBMIT] = v[o + UO_SUBMIT]!;
    row[U_LURING] = v[o + UO_LURING]!;
    row[U_OFFSET] = v[o + UO_OFFSET]!;
    row[U_NBYTES] = v[o + UO_NBYTES]!;
    row[U_RESUBMIT] = v[o + UO_RESUBMIT]!;
    row[U_RES] = v[o + UO_RES]!;
    row[U_LO] = v[o + UO_UD_LO]!;
    this.urings.add(joinKey(pid, ud), done, undefined);
  }

  /** A host block request, into its device's stream. */
  private hostBlk(v: Float64Array, o: number): void {
    const done = v[o + HB_COMPLETE]!;
    this.host(done);
    const row = this.blksByDev.row;
    row[D_ISSUE] = v[o + HB_ISSUE]!;
    row[D_SECTOR] = v[o + HB_SECTOR]!;
    row[D_NR] = v[o + HB_NR]!;
    this.blksByDev.add(v[o + HB_DEV]!, done, undefined);
  }

  /** A notification, into its queue's stream. */
  private notify(v: Float64Array, o: number): void {
    const t = v[o + NT_NOTIFY]!, inject = v[o + NT_INJECT]!;
    this.host(inject > t ? inject : t);
    const d = this.qemuDisk(v[o + NT_PID]!, v[o + NT_VDEV_NUM]!, v[o + NT_VDEV_LO]!);
    if (!d) return;
    const vq = v[o + NT_VQ]!;
    const row = this.notifies.row;
    row[N_VQ] = vq;
    row[N_SLOT] = d.slot;
    row[N_INJECT] = inject;
    this.notifies.add(noteKey(d, vq), t, undefined);
  }

  /** A notify exit, into its doorbell's stream. */
  private kick(v: Float64Array, o: number): void {
    const t = v[o + KX_T]!;
    this.host(t);
    // A handful of doorbells ring over and over: the last one's key is kept.
    const pid = v[o + KX_PID]!, gpa = v[o + KX_GPA_NUM]!, lo = v[o + KX_GPA_LO]!;
    let last = this.lastKick;
    if (gpa !== last.gpa || lo !== last.lo || pid !== last.pid) this.lastKick = last = { gpa, lo, pid, key: joinKey(pid, gpa) };
    const row = this.kicks.row;
    row[K_PID] = pid;
    row[K_GPA] = gpa;
    row[K_LO] = lo;
    this.kicks.add(last.key, t, undefined);
  }

  private qemuRequest(v: Float64Array, o: number, r: TraceRecord | undefined): void {
    const done = v[o + QR_COMPLETE]!;
    this.host(done);
    const pid = v[o + QR_PID]!;
    const d = this.qemuDisk(pid, v[o + QR_VDEV_NUM]!, v[o + QR_VDEV_LO]!);
    const type = v[o + QR_TYPE]!;
    const write = type === 1;
    const sector = v[o + QR_SECTOR]!, nbytes = v[o + QR_NBYTES]!;
    const key = d ? joinKey(d.slot, sector, nbytes, write ? 1 : 0) : 0;
    const q = this.qreqs;
    const ud = v[o + QR_UD_NUM]!, lo = v[o + QR_UD_LO]!;
    const seq = q.push(this.onMatch ? (r as QemuRequestRecord) : undefined, done, key, d !== undefined, write ? WRITE : 0);
    const rows = q.rows, b = q.rowOf(seq);
    const aio = v[o + QR_AIO]!;
    rows[b + Q_SLOT] = d ? d.slot : -1;
    rows[b + Q_SECTOR] = sector;
    rows[b + Q_NBYTES] = nbytes;
    rows[b + Q_VQ] = v[o + QR_VQ]!;
    rows[b + Q_HEAD] = v[o + QR_HEAD]!;
    rows[b + Q_POP] = v[o + QR_POP]!;
    rows[b + Q_HANDLE] = v[o + QR_HANDLE]!;
    rows[b + Q_AIO] = aio;
    rows[b + Q_MERGED] = v[o + QR_MERGED]!;
    rows[b + Q_UD] = ud;
    rows[b + Q_UD_LO] = lo;
    rows[b + Q_PID] = pid;
    rows[b + Q_TYPE] = type;
    const settled = d !== undefined && this.hostOp(d, ud, lo, aio, done) && this.settled;
    // hostOp reads no ring of QEMU requests: the rows taken before it are still the ring's.
    rows[b + Q_HOST] = settled ? 1 : 0;
    if (settled) {
      rows[b + Q_LURING] = this.opLuring;
      rows[b + Q_URING_SUBMIT] = this.opSubmit;
      rows[b + Q_URING_COMPLETE] = this.opDone;
      rows[b + Q_BLK_ISSUE] = this.blkIssue;
      rows[b + Q_BLK_COMPLETE] = this.blkComplete;
    }
  }

  private guestRequest(v: Float64Array, o: number, strings: readonly string[], r: TraceRecord | undefined): void {
    const vmAt = v[o + G_VM]!, dev = v[o + G_DEV]!;
    const last = this.lastGuest;
    let vm: VmState, d: DiskSlot | undefined;
    if (last.strings === strings && last.vm === vmAt && last.dev === dev) (vm = last.state!), (d = last.d);
    else {
      const name = strings[vmAt]!;
      vm = this.vmState(name);
      d = this.diskByGuest.get(name)?.get(dev);
      this.lastGuest = { strings, vm: vmAt, dev, state: vm, d };
    }
    vm.seenGuest = true;
    const complete = v[o + G_COMPLETE]!;
    if (complete > vm.guestMax) vm.guestMax = complete;
    // Guest records from tracefs alone have no queue or head: they join by disk, sector, length and direction.
    const vq = v[o + G_VQ]!, head = v[o + G_HEAD]!;
    const full = vq >= 0 && head >= 0;
    const op = v[o + G_OP]!, sector = v[o + G_SECTOR]!, nr = v[o + G_NR]!;
    const key = d ? joinKey(d.slot, sector, nr * 512, op === OP_WRITE ? 1 : 0) : 0;
    const p = vm.pending;
    const app = v[o + G_APP_NUM]!;
    const issue = v[o + G_ISSUE]!, vqAdd = v[o + G_VQ_ADD]!;
    const seq = p.push(this.onMatch ? (r as GuestRequestRecord) : undefined, vqAdd || issue, key, d !== undefined, full ? FULL : 0);
    const rows = p.rows, b = p.rowOf(seq);
    rows[b + P_COMPLETE] = complete;
    rows[b + P_SLOT] = d ? d.slot : -1;
    rows[b + P_SECTOR] = sector;
    rows[b + P_NR] = nr;
    rows[b + P_OP] = op;
    rows[b + P_VQ] = vq;
    rows[b + P_HEAD] = head;
    rows[b + P_APP] = app;
    rows[b + P_APP_LO] = v[o + G_APP_LO]!;
    rows[b + P_BIO] = v[o + G_BIO]!;
    rows[b + P_INSERT] = v[o + G_INSERT]!;
    rows[b + P_ISSUE] = issue;
    rows[b + P_QUEUE_RQ] = v[o + G_QUEUE_RQ]!;
    rows[b + P_VQ_ADD] = vqAdd;
    rows[b + P_KICK] = v[o + G_KICK]!;
    rows[b + P_VRING] = v[o + G_VRING]!;
    rows[b + P_COMPLETE_RQ] = v[o + G_COMPLETE_RQ]!;
    rows[b + P_DEV] = dev;
    if (app) vm.appRequest[appSlot(joinKey(app, 0))] = seq;
  }

  /**
   * An application op (user_data `ud`, under `key`) as it arrives: when the newest guest request
   * held with its user_data completed before it, and the op before it under that user_data
   * completed before the request did, it is the request's op (what decide would search for), read
   * now while the request's row is still in the cache. An op older than one already seen for its
   * slot marks the requests held there as unsettled.
   */
  private settleApp(vm: VmState, key: number, ud: number, submit: number, done: number): void {
    const at = appSlot(key);
    const p = vm.pending;
    if (done <= vm.appMax[at]!) {
      vm.appLate[at] = p.end;
      return;
    }
    vm.appMax[at] = done;
    const seq = vm.appRequest[at]!;
    if (seq < p.first || seq >= p.end || seq < vm.appLate[at]!) return;
    const rows = p.rows, b = p.rowOf(seq);
    const complete = rows[b + P_COMPLETE]!;
    if (rows[b + P_APP] !== ud || complete > done) return;
    const ops = vm.apps.get(key);
    if (ops) {
      const orows = ops.rows;
      for (let i = ops.size - 1; i >= 0; i--) {
        if (orows[ops.rowOf(i) + A_UD] !== ud) continue;
        if (ops.timeAt(i) >= complete) return;
        break;
      }
    }
    const served = submit <= (rows[b + P_BIO] || rows[b + P_ISSUE]);
    rows[b + P_APP_SUBMIT] = served ? submit : 0;
    rows[b + P_APP_COMPLETE] = served ? done : 0;
    p.mark(seq, APP_SETTLED);
  }

  /** The disk of QEMU `pid` at device address `vdev` (nearest number) with low 32 bits `lo`. */
  private qemuDisk(pid: number, vdev: number, lo: number): DiskSlot | undefined {
    const last = this.lastQemu;
    if (last.pid === pid && last.vdev === vdev && last.lo === lo) return last.d;
    const d = this.diskByQemu.get(pid)?.get(vdev)?.find((x) => x.vdevLo === lo);
    this.lastQemu = { pid, vdev, lo, d };
    return d;
  }

  private host(t: number): void {
    this.hostRecords++;
    if (t > this.hostMax) this.hostMax = t;
  }

  /**
   * Decides every request still held and publishes unclaimed QEMU requests, but for those the guest
   * had yet to reap when its trace ended (`inFlightAtEnd`); returns the summary.
   */
  finish(): StitchSummary {
    this.poll(true);
    const q = this.qreqs;
    while (q.size > 0) {
      const s = q.first;
      if (!(q.marksAt(s) & USED)) {
        if (this.notReapedYet(s)) this.sum.inFlightAtEnd++;
        else this.hostOnly(s);
      }
      q.shift();
    }
    return this.summary();
  }

  /** Whether an unclaimed QEMU request completed after the last one the guest reaped on its queue. */
  private notReapedYet(seq: number): boolean {
    const rows = this.qreqs.rows, r = this.qreqs.rowOf(seq);
    const slot = rows[r + Q_SLOT]!;
    if (slot < 0) return false;
    const last = this.slots[slot]!.lastReaped[rows[r + Q_VQ]!];
    return last !== undefined && this.qreqs.timeAt(seq) > last;
  }

  /** The summary so far. */
  summary(): StitchSummary {
    const clocks: Record<string, ClockEstimate> = {};
    let first: ClockEstimate | undefined;
    for (const v of this.vmOrder) {
      if (!v.clock) continue;
      // Reported with the uncertainty that holds whatever the slope (the stitcher maps with the band).
      const c = v.estimator.withReach(v.clock);
      clocks[v.name] = c;
      first ??= c;
    }
    return { ...this.sum, unmatched: { ...this.sum.unmatched }, clocks, ...(first ? { clock: first } : {}) };
  }

  /** Decides what both sides have passed (everything when `final`), then drops what no one can need. */
  private poll(final: boolean): void {
    for (const vm of this.vmOrder) {
      if (!vm.seenGuest) continue;
      if (!vm.clock) this.warm(vm, final);
      const pending = vm.pending;
      const until = final ? Infinity : this.readyUntil(vm);
      // Without a clock while host records exist: the oldest are decided without one past WARM_MAX held.
      const warming = !final && until === -Infinity && vm.vm !== undefined;
      while (pending.size > 0) {
        const seq = pending.first;
        // A request is ready once both sides have passed its completion (its number) by the skew.
        if (warming ? pending.size <= WARM_MAX : !(pending.get(seq, P_COMPLETE) + this.skew <= until)) break;
        // Shifted first: the request is no longer held (nor counted under its key) while it is
        // decided, and its row stays as it is until the next push.
        const g = pending.shift();
        this.decide(vm, g, seq);
      }
    }
    if (!final && this.hostMax - this.evictedAt >= this.skew / 4) this.evict();
  }

  /**
   * How far both sides have passed, on a VM's guest clock: its requests completed at least the skew
   * before it can be decided (Infinity: all; -Infinity: none by time, it has no clock yet).
   */
  private readyUntil(vm: VmState): number {
    if (!vm.vm) return Infinity; // a VM the topology does not know: nothing to wait for
    // No clock yet: with no host records at all, the guest side alone decides (guest-only traces).
    if (!vm.clock) return this.hostRecords === 0 ? vm.guestMax : -Infinity;
    return Math.min(vm.guestMax, vm.toGuest(this.hostMax));
  }

  /** Sets a VM's first estimate from the requests held whose key is unique on both sides. */
  private warm(vm: VmState, final: boolean): void {
    const pending = vm.pending;
    if (!final && pending.size - vm.scannedAt < POLL_EVERY) return;
    vm.scannedAt = pending.size;
    for (let seq = pending.first; seq < pending.end; seq++) {
      if (pending.marksAt(seq) & SAMPLED || !vm.uniqueKey(seq)) continue;
      const rows = pending.rows, b = pending.rowOf(seq);
      const [only, n] = this.candidates(rows, b, pending.keyAt(seq), pending.marksAt(seq));
      if (n === 0) continue;
      pending.mark(seq, SAMPLED);
      if (only >= 0) this.sample(vm, rows, b, this.qreqs.get(only, Q_POP), this.qreqs.timeAt(only));
    }
    const s = vm.estimator.samples;
    const enough = s.guestToHost >= WARM_BOUNDS && s.hostToGuest >= WARM_BOUNDS && vm.estimator.span >= WARM_SPAN_NS;
    const out = final || pending.size > WARM_MAX;
    // Few requests alone under their key (a workload recurring over a few dozen sectors): the
    // offset is found by what every request's queue and head say instead.
    if (!enough && this.alignDue(vm, out)) {
      const pairs = this.alignByHead(vm);
      if (pairs) {
        this.tighten(vm, pairs);
        return;
      }
    }
    if (!(out || enough)) return;
    this.keepConsistentWarmPairs(vm);
    this.reestimate(vm, -Infinity);
    if (vm.clock) vm.warmPairs = [];
    this.tighten(vm, undefined);
  }

  /**
   * The first estimate rests on loose pairs (kick to QEMU's pop): with it, find the notify exits
   * of the requests paired (flat guest, QEMU sequence numbers; undefined: those whose key is
   * unique), whose pairs are tight, and estimate again; twice, as each pass finds more.
   */
  private tighten(vm: VmState, pairs: number[] | undefined): void {
    const pending = vm.pending;
    for (let pass = 0; pass < 2 && vm.clock; pass++) {
      const list = pairs ?? this.uniquePairs(vm);
      for (let i = 0; i < list.length; i += 2) {
        const rows = pending.rows, b = pending.rowOf(list[i]!);
        this.kickExit(vm, this.slots[rows[b + P_SLOT]!]!, rows, b, this.qreqs.get(list[i + 1]!, Q_POP));
      }
      this.reestimate(vm, -Infinity);
    }
  }

  /** The held guest requests whose key is unique and the only QEMU request at it, in pairs (flat). */
  private uniquePairs(vm: VmState): number[] {
    const pending = vm.pending;
    const out: number[] = [];
    for (let seq = pending.first; seq < pending.end; seq++) {
      if (!vm.uniqueKey(seq)) continue;
      const [only] = this.candidates(pending.rows, pending.rowOf(seq), pending.keyAt(seq), pending.marksAt(seq));
      if (only >= 0) out.push(seq, only);
    }
    return out;
  }

  /**
   * Whether an alignment is due: the guest time held has reached ALIGN_SPAN_NS, then twice and
   * four times that, or no more is to be waited for (`out`) and more is held than at the last try.
   */
  private alignDue(vm: VmState, out: boolean): boolean {
    const pending = vm.pending;
    if (pending.size <= vm.alignedAt) return false;
    if (!out) {
      if (vm.aligns >= ALIGN_TRIES) return false;
      let first = 0;
      for (let seq = pending.first; seq < pending.end && !first; seq++) first = pending.times[pending.slotOf(seq)]!;
      if (!first || vm.guestMax - first < ALIGN_SPAN_NS * 2 ** vm.aligns) return false;
    }
    vm.aligns++;
    vm.alignedAt = pending.size;
    return true;
  }

  /**
   * The first estimate when few requests are alone under their key: from the requests' queues and
   * heads, which a hot region repeats less than its sectors. A descriptor head is one request's
   * from the guest making it available until the guest takes it back, so a QEMU request with a
   * guest request's head, sector, length and direction that fits inside its window is its own,
   * once the offset is known to well under QEMU's shortest service (pop to completion): the
   * request before or after at that head would have to be served in less than the error.
   *
   * The offset: every candidate pair (guest request, QEMU request with its join fields and head)
   * bounds it, made − pop ≤ θ ≤ seen − done, and a true pair's bounds hold the true θ. Where the
   * most pairs' bounds overlap (Marzullo's intersection) is taken when at least ALIGN_MIN_PAIRS
   * agree there, ALIGN_RIVAL_RATIO times more than agree anywhere else (among the pairs that do
   * not hold it: a near-periodic workload can align the wrong pairs too), and the overlap is
   * narrow. Then each guest request's candidates are checked with that offset, widened by half the
   * overlap and the slack: a request with exactly one that fits, claimed by no other, is a pair,
   * and half the requests the host side has passed must have one. Only those pairs set the
   * clock. Returns them (flat guest, QEMU sequence numbers), or undefined with the VM unchanged.
   */
  private alignByHead(vm: VmState): number[] | undefined {
    const pending = vm.pending, q = this.qreqs;
    const rows = pending.rows, times = pending.times, qrows = q.rows, qtimes = q.times;
    const lo: number[] = [], hi: number[] = [];
    let read = 0;
    for (let seq = pending.first; seq < pending.end && read < ALIGN_MAX_REQUESTS; seq++) {
      const marks = pending.marksAt(seq), b = pending.rowOf(seq);
      if (!(marks & FULL) || times[pending.slotOf(seq)] === 0 || rows[b + P_SLOT]! < 0) continue;
      read++;
      const made = rows[b + P_KICK] || rows[b + P_VQ_ADD] || rows[b + P_ISSUE]!;
      const seen = rows[b + P_COMPLETE_RQ] || rows[b + P_COMPLETE]!;
      for (let c = q.newest(pending.keyAt(seq)); c >= 0; c = q.older(c)) {
        if (!this.sameKey(c, rows, b, marks)) continue;
        const l = made - qrows[q.rowOf(c) + Q_POP]!, h = seen - qtimes[q.slotOf(c)]!;
        if (l <= h) (lo.push(l), hi.push(h));
      }
    }
    const [depth, from, to] = deepest(lo, hi);
    if (depth < ALIGN_MIN_PAIRS || to - from > ALIGN_MAX_WIDTH_NS) return undefined;
    const theta = (from + to) / 2;
    // The pairs that do not hold θ, and the most of them that agree anywhere.
    const olo: number[] = [], ohi: number[] = [];
    for (let i = 0; i < lo.length; i++) if (lo[i]! > theta || hi[i]! < theta) (olo.push(lo[i]!), ohi.push(hi[i]!));
    if (deepest(olo, ohi)[0] * ALIGN_RIVAL_RATIO > depth) return undefined;
    const u = (to - from) / 2 + SLACK_NS;
    const passed = this.hostMax - this.skew;
    const pairs: number[] = [];
    const claims = new Map<number, number>();
    let tried = 0;
    read = 0;
    for (let seq = pending.first; seq < pending.end && read < ALIGN_MAX_REQUESTS; seq++) {
      const marks = pending.marksAt(seq), b = pending.rowOf(seq);
      const start = times[pending.slotOf(seq)]!;
      if (!(marks & FULL) || start === 0 || rows[b + P_SLOT]! < 0) continue;
      read++;
      const complete = rows[b + P_COMPLETE]!;
      if (complete - theta <= passed) tried++;
      let fits = 0, only = -1;
      for (let c = q.newest(pending.keyAt(seq)); c >= 0; c = q.older(c)) {
        if (!this.sameKey(c, rows, b, marks)) continue;
        const done = qtimes[q.slotOf(c)]! + theta, pop = qrows[q.rowOf(c) + Q_POP]! + theta;
        if (pop >= start - u && done <= complete + u && done >= complete - this.lag) (fits++, (only = c));
      }
      if (fits !== 1) continue;
      pairs.push(seq, only);
      claims.set(only, (claims.get(only) ?? 0) + 1);
    }
    const kept: number[] = [];
    for (let i = 0; i < pairs.length; i += 2) if (claims.get(pairs[i + 1]!) === 1) kept.push(pairs[i]!, pairs[i + 1]!);
    if (kept.length / 2 < ALIGN_MIN_PAIRS || kept.length < tried) return undefined;
    const estimator = new ClockEstimator();
    for (let i = 0; i < kept.length; i += 2) {
      const b = pending.rowOf(kept[i]!), c = kept[i + 1]!;
      pairBounds(estimator, rows, b, qrows[q.rowOf(c) + Q_POP]!, qtimes[q.slotOf(c)]!);
    }
    const est = estimator.estimate();
    if (!est?.consistent) return undefined;
    vm.estimator = estimator;
    vm.warmPairs = [];
    for (let i = 0; i < kept.length; i += 2) pending.mark(kept[i]!, SAMPLED);
    this.reestimate(vm, -Infinity);
    return kept;
  }

  /**
   * Leaves out of the first estimate the loose pairs that contradict the rest. Paired by their
   * keys alone (no clock yet), a guest request whose own QEMU record was lost can take another's
   * with the same sector, queue and head (in a small hot region, often); one such bound ms off
   * makes the estimate inconsistent and every decision after it wrong. Each pair bounds the offset
   * θ = guest − host: made − pop ≤ θ ≤ seen − done. As NTP's intersection (Marzullo's) algorithm
   * does, the θ that most pairs' intervals contain is found, and only those pairs are kept (with a
   * tolerance for the drift across the pairs). When every pair agrees, the estimator is left as
   * it is.
   */
  private keepConsistentWarmPairs(vm: VmState): void {
    const w = vm.warmPairs;
    const n = w.length / 4;
    if (n < 3) return;
    const ends: [number, number][] = [];
    let minPop = Infinity, maxPop = -Infinity;
    for (let i = 0; i < w.length; i += 4) {
      const [made, pop, done, seen] = [w[i]!, w[i + 1]!, w[i + 2]!, w[i + 3]!];
      ends.push([made ? made - pop : -Infinity, 1], [seen ? seen - done : Infinity, -1]);
      if (pop < minPop) minPop = pop;
      if (pop > maxPop) maxPop = pop;
    }
    // Opening ends before closing ones at the same value: the intervals are closed.
    ends.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let depth = 0, best = 0, theta = 0;
    for (let i = 0; i < ends.length; i++) {
      depth += ends[i]![1];
      if (depth > best) {
        best = depth;
        // The middle of the stretch where the most intervals overlap (to the next end).
        const lo = ends[i]![0], hi = ends[i + 1]![0];
        theta = Number.isFinite(lo) && Number.isFinite(hi) ? (lo + hi) / 2 : Number.isFinite(lo) ? lo : hi;
      }
    }
    const tol = WARM_TOLERANCE_NS + MAX_DRIFT * (maxPop - minPop);
    const kept: number[] = [];
    for (let i = 0; i < w.length; i += 4) {
      const [made, pop, done, seen] = [w[i]!, w[i + 1]!, w[i + 2]!, w[i + 3]!];
      if ((!made || made - pop <= theta + tol) && (!seen || seen - done >= theta - tol)) kept.push(i);
    }
    if (kept.length === n) return;
    vm.estimator = new ClockEstimator();
    for (const i of kept) {
      if (w[i]) vm.estimator.guestToHost(w[i] as GuestTime, w[i + 1] as HostTime);
      if (w[i + 3]) vm.estimator.hostToGuest(w[i + 2] as HostTime, w[i + 3] as GuestTime);
    }
  }

  /** The QEMU requests held with a guest request's join fields (its row at `b` of `p`): the one if only one (else -1), and how many. */
  private candidates(p: Float64Array, b: number, key: number, marks: number): [number, number] {
    const q = this.qreqs;
    let last = -1;
    let n = 0;
    for (let c = q.newest(key); c >= 0; c = q.older(c)) if (this.sameKey(c, p, b, marks)) (last = c), n++;
    return [n === 1 ? last : -1, n];
  }

  /** Whether the QEMU request `c` has exactly a guest request's join fields (keys are hashes). */
  private sameKey(c: number, p: Float64Array, b: number, marks: number): boolean {
    const q = this.qreqs;
    const rows = q.rows, r = q.rowOf(c);
    return rows[r + Q_SLOT] === p[b + P_SLOT] && rows[r + Q_SECTOR] === p[b + P_SECTOR] && rows[r + Q_NBYTES] === p[b + P_NR]! * 512 &&
      ((q.marksAt(c) & WRITE) !== 0) === (p[b + P_OP] === OP_WRITE) && (!(marks & FULL) || (rows[r + Q_VQ] === p[b + P_VQ] && rows[r + Q_HEAD] === p[b + P_HEAD]));
  }

  /** Whether no guest request held under `key` started early enough to have been served by a QEMU request popped at `pop`. */
  private onlyClaimant(vm: VmState, key: number, pop: number): boolean {
    const pending = vm.pending;
    const popped = pop + vm.off + vm.beta * (pop - vm.ref) + vm.slack;
    const times = pending.times;
    for (let s = pending.newest(key); s >= 0; s = pending.older(s)) {
      const t = times[pending.slotOf(s)]!;
      if (t <= popped && t !== 0) return false;
    }
    return true;
  }

  /**
   * Whether a guest request held under `key` (the one being decided is not held any more) would
   * fit the QEMU request `c` as decide's window has it: its join fields, its queue and head if it
   * has them, and its times.
   */
  private rivalFits(vm: VmState, key: number, c: number): boolean {
    const pending = vm.pending, rows = pending.rows, times = pending.times;
    const q = this.qreqs;
    const h = q.times[q.slotOf(c)]!, pop = q.rows[q.rowOf(c) + Q_POP]!;
    const done = h + vm.off + vm.beta * (h - vm.ref), popped = pop + vm.off + vm.beta * (pop - vm.ref);
    for (let s = pending.newest(key); s >= 0; s = pending.older(s)) {
      const b = pending.rowOf(s);
      if (!this.sameKey(c, rows, b, pending.marksAt(s))) continue;
      const complete = rows[b + P_COMPLETE]!;
      if (popped >= times[pending.slotOf(s)]! - vm.slack && done <= complete + vm.slack && done >= complete - this.lag) return true;
    }
    return false;
  }

  /** A pair to set the clock by: a guest request and the QEMU request (popped at `pop`, completed at `done`) that served it. */
  private sample(vm: VmState, p: Float64Array, b: number, pop: number, done: number): void {
    const [made, seen] = pairBounds(vm.estimator, p, b, pop, done);
    vm.newSamples++;
    // Before the first estimate, the pair is also kept for keepConsistentWarmPairs.
    if (!vm.clock) vm.warmPairs.push(made, pop, done, seen);
  }

  private reestimate(vm: VmState, at: number): void {
    const est = vm.estimator.estimate();
    vm.newSamples = 0;
    vm.clockAt = at;
    if (!est) return;
    vm.clock = est;
    // The band at the estimated slope: what mapping a time with this estimate can be off by nearby.
    vm.slack = Math.max(0, est.bandNs) + SLACK_NS;
    vm.off = est.offsetNs;
    vm.beta = est.driftPpm * 1e-6;
    vm.ref = est.refHost;
  }

  private unmatched(reason: UnmatchedReason): UnmatchedReason {
    this.sum.unmatched[reason] = (this.sum.unmatched[reason] ?? 0) + 1;
    return reason;
  }

  /** Decides one guest request, `seq` of its VM's pending ring, no longer held: matches it (or says why not) and publishes its path. */
  private decide(vm: VmState, g: GuestRequestRecord | undefined, seq: number): void {
    const pending = vm.pending;
    const p = pending.rows, b = pending.rowOf(seq);
    const start = pending.times[pending.slotOf(seq)]!, key = pending.keyAt(seq), marks = pending.marksAt(seq);
    const slot = p[b + P_SLOT]!;
    const d = slot < 0 ? undefined : this.slots[slot];
    const complete = p[b + P_COMPLETE]!;
    if (vm.newSamples > 0 && complete - vm.clockAt >= REESTIMATE_NS) this.reestimate(vm, complete);
    const clock = vm.clock;
    // The application op it served: the first with its user_data completing after it, submitted before it.
    const udNum = p[b + P_APP]!;
    let appSubmit = 0, appComplete = 0;
    const appKey = udNum ? joinKey(udNum, 0) : 0;
    if (marks & APP_SETTLED && seq >= vm.appLate[appSlot(appKey)]!) (appSubmit = p[b + P_APP_SUBMIT]!), (appComplete = p[b + P_APP_COMPLETE]!);
    else if (udNum) {
      const apps = vm.apps.get(appKey);
      if (apps) {
        const rows = apps.rows;
        for (let i = apps.seek(complete); i < apps.size; i++) {
          const r = apps.rowOf(i);
          if (rows[r + A_UD] !== udNum || (udNum >= EXACT && rows[r + A_LO] !== p[b + P_APP_LO])) continue;
          const submit = rows[r + A_SUBMIT]!;
          if (submit <= (p[b + P_BIO] || p[b + P_ISSUE])) (appSubmit = submit), (appComplete = apps.times[apps.slotOf(i)]!);
          break;
        }
      }
    }
    let reason: UnmatchedReason | undefined;
    let qs = -1;
    let candidates = 0;
    const qreqs = this.qreqs;
    if (this.hostRecords === 0) reason = this.unmatched('no_host_records');
    else if (!d || !clock) reason = this.unmatched('host_record_lost');
    else {
      const slack = vm.slack, off = vm.off, beta = vm.beta, ref = vm.ref;
      let fits = 0;
      for (let c = qreqs.newest(key); c >= 0; c = qreqs.older(c)) {
        if (!this.sameKey(c, p, b, marks)) continue;
        candidates++;
        if (qreqs.marksAt(c) & USED) continue;
        // QEMU completed it before the guest saw the completion, but not more than the lag before.
        // (rivalFits asks the same of a held request; written out here, where it runs for every candidate.)
        const h = qreqs.times[qreqs.slotOf(c)]!, pop = qreqs.rows[qreqs.rowOf(c) + Q_POP]!;
        const done = h + off + beta * (h - ref);
        if (pop + off + beta * (pop - ref) >= start - slack && done <= complete + slack && done >= complete - this.lag) (fits++, (qs = c));
      }
      if (fits !== 1) {
        qs = -1;
        reason = this.unmatched(fits === 0 ? (candidates ? 'inconsistent_time' : 'host_record_lost') : 'ambiguous');
      } else if (!(marks & FULL) && (start === 0 || qreqs.marksAt(qs) & CONTESTED || this.rivalFits(vm, key, qs))) {
        // Without its queue and head, only its keys and times tie a request to the QEMU request:
        // another request that the same QEMU request fits as well, held or decided before, makes
        // the pair a guess. So does a request known by its completion alone: the guest program
        // gives that record to requests that shared their sector with another in flight, whose
        // record may be the one lost.
        qreqs.mark(qs, CONTESTED);
        qs = -1;
        reason = this.unmatched('ambiguous');
      }
    }
    // The guest's path events (0 = not seen, as in the records).
    const ev = newEventNs();
    if (appSubmit) ev[E_APP_SUBMIT] = appSubmit;
    for (let k = 0; k < GUEST_EVENTS.length; k += 2) {
      const t = p[b + GUEST_EVENTS[k + 1]!]!;
      if (t) ev[GUEST_EVENTS[k]!] = t;
    }
    if (appComplete) ev[E_APP_COMPLETE] = appComplete;
    let shared = 1;
    const matched = qs >= 0 && d !== undefined && clock !== undefined;
    if (matched) {
      qreqs.mark(qs, USED);
      // A QEMU request a guest one claimed is of a known disk (only those are linked under a key).
      const qrow = qreqs.rowOf(qs), done = qreqs.timeAt(qs);
      const reaped = this.slots[qreqs.rows[qrow + Q_SLOT]!]!.lastReaped, vq = qreqs.rows[qrow + Q_VQ]!;
      if (!(reaped[vq]! >= done)) reaped[vq] = done;
      this.sum.matched++;
      // The only QEMU request that fits this guest request, which no other guest request held
      // could claim: a pair to set the clock by.
      const pop = qreqs.rows[qreqs.rowOf(qs) + Q_POP]!;
      if (!(marks & SAMPLED) && this.onlyClaimant(vm, key, pop)) this.sample(vm, p, b, pop, qreqs.times[qreqs.slotOf(qs)]!);
      shared = Math.max(1, qreqs.rows[qreqs.rowOf(qs) + Q_MERGED]!);
      this.hostEvents(vm, d, p, b, qs, ev);
    } else this.sum.guestOnly++;
    const stages = newStageNs();
    const span = this.span;
    foldStages(ev, stages, span);
    const path = new StitchedPath(
      vm.name, d ? d.disk.name : devName(p[b + P_DEV]!), p[b + P_VQ]!, BLOCK_OPS[p[b + P_OP]!]!, p[b + P_SECTOR]!, p[b + P_NR]!, matched ? 'matched' : 'guest_only', reason, shared,
      ev, stages, span.total as Nanos, span.start as GuestTime,
    );
    this.onPath(path);
    if (matched && this.onMatch) this.onMatch(g!, qreqs.at(qs), path);
  }

  /**
   * The exit a request's kick caused: the first on its queue's doorbell after the kick (as the
   * clock has it, less the slack), before QEMU popped the request. The pair also sets the clock
   * when the exit is the only one in that window: a doorbell write and its exit
   * are ~1 us apart, the tightest causal pair there is, and a steady supply of them keeps the
   * estimate from drifting off (the loose kick-to-pop pairs alone would let it wander by microseconds).
   * Found: true, with the exit's time (host clock) in `exitAt`.
   */
  private kickExit(vm: VmState, d: DiskSlot, p: Float64Array, b: number, pop: number): boolean {
    const vq = p[b + P_VQ]!, kick = p[b + P_KICK]!;
    const gpa = d.disk.notifyGpa[vq];
    if (!kick || gpa === undefined) return false;
    const pid = d.vm.vm!.qemuPid;
    const exits = this.kicks.get(d.kickKeys[vq]!);
    if (!exits) return false;
    const gpaNum = d.kickGpas[vq]!;
    const mapped = guestToHost(vm.clock!, kick as GuestTime);
    const times = exits.times, rows = exits.rows;
    let n = 0;
    for (let i = exits.seek(mapped - vm.slack); i < exits.size; i++) {
      const t = times[exits.slotOf(i)]!;
      if (t > pop) break;
      const r = exits.rowOf(i);
      if (rows[r + K_GPA] !== gpaNum || rows[r + K_PID] !== pid || (gpaNum >= EXACT && rows[r + K_LO] !== d.kickLos[vq])) continue;
      if (n++ === 0) this.exitAt = t;
    }
    if (n === 1) {
      vm.estimator.guestToHost(kick as GuestTime, this.exitAt as HostTime);
      vm.newSamples++;
    }
    return n > 0;
  }

  /** The time (host clock) of the exit kickExit found last. */
  private exitAt = 0;

  /**
   * Puts the host side of a matched request (`qs` in the QEMU requests held) into its path events
   * `ev`: found on the host clock, then mapped to the guest's in one pass.
   */
  private hostEvents(vm: VmState, d: DiskSlot, p: Float64Array, b: number, qs: number, ev: number[]): void {
    const off = vm.off, beta = vm.beta, ref = vm.ref;
    const qreqs = this.qreqs;
    const qr = qreqs.rowOf(qs), qrows = qreqs.rows;
    const pop = qrows[qr + Q_POP]!, aio = qrows[qr + Q_AIO]!, handle = qrows[qr + Q_HANDLE]!, done = qreqs.times[qreqs.slotOf(qs)]!;
    if (this.kickExit(vm, d, p, b, pop)) ev[E_KICK_EXIT] = this.exitAt;
    if (handle) ev[E_QEMU_HANDLE] = handle;
    ev[E_QEMU_POP] = pop;
    if (aio) ev[E_QEMU_AIO] = aio;
    // Settled when QEMU's record arrived (the op's records were still in the cache then), or found now.
    const settled = qrows[qr + Q_HOST] === 1;
    const ud = qrows[qr + Q_UD]!;
    if (settled || this.hostOp(d, ud, qrows[qr + Q_UD_LO]!, aio, done)) {
      const luring = settled ? qrows[qr + Q_LURING]! : this.opLuring;
      const blkIssue = settled ? qrows[qr + Q_BLK_ISSUE]! : this.blkIssue;
      if (luring) ev[E_LURING_SUBMIT] = luring;
      ev[E_URING_SUBMIT] = settled ? qrows[qr + Q_URING_SUBMIT]! : this.opSubmit;
      if (blkIssue === blkIssue) {
        ev[E_HOST_BLK_ISSUE] = blkIssue;
        ev[E_HOST_BLK_COMPLETE] = settled ? qrows[qr + Q_BLK_COMPLETE]! : this.blkComplete;
      }
      ev[E_URING_COMPLETE] = settled ? qrows[qr + Q_URING_COMPLETE]! : this.opDone;
    }
    ev[E_QEMU_REQ_COMPLETE] = done;
    const vq = p[b + P_VQ]!;
    // Seen: the request reaped, not vring_interrupt (a running handler reaps what QEMU completed after it began).
    const seen = p[b + P_COMPLETE_RQ] || p[b + P_COMPLETE]!;
    const notes = this.notifies.get(noteKey(d, vq));
    if (notes) {
      const rows = notes.rows;
      for (let i = notes.seek(done); i < notes.size; i++) {
        const r = notes.rowOf(i);
        if (rows[r + N_VQ] !== vq || rows[r + N_SLOT] !== d.slot) continue;
        const h = notes.times[notes.slotOf(i)]!;
        if (h + off + beta * (h - ref) <= seen + vm.slack) {
          ev[E_QEMU_NOTIFY] = h;
          const inject = rows[r + N_INJECT]!;
          if (inject) ev[E_IRQ_INJECT] = inject;
        }
        break;
      }
    }
    // Mapped with the estimate, then moved as one (host stages are on one clock) by as little as
    // puts QEMU's pop after the guest made the request available and its completion before the
    // guest saw it, as tracing systems fit a child span into its parent: where the estimate's
    // error is larger than the time across the boundary, the request's own order is the better
    // bound. Never further than the slack the match allowed.
    const made = p[b + P_VQ_ADD] || p[b + P_QUEUE_RQ] || p[b + P_ISSUE]!;
    const popG = pop + off + beta * (pop - ref), doneG = done + off + beta * (done - ref);
    let shift = 0;
    // (Both out of order: the window is shorter than QEMU's own time, and no move mends that.)
    if (made && popG < made) shift = Math.max(0, Math.min(made - popG, seen - doneG));
    else if (doneG > seen) shift = Math.min(0, Math.max(seen - doneG, made ? made - popG : -Infinity));
    if (shift > vm.slack || shift < -vm.slack) shift = 0;
    for (let k = 0; k < HOST_EVENTS.length; k++) {
      const i = HOST_EVENTS[k]!;
      const h = ev[i]!;
      if (h === h) ev[i] = h + off + beta * (h - ref) + shift;
    }
  }

  /**
   * The io_uring op that carried a QEMU request of disk `d` (user_data `ud` as a number and `lo`,
   * its low 32 bits; submitted from `aio`, completed at `done`, host clock), and the
   * host block request(s) that carried its bytes. user_data (the LuringAIOCB address) is reused:
   * the op is the last to complete before QEMU completed the request. Found: true, with its times
   * in `opLuring`, `opSubmit`, `opDone`, and the block request's in `blkIssue` and `blkComplete`
   * (NaN when none was found); `settled` tells whether records still to come could change that.
   */
  private hostOp(d: DiskSlot, ud: number, lo: number, aio: number, done: number): boolean {
    this.settled = false;
    const pid = d.vm.vm!.qemuPid;
    const ops = this.urings.get(joinKey(pid, ud));
    if (!ops) return false;
    const times = ops.times, rows = ops.rows;
    let op = -1;
    // The newest op is nearly always the one when QEMU's record arrives: no search through the cold part.
    let from = ops.size - 1;
    if (from >= 0 && !(times[ops.slotOf(from)]! < done + 1)) from = ops.lowerBound(done + 1) - 1;
    for (let i = from; i >= 0; i--) {
      const r = ops.rowOf(i);
      if (rows[r + U_UD] === ud && rows[r + U_PID] === pid && (ud < EXACT || rows[r + U_LO] === lo)) {
        op = i;
        break;
      }
    }
    if (op < 0 || rows[ops.rowOf(op) + U_LURING]! < aio) return false;
    // A short read QEMU resubmitted is one host operation to the request: from the first submit.
    const or = ops.rowOf(op);
    const opDone = times[ops.slotOf(op)]!;
    let first = or;
    if (rows[or + U_RESUBMIT]) {
      for (let i = 0; i < ops.size; i++) {
        const r = ops.rowOf(i);
        if (rows[r + U_UD] !== ud || rows[r + U_PID] !== pid || (ud >= EXACT && rows[r + U_LO] !== lo)) continue;
        const submit = rows[r + U_SUBMIT]!;
        if (submit >= aio && submit < rows[first + U_SUBMIT]! && times[ops.slotOf(i)]! <= opDone) first = r;
      }
    }
    this.opLuring = rows[first + U_LURING]!;
    this.opSubmit = rows[first + U_SUBMIT]!;
    this.opDone = opDone;
    const devSector = fileOffsetToDeviceSector(d.disk, rows[or + U_OFFSET]!);
    const blk = devSector !== undefined && this.hostBlock(d.disk.hostDev, devSector, rows[or + U_NBYTES]!, this.opSubmit, opDone);
    if (!blk) this.blkIssue = this.blkComplete = NaN;
    // Nothing to come can change this: the op moved all its bytes at once (no resubmission
    // before or after it; the next op under its user_data starts after QEMU completed the
    // request) and one block request at its sector carried them all (a late piece of a split
    // or a neighbour it merged with would have to arrive after the op that waited for it).
    this.settled = blk && this.blkWhole && !rows[or + U_RESUBMIT] && rows[or + U_NBYTES]! > 0 && rows[or + U_RES] === rows[or + U_NBYTES];
    return true;
  }

  /** What hostOp found last. */
  private opLuring = 0;
  private opSubmit = 0;
  private opDone = 0;
  private settled = false;

  /**
   * The host block request(s) that carried an io_uring op's bytes starting at device sector
   * `sector`: issued and completed inside the op. The host block layer may have merged the op
   * with a neighbour (a request starting before the sector) or split it (pieces spanning from the
   * first issue to the last completion). Found: true, with their issue and completion in
   * `blkIssue` and `blkComplete`.
   */
  private hostBlock(dev: number, sector: number, nbytes: number, from: number, to: number): boolean {
    // One walk back in completion order from the op's completion over the device's requests
    // issued and completed inside the op: the newest at exactly this sector (the op has just
    // completed when QEMU's record arrives, and its block request completed just before it, so
    // the walk nearly always stops within a step or two), else the oldest that covers it (rare:
    // merged with a neighbour).
    let issue = NaN, complete = NaN, nr = 0;
    let exact = false;
    const byDev = this.blksByDev.get(dev);
    if (byDev) {
      const rows = byDev.rows, times = byDev.times;
      let i = byDev.size - 1;
      // Decided later (the op not settled on arrival), the op is far from the newest: seek to it.
      if (i >= 0 && times[byDev.slotOf(i)]! > to) {
        i = byDev.seek(to);
        while (i < byDev.size && times[byDev.slotOf(i)]! <= to) i++;
        i--;
      }
      for (; i >= 0; i--) {
        const t = times[byDev.slotOf(i)]!;
        if (t < from) break;
        const r = byDev.rowOf(i);
        const s0 = rows[r + D_SECTOR]!;
        if (rows[r + D_ISSUE]! < from || s0 > sector) continue;
        if (s0 === sector) {
          (issue = rows[r + D_ISSUE]!), (complete = t), (nr = rows[r + D_NR]!), (exact = true);
          break;
        }
        if (sector < s0 + rows[r + D_NR]!) (issue = rows[r + D_ISSUE]!), (complete = t), (nr = rows[r + D_NR]!);
      }
    }
    this.blkWhole = exact && nr * 512 >= nbytes;
    if (issue !== issue) return false;
    if (nr * 512 < nbytes && byDev) {
      const end = sector + nbytes / 512;
      const rows = byDev.rows, times = byDev.times;
      for (let i = byDev.seek(from); i < byDev.size && times[byDev.slotOf(i)]! <= to; i++) {
        const r = byDev.rowOf(i);
        const s0 = rows[r + D_SECTOR]!;
        if (rows[r + D_ISSUE]! >= from && s0 < end && s0 + rows[r + D_NR]! > sector) {
          if (rows[r + D_ISSUE]! < issue) issue = rows[r + D_ISSUE]!;
          if (times[byDev.slotOf(i)]! > complete) complete = times[byDev.slotOf(i)]!;
        }
      }
    }
    this.blkIssue = issue;
    this.blkComplete = complete;
    return true;
  }

  /** What hostBlock found last; `blkWhole`: one request at the sector itself carried every byte. */
  private blkIssue = 0;
  private blkComplete = 0;
  private blkWhole = false;

  /** Publishes the QEMU request `seq` (held), which no guest request claimed. */
  private hostOnly(seq: number): void {
    this.sum.hostOnly++;
    // With no guest record at all (a host-side capture), nothing was lost: there is no guest side.
    const reason = this.unmatched(this.vmOrder.some((v) => v.seenGuest) ? 'guest_record_lost' : 'no_guest_records');
    const q = this.qreqs;
    const rows = q.rows, r = q.rowOf(seq);
    const slot = rows[r + Q_SLOT]!, pid = rows[r + Q_PID]!;
    const d = slot >= 0 ? this.slots[slot] : undefined;
    const vm = d?.vm ?? this.vmOrder.find((v) => v.vm?.qemuPid === pid);
    const ev = newEventNs();
    let start = 0, total = 0;
    if (vm?.clock) {
      start = ev[E_QEMU_POP] = vm.toGuest(rows[r + Q_POP]!);
      total = (ev[E_QEMU_REQ_COMPLETE] = vm.toGuest(q.timeAt(seq))) - start;
    }
    const type = rows[r + Q_TYPE]!;
    this.onPath(new StitchedPath(
      vm?.name ?? `qemu:${pid}`, d?.disk.name ?? '?', rows[r + Q_VQ]!, type === 1 ? 'write' : type === 0 ? 'read' : 'other',
      rows[r + Q_SECTOR]!, rows[r + Q_NBYTES]! / 512, 'host_only', reason, Math.max(1, rows[r + Q_MERGED]!), ev, newStageNs(), total as Nanos, start as GuestTime,
    ));
  }

  /**
   * Drops what no undecided request can need. Guest requests still to come complete after each
   * VM's frontier (the oldest held, or the newest seen less the skew), and a QEMU request is only
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
      const front = vm.pending.size > 0 ? vm.pending.get(vm.pending.first, P_COMPLETE) : Infinity;
      const frontier = Math.min(front, vm.guestMax - this.skew);
      vm.apps.evictBefore(frontier - this.skew);
      h = Math.min(h, guestToHost(vm.clock, (frontier - 2 * vm.slack) as GuestTime));
    }
    if (!any || !Number.isFinite(h)) return;
    this.evictedAt = this.hostMax;
    const before = h - this.lag;
    const q = this.qreqs;
    while (q.size > 0 && q.timeAt(q.first) < before) {
      const s = q.first;
      if (!(q.marksAt(s) & USED)) this.hostOnly(s);
      q.shift();
    }
    this.urings.evictBefore(before - this.lag);
    this.blksByDev.evictBefore(before - this.lag);
    this.notifies.evictBefore(before);
    this.kicks.evictBefore(before - this.horizon);
  }
}

/**
 * Gives `estimator` the bounds of a guest request (its row at `b` of `p`) and the QEMU request
 * that served it (popped at `pop`, completed at `done`): the latest guest event before QEMU popped
 * it, and the earliest after QEMU completed it. Returns those guest times (0: none). The earliest
 * after is blk_mq_complete_request, not vring_interrupt: a handler already running (its loop
 * re-reads the used ring after virtqueue_enable_cb) reaps requests QEMU completed after the
 * handler's vring_interrupt, and such a bound would be on the wrong side of the offset.
 */
function pairBounds(estimator: ClockEstimator, p: Float64Array, b: number, pop: number, done: number): [number, number] {
  const made = p[b + P_KICK] || p[b + P_VQ_ADD] || p[b + P_ISSUE]!;
  if (made) estimator.guestToHost(made as GuestTime, pop as HostTime);
  const seen = p[b + P_COMPLETE_RQ] || p[b + P_COMPLETE]!;
  if (seen) estimator.hostToGuest(done as HostTime, seen as GuestTime);
  return [made, seen];
}

/**
 * Where the most of the closed intervals [lo[i], hi[i]] overlap (Marzullo's algorithm): how many,
 * and the stretch [from, to] (to the next end).
 */
function deepest(lo: readonly number[], hi: readonly number[]): [number, number, number] {
  const ends: number[] = [];
  for (let i = 0; i < lo.length; i++) ends.push(lo[i]!, hi[i]!);
  const order = Array.from(ends.keys());
  // Opening ends before closing ones at the same value: the intervals are closed.
  order.sort((a, b) => ends[a]! - ends[b]! || (a & 1) - (b & 1));
  let depth = 0, best = 0, from = 0, to = 0;
  for (let k = 0; k < order.length; k++) {
    depth += order[k]! & 1 ? -1 : 1;
    if (depth > best) (best = depth), (from = ends[order[k]!]!), (to = ends[order[k + 1]!]!);
  }
  return [best, from, to];
}

const E_APP_SUBMIT = EVENT_INDEX.app_submit, E_APP_COMPLETE = EVENT_INDEX.app_complete;
const E_KICK_EXIT = EVENT_INDEX.kick_exit, E_QEMU_HANDLE = EVENT_INDEX.qemu_handle, E_QEMU_POP = EVENT_INDEX.qemu_pop;
const E_QEMU_AIO = EVENT_INDEX.qemu_aio, E_LURING_SUBMIT = EVENT_INDEX.luring_submit, E_URING_SUBMIT = EVENT_INDEX.uring_submit;
const E_HOST_BLK_ISSUE = EVENT_INDEX.host_blk_issue, E_HOST_BLK_COMPLETE = EVENT_INDEX.host_blk_complete;
const E_URING_COMPLETE = EVENT_INDEX.uring_complete, E_QEMU_REQ_COMPLETE = EVENT_INDEX.qemu_req_complete;
const E_QEMU_NOTIFY = EVENT_INDEX.qemu_notify, E_IRQ_INJECT = EVENT_INDEX.irq_inject;
/** The guest's path events and the columns of a guest request's row they come from, in pairs. */
const GUEST_EVENTS: readonly number[] = [
  EVENT_INDEX.bio_queue, P_BIO, EVENT_INDEX.rq_insert, P_INSERT, EVENT_INDEX.rq_issue, P_ISSUE, EVENT_INDEX.queue_rq, P_QUEUE_RQ,
  EVENT_INDEX.vq_add, P_VQ_ADD, EVENT_INDEX.kick, P_KICK, EVENT_INDEX.vring_interrupt, P_VRING, EVENT_INDEX.complete_rq, P_COMPLETE_RQ,
  EVENT_INDEX.rq_complete, P_COMPLETE,
];
/** The path events hostEvents finds on the host clock. */
const HOST_EVENTS: readonly number[] = [
  E_KICK_EXIT, E_QEMU_HANDLE, E_QEMU_POP, E_QEMU_AIO, E_LURING_SUBMIT, E_URING_SUBMIT, E_HOST_BLK_ISSUE, E_HOST_BLK_COMPLETE,
  E_URING_COMPLETE, E_QEMU_REQ_COMPLETE, E_QEMU_NOTIFY, E_IRQ_INJECT,
];
