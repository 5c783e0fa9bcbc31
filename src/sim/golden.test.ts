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
 * Digests at 1200 requests, seed 3, by scenario. Updated when the models' normal draws became the
 * ziggurat's (random.ts): the same distributions, other values from the same seeds.
 */
const GOLDEN: Record<string, string> = {
  'baseline': '9ad77da11f5e840a',
  'slow-disk': '83e65e1956ba9698',
  'noisy-neighbour': '2f6f20c660c8c927',
  'iothread-stall': 'ba914e44fa0232aa',
  'main-loop-busy': 'f6fae4cbfccdbc92',
  'host-cpu-contention': 'd08eaa68382026b5',
  'uring-saturation': 'e8498eb602ade91d',
  'guest-queueing': '86e631e4f224ba39',
  'guest-elevator': 'eb80b2566d2d6bfd',
  'stitch-stress': '5f5b13df44f9c923',
};

/** A run losing records both ways: ring buffers too small for the drains, and losses on the way to user space. */
function lossy(): string {
  const spec = { ...scenario('noisy-neighbour')!, recordLoss: { guest: 0.01, host: 0.01 } };
  return digestOf(spec, { seed: 5, requests: 1500, ringBytes: { guest: 4096, host: 8192 }, drainEveryNs: 3_000_000 });
}

/** Ring buffers too small for the drains: the same records are lost. */
const GOLDEN_LOSSY = '74422d452e23f4fb';

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
