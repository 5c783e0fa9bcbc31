// A stitched request path: the correlator's output for one guest request (or one unmatched host request).
import type { BlockOp, GuestTime, Nanos } from '../records/index.js';
import type { PathEvent, StageName } from './stages.js';
import { eventsByName, stagesByName } from './telescope.js';

/** Whether a request was seen on both sides. */
export type MatchStatus = 'matched' | 'guest_only' | 'host_only';

/** Why a request could not be matched with confidence (never guessed). */
export type UnmatchedReason =
  | 'no_host_records' // the trace has no host side at all (guest-only capture)
  | 'host_record_lost' // host side exists but nothing fits this request's keys
  | 'guest_record_lost' // a host request whose guest record is missing
  | 'no_guest_records' // the trace has no guest side at all (host-only capture)
  | 'ambiguous' // more than one host candidate fits equally well
  | 'inconsistent_time'; // the only candidate contradicts the clock estimate

/** One request's path across guest and host, on the guest clock. */
export interface RequestPath {
  vm: string;
  /** Guest disk name, e.g. "vda". */
  disk: string;
  /** Virtqueue index, -1 if unknown. */
  queue: number;
  op: BlockOp;
  sector: number;
  nrSectors: number;
  match: MatchStatus;
  /** Set when match is not 'matched'. */
  reason?: UnmatchedReason;
  /** Number of guest requests that shared this request's host operation (QEMU multireq); 1 if none. */
  sharedHostOp: number;
  /** Path event times on the guest clock (host events mapped with the clock estimate). */
  events: Partial<Record<PathEvent, GuestTime>>;
  /** Stage durations; the top-level ones sum to `total`. */
  stages: Partial<Record<StageName, Nanos>>;
  /** First guest event to last guest event. */
  total: Nanos;
  /** Time of the first guest event. */
  start: GuestTime;
}

/**
 * Whether a path has a place on its guest's clock: every path with guest records does; a host-only
 * one only when its VM's clock was estimated (otherwise it has no guest time, and its `start` of 0
 * must not stretch a timeline or a run's duration back to the clock's origin).
 */
export function onGuestClock(p: RequestPath): boolean {
  return p.match !== 'host_only' || p.events.qemu_pop !== undefined;
}

/**
 * A path as the stitchers make it: event times and stage durations kept by index in two plain
 * arrays (`eventNs` by EVENT_INDEX, `stageNs` by STAGE_INDEX, NaN where absent), with `events` and
 * `stages` made from them when first read. A stitcher makes one per request, and most consumers
 * (statistics, the dashboard) go by index and never need the objects.
 */
export class StitchedPath implements RequestPath {
  #events: Partial<Record<PathEvent, GuestTime>> | undefined = undefined;
  #stages: Partial<Record<StageName, Nanos>> | undefined = undefined;

  constructor(
    readonly vm: string,
    readonly disk: string,
    readonly queue: number,
    readonly op: BlockOp,
    readonly sector: number,
    readonly nrSectors: number,
    readonly match: MatchStatus,
    readonly reason: UnmatchedReason | undefined,
    readonly sharedHostOp: number,
    /** Path event times (guest clock) by EVENT_INDEX, NaN where not seen. */
    readonly eventNs: readonly number[],
    /** Stage durations by STAGE_INDEX, NaN where absent. */
    readonly stageNs: readonly number[],
    readonly total: Nanos,
    readonly start: GuestTime,
  ) {}

  get events(): Partial<Record<PathEvent, GuestTime>> {
    return (this.#events ??= eventsByName(this.eventNs));
  }

  get stages(): Partial<Record<StageName, Nanos>> {
    return (this.#stages ??= stagesByName(this.stageNs));
  }

  /** The path as a plain object (JSON, structured copies), with `events` and `stages` by name. */
  toJSON(): RequestPath {
    const { vm, disk, queue, op, sector, nrSectors, match, reason, sharedHostOp, events, stages, total, start } = this;
    return { vm, disk, queue, op, sector, nrSectors, match, ...(reason ? { reason } : {}), sharedHostOp, events, stages, total, start };
  }
}
