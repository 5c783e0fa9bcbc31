// Builds host-side records from a real capture: QEMU's log trace, the host's io_uring and block tracefs, on the host's monotonic clock.
import type { HostBlockRecord, HostTime, NotifyRecord, QemuRequestRecord, UringOpRecord, VirtioBlkType } from '../../records/index.js';
import type { RawEvent } from './event.js';
import { EventOrder, seenOf, type OrderedEvents, type OutOfOrderStats, type Seen } from './event-order.js';

/** What the host assembler needs to know of the capture. */
export interface HostAssemblyOptions {
  /** The QEMU process (its io_uring rings are those it created). */
  qemuPid: number;
  /** dev_t of the host device holding the image. */
  hostDev: number;
  /** QEMU's log stamps are host CLOCK_REALTIME: the capture's conversion to host CLOCK_MONOTONIC. */
  realtimeToMono(ns: bigint): bigint;
  /** Leave out a request with an event out of order (counted in stats) rather than stop with file:line. */
  lenient?: boolean;
}

/** Counts of what could not be assembled, for the user's notes (out of order: events earlier than one before them in their QEMU request, io_uring op or disk request). */
export interface HostAssemblyStats extends OutOfOrderStats {
  /** QEMU requests handled before their luring submission was seen (e.g. before tracing started). */
  unsubmitted: number;
  /** Requests whose completion never came before the capture ended. */
  incomplete: number;
}

/** A QEMU request, an io_uring op or a disk request being assembled, with its events' order so far. */
interface Pending<R> extends OrderedEvents {
  rec: R;
}
interface PendingReq extends Pending<QemuRequestRecord> {
  req: string;
}

const ptr = (v: unknown): bigint => {
  const s = String(v ?? '0');
  return /^0x[0-9a-f]+$/i.test(s) ? BigInt(s) : 0n;
};
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(v ?? 0));

/**
 * Turns QEMU's trace events into `qemu_req` (one per virtio_blk_handle_read/write, completed at
 * virtio_blk_req_complete, linked to the io_uring operation by the luring_co_submit that covers its
 * bytes: several requests when virtio_blk_submit_multireq merged them), io_uring events on QEMU's
 * rings into `uring_op` (a second submit of the same user_data, a short-read resubmission, is its
 * own op flagged `resubmit`; io-wq punts are flagged), host block events into `host_blk`, and
 * virtio_notify_irqfd into `notify`. Events must come in time order per stream; the three streams
 * are fed separately.
 */
export class HostAssembler {
  readonly qemuReqs: QemuRequestRecord[] = [];
  readonly uringOps: UringOpRecord[] = [];
  readonly hostBlocks: HostBlockRecord[] = [];
  readonly notifies: NotifyRecord[] = [];
  readonly stats: HostAssemblyStats = { unsubmitted: 0, incomplete: 0, outOfOrder: 0 };
  /** QEMU's virtio device, as its events name it. */
  vdev = 0n;
  private readonly byReq = new Map<string, PendingReq>();
  /** Handled, not yet submitted to io_uring. */
  private unsubmitted: PendingReq[] = [];
  /** Per luringcb: the luring_do_submit time, offset and bytes (the io_uring tracepoints carry neither). */
  private readonly luring = new Map<bigint, { t: number; offset: number; nbytes: number }>();
  private lastQueue = new Map<number, { n: number; t: number; seen: Seen }>();
  private lastAio = new Map<string, number>();
  private readonly rings = new Set<string>();
  private readonly uring = new Map<bigint, Pending<UringOpRecord>>();
  private readonly punted = new Set<bigint>();
  private readonly blk = new Map<string, Pending<HostBlockRecord>>();
  private notifySeq = 0;
  /** Each stream's events checked per request: the streams are fed one after another, on two clocks. */
  private readonly order: EventOrder;

  constructor(private readonly opts: HostAssemblyOptions) {
    this.order = new EventOrder(this.stats, opts.lenient ?? false);
  }

  private mono(ev: RawEvent): number {
    return Number(this.opts.realtimeToMono(ev.ts));
  }

