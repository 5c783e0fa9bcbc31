// Runs stay what they were: every scenario's records (every field), ground truth and counts on a fixed seed, by digest.
//
// The digests were taken before the simulator and the VM were made faster; a change that is meant
// to be only faster (a JIT specialisation, a cheaper map, hook sites resolved once) must keep
// them. A change that means to alter a run (a new model, a program change) updates them, and says so.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runScenario, scenario, SCENARIOS, type RunOptions, type ScenarioSpec } from './index.js';

/** sha256 over every record's fields as decoded, every request's truth, and the run's counts. */
function digestOf(spec: string | ScenarioSpec, opts: RunOptions): string {
  const h = createHash('sha256');
  const big = (_: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);
  const result = runScenario(typeof spec === 'string' ? scenario(spec)! : spec, {
    ...opts,
    onRecord: (r) => h.update(JSON.stringify(r, big)),
    onTruth: (t) => h.update(JSON.stringify(t, big)),
  });
  // tools (RunResult.tools, empty here) came after the digests were taken: a run without tools is what it was.
  h.update(JSON.stringify({ ...result, clock: undefined, topology: undefined, tools: undefined }, big));
  return h.digest('hex').slice(0, 16);
}

/**
 * Digests at 1200 requests, seed 3, by scenario. Updated when the O_DIRECT requests' rwbs became
 * the real captures' (guest writes WS, host reads RS): every record and truth else the same.
 */
const GOLDEN: Record<string, string> = {
  'baseline': '53787565e89e65e9',
  'slow-disk': 'ef85b5ec335ac892',
  'noisy-neighbour': 'db556874ec8d846e',
  'iothread-stall': '08cdb5f55cfa08bc',
  'main-loop-busy': '66a0a2272826a1fb',
  'host-cpu-contention': 'da8627ab8d4d02a3',
  'uring-saturation': 'd5021debcbb40f85',
  'guest-queueing': '5ddebff6bfa71234',
  'guest-elevator': '71ef285e0b6f6793',
  'stitch-stress': '408bf626ecec2b7d',
};

/** A run losing records both ways: ring buffers too small for the drains, and losses on the way to user space. */
function lossy(): string {
  const spec = { ...scenario('noisy-neighbour')!, recordLoss: { guest: 0.01, host: 0.01 } };
  return digestOf(spec, { seed: 5, requests: 1500, ringBytes: { guest: 4096, host: 8192 }, drainEveryNs: 3_000_000 });
}

/** Ring buffers too small for the drains: the same records are lost. */
const GOLDEN_LOSSY = '793a803e823ef79d';

describe('runs are byte for byte what they were', () => {
  it.skipIf(!process.env['PRINT_GOLDEN'])('print', () => {
    const out: Record<string, string> = {};
    for (const s of SCENARIOS) out[s.name] = digestOf(s.name, { seed: 3, requests: 1200 });
    console.log(JSON.stringify(out, null, 2), lossy());
  });
  it.each(SCENARIOS.map((s) => s.name))('%s', (name) => {
    expect(digestOf(name, { seed: 3, requests: 1200 })).toBe(GOLDEN[name]);
  });
  it('with losses when the ring buffers are too small', () => {
    expect(lossy()).toBe(GOLDEN_LOSSY);
  });
});
