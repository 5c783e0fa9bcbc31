// Benchmark of the two-sided stitcher: requests stitched per second from a simulated run's records, streaming and all at once.
import { stitch, Stitcher } from '../src/correlate/index.js';
import { runAndReport, SIM_LAG_NS } from '../src/run/index.js';
import { scenario } from '../src/sim/index.js';
import { timePerCall, type Figure, type Suite } from './harness.js';

/** The correlate suite. */
export const correlateSuite: Suite = {
  name: 'correlate',
  run(): Figure[] {
    const run = runAndReport(scenario('baseline')!, 1, 20_000, undefined, true);
    const records = run.kept!.records;
    let n = 0;
    // Streaming, as live runs and replays use it: records pushed in drain order.
    const s = timePerCall(() => {
      n = 0;
      const st = new Stitcher(run.result.topology, () => void n++, { lagNs: SIM_LAG_NS });
      for (const r of records) st.push(r);
      st.finish();
    }, 1000);
    let m = 0;
    const b = timePerCall(() => {
      m = 0;
      stitch(records, run.result.topology, () => void m++);
    }, 1000);
    return [
      { name: 'correlate.requests_per_s', value: n / s, unit: 'req/s' },
      { name: 'correlate.records_per_s', value: records.length / s, unit: 'records/s' },
      { name: 'correlate.batch_requests_per_s', value: m / b, unit: 'req/s' },
      { name: 'correlate.stream_over_batch', value: (n / s) / (m / b), unit: 'x', baseline: 'correlate.batch_requests_per_s' },
    ];
  },
};
