// Stitches guest records alone (guest-only captures): each block request joined to its application io_uring op.
import type { GuestAppOpRecord, GuestRequestRecord, GuestTime } from '../records/index.js';
import type { RequestPath } from './path.js';
import type { PathEvent } from './stages.js';
import { EVENT_INDEX, eventTimes, stagesFromTimes, type EventTimes } from './telescope.js';

/**
 * Path events a guest request record gives (0 = not seen, left out), also put into `times`
 * (reset first) for computing its stages by index.
 */
export function guestEvents(rec: GuestRequestRecord, app: GuestAppOpRecord | undefined, times: EventTimes): Partial<Record<PathEvent, GuestTime>> {
  // Written out, not looped over names: the two-sided stitcher calls this for every request.
  const ev: Partial<Record<PathEvent, GuestTime>> = {};
  times.fill(NaN);
  if (app?.tSubmit) times[EVENT_INDEX.app_submit] = ev.app_submit = app.tSubmit;
  if (rec.tBioQueue) times[EVENT_INDEX.bio_queue] = ev.bio_queue = rec.tBioQueue;
  if (rec.tRqInsert) times[EVENT_INDEX.rq_insert] = ev.rq_insert = rec.tRqInsert;
  if (rec.tRqIssue) times[EVENT_INDEX.rq_issue] = ev.rq_issue = rec.tRqIssue;
  if (rec.tQueueRq) times[EVENT_INDEX.queue_rq] = ev.queue_rq = rec.tQueueRq;
  if (rec.tVqAdd) times[EVENT_INDEX.vq_add] = ev.vq_add = rec.tVqAdd;
  if (rec.tKick) times[EVENT_INDEX.kick] = ev.kick = rec.tKick;
  if (rec.tVringInterrupt) times[EVENT_INDEX.vring_interrupt] = ev.vring_interrupt = rec.tVringInterrupt;
  if (rec.tCompleteRq) times[EVENT_INDEX.complete_rq] = ev.complete_rq = rec.tCompleteRq;
  if (rec.tRqComplete) times[EVENT_INDEX.rq_complete] = ev.rq_complete = rec.tRqComplete;
  if (app?.tComplete) times[EVENT_INDEX.app_complete] = ev.app_complete = app.tComplete;
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
  private readonly times = eventTimes();

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
    const events = guestEvents(rec, app, this.times);
    const { stages, total, start } = stagesFromTimes(this.times);
    return {
      vm: rec.vm, disk: this.diskName(rec.vm, rec.dev), queue: rec.vq, op: rec.op, sector: rec.sector, nrSectors: rec.nrSectors,
      match: 'guest_only', reason: 'no_host_records', sharedHostOp: 1, events, stages, total, start,
    };
  }
}
