// `viotrace accuracy --scenario NAME`: the stitcher's matches, stages and clock estimate against the simulator's ground truth.
import type { Command } from 'commander';
import { formatNs } from '../report/index.js';
import { measureAccuracy, simThreads } from '../run/index.js';
import { SCENARIOS } from '../sim/index.js';
import type { CommandInstaller } from './index.js';
import { durationOption, requestsOption, seedOption } from './options.js';
import { JOB_HELP, QEMU_LOOP_HELP, scenarioRun } from './scenario-run.js';

/** Installs `viotrace accuracy`. */
export const installAccuracy: CommandInstaller = (program: Command) => {
  program
    .command('accuracy')
    .description("run a scenario and compare the stitched paths with the simulator's ground truth")
    .option('--scenario <name>', `scenario (${SCENARIOS.map((s) => s.name).join(', ')})`, 'baseline')
    .option('--job <file>', JOB_HELP)
    .option('--qemu-loop <loop>', QEMU_LOOP_HELP)
    .option('--requests <n>', 'requests to complete', requestsOption)
    .option('--duration <seconds>', 'instead of --requests: simulated seconds to run for', durationOption)
    .option('--seed <n>', 'random seed', seedOption, 1)
    .option('--json', 'print the accuracy report as JSON')
    .action((opts: { scenario: string; job?: string; qemuLoop?: string; requests?: number; duration?: number; seed: number; json?: boolean }) => {
      const { spec, requests, durationNs } = scenarioRun('accuracy', opts);
      const a = measureAccuracy(spec, opts.seed, requests, simThreads(requests ?? spec.requests), durationNs);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(a, null, 2)}\n`);
        return;
      }
      const c = a.clock;
      process.stdout.write([
        `scenario ${spec.name} (seed ${opts.seed})${spec.workload ? ` running the fio jobs of ${spec.workload}` : ''}: ${a.requests} requests`,
        `matches: precision ${a.precision.toFixed(4)}, recall ${a.recall.toFixed(4)} (of ${a.both_sides} requests whose guest and QEMU records both arrived)`,
        `stage error over ${a.complete_paths} complete paths: p50 ${formatNs(a.stage_error_ns.p50)}, p99 ${formatNs(a.stage_error_ns.p99)}, max ${formatNs(a.stage_error_ns.max)}`,
        ...Object.entries(a.stage_errors).map(([name, e]) => `  ${name.padEnd(17)} p50 ${formatNs(e.p50).padStart(9)}  p99 ${formatNs(e.p99).padStart(9)}  max ${formatNs(e.max).padStart(9)}`),
        `clock: offset error ${formatNs(Math.abs(c.estimated_offset_ns - c.true_offset_ns))} (estimate says +- ${formatNs(c.uncertainty_ns)}), drift ${c.estimated_drift_ppm.toFixed(1)} ppm (true ${c.true_drift_ppm})`,
      ].join('\n') + '\n');
    });
};
