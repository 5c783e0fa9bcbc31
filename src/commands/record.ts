// `viotrace record --scenario NAME -o FILE`: records a scenario's records to a trace file, without the dashboard.
import type { Command } from 'commander';
import { recordScenario, simThreads } from '../run/index.js';
import { SCENARIOS } from '../sim/index.js';
import { outputName } from '../trace/index.js';
import type { CommandInstaller } from './index.js';
import { durationOption, requestsOption, seedOption } from './options.js';
import { BINARY_HELP, traceEncoding } from './output.js';
import { JOB_HELP, QEMU_LOOP_HELP, scenarioRun } from './scenario-run.js';

/** Installs `viotrace record`. */
export const installRecord: CommandInstaller = (program: Command) => {
  program
    .command('record')
    .description('run a scenario and write every record the programs emit to a trace file (gzip when it ends in .gz)')
    .requiredOption('--scenario <name>', `scenario (${SCENARIOS.map((s) => s.name).join(', ')})`)
    .requiredOption('-o, --output <file>', 'trace file to write: .jsonl[.gz] (JSON Lines) or .vtb[.gz] (binary, for long runs and fast replay); - writes JSON Lines to standard output')
    .option('--binary', BINARY_HELP)
    .option('--job <file>', JOB_HELP)
    .option('--qemu-loop <loop>', QEMU_LOOP_HELP)
    .option('--requests <n>', 'requests to complete', requestsOption)
    .option('--duration <seconds>', 'instead of --requests: simulated seconds to record', durationOption)
    .option('--seed <n>', 'random seed', seedOption, 1)
    .action(async (opts: { scenario: string; job?: string; qemuLoop?: string; output: string; requests?: number; duration?: number; seed: number; binary?: boolean }) => {
      const { spec, requests, durationNs } = scenarioRun('record', opts);
      const encoding = traceEncoding(opts.output, opts.binary);
      const name = outputName(opts.output);
      // Ctrl-C stops the run between slices and closes the file properly, so what was recorded replays.
      let interrupted = false;
      const onSigint = (): void => {
        interrupted = true;
      };
      process.on('SIGINT', onSigint);
      let rec;
      try {
        rec = await recordScenario(spec, opts.seed, requests, opts.output, simThreads(requests ?? spec.requests), () => interrupted, durationNs, encoding);
      } finally {
        process.off('SIGINT', onSigint);
      }
      const { result, records } = rec;
      if (interrupted) {
        process.stderr.write(`viotrace: recording stopped (SIGINT): ${name}: ${records} records of ${result.requests} requests written (viotrace replay reads it)\n`);
        process.exitCode = 130;
        return;
      }
      process.stderr.write(`viotrace: ${name}: ${records} records of ${result.requests} requests (lost: guest ${result.lost.guest}, host ${result.lost.host})\n`);
    });
};
