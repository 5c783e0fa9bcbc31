// A long record stream from one simulated run: its records again and again, each copy later in time along the run's true clock relation.
import type { TraceRecord } from '../records/index.js';
import type { ClockRelation } from './clock.js';

/** Time fields of each record kind ("t" or "tXxx"), read off the first record of the kind. */
const timeFields = new Map<string, readonly string[]>();

function timesOf(r: TraceRecord): readonly string[] {
  let f = timeFields.get(r.kind);
  if (!f) timeFields.set(r.kind, (f = Object.keys(r).filter((k) => k === 't' || /^t[A-Z]/.test(k))));
  return f;
}

/** Guest records carry guest-clock times; the rest host-clock times. */
const isGuest = (r: TraceRecord): boolean => r.kind === 'guest_rq' || r.kind === 'guest_app_op';

/**
 * Yields `records` `copies` times; copy k is shifted `periodNs` × k later on the host clock and by
 * the same span of the guest's clock (which runs `relation.driftPpm` fast), so the guest/host
 * relation holds across copies as on one long run. Keys (sectors, heads, user_data) recur, as on
 * a real long run. Times of 0 ("not seen") stay 0. For benchmarks and memory tests of stream consumers.
 */
export function* repeatRecords(records: readonly TraceRecord[], relation: ClockRelation, copies: number, periodNs: number): Generator<TraceRecord> {
  const guestScale = 1 + relation.driftPpm * 1e-6;
  yield* records;
  for (let k = 1; k < copies; k++) {
    const dh = k * periodNs;
    // Whole nanoseconds, as clocks give them.
    const dg = Math.round(dh * guestScale);
    for (const r of records) {
      const c = { ...r } as Record<string, unknown>;
      const d = isGuest(r) ? dg : dh;
      for (const f of timesOf(r)) if (c[f] as number) c[f] = (c[f] as number) + d;
      yield c as unknown as TraceRecord;
    }
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