  /** One QEMU log event. */
  addQemu(ev: RawEvent): void {
    const f = ev.fields;
    const tid = ev.pid ?? 0;
    switch (ev.name) {
      case 'virtio_queue_notify':
        this.vdev = ptr(f.vdev);
        this.lastQueue.set(tid, { n: num(f.n), t: this.mono(ev), seen: seenOf(ev) });
        return;
      case 'virtio_blk_handle_read':
      case 'virtio_blk_handle_write': {
        const t = this.mono(ev);
        const q = this.lastQueue.get(tid);
        const write = ev.name.endsWith('write');
        const rec: QemuRequestRecord = {
          kind: 'qemu_req', qemuPid: this.opts.qemuPid, tid, vdev: ptr(f.vdev), vq: q?.n ?? -1, head: -1,
          type: (write ? 'out' : 'in') as VirtioBlkType, sector: num(f.sector), nbytes: num(f.nsectors) * 512, status: 0,
          userData: 0n, mergedCount: 1, notifySeq: 0, tHandle: (q?.t ?? t) as HostTime, tPop: t as HostTime, tAio: 0 as HostTime, tReqComplete: 0 as HostTime,
        };
        // Its notify (tHandle) is its first event.
        const p: PendingReq = { rec, req: String(f.req), ...(q ? { last: q.seen } : {}), bad: false };
        this.order.next(ev, p);
        this.byReq.set(p.req, p);
        this.unsubmitted.push(p);
        return;
      }
      case 'blk_co_preadv':
      case 'blk_co_pwritev':
        this.lastAio.set(`${num(f.offset)}/${num(f.bytes)}`, this.mono(ev));
        return;
      case 'luring_do_submit':
        return;
      case 'luring_co_submit': {
        const t = this.mono(ev);
        const cb = ptr(f.luringcb);
        const offset = num(f.offset);
        const nbytes = num(f.nbytes);
        this.luring.set(cb, { t, offset, nbytes });
        if (nbytes === 0) return; // a flush: no request bytes to cover
        // The requests this submission carries: handled ones whose bytes lie inside it.
        const covered = this.unsubmitted.filter((p) => p.rec.sector * 512 >= offset && p.rec.sector * 512 + p.rec.nbytes <= offset + nbytes);
        if (covered.length === 0) return;
        const aio = this.lastAio.get(`${offset}/${nbytes}`) ?? t;
        for (const p of covered) {
          this.order.next(ev, p);
          p.rec.userData = cb;
          p.rec.mergedCount = covered.length;
          p.rec.tAio = aio as HostTime;
        }
        this.unsubmitted = this.unsubmitted.filter((p) => !covered.includes(p));
        return;
      }
      case 'virtio_blk_req_complete': {
        const p = this.byReq.get(String(f.req));
        if (!p) return;
        this.byReq.delete(String(f.req));
        this.order.next(ev, p);
        if (p.bad) return;
        p.rec.status = num(f.status);
        p.rec.tReqComplete = this.mono(ev) as HostTime;
        if (p.rec.userData === 0n) this.stats.unsubmitted++;
        else this.qemuReqs.push(p.rec);
        return;
      }
      case 'virtio_notify_irqfd':
        this.notifies.push({
          kind: 'notify', qemuPid: this.opts.qemuPid, tid, vdev: ptr(f.vdev), vq: -1, seq: ++this.notifySeq, vector: -1,
          tNotify: this.mono(ev) as HostTime, tInject: 0 as HostTime,
        });
        return;
    }
  }

  /** One host io_uring tracefs event. */
  addIouring(ev: RawEvent): void {
    const f = ev.fields;
    const ring = String(f.ctx ?? f.ring ?? '');
    if (ev.name === 'io_uring_create') {
      if (ev.pid === this.opts.qemuPid) this.rings.add(ring);
      return;
    }
    if (!this.rings.has(ring)) return;
    const ud = ptr(f.user_data);
    const t = Number(ev.ts);
    switch (ev.name) {
      case 'io_uring_submit_req': {
        const prior = this.uring.get(ud);
        const l = this.luring.get(ud);
        const rec: UringOpRecord = {
          kind: 'uring_op', pid: this.opts.qemuPid, tid: ev.pid ?? 0, userData: ud, opcode: String(f.op_str ?? f.opcode ?? ''), fd: -1,
          offset: l?.offset ?? 0, nbytes: l?.nbytes ?? 0, res: 0, punted: false, resubmit: prior !== undefined,
          tLuringSubmit: (l?.t ?? 0) as HostTime, tSubmit: t as HostTime, tComplete: 0 as HostTime,
        };
        // A resubmission is the same user_data's next event.
        const op: Pending<UringOpRecord> = { rec, ...(prior?.last ? { last: prior.last } : {}), bad: prior?.bad ?? false };
        this.order.next(ev, op, 'its submission');
        this.uring.set(ud, op);
        return;
      }
      case 'io_uring_queue_async_work':
        this.punted.add(ud);
        return;
      case 'io_uring_complete': {
        const p = this.uring.get(ud);
        if (!p) return;
        this.uring.delete(ud);
        const punted = this.punted.delete(ud);
        this.order.next(ev, p, 'its submission');
        if (p.bad) return;
        const op = p.rec;
        op.res = num(f.res ?? f.result);
        op.punted = punted;
        op.tComplete = t as HostTime;
        this.uringOps.push(op);
        return;
      }
    }
  }

  /** One host block tracefs event (the device holding the image). */
  addBlock(ev: RawEvent): void {
    const f = ev.fields;
    const dev = num(f.dev);
    if (dev !== this.opts.hostDev) return;
    const key = `${num(f.sector)}`;
    const rwbs = String(f.rwbs ?? '');
    switch (ev.name) {
      case 'block_rq_insert':
      case 'block_rq_issue': {
        const cur = this.blk.get(key);
        const t = Number(ev.ts) as HostTime;
        if (cur && ev.name === 'block_rq_issue') {
          this.order.next(ev, cur);
          cur.rec.tIssue = t;
          return;
        }
        const rec: HostBlockRecord = {
          kind: 'host_blk', dev, sector: num(f.sector), nrSectors: num(f.nr_sector), op: rwbs.includes('W') ? 'write' : rwbs.includes('R') ? 'read' : rwbs.includes('F') ? 'flush' : 'other',
          rwbs, error: 0, pid: ev.pid ?? 0, tInsert: ev.name === 'block_rq_insert' ? t : (0 as HostTime), tIssue: ev.name === 'block_rq_issue' ? t : (0 as HostTime), tComplete: 0 as HostTime,
        };
        this.blk.set(key, { rec, last: seenOf(ev), bad: false });
        return;
      }
      case 'block_rq_complete': {
        const cur = this.blk.get(key);
        if (!cur || !cur.rec.tIssue) return;
        this.blk.delete(key);
        this.order.next(ev, cur);
        if (cur.bad) return;
        cur.rec.error = num(f.error);
        cur.rec.tComplete = Number(ev.ts) as HostTime;
        this.hostBlocks.push(cur.rec);
        return;
      }
    }
  }

  /** Ends assembly: requests still open are counted, not emitted. */
  finish(): void {
    this.stats.incomplete += this.byReq.size;
  }
}
