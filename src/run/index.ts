// Runs a scenario and turns what the programs emitted into report input; ground truth is summarised apart, labelled as such.
import { availableParallelism } from 'node:os';
import { onGuestClock, RunStatistics, SlowestRequests, stagesFromEvents, Stitcher, TOP_STAGES, type PathEvent, type RequestPath, type StageName, type StitchSummary } from '../correlate/index.js';
import type { GuestRequestRecord, GuestTime, QemuRequestRecord, TraceRecord } from '../records/index.js';
import type { ReportInput } from '../report/index.js';
import { SIM_STITCH_OPTIONS } from './lag.js';
import { runScenario, type EmittedRecord, type RunResult, type ScenarioSpec, type TruthRequest } from '../sim/index.js';

/** The share of summed time per top-level stage in the simulator's ground truth. */
export type TruthBreakdown = { stage: StageName; share: number; meanNs: number }[];

/** What `viotrace run` reports. */
export interface ScenarioRun {
  result: RunResult;
  input: ReportInput;
  truth: TruthBreakdown;
  /** Host records the programs emitted, by kind. */
  hostRecords: Record<string, number>;
  stitch: StitchSummary;
  /** Kept when asked (for accuracy): the records, the truth, and every match the stitcher made. */
  kept?: { records: TraceRecord[]; truth: TruthRequest[]; matches: [GuestRequestRecord, QemuRequestRecord, RequestPath][] };
}

/** Runs `spec` with `seed`, then stitches what the programs emitted; `onRecord` sees every record as it drains. */
export function runAndReport(
  spec: ScenarioSpec,
  seed: number,
  requests: number | undefined,
  onRecord?: (r: EmittedRecord, vm: string) => void,
  keep = false,
  /** Keep up to this many stitched paths in the report input (dashboard playback, Perfetto, OTLP). */
  keepPaths = 0,
  /** Run the host side's programs on a second thread (RunOptions.parallel): the same result, sooner on two cores. */
  parallel = false,
  /** Run for this much simulated time instead of a request count (RunOptions.durationNs). */
  durationNs?: number,
  /** How many of the slowest requests the report input keeps. */
  slowest = 20,
): ScenarioRun {
  const stats = new RunStatistics();
  const slow = new SlowestRequests(slowest);
  let first = Infinity;
  let last = -Infinity;
  const records: TraceRecord[] = [];
  const truthKept: TruthRequest[] = [];
  const hostRecords: Record<string, number> = {};
  const sums = new Map<StageName, number>();
  let total = 0;
  let truthCount = 0;
  const matches: [GuestRequestRecord, QemuRequestRecord, RequestPath][] = [];
  const paths: RequestPath[] = [];
  let stitcher: Stitcher | undefined;
  const onPath = (p: RequestPath): void => {
    if (paths.length < keepPaths) paths.push(p);
    stats.add(p);
    slow.offer(p);
    if (!onGuestClock(p)) return;
    if (p.start < first) first = p.start;
    if (p.start + p.total > last) last = p.start + p.total;
  };
  // Records are stitched as they drain, as a live tool would: memory follows the stitcher's window.
  const result = runScenario(spec, {
    seed,
    parallel,
    ...(requests ? { requests } : {}),
    ...(durationNs !== undefined ? { durationNs } : {}),
    onStart: (topology) => (stitcher = new Stitcher(topology, onPath, { ...SIM_STITCH_OPTIONS, ...(keep ? { onMatch: (g, q, p) => matches.push([g, q, p]) } : {}) })),
    ...(onRecord ? { onRecord: (r: EmittedRecord) => onRecord(r, r.vm === undefined ? '' : spec.vms[r.vm]!.name) } : {}),
    onTraceRecord: (rec) => {
      stitcher!.push(rec);
      if (keep) records.push(rec);
      if (rec.kind !== 'guest_rq' && rec.kind !== 'guest_app_op') hostRecords[rec.kind] = (hostRecords[rec.kind] ?? 0) + 1;
    },
    onTruth: (t) => {
      if (keep) truthKept.push(t);
      if (t.vm !== 0) return; // the breakdown a user of the first VM sees
      const b = stagesFromEvents(t.events as Partial<Record<PathEvent, GuestTime>>);
      total += b.total;
      truthCount++;
      for (const [k, v] of Object.entries(b.stages)) sums.set(k as StageName, (sums.get(k as StageName) ?? 0) + (v as number));
    },
  });
  const summary = stitcher!.finish();
  const truth = TOP_STAGES.filter((s) => sums.has(s.name)).map((s) => ({ stage: s.name, share: total ? sums.get(s.name)! / total : 0, meanNs: sums.get(s.name)! / Math.max(1, truthCount) }));
  const input: ReportInput = {
    source: { kind: 'scenario', name: spec.name, seed, ...(spec.workload ? { job: spec.workload } : {}) },
    stats,
    lost: result.lost,
    unmatched: summary.unmatched,
    ...(summary.inFlightAtEnd ? { inFlightAtEnd: summary.inFlightAtEnd } : {}),
    ...(summary.clock ? { clock: summary.clock } : {}),
    slowest: slow.list(),
    durationNs: Number.isFinite(first) ? last - first : 0,
    ...(keepPaths ? { paths } : {}),
  };
  return { result, input, truth, hostRecords, stitch: summary, ...(keep ? { kept: { records, truth: truthKept, matches } } : {}) };
}


export { measureAccuracy } from './accuracy.js';
export type { Accuracy } from './accuracy.js';
export { checkNotInput, checkWritable, recordScenario, scenarioTraceWriter, watchWriter } from './record.js';
export type { WriterWatch } from './record.js';
export { runLive } from './live.js';
export type { LiveOptions, LiveUpdate } from './live.js';
export { SIM_LAG_NS, SIM_SKEW_NS, SIM_STITCH_OPTIONS } from './lag.js';

/** Requests from which a second thread pays for its start (its own module loading, verification and JIT warm-up). */
const THREADS_FROM_REQUESTS = 50_000;

/**
 * Whether the commands run the host side's programs on a second thread for a run of `requests`:
 * when the machine has more than one CPU and the run is long enough to gain from it (measured:
 * 100,000 requests in 7.6-8.2 s against 9.1-10.1 s on one thread; 20,000 no sooner), unless
 * VIOTRACE_THREADS=1 asks for one thread or VIOTRACE_THREADS=2 for two whatever the length.
 */
export function simThreads(requests: number): boolean {
  const asked = process.env['VIOTRACE_THREADS'];
  if (asked === '1') return false;
  return availableParallelism() > 1 && (asked === '2' || requests >= THREADS_FROM_REQUESTS);
}
