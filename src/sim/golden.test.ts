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
  // lostCounted too: the programs' own count of what `lost` counts, checked equal in sim.test.ts.
  h.update(JSON.stringify({ ...result, clock: undefined, topology: undefined, tools: undefined, lostCounted: undefined }, big));
  return h.digest('hex').slice(0, 16);
}

/**
 * Digests at 1200 requests, seed 3, by scenario. Updated when the models' normal draws became the
 * ziggurat's (random.ts): the same distributions, other values from the same seeds. Updated again
 * when the paired programs began counting refused records (bpf/include/lost.h): records, truth
 * and every count the same, only the instructions executed changed (clang's new code layout).
 */
const GOLDEN: Record<string, string> = {
  'baseline': 'e48a712f2932d809',
  'slow-disk': '2a1907e4a4a793ba',
  'noisy-neighbour': 'c91139d352c168eb',
  'iothread-stall': '8ec2b27c434e85f7',
  'main-loop-busy': 'cf0ce65233c8c57e',
  'host-cpu-contention': '69738513d6960793',
  'uring-saturation': '5103441265f6ab00',
  'guest-queueing': '00bb4579dc5e4cc4',
  'guest-elevator': '12f401c3eb1d2f91',
  'stitch-stress': 'c80fc8be4077c700',
};

/** A run losing records both ways: ring buffers too small for the drains, and losses on the way to user space. */
function lossy(): string {
  const spec = { ...scenario('noisy-neighbour')!, recordLoss: { guest: 0.01, host: 0.01 } };
  return digestOf(spec, { seed: 5, requests: 1500, ringBytes: { guest: 4096, host: 8192 }, drainEveryNs: 3_000_000 });
}

/** Ring buffers too small for the drains: the same records are lost. */
const GOLDEN_LOSSY = 'ab801df045372409';

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
