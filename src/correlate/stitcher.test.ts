// The streaming stitcher on simulated streams: the same answer as stitching all at once, bounded memory, unclaimed host requests published as it goes.
import { describe, expect, it } from 'vitest';
import type { Topology, TraceRecord } from '../records/index.js';
import { runAndReport, SIM_STITCH_OPTIONS } from '../run/index.js';
import { hostSpan, repeatRecords, scenario } from '../sim/index.js';
import type { RequestPath } from './path.js';
import { stitch } from './stitch.js';
import { Stitcher } from './stitcher.js';

const ids = (paths: RequestPath[]): string[] => paths.map((p) => `${p.vm}/${p.sector}/${p.start}/${p.match}`).sort();
/** Every path with all its events, in one order. */
const every = (paths: RequestPath[]): string[] => paths.map((p) => JSON.stringify([p.sector, p.start, p.match, p.events])).sort();

/** The paths of `input` pushed in its order through one streaming stitcher. */
function streamed(input: readonly TraceRecord[], topology: Topology): RequestPath[] {
  const out: RequestPath[] = [];
  const s = new Stitcher(topology, (p) => out.push(p), SIM_STITCH_OPTIONS);
  for (const r of input) s.push(r);
  s.finish();
  return out;
}

describe('Stitcher (streaming)', () => {
  it('stitches records as they drain into the same paths as stitching them all at once', () => {
    for (const name of ['baseline', 'noisy-neighbour']) {
      const run = runAndReport(scenario(name)!, 3, 2000, undefined, true);
      const records = run.kept!.records;
      const streamed: RequestPath[] = [];
      const s = new Stitcher(run.result.topology, (p) => streamed.push(p), SIM_STITCH_OPTIONS);
      for (const r of records) s.push(r);
      const sum = s.finish();
      const batch: RequestPath[] = [];
      stitch(records, run.result.topology, (p) => batch.push(p));
      expect(sum.matched).toBe(run.result.requests);
      expect(ids(streamed)).toEqual(ids(batch));
      // Each VM has its own clock estimate.
      expect(Object.keys(sum.clocks).sort()).toEqual(run.result.topology.vms.map((v) => v.name).sort());
    }
  });

  it('holds a window, not the stream: memory flat over 40 copies of a run', () => {
    const run = runAndReport(scenario('baseline')!, 5, 1500, undefined, true);
    const records = run.kept!.records;
    const period = hostSpan(records) + 1_000_000;
    let paths = 0;
    const heldAt: number[] = [];
    let pushed = 0;
    // Notify exits are kept for the horizon (the longest request): 50 ms here, a few copies.
    const s = new Stitcher(run.result.topology, () => void paths++, { ...SIM_STITCH_OPTIONS, horizonNs: 50_000_000 });
    for (const r of repeatRecords(records, run.result.clock, 40, period)) {
      s.push(r);
      if (++pushed % 1000 === 0) heldAt.push(s.held);
    }
    const sum = s.finish();
    // A run stops at its last completion with the rest of that interrupt's pass unreaped: those
    // requests are in flight at the end of one copy, and host-only where another copy follows.
    const one = new Stitcher(run.result.topology, () => {}, SIM_STITCH_OPTIONS);
    for (const r of records) one.push(r);
    const tail = one.finish().inFlightAtEnd;
    expect(sum.matched).toBe(40 * run.result.requests);
    expect([sum.hostOnly, sum.inFlightAtEnd]).toEqual([39 * tail, tail]);
    expect(paths).toBe(40 * run.result.requests + 39 * tail);
    // What is held levels off once the window is full: no more in the last quarter than in the second.
    const q = heldAt.length / 4;
    const max = (from: number, to: number): number => Math.max(...heldAt.slice(from, to));
    expect(max(3 * q, 4 * q)).toBeLessThanOrEqual(1.1 * max(q, 2 * q));
    expect(max(0, 4 * q)).toBeLessThan(10 * records.length);
  });

  it('publishes a QEMU request whose guest record was lost while the stream goes on, not only at the end', () => {
    const run = runAndReport(scenario('baseline')!, 6, 1500, undefined, true);
    const records = run.kept!.records;
    const period = hostSpan(records) + 1_000_000;
    const stream = [...repeatRecords(records, run.result.clock, 12, period)];
    // Lose one guest request record early in the second copy.
    const lostAt = stream.findIndex((r, i) => i > records.length + 200 && r.kind === 'guest_rq');
    const lost = stream[lostAt] as Extract<TraceRecord, { kind: 'guest_rq' }>;
    stream.splice(lostAt, 1);
    let pushedWhenPublished = -1;
    let pushed = 0;
    const s = new Stitcher(run.result.topology, (p) => {
      if (p.match === 'host_only' && p.sector === lost.sector) pushedWhenPublished = pushed;
    }, SIM_STITCH_OPTIONS);
    for (const r of stream) (s.push(r), pushed++);
    const sum = s.finish();
    // Against the same stream whole: a copy's requests the guest had not reaped when the run
    // ended have no guest record in the copy after it either.
    const whole = new Stitcher(run.result.topology, () => {}, SIM_STITCH_OPTIONS);
    for (const r of [...repeatRecords(records, run.result.clock, 12, period)]) whole.push(r);
    const base = whole.finish();
    expect(sum.hostOnly).toBe(base.hostOnly + 1);
    expect(sum.unmatched).toEqual({ guest_record_lost: (base.unmatched.guest_record_lost ?? 0) + 1 });
    expect(pushedWhenPublished).toBeGreaterThan(lostAt);
    // Decided once the stream passed it by the lag (20 ms, under two copies), not at the end.
    expect(pushedWhenPublished).toBeLessThan(stream.length - 4 * records.length);
  });

  it('counts QEMU requests the guest had not reaped when the trace ended as in flight, not as host-only', () => {
    const run = runAndReport(scenario('baseline')!, 4, 1200, undefined, true);
    const records = run.kept!.records;
    const stitched = (input: readonly TraceRecord[]) => {
      const s = new Stitcher(run.result.topology, () => {}, SIM_STITCH_OPTIONS);
      for (const r of input) s.push(r);
      return s.finish();
    };
    const whole = stitched(records);
    // The guest's last three completions on queue 0, as if its trace had ended before it reaped them.
    const last = records.filter((r): r is Extract<TraceRecord, { kind: 'guest_rq' }> => r.kind === 'guest_rq' && r.vq === 0)
      .sort((a, b) => a.tRqComplete - b.tRqComplete).slice(-3);
    const cut = stitched(records.filter((r) => !last.includes(r as (typeof last)[number])));
    expect([cut.matched, cut.hostOnly, cut.inFlightAtEnd]).toEqual([whole.matched - 3, whole.hostOnly, whole.inFlightAtEnd + 3]);
    // One lost before a request the guest did reap on that queue was lost, not in flight.
    const lost = stitched(records.filter((r) => r !== last[1]));
    expect([lost.matched, lost.hostOnly, lost.inFlightAtEnd]).toEqual([whole.matched - 1, whole.hostOnly + 1, whole.inFlightAtEnd]);
    expect(lost.unmatched).toEqual({ ...whole.unmatched, guest_record_lost: (whole.unmatched.guest_record_lost ?? 0) + 1 });
  });

  it('decides a guest-only stream from the guest side alone, as no_host_records', () => {
    const run = runAndReport(scenario('baseline')!, 7, 800, undefined, true);
    const guest = run.kept!.records.filter((r) => r.kind === 'guest_rq' || r.kind === 'guest_app_op');
    const paths: RequestPath[] = [];
    const s = new Stitcher(run.result.topology, (p) => paths.push(p));
    for (const r of guest) s.push(r);
    const sum = s.finish();
    expect(paths.length).toBe(run.result.requests);
    expect(sum.unmatched).toEqual({ no_host_records: run.result.requests });
    expect(paths.every((p) => p.stages.vdisk !== undefined && p.stages.guest_reap !== undefined)).toBe(true);
  });
  it("finds a request's io_uring op and host block request when they arrive after QEMU's record, as when they arrive before", () => {
    const run = runAndReport(scenario('baseline')!, 8, 1500, undefined, true);
    const records = run.kept!.records;
    // Each QEMU request's record moved to just before its io_uring op's (same user_data), and so
    // before the op's host block request: nothing is settled on arrival, everything at decision.
    const late: TraceRecord[] = [];
    const opAt = new Map<bigint, number>();
    for (const r of records) {
      if (r.kind === 'uring_op') opAt.set(r.userData, late.length);
      if (r.kind === 'qemu_req' && opAt.has(r.userData)) late.splice(opAt.get(r.userData)!, 0, r);
      else late.push(r);
      if (r.kind === 'qemu_req') opAt.delete(r.userData);
    }
    const inOrder = streamed(records, run.result.topology);
    expect(late).not.toEqual(records);
    expect(inOrder.filter((p) => p.events.host_blk_issue !== undefined && p.events.uring_submit !== undefined).length).toBe(run.result.requests);
    expect(every(streamed(late, run.result.topology))).toEqual(every(inOrder));
  });

  it("finds a request's application op when it arrives before the request or out of time order, as when it follows it", () => {
    const run = runAndReport(scenario('baseline')!, 9, 1500, undefined, true);
    const records = run.kept!.records;
    const inOrder = streamed(records, run.result.topology);
    expect(inOrder.filter((p) => p.events.app_submit !== undefined && p.events.app_complete !== undefined).length).toBe(run.result.requests);
    // Each application op moved to just before the guest request it served.
    const before: TraceRecord[] = [];
    const rqAt = new Map<bigint, number>();
    for (const r of records) {
      if (r.kind === 'guest_rq' && r.appUserData) rqAt.set(r.appUserData, before.length);
      if (r.kind === 'guest_app_op' && rqAt.has(r.userData)) before.splice(rqAt.get(r.userData)!, 0, r);
      else before.push(r);
      if (r.kind === 'guest_app_op') rqAt.delete(r.userData);
    }
    // The ops under each user_data swapped in pairs: every other one arrives after the next, so
    // a request looks served by the op after its own until its own arrives.
    const swapped = [...records];
    const open = new Map<bigint, number>();
    for (let i = 0; i < swapped.length; i++) {
      const r = swapped[i]!;
      if (r.kind !== 'guest_app_op') continue;
      const j = open.get(r.userData);
      if (j === undefined) open.set(r.userData, i);
      else ([swapped[j], swapped[i]] = [r, swapped[j]!]), open.delete(r.userData);
    }
    expect(before).not.toEqual(records);
    expect(every(streamed(before, run.result.topology))).toEqual(every(inOrder));
    expect(every(streamed(swapped, run.result.topology))).toEqual(every(inOrder));
  });
  it('decides a skew after a request when its sources drain often, holding less for the same matched paths', () => {
    const run = runAndReport(scenario('host-cpu-contention')!, 10, 3000, undefined, true);
    const records = run.kept!.records;
    const stitchWith = (opts: { lagNs: number; skewNs?: number }): { paths: string[]; held: number } => {
      const out: RequestPath[] = [];
      const s = new Stitcher(run.result.topology, (p) => out.push(p), opts);
      let held = 0;
      for (const r of records) (s.push(r), (held = Math.max(held, s.held)));
      s.finish();
      return { paths: every(out.filter((p) => p.match !== 'host_only')), held };
    };
    const lagOnly = stitchWith({ lagNs: SIM_STITCH_OPTIONS.lagNs });
    const skewed = stitchWith(SIM_STITCH_OPTIONS);
    expect(SIM_STITCH_OPTIONS.skewNs).toBeLessThan(SIM_STITCH_OPTIONS.lagNs);
    expect(skewed.paths).toEqual(lagOnly.paths);
    expect(skewed.paths.length).toBe(run.result.requests);
    expect(skewed.held).toBeLessThan(0.8 * lagOnly.held);
  });
});
