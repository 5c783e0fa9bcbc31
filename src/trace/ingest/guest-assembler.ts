// Turns a guest's block and io_uring tracepoint events into guest records, as the guest program does in the kernel.
import { guestTime, type BlockOp, type GuestAppOpRecord, type GuestRequestRecord } from '../../records/index.js';
import type { RawEvent } from './event.js';
import { EventOrder, seenOf, type OrderedEvents, type OutOfOrderStats, type Seen } from './event-order.js';

/** Block operation from the rwbs string: its first letter is the operation (R, W, D, F, N). */
export function opFromRwbs(rwbs: string): BlockOp {
  if (rwbs.includes('D')) return 'discard';
  if (rwbs.includes('W')) return 'write';
  if (rwbs.includes('R')) return 'read';
  if (rwbs.startsWith('F')) return 'flush';
  return 'other';
}

/** A bio's application op is the io_uring submission just before it in the same task, within this window. */
const APP_LINK_WINDOW_NS = 1_000_000n;

interface BioStart {
  t: bigint;
  app: bigint;
  seen: Seen;
  /** Bios queued under this key and not yet taken by a request (one waits for a tag while the next is queued). */
  count: number;
  /** More than one was at once: the start is not one bio's, so no request takes it. */
  shared: boolean;
}
interface InFlight extends OrderedEvents {
  dev: number;
  sector: number;
  nrSectors: number;
  rwbs: string;
  app: bigint;
  tBioQueue: bigint;
  tRqInsert: bigint;
  tRqIssue: bigint;
  /** Requests issued under this key and not completed (more than one: they share it). */
  users: number;
  /** Requests inserted under this key and not yet issued (an elevator holds them): they count as users too. */
  inserted: number;
  /** More than one request was under the key at once: the times are not one request's. */
  shared: boolean;
}

/**
 * blk-mq's default request timeout: a request issued longer ago than this has completed or been
 * aborted, so a state still held for it lost its completion and is not shared with the next.
 */
const RQ_TIMEOUT_NS = 30_000_000_000n;

/** Counts of what the assembler could not use, so reports can say so (out of order: events earlier than one before them in their request or app op, or than the capture's first). */
export interface GuestAssemblyStats extends OutOfOrderStats {
  /** Completions whose request was issued before the capture began. */
  completionsWithoutIssue: number;
  /** Requests still in flight when the capture ended. */
  inFlightAtEnd: number;
  /** io_uring completions whose submission was not captured. */
  appCompletionsWithoutSubmit: number;
  /**
   * Requests whose completion never appeared: a new request at the same sector found them still
   * in flight longer than the request timeout (the completion event was lost, e.g. skipped by the
   * kernel as a BPF recursion miss).
   */
  completionsLost: number;
  /**
   * Requests in flight at the same sector as another at once: nothing the tracepoints carry tells
   * whose times are whose (as the guest program does), so they are left out rather than mixed.
   */
  sharedSector: number;
}

/**
 * Assembles guest records from events in time order. Times are rebased: GuestTime = ts − base,
 * with base the first event's second (kept as a bigint by the caller for the trace header).
 * Keys are what the tracepoints carry: (dev, sector) for requests, user_data for app ops.
 */
export class GuestAssembler {
  readonly records: (GuestRequestRecord | GuestAppOpRecord)[] = [];
  readonly stats: GuestAssemblyStats = { completionsWithoutIssue: 0, inFlightAtEnd: 0, appCompletionsWithoutSubmit: 0, completionsLost: 0, sharedSector: 0, outOfOrder: 0 };
  /** The first event, whose second is the base: no event may be earlier. */
  private first: Seen | undefined;
  /** Raw clock value that GuestTime 0 stands for; set from the first event. */
  base: bigint | undefined;
  private readonly bios = new Map<string, BioStart>();
  private readonly inflight = new Map<string, InFlight>();
  private readonly appOps = new Map<bigint, { t: bigint; pid: number; opcode: string; seen: Seen }>();
  private readonly lastSubmit = new Map<number, { ud: bigint; t: bigint }>();
  private readonly order: EventOrder;

  constructor(
    readonly vm: string,
    /**
     * Whether the capture's completion events may be missing without a trace (bpftrace: the kernel
     * skips a program that fires while another runs on its CPU): then a new request at a sector
     * still in flight is taken to follow a completion that was skipped, as is far likelier there,
     * rather than to share the sector with it. tracefs prints every event or counts it lost.
     */
    private readonly completionsSkipped = false,
    /** Leave out a request with an event out of order (counted in stats) rather than stop with file:line. */
    lenient = false,
  ) {
    this.order = new EventOrder(this.stats, lenient);
  }

