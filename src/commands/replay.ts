// `viotrace replay FILE [--speed N] [--json] [--no-tui]`: replays a trace through the correlator into a summary.
import type { Command } from 'commander';
import { renderReport } from '../report/index.js';
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { replayFile, type ReplayOptions, type ReplayResult } from '../replay/index.js';
import { Playback, runDashboard } from '../tui/index.js';
import { finishReplay } from './report.js';
import { hostEvents } from './host-events.js';
import type { CommandInstaller } from './index.js';
import { speedOption } from './options.js';

/** Installs `viotrace replay`. */
export const installReplay: CommandInstaller = (program: Command) => {
  program
    .command('replay')
    .description('replay a trace file (viotrace trace or real tracefs capture) through the correlator')
    .argument('<file>', 'trace file (.jsonl[.gz] or .vtb[.gz]), tracefs text, a bpftrace capture or a capture folder')
    .option('--speed <n>', 'dashboard: replay speed, trace time per wall time (1/64 to 1024)', speedOption, 1)
    .option('--json', 'print the JSON report', false)
    .option('--no-tui', 'print a text summary instead of the dashboard')
    .option('--lenient', 'skip and count malformed lines; a cut file is a warning', false)
    .option('--host-events <from>', 'capture folder made with --host-bpftrace: the host events from tracefs or bpftrace', 'tracefs')
    .action(async (file: string, opts: { json: boolean; lenient: boolean; hostEvents: string; tui: boolean; speed: number }) => {
      const dashboard = opts.tui && !opts.json && process.stdout.isTTY === true && process.stdin.isTTY === true;
      const replayOpts = { lenient: opts.lenient, captureHost: hostEvents(opts.hostEvents) };
      if (!dashboard) {
        const r = await replayFile(file, replayOpts);
        process.stdout.write(renderReport(r.input, opts.json ? 'json' : 'text'));
        process.exitCode = finishReplay(r, opts.lenient);
        return;
      }
      const r = await playFile(file, replayOpts, opts.speed);
      if (r) process.exitCode = finishReplay(r, opts.lenient);
    });
};

/**
 * The dashboard over a file read as it plays: paths go to the playback as they are stitched, the
 * reader waiting whenever enough are queued, so a trace of any length plays in bounded memory. A
 * backward seek past the history the playback keeps reads the file again from its start. An error
 * in the file shows in the dashboard and is raised when it closes.
 */
async function playFile(file: string, replayOpts: ReplayOptions, speed: number): Promise<ReplayResult | undefined> {
  const playback = new Playback([], basename(file));
  playback.speed = speed > 0 ? speed : 1;
  let controller: AbortController | undefined;
  let result: ReplayResult | undefined;
  let failure: unknown;
  let started!: () => void;
  const first = new Promise<void>((resolve) => (started = resolve));
  const load = (): void => {
    controller?.abort();
    const c = (controller = new AbortController());
    playback.reading = true;
    replayFile(file, {
      ...replayOpts,
      onPath: (p) => {
        playback.push([p]);
        started();
      },
      room: () => playback.room(),
      signal: c.signal,
      onProgress: (p) => {
        if (c.signal.aborted) return;
        playback.source = p.name;
        playback.lost = p.lost;
        if (p.clock) playback.clockOffsetNs = p.clock.offsetNs;
      },
    }).then(
      (r) => {
        if (c.signal.aborted) return;
        result = r;
        playback.source = r.input.source.name;
        playback.lost = r.input.lost;
        if (r.input.clock) playback.clockOffsetNs = r.input.clock.offsetNs;
        playback.endOfInput();
        started();
      },
      (e: unknown) => {
        if (c.signal.aborted) return;
        failure = e;
        playback.problem = e instanceof InputError ? e.describe() : String(e);
        playback.endOfInput();
        started();
      },
    );
  };
  playback.reload = load;
  load();
  // A file that cannot be read at all (not found, another format) fails before the dashboard opens.
  await first;
  if (failure && playback.queued === 0) throw failure;
  await runDashboard(playback);
  controller?.abort();
  if (failure) throw failure;
  return result;
}
