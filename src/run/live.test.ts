// A live run lets the event loop run all along, so a dashboard beside it draws and reads keys: from loading its programs to stitching its last paths.
import { describe, expect, it } from 'vitest';
import { scenario } from '../sim/index.js';
import { runLive } from './live.js';

/**
 * The most CPU time the process spent between two turns of the event loop while `work` ran:
 * CPU rather than wall time, which a loaded machine stretches (the count takes in every thread of
 * the process, garbage collection's too, so it is an upper bound).
 */
async function longestStretch(work: () => Promise<unknown>): Promise<number> {
  let last = process.cpuUsage();
  let longest = 0;
  let running = true;
  const turn = (): void => {
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    longest = Math.max(longest, (used.user + used.system) / 1000);
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  await work();
  running = false;
  turn();
  return longest;
}

describe('a live run', () => {
  it('never holds the event loop for long: a heavy scenario from its first program verified to its last path', async () => {
    let paths = 0;
    const longest = await longestStretch(() => runLive(scenario('guest-elevator')!, 1, 2000, (u) => (paths += u.fresh.length), () => false));
    expect(paths).toBeGreaterThan(1900);
    // It was held about 800 ms (both objects verified and built at once); now a slice is 40 ms of wall time, the build 100-200 ms.
    expect(longest).toBeLessThan(400);
  }, 60_000);

  it('is asked whether to stop from its start, and ends soon after it is told to (q)', async () => {
    const started = performance.now();
    let firstAsked = 0;
    let stopAt = 0;
    const result = await runLive(scenario('stitch-stress')!, 1, 6000, () => {}, () => {
      firstAsked ||= performance.now();
      if (performance.now() - started < 300) return false;
      stopAt ||= performance.now();
      return true;
    });
    expect(result.requests).toBeLessThan(6000);
    // Not only once the programs are verified and a first slice simulated (most of a second).
    expect(firstAsked - started).toBeLessThan(200);
    expect(performance.now() - stopAt).toBeLessThan(500);
  }, 60_000);
});
