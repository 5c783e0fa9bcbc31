// The two-sided stitcher: guest and host records joined by real keys only, host times mapped to the guest clock, one path per request.
import type {
  GuestAppOpRecord, GuestRequestRecord, GuestTime, HostBlockRecord, HostTime, KickRecord, NotifyRecord, QemuRequestRecord,
  Topology, TraceRecord, UringOpRecord, VirtualDisk, VirtualMachine,
} from '../records/index.js';
import { fileOffsetToDeviceSector } from '../records/index.js';
import { ClockEstimator, hostToGuest, type ClockEstimate } from './clock.js';
import type { RequestPath, UnmatchedReason } from './path.js';
import type { PathEvent } from './stages.js';
import { stagesFromEvents } from './telescope.js';

/** What the stitcher found, besides the paths it published. */
export interface StitchSummary {
  clock?: ClockEstimate;
  matched: number;
  guestOnly: number;
  hostOnly: number;
  unmatched: Partial<Record<UnmatchedReason, number>>;
}

/** Addresses as key text: converting a bigint is slow, and the same few (vdev, user_data) recur. */
const bigText = new Map<bigint, string>();
function big(b: bigint): string {
  let t = bigText.get(b);
  if (t === undefined) {
    if (bigText.size > 1 << 16) bigText.clear();
    bigText.set(b, (t = b.toString(36)));
  }
  return t;
}

/** A guest request's join key as both sides have it: disk, queue, descriptor head, sector, bytes, direction. */
function key(qemuPid: number, vdev: bigint, vq: number, head: number, sector: number, bytes: number, write: boolean): string {
  return `${qemuPid}/${big(vdev)}/${vq}/${head}/${sector}/${bytes}/${write ? 'w' : 'r'}`;
}

