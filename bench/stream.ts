// The stitcher's memory over a long stream, measured in a child process of its own: peak RSS over N requests.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Stitcher } from '../src/correlate/index.js';
import { SIM_STITCH_OPTIONS } from '../src/run/index.js';
import { baselineRun, repeated } from './baseline-stream.js';
import type { Figure, Suite } from './harness.js';

/** Requests in the stream (VIOTRACE_STREAM_REQUESTS overrides; the figure's name says which). */
const DEFAULT_REQUESTS = 10_000_000;
/** Requests in the simulated run the stream repeats. */
const BASE_REQUESTS = 20_000;

/**
 * In the child: a baseline run's records repeated along the true clock relation (each copy a
 * fresh set of objects, as a reader makes them) into one streaming stitcher. Prints the RSS before
 * the stream (the baseline: the run's records in memory) and the peak after, and the rate.
 */
function child(requests: number): void {
  const run = baselineRun(BASE_REQUESTS);
  const copies = Math.ceil(requests / run.result.requests);
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let paths = 0;
  let maxHeld = 0;
  let n = 0;
  const started = performance.now();
  const s = new Stitcher(run.result.topology, () => void paths++, SIM_STITCH_OPTIONS);
  for (const r of repeated(run, copies)) {
    s.push(r);
    if ((++n & 0xffff) === 0 && s.held > maxHeld) maxHeld = s.held;
  }
  const sum = s.finish();
  const seconds = (performance.now() - started) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ before, peak, paths, matched: sum.matched, seconds, maxHeld, records: n }) + '\n');
}

/** The stream suite: runs the child and reports its figures. */
export const streamSuite: Suite = {
  name: 'stream',
  run(): Figure[] {
    const requests = Number(process.env['VIOTRACE_STREAM_REQUESTS'] ?? DEFAULT_REQUESTS);
    const self = fileURLToPath(import.meta.url);
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', self, String(requests)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (out.status !== 0) throw new Error(`stream bench child failed: ${out.stderr}`);
    const r = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { before: number; peak: number; paths: number; matched: number; seconds: number; maxHeld: number; records: number };
    const name = requests === DEFAULT_REQUESTS ? 'stream10m' : `stream${requests}`;
    return [
      { name: `${name}.peak_rss_mb`, value: r.peak / 2 ** 20, unit: 'MB' },
      { name: `${name}.baseline_rss_mb`, value: r.before / 2 ** 20, unit: 'MB' },
      { name: `${name}.peak_over_baseline`, value: r.peak / r.before, unit: 'x', baseline: `${name}.baseline_rss_mb` },
      { name: `${name}.requests_per_s`, value: r.paths / r.seconds, unit: 'req/s' },
      { name: `${name}.matched_share`, value: r.matched / r.paths, unit: '' },
      { name: `${name}.max_records_held`, value: r.maxHeld, unit: 'records' },
    ];
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) child(Number(process.argv[2]));
