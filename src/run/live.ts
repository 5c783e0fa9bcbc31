// A scenario run for the dashboard: simulated in slices, its records stitched as they drain, paths handed over live.
import { Stitcher, type ClockEstimate, type RequestPath } from '../correlate/index.js';
import type { LostCounts } from '../records/index.js';
import { SIM_STITCH_OPTIONS } from './lag.js';
import { runScenarioAsync, type RunResult, type ScenarioSpec } from '../sim/index.js';
import type { TraceWriter } from '../trace/index.js';
import { checkWritable, scenarioTraceWriter, watchWriter, type WriterWatch } from './record.js';

/** What the dashboard is told as the run goes. */
export interface LiveUpdate {
  /** The paths stitched since the last update, in the order the stitcher decided them. */
  fresh: RequestPath[];
  lost: LostCounts;
  clock?: ClockEstimate;
  done: boolean;
}

/** How often the dashboard hears of the run, and where to record it. */
export interface LiveOptions {
  /** Wall-time milliseconds between updates (default 400). */
  everyMs?: number;
  /** Wall-time milliseconds the run goes on before it lets the event loop run (default 40: keys are read within that). */
  sliceMs?: number;
  /** A trace file to write the records to as they drain. */
  record?: string;
  /** Run for this much simulated time instead of a request count. */
  durationNs?: number;
  /** Run the host side's programs on a second thread (RunOptions.parallel). */
  parallel?: boolean;
}

/**
 * Runs `spec` one simulated millisecond at a time, or `sliceMs` of wall time when that comes first
 * (a heavy scenario's millisecond can take a few hundred), yielding to the event loop in between
 * (so the dashboard keeps drawing and reading keys); its programs are verified the same way first.
 * Records go into a streaming stitcher as they drain; at most every `everyMs` of wall time
 * `onUpdate` gets the paths decided since it last heard (it keeps what it needs: the run holds
 * none). A request is decided once both sides have moved past it by the stitcher's lag, so the
 * newest are a little behind the simulation. `stopped()` ends the run early. With `record`, every
 * record also goes to that trace file as it drains (flushed as the run goes; closed with its end
 * line when the run ends or is stopped), so what the dashboard showed can be replayed.
 */
export async function runLive(spec: ScenarioSpec, seed: number, requests: number | undefined, onUpdate: (u: LiveUpdate) => void, stopped: () => boolean, options: LiveOptions = {}): Promise<RunResult> {
  const { everyMs = 400, sliceMs = 40, record, parallel = false, durationNs } = options;
  let fresh: RequestPath[] = [];
  let stitcher: Stitcher | undefined;
  let writer: TraceWriter | undefined;
  let watch: WriterWatch | undefined;
  if (record) checkWritable(record);
  let lost: LostCounts = { guest: 0, host: 0 };
  let last = 0;
  const publish = (done: boolean): void => {
    if (!stitcher) return;
    const s = done ? stitcher.finish() : stitcher.summary();
    const out = fresh;
    fresh = [];
    onUpdate({ fresh: out, lost, ...(s.clock ? { clock: s.clock } : {}), done });
  };
  const result = await runScenarioAsync(
    spec,
    {
      seed,
      parallel,
      ...(requests ? { requests } : {}),
      ...(durationNs !== undefined ? { durationNs } : {}),
      onStart: (t) => {
        stitcher = new Stitcher(t, (p) => fresh.push(p), SIM_STITCH_OPTIONS);
        if (record) watch = watchWriter((writer = scenarioTraceWriter(record, spec, seed, t)));
      },
      onTraceRecord: (rec) => {
        watch?.check();
        writer?.write(rec);
        stitcher!.push(rec);
      },
    },
    1_000_000,
    () => {
      if (stopped()) return true;
      const now = performance.now();
      if (now - last >= everyMs) {
        last = now;
        writer?.flush();
        publish(false);
      }
      return false;
    },
    sliceMs,
  );
  lost = result.lost;
  if (writer) {
    writer.writeLost('guest', lost.guest);
    writer.writeLost('host', lost.host);
    await watch!.close();
  }
  publish(true);
  return result;
}
