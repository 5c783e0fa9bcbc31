// Benchmark of the two-sided stitcher: requests stitched per second from a simulated run's records, streaming and all at once.
import { stitch, Stitcher } from '../src/correlate/index.js';
import { RecordBatch, type Topology, type TraceRecord } from '../src/records/index.js';
import { runAndReport, SIM_STITCH_OPTIONS } from '../src/run/index.js';
import { hostSpan, repeatRecords, repeatShift, scenario, shiftBatch, type RepeatShift } from '../src/sim/index.js';
import { timePerCall, type Figure, type Suite } from './harness.js';

/** Measured periods per figure: the median is reported, with the range (this machine's speed swings with its load). */
const PERIODS = 5;

/** Median, slowest and fastest of PERIODS one-second measures of `fn` (seconds per call), after warm-up calls that let V8 optimise it. */
function measure(fn: () => void): { median: number; min: number; max: number } {
  for (let i = 0; i < 10; i++) fn();
  const s = Array.from({ length: PERIODS }, () => timePerCall(fn, 1000)).sort((a, b) => a - b);
  return { median: s[PERIODS >> 1]!, min: s[0]!, max: s[PERIODS - 1]! };
}

/** Copies of the run in one lap of the long stream: 200,000 requests, 1.6 s of simulated time. */
const LAP_COPIES = 10;
/** Laps of the long stream before timing (the first grows the stitcher's windows), and laps per measured period (about a second). */
const WARM_LAPS = 2;
const PERIOD_LAPS = 6;

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

/**
 * One stitcher kept running over a long stream, as a live run or a replay keeps one: `lap` (the
 * run's records LAP_COPIES times along its clock relation, as batches) pushed again and again, each
 * lap moved on by its span (shiftBatch, untimed: the reader's work, not the stitcher's). Returns
 * the median, slowest and fastest of PERIODS periods (seconds per request), after WARM_LAPS laps.
 */
function longStream(lap: RecordBatch[], shift: RepeatShift, topology: Topology): { median: number; min: number; max: number; matchedShare: number } {
  let n = 0;
  const st = new Stitcher(topology, () => void n++, SIM_STITCH_OPTIONS);
  /** Pushes `laps` laps; returns the seconds per request stitched meanwhile. */
  const laps = (count: number): number => {
    const n0 = n;
    let ns = 0;
    for (let k = 0; k < count; k++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < lap.length; i++) st.pushBatch(lap[i]!);
      ns += Number(process.hrtime.bigint() - t0);
      for (const b of lap) shiftBatch(b, shift);
    }
    return ns / 1e9 / (n - n0);
  };
  laps(WARM_LAPS);
  const s = Array.from({ length: PERIODS }, () => laps(PERIOD_LAPS)).sort((a, b) => a - b);
  const sum = st.finish();
  return { median: s[PERIODS >> 1]!, min: s[0]!, max: s[PERIODS - 1]!, matchedShare: sum.matched / n };
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
    // The long stream: one stitcher for 6.4M requests, as a live run or a replay keeps up with once
    // past its start, with no fresh stitcher's windows to grow every 20,000 requests.
    const period = hostSpan(records) + 1_000_000;
    const lap = toBatches(repeatRecords(records, run.result.clock, LAP_COPIES, period));
    const l = longStream(lap, repeatShift(run.result.clock, LAP_COPIES * period), run.result.topology);
    lap.length = 0;
    let m = 0;
    const b = measure(() => {
      m = 0;
      stitch(records, run.result.topology, () => void m++);
    });
    return [
      { name: 'correlate.requests_per_s', value: 1 / l.median, unit: 'req/s' },
      { name: 'correlate.requests_per_s.min', value: 1 / l.max, unit: 'req/s' },
      { name: 'correlate.requests_per_s.max', value: 1 / l.min, unit: 'req/s' },
      { name: 'correlate.records_per_s', value: (records.length / run.result.requests) / l.median, unit: 'records/s' },
      { name: 'correlate.long.matched_share', value: l.matchedShare, unit: '' },
      { name: 'correlate.objects.requests_per_s', value: n / s.median, unit: 'req/s' },
      { name: 'correlate.objects.requests_per_s.min', value: n / s.max, unit: 'req/s' },
      { name: 'correlate.objects.requests_per_s.max', value: n / s.min, unit: 'req/s' },
      { name: 'correlate.from_batch.requests_per_s', value: k / f.median, unit: 'req/s' },
      { name: 'correlate.from_batch.requests_per_s.min', value: k / f.max, unit: 'req/s' },
      { name: 'correlate.from_batch.requests_per_s.max', value: k / f.min, unit: 'req/s' },
      { name: 'correlate.from_batch_over_objects', value: (k / f.median) / (n / s.median), unit: 'x', baseline: 'correlate.objects.requests_per_s' },
      { name: 'correlate.long_over_from_batch', value: (1 / l.median) / (k / f.median), unit: 'x', baseline: 'correlate.from_batch.requests_per_s' },
      { name: 'correlate.batch_requests_per_s', value: m / b.median, unit: 'req/s' },
      { name: 'correlate.stream_over_batch', value: (n / s.median) / (m / b.median), unit: 'x', baseline: 'correlate.batch_requests_per_s' },
    ];
  },
};
