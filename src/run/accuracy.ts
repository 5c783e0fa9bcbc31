// How right the stitcher is on a simulated run: its matches, stages and clock against the simulator's ground truth.
import { hostToGuest, stagesFromEvents, TOP_STAGES, type PathEvent } from '../correlate/index.js';
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

/** design/interface.md's accuracy report (plus the estimate's uncertainty). */
export interface Accuracy {
  requests: number;
  precision: number;
  recall: number;
  stage_error_ns: { p50: number; p99: number; max: number };
  clock: { true_offset_ns: number; estimated_offset_ns: number; true_drift_ppm: number; estimated_drift_ppm: number; uncertainty_ns: number };
}

/**
 * Runs `spec` keeping records, truth and matches. A match is correct when the guest record and the
 * QEMU record joined to it belong to the same true request (each identified by the time the
 * simulator knows its hook fired). Recall counts the requests whose records exist on both sides.
 * Stage error compares each correctly matched request's stitched top-level stages with the truth's
 * (truth mapped to the guest clock, as the stitcher maps everything).
 */
export function measureAccuracy(spec: ScenarioSpec, seed: number, requests?: number): Accuracy {
  const run = runAndReport(spec, seed, requests, undefined, true);
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
  let correct = 0;
  const errors: number[] = [];
  for (const [g, q, path] of kept.matches) {
    const t = byGuest.get(`${g.vm}/${g.sector}/${g.tRqComplete}`);
    const hid = byHost.get(`${qemuVm.get(q.qemuPid)}/${q.vq}/${q.head}/${q.sector}/${q.tPop}`);
    if (!t || t.id !== hid) continue;
    correct++;
    const onGuestClock: Partial<Record<PathEvent, GuestTime>> = {};
    for (const [k, v] of Object.entries(t.events)) onGuestClock[k as PathEvent] = clocks.guest(v as number) as GuestTime;
    const truth = stagesFromEvents(onGuestClock);
    for (const s of TOP_STAGES) {
      const a = path.stages[s.name];
      const b = truth.stages[s.name];
      if (a !== undefined && b !== undefined) errors.push(Math.abs(a - b));
    }
  }
  errors.sort((a, b) => a - b);
  const bothSides = kept.truth.filter((t) => t.events.qemu_pop !== undefined).length;
  const est = run.stitch.clock;
  const rel = run.result.clock;
  const refHost = (est?.refHost ?? rel.t0) as HostTime;
  // guest - host at refHost, true and estimated.
  const trueOffset = rel.offsetNs + rel.driftPpm * 1e-6 * (refHost - rel.t0);
  return {
    requests: kept.truth.length,
    precision: kept.matches.length ? correct / kept.matches.length : 1,
    recall: bothSides ? correct / bothSides : 1,
    stage_error_ns: { p50: quantileSorted(errors, 0.5) ?? 0, p99: quantileSorted(errors, 0.99) ?? 0, max: errors.at(-1) ?? 0 },
    clock: {
      true_offset_ns: Math.round(trueOffset),
      estimated_offset_ns: est ? Math.round(hostToGuest(est, refHost) - refHost) : 0,
      true_drift_ppm: rel.driftPpm,
      estimated_drift_ppm: est?.driftPpm ?? 0,
      uncertainty_ns: est?.uncertaintyNs ?? 0,
    },
  };
}