  private time(ts: bigint): number {
    return ts === 0n ? 0 : Number(ts - this.base!);
  }

  /** Feeds one event (in time order). */
  add(ev: RawEvent): void {
    if (this.base === undefined) {
      this.base = (ev.ts / 1_000_000_000n) * 1_000_000_000n;
      this.first = seenOf(ev);
    } else if (ev.ts < this.base) {
      // Before the second of the first event: its time would be negative. Left out (lenient).
      this.order.outOfOrder(ev, this.first!, "the capture's first event,");
      return;
    }
    const f = ev.fields;
    const pid = ev.pid ?? 0;
    switch (ev.name) {
      case 'io_uring_submit_req':
      case 'io_uring_submit_sqe': {
        const ud = BigInt(String(f.user_data));
        this.appOps.set(ud, { t: ev.ts, pid, opcode: String(f.op_str ?? f.opcode ?? ''), seen: seenOf(ev) });
        this.lastSubmit.set(pid, { ud, t: ev.ts });
        return;
      }
      case 'io_uring_complete': {
        const ud = BigInt(String(f.user_data));
        const op = this.appOps.get(ud);
        if (!op) {
          this.stats.appCompletionsWithoutSubmit++;
          return;
        }
        this.appOps.delete(ud);
        if (ev.ts < op.t) {
          this.order.outOfOrder(ev, op.seen, 'its submission');
          return;
        }
        this.records.push({
          kind: 'guest_app_op', vm: this.vm, pid: op.pid, userData: ud, opcode: op.opcode, res: Number(f.res ?? f.result ?? 0),
          tSubmit: guestTime(this.time(op.t)), tComplete: guestTime(this.time(ev.ts)),
        });
        return;
      }
      case 'block_bio_queue': {
        const last = this.lastSubmit.get(pid);
        const app = last && ev.ts - last.t <= APP_LINK_WINDOW_NS ? last.ud : 0n;
        this.queueBio(key(f.dev as number, f.sector as number), { t: ev.ts, app, seen: seenOf(ev), count: 1, shared: false });
        return;
      }
      case 'block_split': {
        const start = this.bios.get(key(f.dev as number, f.sector as number));
        if (start) this.queueBio(key(f.dev as number, f.new_sector as number), { ...start, count: 1 });
        return;
      }
      case 'block_bio_backmerge':
        this.takeBio(key(f.dev as number, f.sector as number));
        return;
      case 'block_bio_frontmerge': {
        // The request now starts at the bio's sector: move its state to the new key.
        const dev = f.dev as number, sector = f.sector as number;
        const bio = this.takeBio(key(dev, sector));
        const oldKey = key(dev, sector + (f.nr_sector as number));
        const rq = this.inflight.get(oldKey);
        if (rq) {
          this.inflight.delete(oldKey);
          rq.sector = sector;
          rq.nrSectors += f.nr_sector as number;
          if (bio && (rq.tBioQueue === 0n || bio.t < rq.tBioQueue)) rq.tBioQueue = bio.t;
          this.inflight.set(key(dev, sector), rq);
        }
        return;
      }
      case 'block_rq_insert':
      case 'block_rq_issue': {
        const dev = f.dev as number, sector = f.sector as number;
        const k = key(dev, sector);
        let rq = this.inflight.get(k);
        const fresh = this.bios.get(k);
        const issue = ev.name === 'block_rq_issue';
        // Another request under a key still in flight: issued or inserted, and not completed (an
        // issue after an insert under the key is the inserted request's); or a bio queued after
        // the request went out.
        const again = rq && rq.users + rq.inserted - (issue && rq.inserted > 0 ? 1 : 0) > 0;
        if (rq && (again || (fresh && fresh.t > (rq.tRqIssue || rq.tRqInsert)))) {
          const since = rq.tRqIssue || rq.tRqInsert;
          if (ev.ts > since + RQ_TIMEOUT_NS || (this.completionsSkipped && fresh && fresh.t > since)) {
            // Older than any request can be in flight, or a new bio where completions go missing:
            // the old one completed unseen. Without this, the new request would inherit the old
            // one's start and be reported far too slow.
            this.stats.completionsLost++;
            this.inflight.delete(k);
            rq = undefined;
          } else if (again) {
            // Two at once at one sector: neither's times can be told from the other's.
            this.count(rq, issue);
            rq.shared = true;
            this.takeBio(k);
            return;
          }
        }
        if (!rq) {
          const bio = this.takeBio(k);
          rq = { dev, sector, nrSectors: f.nr_sector as number, rwbs: f.rwbs as string, app: bio?.app ?? 0n, tBioQueue: bio?.t ?? 0n, tRqInsert: 0n, tRqIssue: 0n, users: 0, inserted: 0, shared: false, ...(bio ? { last: bio.seen } : {}), bad: false };
          this.inflight.set(k, rq);
        }
        rq.nrSectors = f.nr_sector as number;
        // Out of order (lenient): its times are still kept, so its completion finds it and drops it.
        if (!rq.shared) this.order.next(ev, rq);
        this.count(rq, issue);
        if (issue) rq.tRqIssue = ev.ts;
        else rq.tRqInsert = ev.ts;
        return;
      }
      case 'block_rq_requeue': {
        // Issued again later: the issue that follows is the same request's, not another's.
        const rq = this.inflight.get(key(f.dev as number, f.sector as number));
        if (rq && rq.tRqIssue !== 0n) {
          rq.users--;
          if (!rq.shared) rq.tRqIssue = 0n;
        }
        return;
      }
      case 'block_rq_complete': {
        const k = key(f.dev as number, f.sector as number);
        const rq = this.inflight.get(k);
        if (rq?.shared) {
          // The last of the requests that shared the key takes the state with it (one whose issue
          // was not seen is an inserted one's).
          this.stats.sharedSector++;
          if (rq.users > 0) rq.users--;
          else if (rq.inserted > 0) rq.inserted--;
          if (rq.users <= 0 && rq.inserted <= 0) this.inflight.delete(k);
          return;
        }
        if (!rq || rq.tRqIssue === 0n) {
          this.stats.completionsWithoutIssue++;
          this.inflight.delete(k);
          return;
        }
        if (!rq.shared) this.order.next(ev, rq);
        if (rq.bad) {
          this.inflight.delete(k);
          return;
        }
        this.inflight.delete(k);
        this.records.push({
          kind: 'guest_rq', vm: this.vm, dev: rq.dev, sector: rq.sector, nrSectors: rq.nrSectors, op: opFromRwbs(rq.rwbs), rwbs: rq.rwbs,
          error: Number(f.error ?? 0), hwq: -1, vq: -1, head: -1, cpu: ev.cpu ?? 0, kickSeq: 0, appUserData: rq.app,
          tBioQueue: guestTime(this.time(rq.tBioQueue)), tRqInsert: guestTime(this.time(rq.tRqInsert)), tRqIssue: guestTime(this.time(rq.tRqIssue)),
          tQueueRq: guestTime(0), tVqAdd: guestTime(0), tKick: guestTime(0), tVringInterrupt: guestTime(0), tCompleteRq: guestTime(0),
          tRqComplete: guestTime(this.time(ev.ts)),
        });
        return;
      }
    }
  }

  /** A request's insert or issue under its key: an issue after an insert is the inserted one's. */
  private count(rq: InFlight, issue: boolean): void {
    if (!issue) rq.inserted++;
    else {
      if (rq.inserted > 0) rq.inserted--;
      rq.users++;
    }
  }

  /** A bio queued under `k`: with another still waiting there (one younger than the request timeout), neither's start is known. */
  private queueBio(k: string, bio: BioStart): void {
    const old = this.bios.get(k);
    if (old && bio.t - old.t <= RQ_TIMEOUT_NS) {
      old.count++;
      old.shared = true;
      return;
    }
    this.bios.set(k, bio);
  }

  /** One of the bios waiting under `k` is taken (by a request, or merged into one): its start, unless it is not one bio's. */
  private takeBio(k: string): BioStart | undefined {
    const bio = this.bios.get(k);
    if (!bio) return undefined;
    if (--bio.count <= 0) this.bios.delete(k);
    return bio.shared ? undefined : bio;
  }

  /** Call after the last event: counts what was left in flight. */
  finish(): void {
    this.stats.inFlightAtEnd = this.inflight.size;
  }
}

function key(dev: number, sector: number): string {
  return `${dev}:${sector}`;
}
