// Benchmark of the simulator: requests per second end to end with the paired programs on every hook, and the VM's share.
import { runScenario, scenario } from '../src/sim/index.js';
import type { Figure, Suite } from './harness.js';

const REQUESTS = 20_000;

function rate(programs: boolean): { perSecond: number; instructions: number } {
  const spec = scenario('baseline')!;
  runScenario(spec, { seed: 1, requests: 2_000, programs }); // warm-up: JIT, verifier, V8
  const t = process.hrtime.bigint();
  const r = runScenario(spec, { seed: 1, requests: REQUESTS, programs });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  return { perSecond: r.requests / s, instructions: r.instructions };
}

/** The sim suite. */
export const simSuite: Suite = {
  name: 'sim',
  run(): Figure[] {
    const withPrograms = rate(true);
    const alone = rate(false);
    return [
      { name: 'sim.requests_per_s', value: withPrograms.perSecond, unit: 'req/s' },
      { name: 'sim.requests_per_s_without_programs', value: alone.perSecond, unit: 'req/s' },
      { name: 'sim.vm_share', value: 1 - withPrograms.perSecond / alone.perSecond, unit: 'fraction', baseline: 'sim.requests_per_s_without_programs' },
      { name: 'sim.bpf_insns_per_request', value: withPrograms.instructions / REQUESTS, unit: 'insn' },
    ];
  },
};
