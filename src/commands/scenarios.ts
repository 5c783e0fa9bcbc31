// `viotrace scenarios [--json]`: the named scenarios, each with a line of description and its culprit stage.
import type { Command } from 'commander';
import { SCENARIOS } from '../sim/index.js';
import type { CommandInstaller } from './index.js';

/** Installs `viotrace scenarios`. */
export const installScenarios: CommandInstaller = (program: Command) => {
  program
    .command('scenarios')
    .description('list the simulated scenarios with a description and the culprit stage of each')
    .option('--json', 'print name, description and culprit as JSON')
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(SCENARIOS.map((s) => ({ name: s.name, description: s.description, culprit: s.culprit })), null, 2)}\n`);
        return;
      }
      const w = Math.max(...SCENARIOS.map((s) => s.name.length));
      process.stdout.write(`${SCENARIOS.map((s) => `${s.name.padEnd(w)}  culprit ${s.culprit.padEnd(16)} ${s.description}`).join('\n')}\n`);
    });
};