/** Sorted-by-time lists under a key. */
class Index<T> {
  private readonly map = new Map<string, T[]>();
  constructor(private readonly time: (t: T) => number) {}
  add(k: string, v: T): void {
    const l = this.map.get(k);
    if (l) l.push(v);
    else this.map.set(k, [v]);
  }
  sort(): void {
    for (const l of this.map.values()) l.sort((a, b) => this.time(a) - this.time(b));
  }
  get(k: string): T[] {
    return this.map.get(k) ?? [];
  }
  /** Index of the first entry after t (`strict`) or at or after it; the list's length when none. */
  private bound(l: readonly T[], t: number, strict: boolean): number {
    let lo = 0, hi = l.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const x = this.time(l[mid]!);
      if (x < t || (strict && x === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The last entry at or before t. */
  lastBefore(k: string, t: number): T | undefined {
    const l = this.map.get(k);
    if (!l) return undefined;
    const i = this.bound(l, t, true);
    return i > 0 ? l[i - 1] : undefined;
  }

  /** The first entry at or after t. */
  firstAfter(k: string, t: number): T | undefined {
    const l = this.map.get(k);
    return l ? l[this.bound(l, t, false)] : undefined;
  }

  /** The entries whose time lies in [from, to], in time order. */
  *between(k: string, from: number, to: number): Generator<T> {
    const l = this.map.get(k);
    if (!l) return;
    for (let i = this.bound(l, from, false); i < l.length && this.time(l[i]!) <= to; i++) yield l[i]!;
  }
}

/** Host path events in path order (assigned in one order, so path objects share one shape). */
const HOST_EVENTS: readonly PathEvent[] = [
  'kick_exit', 'qemu_handle', 'qemu_pop', 'qemu_aio', 'luring_submit', 'uring_submit', 'host_blk_issue', 'host_blk_complete',
  'uring_complete', 'qemu_req_complete', 'qemu_notify', 'irq_inject',
];

/** Slack for causality checks after mapping host times with an estimate: its uncertainty plus this. */
const SLACK_NS = 2_000;

/**
 * Stitches a run's records (guest and host, any order) into one path per guest request.
 * Joins: guest_rq -> qemu_req by (VM's QEMU, disk's vdev, vq, head, sector, bytes, direction) and
 * time; qemu_req -> uring_op by (QEMU pid, user_data) and time; uring_op -> host_blk by the disk
 * image's extents (file offset -> device sector) inside the op's time; qemu_req -> notify by (vdev,
 * vq) and time; guest kick -> kick by the queue's doorbell address and time. The clock relation is
 * estimated from the requests whose key is unique in the run (request made available -> popped by
 * QEMU; completed by QEMU -> the guest's interrupt handler), then every candidate is checked
 * against it; a request with no consistent candidate, or two, is unmatched with the reason.
 */
export function stitch(
  records: Iterable<TraceRecord>,
  topology: Topology,
  onPath: (p: RequestPath) => void,
  /** Sees each match made (for measuring the stitcher against ground truth). */
  onMatch?: (guest: GuestRequestRecord, host: QemuRequestRecord, path: RequestPath) => void,
): StitchSummary {
  const guest: GuestRequestRecord[] = [];
  const apps = new Index<GuestAppOpRecord>((a) => a.tComplete);
  const qreqs = new Index<QemuRequestRecord>((r) => r.tPop);
  const urings = new Index<UringOpRecord>((r) => r.tComplete);
  const blks = new Index<HostBlockRecord>((r) => r.tIssue);
  const blksByDev = new Index<HostBlockRecord>((r) => r.tIssue);
  const notifies = new Index<NotifyRecord>((r) => r.tNotify);
  const kicks = new Index<KickRecord>((r) => r.t);
  let hostRecords = 0;
  const allQreqs: QemuRequestRecord[] = [];
  for (const r of records) {
    switch (r.kind) {
      case 'guest_rq': guest.push(r); break;
      case 'guest_app_op': apps.add(`${r.vm}/${big(r.userData)}`, r); break;
      case 'qemu_req':
        hostRecords++;
        allQreqs.push(r);
        if (r.head >= 0) qreqs.add(key(r.qemuPid, r.vdev, r.vq, r.head, r.sector, r.nbytes, r.type === 'out'), r);
        // Guest records from tracefs alone have no queue or head: they join by disk, sector, length and direction.
        qreqs.add(key(r.qemuPid, r.vdev, -1, -1, r.sector, r.nbytes, r.type === 'out'), r);
        break;
      case 'uring_op': hostRecords++; urings.add(`${r.pid}/${big(r.userData)}`, r); break;
      case 'host_blk':
        hostRecords++;
        blks.add(`${r.dev}/${r.sector}`, r);
        blksByDev.add(`${r.dev}`, r);
        break;
      case 'notify': hostRecords++; notifies.add(`${r.qemuPid}/${big(r.vdev)}/${r.vq}`, r); break;
      case 'kick': hostRecords++; kicks.add(`${r.qemuPid}/${big(r.gpa)}`, r); break;
    }
  }
  for (const ix of [apps, qreqs, urings, blks, blksByDev, notifies, kicks] as Index<unknown>[]) ix.sort();
  const vmByName = new Map(topology.vms.map((v) => [v.name, v]));
  const diskOf = (vm: VirtualMachine, dev: number): VirtualDisk | undefined => vm.disks.find((d) => d.guestDev === dev);
  const guestKey = (g: GuestRequestRecord): { vm: VirtualMachine; disk: VirtualDisk; k: string } | undefined => {
    const vm = vmByName.get(g.vm);
    const disk = vm && diskOf(vm, g.dev);
    if (!vm || !disk) return undefined;
    const full = g.vq >= 0 && g.head >= 0;
    return { vm, disk, k: key(vm.qemuPid, disk.vdev, full ? g.vq : -1, full ? g.head : -1, g.sector, g.nrSectors * 512, g.op === 'write') };
  };

  // 1. The clock, from requests whose key appears once on each side.
  const guestKeyCount = new Map<string, number>();
  for (const g of guest) {
    const k = guestKey(g)?.k;
    if (k) guestKeyCount.set(k, (guestKeyCount.get(k) ?? 0) + 1);
  }
  const estimator = new ClockEstimator();
  for (const g of guest) {
    const gk = guestKey(g);
    if (!gk || guestKeyCount.get(gk.k) !== 1) continue;
    const cands = qreqs.get(gk.k);
    if (cands.length !== 1) continue;
    const q = cands[0]!;
    // The latest guest event before QEMU popped it, and the earliest after QEMU completed it.
    const made = g.tKick || g.tVqAdd || g.tRqIssue;
    if (made) estimator.guestToHost(made, q.tPop);
    const seen = g.tVringInterrupt || g.tCompleteRq || g.tRqComplete;
    if (seen) estimator.hostToGuest(q.tReqComplete, seen);
  }
  const clock = estimator.estimate();

  // 2. Each guest request against its candidates, checked against the clock.
  const used = new Set<QemuRequestRecord>();
  const summary: StitchSummary = { matched: 0, guestOnly: 0, hostOnly: 0, ...(clock ? { clock } : {}), unmatched: {} };
  const unmatched = (reason: UnmatchedReason): UnmatchedReason => {
    summary.unmatched[reason] = (summary.unmatched[reason] ?? 0) + 1;
    return reason;
  };
  const slack = (clock ? Math.max(0, clock.uncertaintyNs) : 0) + SLACK_NS;
  /**
   * The host block request that carried device sector `sector` for an io_uring op: issued and
   * completed inside the op, its range covering the sector (the host block layer may have merged
   * the op's bytes with a neighbour's, so the request can start before the sector).
   */
  const hostBlockOf = (dev: number, sector: number, from: number, to: number): HostBlockRecord | undefined => {
    const exact = blks.firstAfter(`${dev}/${sector}`, from);
    if (exact && exact.tComplete <= to) return exact;
    for (const c of blksByDev.between(`${dev}`, from, to)) {
      if (c.sector <= sector && sector < c.sector + c.nrSectors && c.tComplete <= to) return c;
    }
    return undefined;
  };
  const toGuest = (h: number): GuestTime => hostToGuest(clock!, h as HostTime);
  for (const g of guest) {
    const gk = guestKey(g);
    // The application op it served: the first with its user_data completing after it, submitted before it.
    const app = g.appUserData ? apps.firstAfter(`${g.vm}/${big(g.appUserData)}`, g.tRqComplete) : undefined;
    const appFits = app && app.tSubmit <= (g.tBioQueue || g.tRqIssue) ? app : undefined;
    const guestEvents = guestPathEvents(g, appFits);
    let reason: UnmatchedReason | undefined;
    let q: QemuRequestRecord | undefined;
    if (hostRecords === 0) reason = unmatched('no_host_records');
    else if (!gk || !clock) reason = unmatched('host_record_lost');
    else {
      const start = g.tVqAdd || g.tRqIssue;
      const fits = qreqs.get(gk.k).filter((c) => !used.has(c) && toGuest(c.tPop) >= start - slack && toGuest(c.tReqComplete) <= g.tRqComplete + slack);
      if (fits.length === 1) q = fits[0]!;
      else reason = unmatched(fits.length === 0 ? (qreqs.get(gk.k).length ? 'inconsistent_time' : 'host_record_lost') : 'ambiguous');
    }
    const events: Partial<Record<PathEvent, GuestTime>> = { ...guestEvents };
    let shared = 1;
    if (q && gk) {
      used.add(q);
      summary.matched++;
      shared = Math.max(1, q.mergedCount);
      const host: Partial<Record<PathEvent, number>> = { qemu_handle: q.tHandle, qemu_pop: q.tPop, qemu_aio: q.tAio, qemu_req_complete: q.tReqComplete };
      // user_data (the LuringAIOCB address) is reused: the op is the last to complete before QEMU completed the request.
      const op = urings.lastBefore(`${gk.vm.qemuPid}/${big(q.userData)}`, q.tReqComplete);
      if (op && op.tLuringSubmit >= q.tAio) {
        // A short read QEMU resubmitted is one host operation to the request: from the first submit.
        let first = op;
        if (op.resubmit) {
          for (const o of urings.get(`${gk.vm.qemuPid}/${big(q.userData)}`)) if (o.tSubmit >= q.tAio && o.tSubmit < first.tSubmit && o.tComplete <= op.tComplete) first = o;
        }
        Object.assign(host, { luring_submit: first.tLuringSubmit, uring_submit: first.tSubmit, uring_complete: op.tComplete });
        const devSector = fileOffsetToDeviceSector(gk.disk, op.offset);
        const blk = devSector === undefined ? undefined : hostBlockOf(gk.disk.hostDev, devSector, first.tSubmit, op.tComplete);
        if (blk) {
          // The host block layer may have split the op: its pieces span from the first issue to the last completion.
          let issue = blk.tIssue;
          let complete = blk.tComplete;
          if (blk.nrSectors * 512 < op.nbytes && devSector !== undefined) {
            const endSector = devSector + op.nbytes / 512;
            for (const c of blksByDev.between(`${gk.disk.hostDev}`, first.tSubmit, op.tComplete)) {
              if (c.sector < endSector && c.sector + c.nrSectors > devSector && c.tComplete <= op.tComplete) {
                if (c.tIssue < issue) issue = c.tIssue;
                if (c.tComplete > complete) complete = c.tComplete;
              }
            }
          }
          Object.assign(host, { host_blk_issue: issue, host_blk_complete: complete });
        }
      }
      const n = notifies.firstAfter(`${gk.vm.qemuPid}/${big(gk.disk.vdev)}/${g.vq}`, q.tReqComplete);
      const seen = g.tVringInterrupt || g.tCompleteRq || g.tRqComplete;
      if (n && toGuest(n.tNotify) <= seen + slack) Object.assign(host, { qemu_notify: n.tNotify, ...(n.tInject ? { irq_inject: n.tInject } : {}) });
      const gpa = gk.disk.notifyGpa[g.vq];
      if (g.tKick && gpa !== undefined) {
        // The exit the kick caused: the first on this doorbell after the kick, before QEMU popped the request.
        const exit = kicks.firstAfter(`${gk.vm.qemuPid}/${big(gpa)}`, clockInverse(clock!, g.tKick) - slack);
        if (exit && exit.t <= q.tPop) host.kick_exit = exit.t;
      }
      for (const e of HOST_EVENTS) {
        const h = host[e];
        if (h) events[e] = toGuest(h);
      }
    } else summary.guestOnly++;
    const b = stagesFromEvents(events);
    const path: RequestPath = {
      vm: g.vm, disk: gk?.disk.name ?? devName(g.dev), queue: g.vq, op: g.op, sector: g.sector, nrSectors: g.nrSectors,
      match: q ? 'matched' : 'guest_only', ...(reason ? { reason } : {}), sharedHostOp: shared,
      events, stages: b.stages, total: b.total, start: b.start,
    };
    onPath(path);
    if (q) onMatch?.(g, q, path);
  }
  // 3. QEMU requests no guest record claimed.
  for (const q of allQreqs) {
    if (used.has(q)) continue;
    summary.hostOnly++;
    unmatched('guest_record_lost');
    const vm = topology.vms.find((v) => v.qemuPid === q.qemuPid);
    const disk = vm?.disks.find((d) => d.vdev === q.vdev);
    const events: Partial<Record<PathEvent, GuestTime>> = clock ? { qemu_pop: toGuest(q.tPop), qemu_req_complete: toGuest(q.tReqComplete) } : {};
    const start = (events.qemu_pop ?? 0) as GuestTime;
    onPath({
      vm: vm?.name ?? `qemu:${q.qemuPid}`, disk: disk?.name ?? '?', queue: q.vq, op: q.type === 'out' ? 'write' : q.type === 'in' ? 'read' : 'other',
      sector: q.sector, nrSectors: q.nbytes / 512, match: 'host_only', reason: 'guest_record_lost', sharedHostOp: Math.max(1, q.mergedCount),
      events, stages: {}, total: ((events.qemu_req_complete ?? start) - start) as never, start,
    });
  }
  return summary;
}

function clockInverse(est: ClockEstimate, g: GuestTime): number {
  const beta = est.driftPpm * 1e-6;
  return (g - est.offsetNs + beta * est.refHost) / (1 + beta);
}

function guestPathEvents(g: GuestRequestRecord, app: GuestAppOpRecord | undefined): Partial<Record<PathEvent, GuestTime>> {
  const e: Partial<Record<PathEvent, GuestTime>> = {};
  const put = (k: PathEvent, t: GuestTime): void => {
    if (t) e[k] = t;
  };
  if (app) {
    put('app_submit', app.tSubmit);
    put('app_complete', app.tComplete);
  }
  put('bio_queue', g.tBioQueue);
  put('rq_insert', g.tRqInsert);
  put('rq_issue', g.tRqIssue);
  put('queue_rq', g.tQueueRq);
  put('vq_add', g.tVqAdd);
  put('kick', g.tKick);
  put('vring_interrupt', g.tVringInterrupt);
  put('complete_rq', g.tCompleteRq);
  put('rq_complete', g.tRqComplete);
  return e;
}

function devName(dev: number): string {
  return `${dev >>> 20}:${dev & 0xfffff}`;
}
