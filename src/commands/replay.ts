// `viotrace replay FILE [--speed N] [--json] [--no-tui]`: replays a trace through the correlator into a summary.
import type { Command } from 'commander';
import { renderReport } from '../report/index.js';
import { replayFile } from '../replay/index.js';
import { Playback, runDashboard } from '../tui/index.js';
import { finishReplay } from './report.js';
import { hostEvents } from './host-events.js';
import type { CommandInstaller } from './index.js';

/** Installs `viotrace replay`. */
export const installReplay: CommandInstaller = (program: Command) => {
  program
    .command('replay')
    .description('replay a trace file (viotrace trace or real tracefs capture) through the correlator')
    .argument('<file>', 'trace file (.jsonl[.gz] or .vtb[.gz]), tracefs text, a bpftrace capture or a capture folder')
    .option('--speed <n>', 'replay speed for the dashboard', (v) => Number(v), 1)
    .option('--json', 'print the JSON report', false)
    .option('--no-tui', 'print a text summary instead of the dashboard')
    .option('--lenient', 'skip and count malformed lines; a cut file is a warning', false)
    .option('--host-events <from>', 'capture folder made with --host-bpftrace: the host events from tracefs or bpftrace', 'tracefs')
    .action(async (file: string, opts: { json: boolean; lenient: boolean; hostEvents: string; tui: boolean; speed: number }) => {
      const dashboard = opts.tui && !opts.json && process.stdout.isTTY === true && process.stdin.isTTY === true;
      const r = await replayFile(file, { lenient: opts.lenient, captureHost: hostEvents(opts.hostEvents), keepPaths: dashboard ? Number.MAX_SAFE_INTEGER : 0 });
      if (dashboard) {
        const playback = new Playback(r.input.paths ?? [], r.input.source.name, r.input.lost, r.input.clock?.offsetNs);
        playback.speed = opts.speed > 0 ? opts.speed : 1;
        await runDashboard(playback);
      } else {
        process.stdout.write(renderReport(r.input, opts.json ? 'json' : 'text'));
      }
      process.exitCode = finishReplay(r, opts.lenient);
    });
};
