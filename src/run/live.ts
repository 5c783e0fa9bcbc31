// A scenario run for the dashboard: simulated in slices, its records stitched as they drain, paths handed over live.
import { Stitcher, type ClockEstimate, type RequestPath } from '../correlate/index.js';
import type { LostCounts } from '../records/index.js';
import { SIM_LAG_NS } from './lag.js';
import { runScenarioAsync, toTraceRecord, type RunResult, type ScenarioSpec } from '../sim/index.js';

/** What the dashboard is told as the run goes. */
export interface LiveUpdate {
  /** Every path stitched so far, in the order the stitcher decided them. */
  paths: RequestPath[];
  lost: LostCounts;
  clock?: ClockEstimate;
  done: boolean;
}

/**
 * Runs `spec` one simulated millisecond at a time, yielding to the event loop in between (so the
 * dashboard keeps drawing and reading keys). Records go into a streaming stitcher as they drain;
 * at most every `everyMs` of wall time `onUpdate` gets the paths decided so far. A request is
 * decided once both sides have moved past it by the stitcher's lag, so the newest are a little
 * behind the simulation. `stopped()` ends the run early.
 */
export async function runLive(spec: ScenarioSpec, seed: number, requests: number | undefined, onUpdate: (u: LiveUpdate) => void, stopped: () => boolean, everyMs = 400): Promise<RunResult> {
  const paths: RequestPath[] = [];
  let stitcher: Stitcher | undefined;
  let lost: LostCounts = { guest: 0, host: 0 };
  let last = 0;
  const publish = (done: boolean): void => {
    if (!stitcher) return;
    const s = done ? stitcher.finish() : stitcher.summary();
    onUpdate({ paths, lost, ...(s.clock ? { clock: s.clock } : {}), done });
  };
  const result = await runScenarioAsync(
    spec,
    {
      seed,
      ...(requests ? { requests } : {}),
      onStart: (t) => (stitcher = new Stitcher(t, (p) => paths.push(p), { lagNs: SIM_LAG_NS })),
      onRecord: (r) => stitcher!.push(toTraceRecord(r, r.vm === undefined ? '' : spec.vms[r.vm]!.name)),
    },
    1_000_000,
    () => {
      if (stopped()) return true;
      const now = performance.now();
      if (now - last >= everyMs) {
        last = now;
        publish(false);
      }
      return false;
    },
  );
  lost = result.lost;
  publish(true);
  return result;
}
