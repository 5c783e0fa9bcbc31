// The dashboard's budget: stitched paths a playback absorbs per second while drawing 10 frames a second, and the cost of one frame.
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { StitchedPath, type RequestPath } from '../src/correlate/index.js';
import { replayFile } from '../src/replay/index.js';
import { Dashboard, FRAME_MS, Playback } from '../src/tui/index.js';
import type { Figure, Suite } from './harness.js';

/** Paths arriving per second in the simulated feed (the goal: keep up with 200,000/s). */
const FEED_PER_S = 200_000;
const FRAMES = 30;

/** The shipped baseline's paths, copied later and later in time to make a feed of `n`. */
async function feed(n: number): Promise<RequestPath[]> {
  const base = (await replayFile('traces/sim-baseline.jsonl.gz', { keepPaths: 1_000_000 })).input.paths!;
  const span = Math.max(...base.map((p) => p.start + p.total)) - Math.min(...base.map((p) => p.start)) + 1;
  const out: RequestPath[] = [];
  for (let k = 0; out.length < n; k++) for (const p of base) if (out.length < n) out.push(later(p, k * span));
  return out;
}

/** A copy of a stitched path `dt` later (its event times too), as the stitcher would have made it. */
function later(p: RequestPath, dt: number): RequestPath {
  if (!(p instanceof StitchedPath)) throw new Error('the replay gave a path the stitchers did not make');
  return new StitchedPath(
    p.vm, p.disk, p.queue, p.op, p.sector, p.nrSectors, p.match, p.reason, p.sharedHostOp,
    p.eventNs.map((t) => t + dt), p.stageNs, p.total, (p.start + dt) as RequestPath['start'],
  );
}

/** The tui suite (figures documented in bench/README.md). */
export const tuiSuite: Suite = {
  name: 'tui',
  async run(): Promise<Figure[]> {
    const perFrame = (FEED_PER_S * FRAME_MS) / 1000;
    const paths = await feed(perFrame * FRAMES);
    // What a live run does each frame: the frame's new paths in, time advanced past them, a snapshot taken.
    const pb = new Playback([], 'bench');
    pb.live = true;
    pb.speed = 1024;
    let work = 0;
    for (let f = 0; f < FRAMES; f++) {
      const t = performance.now();
      pb.push(paths.slice(f * perFrame, (f + 1) * perFrame));
      pb.seekTo(Number.MAX_SAFE_INTEGER);
      pb.snapshot().stats.all.stageSummaries();
      work += performance.now() - t;
    }
    if (pb.snapshot().stats.all.total.count !== paths.length) throw new Error('the playback did not play every path');
    // One drawn frame of the dashboard over those statistics (Ink layout and output, 100 columns).
    const app = render(createElement(Dashboard, { playback: pb, tick: false }));
    const start = performance.now();
    const draws = 20;
    for (let i = 0; i < draws; i++) app.rerender(createElement(Dashboard, { playback: pb, tick: false, key: i }));
    const frameMs = (performance.now() - start) / draws;
    app.unmount();
    const frameWorkMs = work / FRAMES;
    return [
      { name: 'tui.playback_paths_per_s', value: paths.length / (work / 1000), unit: 'paths/s' },
      { name: 'tui.frame_work_ms_at_200k', value: frameWorkMs, unit: 'ms' },
      { name: 'tui.draw_ms', value: frameMs, unit: 'ms' },
      { name: 'tui.frame_budget_used_at_200k', value: (frameWorkMs + frameMs) / FRAME_MS, unit: 'x' },
    ];
  },
};
