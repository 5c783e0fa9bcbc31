// A long record stream for the benchmarks: one simulated baseline run's records, repeated along its clock relation.
import type { TraceRecord } from '../src/records/index.js';
import { scenarioTraceWriter } from '../src/run/index.js';
import { hostSpan, repeatRecords, runScenario, scenario, type RunResult, type ScenarioSpec } from '../src/sim/index.js';

/** A simulated baseline run (seed 1) and the records its programs emitted. */
export interface BaselineRun {
  spec: ScenarioSpec;
  result: RunResult;
  records: TraceRecord[];
}

/** Runs the baseline scenario for `requests` requests and keeps its records. */
export function baselineRun(requests: number): BaselineRun {
  const spec = scenario('baseline')!;
  const records: TraceRecord[] = [];
  const result = runScenario(spec, { seed: 1, requests, onTraceRecord: (r) => records.push(r) });
  return { spec, result, records };
}

/** The run's records `copies` times, each copy later on both clocks and made of fresh objects, as a reader makes them. */
export function repeated(run: BaselineRun, copies: number): Generator<TraceRecord> {
  return repeatRecords(run.records, run.result.clock, copies, hostSpan(run.records) + 1_000_000);
}

/** Writes `records` to a trace at `path` as `viotrace record` would (the form from the name); returns how many. */
export async function writeTrace(run: BaselineRun, records: Iterable<TraceRecord>, path: string): Promise<number> {
  const w = scenarioTraceWriter(path, run.spec, 1, run.result.topology);
  let n = 0;
  for (const r of records) {
    w.write(r);
    // Let the file stream drain now and then, or its queue holds the whole trace.
    if ((++n & 0x3ffff) === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await w.close();
  return n;
}
