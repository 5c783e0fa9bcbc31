// fio job descriptions (job files and fio's JSON output) read into the simulator's workload: what `--job FILE` runs.
import { readFileSync } from 'node:fs';
import { fileError, InputError } from '../errors.js';
import type { ScenarioSpec } from '../sim/index.js';
import { parseFioJobs } from './job-file.js';
import { fioWorkload, type FioWorkload } from './workload.js';

export { parseFioJobs, parseFioJson, parseJobFile } from './job-file.js';
export type { FioJobOptions, FioOption } from './job-file.js';
export { fioWorkload } from './workload.js';
export type { FioWorkload } from './workload.js';
export { parseSize, parseTimeNs } from './values.js';

/** A scenario with fio's jobs, and how long fio would have run them. */
export interface JobScenario {
  spec: ScenarioSpec;
  /** The jobs' runtime (ns), if they have one. */
  durationNs?: number;
  /** What was read but not simulated as written, one line each naming its place. */
  notes: string[];
}

/**
 * `spec` with the jobs of the fio job file or fio JSON output at `file` in place of its first
 * VM's first disk's jobs (the rest of the scenario, a noisy neighbour or a slow disk, stays).
 */
export function withFioJobs(spec: ScenarioSpec, file: string): JobScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fileError(e, file, 'read');
  }
  const vm = spec.vms[0], disk = vm?.disks[0];
  if (!vm || !disk) throw new InputError(`scenario ${spec.name} has no disk to run the jobs on`, file);
  const w: FioWorkload = fioWorkload(parseFioJobs(text, file), disk.sizeBytes);
  const vms = spec.vms.map((v, i) => (i === 0 ? { ...v, disks: v.disks.map((d, j) => (j === 0 ? { ...d, jobs: w.jobs } : d)) } : v));
  return { spec: { ...spec, vms }, ...(w.durationNs !== undefined ? { durationNs: w.durationNs } : {}), notes: w.notes };
}
