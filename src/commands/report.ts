// `viotrace report (FILE | --scenario NAME) [--format ...] [-o OUT] [--lenient]`: writes a report.
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { fileError, UsageError } from '../errors.js';
import { STDOUT } from '../trace/index.js';
import { REPORT_FORMATS, renderReport, type ReportFormat, type ReportInput } from '../report/index.js';
import { replayFile, type ReplayResult } from '../replay/index.js';
import { checkNotInput, checkWritable, runAndReport, simThreads } from '../run/index.js';
import { JOB_HELP, QEMU_LOOP_HELP, scenarioRun } from './scenario-run.js';
import { hostEvents } from './host-events.js';
import type { CommandInstaller } from './index.js';
import { durationOption, integerOption, requestsOption, seedOption } from './options.js';

/** Prints the notes and the cut of a replay; returns the exit status (1 for a cut unless lenient). */
export function finishReplay(r: ReplayResult, lenient: boolean): number {
  for (const n of r.notes) process.stderr.write(`viotrace: note: ${n}\n`);
  if (r.skippedNote) process.stderr.write(`viotrace: note: ${r.skippedNote} (--lenient)\n`);
  else if (r.input.skippedLines) process.stderr.write(`viotrace: note: ${r.input.skippedLines} malformed lines skipped (--lenient)\n`);
  if (!r.cut) return 0;
  process.stderr.write(`viotrace: ${lenient ? 'warning: ' : ''}${r.cut.where}: ${r.cut.reason}\n`);
  return lenient ? 0 : 1;
}

/** Writes a report to `output`, or standard output (no output, or `-`); a file that cannot be written is an InputError naming it. */
function writeReport(output: string | undefined, text: string): void {
  if (!output || output === STDOUT) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(output, text);
  } catch (e) {
    throw fileError(e, output, 'write');
  }
}

/** How many stitched paths a Perfetto or OTLP export holds by default: they are kept in memory until written. */
const MAX_EXPORT_PATHS = 100_000;

/** The paths an export of `format` keeps (none for the summary formats). */
function exportPaths(format: ReportFormat, max: number): number {
  return format === 'perfetto' || format === 'otlp' ? max : 0;
}

/** Notes on stderr that an export left requests out, rather than a trace that silently ends early. */
function noteLeftOut(input: ReportInput, format: ReportFormat): void {
  const kept = input.paths?.length ?? 0;
  const m = input.stats.all.matches;
  const total = m.matched + m.guest_only + m.host_only;
  if (!input.paths || kept >= total) return;
  process.stderr.write(`viotrace: note: the ${format} export holds the first ${kept.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} requests (--max-paths sets the limit)\n`);
}

/** Installs `viotrace report`. */
export const installReport: CommandInstaller = (program: Command) => {
  program
    .command('report')
    .description('write a report of a trace file (viotrace trace or real tracefs capture) or a scenario')
    .argument('[file]', 'trace file: viotrace .jsonl[.gz] or .vtb[.gz], tracefs text (cat trace / trace-cmd report), a bpftrace capture or a capture folder')
    .option('--scenario <name>', 'run a scenario and report on it')
    .option('--job <file>', `${JOB_HELP} (with --scenario, or on baseline)`)
    .option('--qemu-loop <loop>', QEMU_LOOP_HELP)
    .addOption(new Option('--format <format>', 'report format').choices([...REPORT_FORMATS]).default('json'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output (- is standard output)')
    .option('--lenient', 'skip and count malformed lines; a cut file is a warning', false)
    .option('--host-events <from>', 'capture folder made with --host-bpftrace: the host events from tracefs or bpftrace', 'tracefs')
    .option('--slowest <n>', 'how many slowest requests to include', integerOption('--slowest', 0, 100_000), 20)
    .option('--seed <n>', 'with --scenario: the random seed', seedOption, 1)
    .option('--requests <n>', 'with --scenario: requests to complete', requestsOption)
    .option('--duration <seconds>', 'with --scenario, instead of --requests: simulated seconds to run for', durationOption)
    .option('--max-paths <n>', 'perfetto and otlp: the most requests to export (held in memory until written)', integerOption('--max-paths', 1, 100_000_000), MAX_EXPORT_PATHS)
    .action(async (file: string | undefined, opts: { scenario?: string; job?: string; qemuLoop?: string; format: ReportFormat; output?: string; lenient: boolean; hostEvents: string; slowest: number; seed: number; requests?: number; duration?: number; maxPaths: number }) => {
      if (opts.scenario || opts.job || opts.qemuLoop) {
        if (file) throw new UsageError(`report takes a trace FILE or ${opts.scenario ? '--scenario NAME' : opts.job ? '--job FILE' : '--qemu-loop'}, not both`);
        const { spec, requests, durationNs } = scenarioRun('report', { ...opts, scenario: opts.scenario ?? 'baseline' });
        // A run can take minutes: find out first that its report can be written.
        if (opts.output) checkWritable(opts.output);
        const run = runAndReport(spec, opts.seed, requests, undefined, false, exportPaths(opts.format, opts.maxPaths), simThreads(requests ?? spec.requests), durationNs, opts.slowest);
        writeReport(opts.output, renderReport(run.input, opts.format));
        noteLeftOut(run.input, opts.format);
        return;
      }
      if (!file) throw new UsageError('report needs a trace FILE (or --scenario NAME)');
      if (opts.output) {
        // Written over, the trace would be lost; and a long replay is not wasted on an output that cannot be written.
        checkNotInput(opts.output, file);
        checkWritable(opts.output);
      }
      const r = await replayFile(file, { lenient: opts.lenient, captureHost: hostEvents(opts.hostEvents), slowest: opts.slowest, keepPaths: exportPaths(opts.format, opts.maxPaths) });
      writeReport(opts.output, renderReport(r.input, opts.format));
      noteLeftOut(r.input, opts.format);
      process.exitCode = finishReplay(r, opts.lenient);
    });
};
