// A long record stream from one simulated run: its records again and again, each copy later in time along the run's true clock relation.
import { BATCH_FIELDS, BATCH_KINDS, BATCH_WIDTH, type RecordBatch, type RecordKind, type TraceRecord } from '../records/index.js';
import type { ClockRelation } from './clock.js';

/** Whether a record field is a time: "t" or "tXxx". */
const isTimeField = (name: string): boolean => name === 't' || /^t[A-Z]/.test(name);

/** Time fields of each record kind, read off the first record of the kind. */
const timeFields = new Map<string, readonly string[]>();

function timesOf(r: TraceRecord): readonly string[] {
  let f = timeFields.get(r.kind);
  if (!f) timeFields.set(r.kind, (f = Object.keys(r).filter(isTimeField)));
  return f;
}

/** Guest records carry guest-clock times; the rest host-clock times. */
const isGuestKind = (kind: RecordKind): boolean => kind === 'guest_rq' || kind === 'guest_app_op';
const isGuest = (r: TraceRecord): boolean => isGuestKind(r.kind);

/** How far a copy moves each side's times (repeatShift). */
export interface RepeatShift {
  host: number;
  guest: number;
}

/**
 * Yields `records` `copies` times; copy k is shifted `periodNs` × k later on the host clock and by
 * the same span of the guest's clock (which runs `relation.driftPpm` fast), so the guest/host
 * relation holds across copies as on one long run. Keys (sectors, heads, user_data) recur, as on
 * a real long run. Times of 0 ("not seen") stay 0. For benchmarks and memory tests of stream consumers.
 */
export function* repeatRecords(records: readonly TraceRecord[], relation: ClockRelation, copies: number, periodNs: number): Generator<TraceRecord> {
  yield* records;
  for (let k = 1; k < copies; k++) {
    const { host: dh, guest: dg } = repeatShift(relation, k * periodNs);
    for (const r of records) {
      const c = { ...r } as Record<string, unknown>;
      const d = isGuest(r) ? dg : dh;
      for (const f of timesOf(r)) if (c[f] as number) c[f] = (c[f] as number) + d;
      yield c as unknown as TraceRecord;
    }
  }
}

/** How far a copy `hostNs` later on the host clock moves each side's times: the guest's clock runs `relation.driftPpm` fast. */
export function repeatShift(relation: ClockRelation, hostNs: number): RepeatShift {
  // Whole nanoseconds, as clocks give them.
  return { host: hostNs, guest: Math.round(hostNs * (1 + relation.driftPpm * 1e-6)) };
}

/** The offsets of each batch kind's time fields (the fields repeatRecords shifts), by tag. */
const BATCH_TIMES: readonly (readonly number[])[] = BATCH_FIELDS.map((fs) => fs.filter((f) => isTimeField(f.name)).map((f) => f.at));
/** Whether each batch kind's times are on the guest clock, by tag. */
const BATCH_GUEST: readonly boolean[] = BATCH_KINDS.map(isGuestKind);

/**
 * Moves a batch's records in place as repeatRecords moves a copy (`shift` from repeatShift):
 * host times by `shift.host`, guest times by `shift.guest`, 0 ("not seen") left as it is. A
 * stream of any length from one set of batches, for benchmarks of stream consumers: each pass
 * over them later than the one before, with nothing to allocate.
 */
export function shiftBatch(batch: RecordBatch, shift: RepeatShift): void {
  const tags = batch.tags, v = batch.values;
  for (let i = 0, o = 0; i < batch.length; i++) {
    const tag = tags[i]!;
    const d = BATCH_GUEST[tag] ? shift.guest : shift.host;
    for (const at of BATCH_TIMES[tag]!) if (v[o + at]) v[o + at] += d;
    o += BATCH_WIDTH[tag]!;
  }
}

/** The host-time span of a set of records (for a repeat period that keeps copies apart). */
export function hostSpan(records: readonly TraceRecord[]): number {
  let lo = Infinity, hi = -Infinity;
  for (const r of records) {
    if (isGuest(r)) continue;
    for (const f of timesOf(r)) {
      const t = (r as unknown as Record<string, number>)[f]!;
      if (!t) continue;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
  }
  return Number.isFinite(lo) ? hi - lo : 0;
}
