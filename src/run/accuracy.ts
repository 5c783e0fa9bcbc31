// How right the stitcher is on a simulated run: its matches, stages and clock against the simulator's ground truth.
import { hostToGuest, stagesFromEvents, TOP_STAGES, type PathEvent, type StageName } from '../correlate/index.js';
import type { GuestTime, HostTime } from '../records/index.js';
import { Clocks, type ScenarioSpec } from '../sim/index.js';
import { runAndReport } from './index.js';

/** The q-quantile of sorted values, interpolated between neighbours (R-7, as d3 and numpy compute it). */
function quantileSorted(v: number[], q: number): number | undefined {
  if (v.length === 0) return undefined;
  const i = (v.length - 1) * q;
  const lo = Math.floor(i);
  return v[lo]! + (v[Math.min(lo + 1, v.length - 1)]! - v[lo]!) * (i - lo);
}

/** Error quantiles of stitched stage durations against the truth (ns). */
export interface StageError {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

/** design/interface.md's accuracy report (plus the estimate's uncertainty and a per-stage split). */
export interface Accuracy {
  requests: number;
  /** Requests whose guest record and QEMU record both reached user space (recall's denominator). */
  both_sides: number;
  /** Correct matches whose stitched path has every event the truth has (stage errors are measured on these). */
  complete_paths: number;
  precision: number;
  recall: number;
  /** Over every top-level stage of the complete paths. */
  stage_error_ns: { p50: number; p99: number; max: number };
  /** Each top-level stage apart. */
  stage_errors: Partial<Record<StageName, StageError>>;
  clock: { true_offset_ns: number; estimated_offset_ns: number; true_drift_ppm: number; estimated_drift_ppm: number; uncertainty_ns: number };
}

/**
 * Runs `spec` keeping records, truth and matches. A match is correct when the guest record and the
 * QEMU record joined to it belong to the same true request (each identified by the time the
 * simulator knows its hook fired). Recall counts the requests whose guest and QEMU records both
 * reached user space. Stage error compares the top-level stages of each correctly matched request
 * whose path is complete (every event the truth has: no record of it lost, so no stage stood in
 * for by a neighbour) with the truth's, mapped to the guest clock as the stitcher maps everything.
 */
export function measureAccuracy(spec: ScenarioSpec, seed: number, requests?: number, parallel = false, durationNs?: number): Accuracy {
  const run = runAndReport(spec, seed, requests, undefined, true, 0, parallel, durationNs);
  const kept = run.kept!;
  const clocks = new Clocks(run.result.clock);
  const vmName = (i: number): string => spec.vms[i]!.name;
  const byGuest = new Map<string, (typeof kept.truth)[number]>();
  const byHost = new Map<string, number>();
  for (const t of kept.truth) {
    byGuest.set(`${vmName(t.vm)}/${t.sector}/${clocks.guest(t.events.rq_complete!)}`, t);
    if (t.events.qemu_pop !== undefined) byHost.set(`${vmName(t.vm)}/${t.vq}/${t.head}/${t.sector}/${clocks.host(t.events.qemu_pop)}`, t.id);
  }
  const qemuVm = new Map(run.result.topology.vms.map((v) => [v.qemuPid, v.name]));
  // Which requests' records reached user space, by the same identities.
  const guestSeen = new Set<string>();
  const hostSeen = new Set<string>();
  for (const r of kept.records) {
    if (r.kind === 'guest_rq') guestSeen.add(`${r.vm}/${r.sector}/${r.tRqComplete}`);
    else if (r.kind === 'qemu_req') hostSeen.add(`${qemuVm.get(r.qemuPid)}/${r.vq}/${r.head}/${r.sector}/${r.tPop}`);
  }
  let correct = 0;
  let complete = 0;
  const errors: number[] = [];
  const perStage = new Map<StageName, number[]>();
  for (const [g, q, path] of kept.matches) {
    const t = byGuest.get(`${g.vm}/${g.sector}/${g.tRqComplete}`);
    const hid = byHost.get(`${qemuVm.get(q.qemuPid)}/${q.vq}/${q.head}/${q.sector}/${q.tPop}`);
    if (!t || t.id !== hid) continue;
    correct++;
    const onGuestClock: Partial<Record<PathEvent, GuestTime>> = {};
    for (const [k, v] of Object.entries(t.events)) onGuestClock[k as PathEvent] = clocks.guest(v as number) as GuestTime;
    if (Object.keys(onGuestClock).some((k) => path.events[k as PathEvent] === undefined)) continue;
    complete++;
    const truth = stagesFromEvents(onGuestClock);
    for (const s of TOP_STAGES) {
      const a = path.stages[s.name];
      const b = truth.stages[s.name];
      if (a === undefined || b === undefined) continue;
      const e = Math.abs(a - b);
      errors.push(e);
      let l = perStage.get(s.name);
      if (!l) perStage.set(s.name, (l = []));
      l.push(e);
    }
  }
  const ascending = (a: number, b: number): number => a - b;
  errors.sort(ascending);
  const stageErrors: Partial<Record<StageName, StageError>> = {};
  for (const [name, l] of perStage) {
    l.sort(ascending);
    stageErrors[name] = { p50: quantileSorted(l, 0.5)!, p99: quantileSorted(l, 0.99)!, max: l.at(-1)!, count: l.length };
  }
  let bothSides = 0;
  for (const t of kept.truth) {
    if (t.events.qemu_pop === undefined) continue;
    const gk = `${vmName(t.vm)}/${t.sector}/${clocks.guest(t.events.rq_complete!)}`;
    const hk = `${vmName(t.vm)}/${t.vq}/${t.head}/${t.sector}/${clocks.host(t.events.qemu_pop)}`;
    if (guestSeen.has(gk) && hostSeen.has(hk)) bothSides++;
  }
  const est = run.stitch.clock;
  const rel = run.result.clock;
  const refHost = (est?.refHost ?? rel.t0) as HostTime;
  // guest - host at refHost, true and estimated.
  const trueOffset = rel.offsetNs + rel.driftPpm * 1e-6 * (refHost - rel.t0);
  return {
    requests: kept.truth.length,
    both_sides: bothSides,
    complete_paths: complete,
    precision: kept.matches.length ? correct / kept.matches.length : 1,
    recall: bothSides ? correct / bothSides : 1,
    stage_error_ns: { p50: quantileSorted(errors, 0.5) ?? 0, p99: quantileSorted(errors, 0.99) ?? 0, max: errors.at(-1) ?? 0 },
    stage_errors: stageErrors,
    clock: {
      true_offset_ns: Math.round(trueOffset),
      estimated_offset_ns: est ? Math.round(hostToGuest(est, refHost) - refHost) : 0,
      true_drift_ppm: rel.driftPpm,
      estimated_drift_ppm: est?.driftPpm ?? 0,
      uncertainty_ns: est?.uncertaintyNs ?? 0,
    },
  };
}
