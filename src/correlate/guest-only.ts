// Stitches guest records alone (guest-only captures): each block request joined to its application io_uring op.
import type { GuestAppOpRecord, GuestRequestRecord, GuestTime } from '../records/index.js';
import type { RequestPath } from './path.js';
import type { PathEvent } from './stages.js';
import { stagesFromEvents } from './telescope.js';

/** Path events a guest request record gives (0 = not seen, left out). */
export function guestEvents(rec: GuestRequestRecord, app?: GuestAppOpRecord): Partial<Record<PathEvent, GuestTime>> {
  // Written out, not looped over names: the two-sided stitcher calls this for every request.
  const ev: Partial<Record<PathEvent, GuestTime>> = {};
  if (app?.tSubmit) ev.app_submit = app.tSubmit;
  if (rec.tBioQueue) ev.bio_queue = rec.tBioQueue;
  if (rec.tRqInsert) ev.rq_insert = rec.tRqInsert;
  if (rec.tRqIssue) ev.rq_issue = rec.tRqIssue;
  if (rec.tQueueRq) ev.queue_rq = rec.tQueueRq;
  if (rec.tVqAdd) ev.vq_add = rec.tVqAdd;
  if (rec.tKick) ev.kick = rec.tKick;
  if (rec.tVringInterrupt) ev.vring_interrupt = rec.tVringInterrupt;
  if (rec.tCompleteRq) ev.complete_rq = rec.tCompleteRq;
  if (rec.tRqComplete) ev.rq_complete = rec.tRqComplete;
  if (app?.tComplete) ev.app_complete = app.tComplete;
  return ev;
}

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
    const events = guestEvents(rec, app);
    const { stages, total, start } = stagesFromEvents(events);
    return {
      vm: rec.vm, disk: this.diskName(rec.vm, rec.dev), queue: rec.vq, op: rec.op, sector: rec.sector, nrSectors: rec.nrSectors,
      match: 'guest_only', reason: 'no_host_records', sharedHostOp: 1, events, stages, total, start,
    };
  }
}
