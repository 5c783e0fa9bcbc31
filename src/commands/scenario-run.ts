// What a scenario command runs: the named scenario (or fio's jobs on it, --job; its devices on another QEMU loop, --qemu-loop) and for how long (--requests, --duration, or the jobs' own end).
import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import { withFioJobs } from '../fio/index.js';
import { scenario, type ScenarioSpec } from '../sim/index.js';

/** The options every scenario command reads. */
export interface ScenarioRunOptions {
  scenario: string;
  job?: string;
  /** Where QEMU runs every disk of every VM: 'iothread' or 'main' (absent: as the scenario says). */
  qemuLoop?: string;
  requests?: number;
  duration?: number;
}

/** A scenario run as asked: its spec and its length (neither: the scenario's, or its jobs', own). */
export interface ScenarioRun {
  spec: ScenarioSpec;
  requests?: number;
  durationNs?: number;
  /** Whether the length comes from a fio job (its runtime, size or number_ios), not from the scenario's request count. */
  jobEnds: boolean;
}

/**
 * The run `command` was asked for. --job FILE puts the jobs of a fio job file (or of fio's JSON
 * output) on the scenario's first disk; its runtime is the run's duration unless --requests or
 * --duration say otherwise, and a job with an end (size, io_size, number_ios) ends the run when
 * done. What fio would do that the simulation does not is printed as notes on stderr.
 */
export function scenarioRun(command: string, opts: ScenarioRunOptions): ScenarioRun {
  const named = scenario(opts.scenario);
  if (!named) throw new UsageError(`unknown scenario ${JSON.stringify(opts.scenario)} (viotrace scenarios lists them)`);
  if (opts.requests !== undefined && opts.duration !== undefined) throw new UsageError(`${command} takes --requests N or --duration SECONDS, not both`);
  let spec = named;
  let durationNs = opts.duration === undefined ? undefined : Math.round(opts.duration * 1e9);
  let jobEnds = false;
  if (opts.job !== undefined) {
    const j = withFioJobs(named, opts.job);
    for (const n of j.notes) process.stderr.write(`viotrace: note: ${n}\n`);
    spec = { ...j.spec, workload: basename(opts.job) };
    const ends = spec.vms[0]!.disks[0]!.jobs.some((x) => x.ioBytes !== undefined || x.ios !== undefined);
    if (opts.requests === undefined && durationNs === undefined) {
      durationNs = j.durationNs;
      jobEnds = ends || durationNs !== undefined;
    }
  }
  if (opts.qemuLoop !== undefined) {
    const loop = opts.qemuLoop;
    if (loop !== 'iothread' && loop !== 'main') throw new UsageError(`--qemu-loop takes iothread or main, not ${JSON.stringify(loop)}`);
    spec = { ...spec, vms: spec.vms.map((vm) => ({ ...vm, disks: vm.disks.map((d) => ({ ...d, loop })) })) };
  }
  return { spec, ...(opts.requests !== undefined ? { requests: opts.requests } : {}), ...(durationNs !== undefined ? { durationNs } : {}), jobEnds };
}

/** The --job option's help. */
export const JOB_HELP = "run the jobs of a fio job file, or of fio's JSON output, on the scenario's first disk (its runtime and size end the run)";

/** The --qemu-loop option's help. */
export const QEMU_LOOP_HELP = "where QEMU runs the virtio-blk devices: iothread (iothread=iothread0) or main (no iothread=, QEMU's default: the main loop); default: the scenario's";
