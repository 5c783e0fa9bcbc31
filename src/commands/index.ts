// The CLI's commands: each file adds one command (or one group) to the commander program.
import type { Command } from 'commander';
import { installReplay } from './replay.js';
import { installReport } from './report.js';
import { installVm } from './vm.js';
import { installProg } from './prog.js';
import { installHooks } from './hooks.js';
import { installRun } from './run.js';
import { installAccuracy } from './accuracy.js';
import { installRecord } from './record.js';
import { installConvert } from './convert.js';
import { installCapture } from './capture.js';
import { installScenarios } from './scenarios.js';

/** Adds a command to the program. Each command file exports one of these. */
export type CommandInstaller = (program: Command) => void;

/** Every command, in the order `viotrace --help` lists them. */
export const commands: CommandInstaller[] = [installRun, installScenarios, installAccuracy, installRecord, installCapture, installConvert, installReplay, installReport, installProg, installHooks, installVm];
