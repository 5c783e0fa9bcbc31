// A long record stream from one simulated run: its records again and again, each copy later in time along the run's true clock relation.
import type { TraceRecord } from '../records/index.js';
import type { ClockRelation } from './clock.js';

/** Time fields of each record kind, by side (0 means "not seen" and stays 0). */
const GUEST_TIMES: Partial<Record<TraceRecord['kind'], readonly string[]>> = {
  guest_rq: ['tBioQueue', 'tRqInsert', 'tRqIssue', 'tQueueRq', 'tVqAdd', 'tKick', 'tVringInterrupt', 'tCompleteRq', 'tRqComplete'],
  guest_app_op: ['tSubmit', 'tComplete'],
};
const HOST_TIMES: Partial<Record<TraceRecord['kind'], readonly string[]>> = {
  qemu_req: ['tHandle', 'tPop', 'tAio', 'tReqComplete'],
  uring_op: ['tLuringSubmit', 'tSubmit', 'tComplete'],
  host_blk: ['tInsert', 'tIssue', 'tComplete'],
  kick: ['t'],
  notify: ['tNotify', 'tInject'],
};

/**
 * Yields `records` `copies` times; copy k is shifted `periodNs` × k later on the host clock and by
 * the same span of the guest's clock (which runs `relation.driftPpm` fast), so the guest/host
 * relation holds across copies as on one long run. Keys (sectors, heads, user_data) recur, as on
 * a real long run. For benchmarks and memory tests of stream consumers.
 */
export function* repeatRecords(records: readonly TraceRecord[], relation: ClockRelation, copies: number, periodNs: number): Generator<TraceRecord> {
  const guestScale = 1 + relation.driftPpm * 1e-6;
  for (let k = 0; k < copies; k++) {
    const dh = k * periodNs;
    const dg = dh * guestScale;
    for (const r of records) {
      if (k === 0) {
        yield r;
        continue;
      }
      const c = { ...r } as Record<string, unknown>;
      const guest = GUEST_TIMES[r.kind];
      const fields = guest ?? HOST_TIMES[r.kind] ?? [];
      const d = guest ? dg : dh;
      for (const f of fields) if (c[f] as number) c[f] = (c[f] as number) + d;
      yield c as unknown as TraceRecord;
    }
  }
}

/** The host-time span of a set of records (for a repeat period that keeps copies apart). */
export function hostSpan(records: readonly TraceRecord[]): number {
  let lo = Infinity, hi = -Infinity;
  for (const r of records) {
    const fields = HOST_TIMES[r.kind];
    if (!fields) continue;
    for (const f of fields) {
      const t = (r as unknown as Record<string, number>)[f]!;
      if (!t) continue;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
  }
  return Number.isFinite(lo) ? hi - lo : 0;
}
