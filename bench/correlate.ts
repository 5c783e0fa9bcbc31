// Benchmark of the two-sided stitcher: requests stitched per second from a simulated run's records, streaming and all at once.
import { stitch, Stitcher } from '../src/correlate/index.js';
import { RecordBatch, type Topology, type TraceRecord } from '../src/records/index.js';
import { runAndReport, SIM_STITCH_OPTIONS } from '../src/run/index.js';
import { hostSpan, repeatRecords, scenario } from '../src/sim/index.js';
import { timePerCall, type Figure, type Suite } from './harness.js';

/** Measured periods per figure: the median is reported, with the range (this machine's speed swings with its load). */
const PERIODS = 5;

/** Median, slowest and fastest of PERIODS one-second measures of `fn` (seconds per call), after warm-up calls that let V8 optimise it. */
function measure(fn: () => void): { median: number; min: number; max: number } {
  for (let i = 0; i < 10; i++) fn();
  const s = Array.from({ length: PERIODS }, () => timePerCall(fn, 1000)).sort((a, b) => a - b);
  return { median: s[PERIODS >> 1]!, min: s[0]!, max: s[PERIODS - 1]! };
}

/** Copies of the run in the steady-state stream: 200,000 requests, 1.6 s of simulated time. */
const STEADY_COPIES = 10;

/** Records as RecordBatches of 4,096 each, built before timing. */
function toBatches(records: Iterable<TraceRecord>): RecordBatch[] {
  const batches: RecordBatch[] = [];
  let b = new RecordBatch();
  for (const r of records) {
    b.add(r);
    if (b.length === 4096) (batches.push(b), (b = new RecordBatch()));
  }
  if (b.length > 0) batches.push(b);
  return batches;
}

/** Stitches `batches` through one streaming stitcher; returns the requests stitched. */
function stitchBatches(batches: readonly RecordBatch[], topology: Topology): number {
  let n = 0;
  const st = new Stitcher(topology, () => void n++, SIM_STITCH_OPTIONS);
  for (const b of batches) st.pushBatch(b);
  st.finish();
  return n;
}

/** The correlate suite. */
export const correlateSuite: Suite = {
  name: 'correlate',
  run(): Figure[] {
    const run = runAndReport(scenario('baseline')!, 1, 20_000, undefined, true);
    const records: readonly TraceRecord[] = run.kept!.records;
    let n = 0;
    // Streaming, as live runs and replays use it: records pushed in drain order (an indexed loop:
    // the harness's own iteration is not the stitcher's cost).
    const s = measure(() => {
      n = 0;
      const st = new Stitcher(run.result.topology, () => void n++, SIM_STITCH_OPTIONS);
      for (let i = 0; i < records.length; i++) st.push(records[i]!);
      st.finish();
    });
    // The same records as numbers (a RecordBatch per 4,096 records, built before timing), as replay
    // feeds a binary trace's frames: no object per record to read.
    const batches = toBatches(records);
    let k = 0;
    const f = measure(() => void (k = stitchBatches(batches, run.result.topology)));
    // A long stream, as a live run or a replay keeps up with once past its start: the run's records
    // ten times along its clock relation (batches built before timing) through one stitcher, so
    // its windows, clock bounds and streams are grown once per 200,000 requests, not per 20,000.
    const steady = toBatches(repeatRecords(records, run.result.clock, STEADY_COPIES, hostSpan(records) + 1_000_000));
    let q = 0;
    const l = measure(() => void (q = stitchBatches(steady, run.result.topology)));
    steady.length = 0;
    let m = 0;
    const b = measure(() => {
      m = 0;
      stitch(records, run.result.topology, () => void m++);
    });
    return [
      { name: 'correlate.requests_per_s', value: n / s.median, unit: 'req/s' },
      { name: 'correlate.requests_per_s.min', value: n / s.max, unit: 'req/s' },
      { name: 'correlate.requests_per_s.max', value: n / s.min, unit: 'req/s' },
      { name: 'correlate.records_per_s', value: records.length / s.median, unit: 'records/s' },
      { name: 'correlate.from_batch.requests_per_s', value: k / f.median, unit: 'req/s' },
      { name: 'correlate.from_batch.requests_per_s.min', value: k / f.max, unit: 'req/s' },
      { name: 'correlate.from_batch.requests_per_s.max', value: k / f.min, unit: 'req/s' },
      { name: 'correlate.from_batch_over_objects', value: (k / f.median) / (n / s.median), unit: 'x', baseline: 'correlate.requests_per_s' },
      { name: 'correlate.steady.requests_per_s', value: q / l.median, unit: 'req/s' },
      { name: 'correlate.steady.requests_per_s.min', value: q / l.max, unit: 'req/s' },
      { name: 'correlate.steady.requests_per_s.max', value: q / l.min, unit: 'req/s' },
      { name: 'correlate.steady_over_from_batch', value: (q / l.median) / (k / f.median), unit: 'x', baseline: 'correlate.from_batch.requests_per_s' },
      { name: 'correlate.batch_requests_per_s', value: m / b.median, unit: 'req/s' },
      { name: 'correlate.stream_over_batch', value: (n / s.median) / (m / b.median), unit: 'x', baseline: 'correlate.batch_requests_per_s' },
    ];
  },
};
