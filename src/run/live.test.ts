// A live run lets the event loop run all along, so a dashboard beside it draws and reads keys: from loading its programs to stitching its last paths.
import { describe, expect, it } from 'vitest';
import { scenario } from '../sim/index.js';
import { runLive } from './live.js';

/** How many turns of the event loop went by while `work` ran (each setImmediate callback is one turn). */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ turns: number; value: T }> {
  let turns = 0;
  let running = true;
  const turn = (): void => {
    turns++;
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  const value = await work();
  running = false;
  return { turns, value };
}

describe('a live run', () => {
  const spec = scenario('guest-elevator')!;

  it('yields at every simulated millisecond, and within one once its wall time is up; the slicing changes nothing of the outcome', async () => {
    const run = (sliceMs: number) => {
      let paths = 0;
      let latency = 0;
      return turnsDuring(async () => {
        const result = await runLive(spec, 1, 2000, (u) => {
          paths += u.fresh.length;
          for (const p of u.fresh) latency += Number(p.total);
        }, () => false, { sliceMs });
        return { result, paths, latency };
      });
    };
    // A wall-time limit no slice reaches: one slice per simulated millisecond.
    const long = await run(1e9);
    // A limit every slice is past at its first look at the clock (every 256 events).
    const short = await run(0);
    const ms = long.value.result.simulatedNs / 1e6;
    expect(ms).toBeGreaterThan(5);
    expect(long.turns).toBeGreaterThanOrEqual(Math.floor(ms));
    // guest-elevator's milliseconds are heavy: many slices of 256 events in each.
    expect(short.turns).toBeGreaterThan(long.value.result.events / 256 - ms);
    expect(short.turns).toBeGreaterThan(2 * long.turns);
    expect(short.value.paths).toBeGreaterThan(1900);
    expect(short.value).toEqual(long.value);
  }, 60_000);

  it('is asked whether to stop from its start, before any program is verified, and stops where it is told', async () => {
    let asked = 0;
    const updates: boolean[] = [];
    const none = await runLive(spec, 1, 2000, (u) => updates.push(u.done), () => (++asked, true));
    expect(asked).toBe(1);
    expect(none.requests).toBe(0);
    expect(none.programRuns).toBe(0);

    // Told at its tenth question: never asked again, and nothing heard after that but the end.
    asked = 0;
    let askedAfter = 0;
    let told = false;
    let heardAfter = 0;
    const some = await runLive(spec, 1, 6000, (u) => {
      if (told && !u.done) heardAfter++;
      updates.push(u.done);
    }, () => {
      if (told) askedAfter++;
      told ||= ++asked >= 10;
      return told;
    }, { everyMs: 0 });
    expect(askedAfter).toBe(0);
    expect(heardAfter).toBe(0);
    expect(updates.at(-1)).toBe(true);
    expect(some.requests).toBeLessThan(6000);
  }, 60_000);
});
