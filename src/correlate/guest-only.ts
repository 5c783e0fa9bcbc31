// Stitches guest records alone (guest-only captures): each block request joined to its application io_uring op.
import type { GuestAppOpRecord, GuestRequestRecord, GuestTime, Nanos } from '../records/index.js';
import { StitchedPath, type RequestPath } from './path.js';
import { EVENT_INDEX, foldStages, newEventNs, newStageNs, type Span } from './telescope.js';

/** Puts the path events a guest request record (and its application op) gives into `ev` (by EVENT_INDEX; 0 = not seen, left NaN). */
export function guestEvents(rec: GuestRequestRecord, app: GuestAppOpRecord | undefined, ev: number[]): void {
  // Written out, not looped over names: the two-sided stitcher calls this for every request.
  if (app && app.tSubmit) ev[E_APP_SUBMIT] = app.tSubmit;
  if (rec.tBioQueue) ev[E_BIO_QUEUE] = rec.tBioQueue;
  if (rec.tRqInsert) ev[E_RQ_INSERT] = rec.tRqInsert;
  if (rec.tRqIssue) ev[E_RQ_ISSUE] = rec.tRqIssue;
  if (rec.tQueueRq) ev[E_QUEUE_RQ] = rec.tQueueRq;
  if (rec.tVqAdd) ev[E_VQ_ADD] = rec.tVqAdd;
  if (rec.tKick) ev[E_KICK] = rec.tKick;
  if (rec.tVringInterrupt) ev[E_VRING_INTERRUPT] = rec.tVringInterrupt;
  if (rec.tCompleteRq) ev[E_COMPLETE_RQ] = rec.tCompleteRq;
  if (rec.tRqComplete) ev[E_RQ_COMPLETE] = rec.tRqComplete;
  if (app && app.tComplete) ev[E_APP_COMPLETE] = app.tComplete;
}

const E_APP_SUBMIT = EVENT_INDEX.app_submit, E_BIO_QUEUE = EVENT_INDEX.bio_queue, E_RQ_INSERT = EVENT_INDEX.rq_insert;
const E_RQ_ISSUE = EVENT_INDEX.rq_issue, E_QUEUE_RQ = EVENT_INDEX.queue_rq, E_VQ_ADD = EVENT_INDEX.vq_add, E_KICK = EVENT_INDEX.kick;
const E_VRING_INTERRUPT = EVENT_INDEX.vring_interrupt, E_COMPLETE_RQ = EVENT_INDEX.complete_rq, E_RQ_COMPLETE = EVENT_INDEX.rq_complete;
const E_APP_COMPLETE = EVENT_INDEX.app_complete;

/** Names a guest disk by its dev_t when the topology gives no name: "254:0". */
export function devName(dev: number): string {
  return `${Math.floor(dev / 2 ** 20)}:${dev % 2 ** 20}`;
}

/**
 * Stitches guest records when no host side exists. Request records wait for their application op
 * (it completes after them) and are emitted when it arrives, or at `finish()` without it. Every
 * path is `guest_only` with reason `no_host_records`.
 */
export class GuestOnlyStitcher {
  private readonly waiting = new Map<bigint, GuestRequestRecord[]>();
  private readonly span: Span = { start: 0, total: 0 };

  constructor(
    private readonly emit: (path: RequestPath) => void,
    private readonly diskName: (vm: string, dev: number) => string = (_vm, dev) => devName(dev),
  ) {}

  /** Feeds one guest record. */
  add(rec: GuestRequestRecord | GuestAppOpRecord): void {
    if (rec.kind === 'guest_rq') {
      if (rec.appUserData === 0n) return this.emit(this.path(rec));
      const list = this.waiting.get(rec.appUserData);
      if (list) list.push(rec);
      else this.waiting.set(rec.appUserData, [rec]);
      return;
    }
    const list = this.waiting.get(rec.userData);
    if (!list) return;
    this.waiting.delete(rec.userData);
    for (const r of list) this.emit(this.path(r, rec));
  }

  /** Emits requests still waiting for an application op that never came. */
  finish(): void {
    for (const list of this.waiting.values()) for (const r of list) this.emit(this.path(r));
    this.waiting.clear();
  }

  private path(rec: GuestRequestRecord, app?: GuestAppOpRecord): RequestPath {
    const ev = newEventNs();
    guestEvents(rec, app, ev);
    const stages = newStageNs();
    foldStages(ev, stages, this.span);
    return new StitchedPath(
      rec.vm, this.diskName(rec.vm, rec.dev), rec.vq, rec.op, rec.sector, rec.nrSectors, 'guest_only', 'no_host_records', 1,
      ev, stages, this.span.total as Nanos, this.span.start as GuestTime,
    );
  }
}
