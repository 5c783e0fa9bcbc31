// A scenario run for the dashboard: simulated in slices, its records stitched again as they accumulate, paths handed over live.
import { stitch, type ClockEstimate, type RequestPath } from '../correlate/index.js';
import type { LostCounts, TraceRecord } from '../records/index.js';
import { runScenarioAsync, toTraceRecord, type RunResult, type ScenarioSpec } from '../sim/index.js';

/** What the dashboard is told as the run goes. */
export interface LiveUpdate {
  paths: RequestPath[];
  lost: LostCounts;
  clock?: ClockEstimate;
  done: boolean;
}

/**
 * Runs `spec` one simulated millisecond at a time, yielding to the event loop in between (so the
 * dashboard keeps drawing and reading keys), and at most every `everyMs` of wall time stitches the
 * records so far and calls `onUpdate`. While running, QEMU requests whose guest record has not been
 * drained yet are left out rather than shown as unmatched. `stopped()` ends the run early.
 */
export async function runLive(spec: ScenarioSpec, seed: number, requests: number | undefined, onUpdate: (u: LiveUpdate) => void, stopped: () => boolean, everyMs = 400): Promise<RunResult> {
  const records: TraceRecord[] = [];
  let topology: Parameters<typeof stitch>[1] | undefined;
  let lost: LostCounts = { guest: 0, host: 0 };
  let last = 0;
  const publish = (done: boolean): void => {
    if (!topology) return;
    const paths: RequestPath[] = [];
    const s = stitch(records, topology, (p) => {
      if (done || p.match !== 'host_only') paths.push(p);
    });
    onUpdate({ paths, lost, ...(s.clock ? { clock: s.clock } : {}), done });
  };
  const result = await runScenarioAsync(
    spec,
    {
      seed,
      ...(requests ? { requests } : {}),
      onStart: (t) => (topology = t),
      onRecord: (r) => records.push(toTraceRecord(r, r.vm === undefined ? '' : spec.vms[r.vm]!.name)),
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
