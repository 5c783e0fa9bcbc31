// Benchmark of the two-sided stitcher: requests stitched per second from a simulated run's records.
import { stitch } from '../src/correlate/index.js';
import { runAndReport } from '../src/run/index.js';
import { scenario } from '../src/sim/index.js';
import { timePerCall, type Figure, type Suite } from './harness.js';

/** The correlate suite. */
export const correlateSuite: Suite = {
  name: 'correlate',
  run(): Figure[] {
    const run = runAndReport(scenario('baseline')!, 1, 20_000, undefined, true);
    const records = run.kept!.records;
    let n = 0;
    const s = timePerCall(() => {
      n = 0;
      stitch(records, run.result.topology, () => void n++);
    }, 1000);
    return [
      { name: 'correlate.requests_per_s', value: n / s, unit: 'req/s' },
      { name: 'correlate.records_per_s', value: records.length / s, unit: 'records/s' },
    ];
  },
};
