// Replaying a 10-million-request trace file: peak memory and rate of `replayFile`, in a child process of its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayFile } from '../src/replay/index.js';
import { baselineRun, repeated, writeTrace } from './baseline-stream.js';
import type { Figure, Suite } from './harness.js';

/** Requests in the trace (VIOTRACE_REPLAY_REQUESTS overrides; the figures' names say which). */
const DEFAULT_REQUESTS = 10_000_000;
const BASE_REQUESTS = 20_000;

/** Child 1: writes a baseline run's records repeated to `requests` requests, as `viotrace record` would. */
async function write(requests: number, path: string): Promise<void> {
  const run = baselineRun(BASE_REQUESTS);
  const records = await writeTrace(run, repeated(run, Math.ceil(requests / run.result.requests)), path);
  process.stdout.write(JSON.stringify({ records }) + '\n');
}

/** Child 2: replays the file as `viotrace report` does; prints RSS before and at peak, and the rate. */
async function replay(path: string): Promise<void> {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const started = performance.now();
  const r = await replayFile(path);
  const seconds = (performance.now() - started) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  const all = r.input.stats.all.matches;
  process.stdout.write(JSON.stringify({ before, peak, seconds, requests: all.matched + all.guest_only, matched: all.matched, cut: r.cut !== undefined }) + '\n');
}

function runChild(args: string[]): Record<string, number | boolean> {
  const self = fileURLToPath(import.meta.url);
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', self, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`replay-file bench child ${args[0]} failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Record<string, number | boolean>;
}

/** The replay-file suite: writes the trace (binary) in one child, replays it in another. */
export const replayFileSuite: Suite = {
  name: 'replay10m',
  run(): Figure[] {
    const requests = Number(process.env['VIOTRACE_REPLAY_REQUESTS'] ?? DEFAULT_REQUESTS);
    const dir = mkdtempSync(join(tmpdir(), 'viotrace-replay10m-'));
    const path = join(dir, 'long.vtb');
    try {
      const w = runChild(['write', String(requests), path]);
      const bytes = statSync(path).size;
      const r = runChild(['replay', path]);
      if (r.cut) throw new Error('the bench trace replayed as cut');
      const name = requests === DEFAULT_REQUESTS ? 'replay10m' : `replay${requests}`;
      const records = w.records as number;
      return [
        { name: `${name}.peak_rss_mb`, value: (r.peak as number) / 2 ** 20, unit: 'MB' },
        { name: `${name}.baseline_rss_mb`, value: (r.before as number) / 2 ** 20, unit: 'MB' },
        { name: `${name}.peak_over_baseline`, value: (r.peak as number) / (r.before as number), unit: 'x', baseline: `${name}.baseline_rss_mb` },
        { name: `${name}.records`, value: records, unit: 'records' },
        { name: `${name}.file_mb`, value: bytes / 2 ** 20, unit: 'MB' },
        { name: `${name}.requests`, value: r.requests as number, unit: 'requests' },
        { name: `${name}.matched_share`, value: (r.matched as number) / (r.requests as number), unit: '' },
        { name: `${name}.records_per_s`, value: records / (r.seconds as number), unit: 'records/s' },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, a, b] = process.argv.slice(2);
  if (mode === 'write') await write(Number(a), b!);
  else if (mode === 'replay') await replay(a!);
}
