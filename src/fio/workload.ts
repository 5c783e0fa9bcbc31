// fio jobs as the simulator's workload: each job's options read with fio's defaults and meanings into a JobSpec, with how long fio would run them.
import { InputError } from '../errors.js';
import type { JobSpec, RwMode } from '../sim/index.js';
import type { FioJobOptions, FioOption } from './job-file.js';
import { parseFlag, parseInteger, parseSize, parseTimeNs, perDirection, type KbBase } from './values.js';

/** What a job description makes: the jobs, how long fio would run, and what was read but not simulated. */
export interface FioWorkload {
  jobs: JobSpec[];
  /** The longest runtime= of the jobs (ns): fio's run ends there, if not before. */
  durationNs?: number;
  /** One line per option read but not simulated as written (each naming its place): printed as notes, never silent. */
  notes: string[];
}

/** Options that change nothing the simulated disk sees: accepted without a note (reporting, file naming, buffer contents, CPU pinning). */
const NO_EFFECT = new Set([
  'name', 'description', 'filename', 'directory', 'filename_format', 'group_reporting', 'thread', 'randrepeat', 'randseed', 'norandommap',
  'random_generator', 'invalidate', 'gtod_reduce', 'clocksource', 'percentile_list', 'lat_percentiles', 'clat_percentiles', 'slat_percentiles',
  'disable_lat', 'disable_clat', 'disable_slat', 'disable_bw_measurement', 'stats', 'unified_rw_reporting', 'write_lat_log', 'write_bw_log',
  'write_iops_log', 'write_hist_log', 'log_avg_msec', 'log_hist_msec', 'per_job_logs', 'allow_mounted_write', 'exitall', 'create_on_open',
  'overwrite', 'refill_buffers', 'buffer_compress_percentage', 'buffer_compress_chunk', 'scramble_buffers', 'zero_buffers', 'cpus_allowed',
  'cpus_allowed_policy', 'cpumask', 'numa_cpu_nodes', 'numa_mem_policy', 'fixedbufs', 'registerfiles', 'iodepth_batch_complete_min',
  'iodepth_batch_complete_max', 'iodepth_batch_complete', 'iodepth_low', 'offset', 'fallocate', 'unlink', 'kb_base', 'significant_figures',
  'output-format', 'eta', 'status-interval', 'size', 'io_size', 'io_limit', 'filesize', 'nrfiles', 'file_service_type', 'lockmem', 'ioscheduler',
]);

/** The options read into the JobSpec (NO_EFFECT holds the rest that are accepted quietly). */
const READ = new Set([
  'rw', 'readwrite', 'bs', 'blocksize', 'bsrange', 'blocksize_range', 'iodepth', 'iodepth_batch_submit', 'iodepth_batch', 'numjobs',
  'rwmixread', 'rwmixwrite', 'rate_iops', 'rate', 'runtime', 'timeout', 'time_based', 'number_ios', 'ioengine', 'direct', 'buffered',
  'ramp_time', 'stonewall', 'wait_for_previous', 'new_group', 'startdelay', 'bssplit', 'loops',
]);

const RW: Record<string, RwMode> = {
  read: 'read', write: 'write', randread: 'randread', randwrite: 'randwrite', randrw: 'randrw', rw: 'readwrite', readwrite: 'readwrite',
};

/** The last value given for each key among `options`, by fio's canonical name (aliases folded). */
function lastOf(options: FioOption[]): Map<string, FioOption> {
  const alias: Record<string, string> = { readwrite: 'rw', blocksize: 'bs', blocksize_range: 'bsrange', iodepth_batch: 'iodepth_batch_submit', timeout: 'runtime', io_limit: 'io_size' };
  const m = new Map<string, FioOption>();
  for (const o of options) m.set(alias[o.key] ?? o.key, o);
  return m;
}

/**
 * Reads fio jobs into the simulator's JobSpecs for a disk of `diskBytes`, with fio's defaults
 * (rw=read, bs=4k, iodepth=1, iodepth_batch_submit=1, numjobs=1, size = the whole disk) and stop
 * rules: a job does `io_size` (default `size`) bytes or `number_ios` I/Os, or runs for `runtime`,
 * whichever ends first; with time_based it runs for `runtime` only. What the simulation cannot do
 * as written is an error naming the option's place (trims, bssplit, per-direction sizes of a job
 * that does both); what it does differently is a note (another ioengine, buffered I/O, ramp_time).
 */
export function fioWorkload(jobs: FioJobOptions[], diskBytes: number): FioWorkload {
  const notes: string[] = [];
  const specs: JobSpec[] = [];
  let durationNs: number | undefined;
  const noted = new Set<string>();
  const note = (key: string, text: string): void => {
    if (!noted.has(key)) noted.add(key), notes.push(text);
  };
  for (const job of jobs) {
    const o = lastOf(job.options);
    const value = (key: string): string | undefined => o.get(key)?.value;
    const at = (key: string): string => o.get(key)?.where ?? job.where;
    const kbBase = (o.has('kb_base') ? parseInteger(value('kb_base') ?? '', at('kb_base'), 'kb_base', 1000, 1024) : 1024) as KbBase;
    if (kbBase !== 1000 && kbBase !== 1024) throw new InputError(`kb_base=${kbBase}: must be 1000 or 1024`, at('kb_base'));
    const size = (key: string): number | undefined => (value(key) === undefined ? undefined : parseSize(value(key)!, at(key), key, kbBase));
    const int = (key: string, min: number, max?: number): number | undefined => (value(key) === undefined ? undefined : parseInteger(value(key)!, at(key), key, min, max));
    const flag = (key: string): boolean => o.has(key) && parseFlag(value(key), at(key), key);

    const rwText = (value('rw') ?? 'read').trim();
    if (rwText.includes(':')) throw new InputError(`rw=${rwText}: the offset modifier (:N) is not simulated`, at('rw'));
    const rw = RW[rwText];
    if (!rw) throw new InputError(`rw=${rwText}: not simulated (read, write, randread, randwrite, randrw, rw/readwrite)`, at('rw'));
    const reads = rw !== 'write' && rw !== 'randwrite', writes = rw !== 'read' && rw !== 'randread';
    if (o.has('bssplit')) throw new InputError('bssplit is not simulated: give bs or bsrange', at('bssplit'));

    // Block size: one for each direction the job does (fio's default 4k), or a range.
    const blockFor = (key: 'bs' | 'bsrange', text: string | undefined, parse: (s: string) => number | [number, number]): number | [number, number] | undefined => {
      if (text === undefined) return undefined;
      const dir = perDirection(text);
      const r = reads && dir.read ? parse(dir.read) : undefined;
      const w = writes && dir.write ? parse(dir.write) : undefined;
      if (r !== undefined && w !== undefined && JSON.stringify(r) !== JSON.stringify(w)) throw new InputError(`${key}=${text}: reads and writes of different sizes in one job are not simulated (make two jobs)`, at(key));
      return r ?? w;
    };
    const range = (s: string): [number, number] => {
      const [lo, hi] = s.split('-').map((x) => parseSize(x, at('bsrange'), 'bsrange', kbBase));
      if (lo === undefined || hi === undefined || hi < lo) throw new InputError(`bsrange=${s}: must be MIN-MAX (e.g. 4k-512k)`, at('bsrange'));
      return [lo, hi];
    };
    const bs = blockFor('bsrange', value('bsrange'), range) ?? blockFor('bs', value('bs'), (s) => parseSize(s, at('bs'), 'bs', kbBase)) ?? 4096;
    for (const b of typeof bs === 'number' ? [bs] : bs) {
      const key = typeof bs === 'number' ? 'bs' : 'bsrange';
      if (b < 512 || b % 512 !== 0) throw new InputError(`${key}: ${b} bytes: direct I/O to a virtio-blk disk is in whole 512-byte sectors`, at(key));
      if (typeof bs !== 'number' && b % 4096 !== 0) throw new InputError(`bsrange: ${b} bytes: a range's sizes are simulated in 4 KiB steps (give multiples of 4k)`, at(key));
    }
    const maxBs = typeof bs === 'number' ? bs : bs[1];

    const iodepth = int('iodepth', 1, 65536) ?? 1;
    const batchGiven = int('iodepth_batch_submit', 0, 65536) ?? 1;
    const batch = Math.min(iodepth, batchGiven === 0 ? iodepth : batchGiven);
    const numjobs = job.clones > 1 ? job.clones : (int('numjobs', 1, 1024) ?? 1);
    let rwmixread = int('rwmixread', 0, 100);
    if (rwmixread === undefined && o.has('rwmixwrite')) rwmixread = 100 - int('rwmixwrite', 0, 100)!;

    // Where the job's I/O goes: size= of the disk (or a share of it), default all of it.
    let region = diskBytes;
    const sizeText = value('size');
    if (sizeText !== undefined) {
      const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(sizeText);
      region = pct ? Math.floor((diskBytes * Number(pct[1])) / 100) : parseSize(sizeText, at('size'), 'size', kbBase);
      if (region > diskBytes) throw new InputError(`size=${sizeText}: larger than the simulated disk (${diskBytes / 2 ** 30} GiB)`, at('size'));
      if (region < maxBs) throw new InputError(`size=${sizeText}: smaller than one block (${maxBs} bytes)`, at('size'));
    }

    // The rate: IOPS, or bandwidth over a fixed block size.
    let rateIops: number | undefined;
    const rateOf = (key: 'rate_iops' | 'rate', per: (s: string) => number): number | undefined => {
      const text = value(key);
      if (text === undefined) return undefined;
      const dir = perDirection(text);
      const r = reads && dir.read ? per(dir.read) : undefined, w = writes && dir.write ? per(dir.write) : undefined;
      if (r !== undefined && w !== undefined && r !== w) throw new InputError(`${key}=${text}: different rates for reads and writes are not simulated`, at(key));
      return r ?? w;
    };
    rateIops = rateOf('rate_iops', (s) => parseInteger(s, at('rate_iops'), 'rate_iops', 1));
    if (rateIops === undefined && o.has('rate')) {
      if (typeof bs !== 'number') throw new InputError('rate= (bandwidth) with bsrange is not simulated: give rate_iops', at('rate'));
      rateIops = rateOf('rate', (s) => Math.max(1, Math.round(parseSize(s, at('rate'), 'rate', kbBase) / bs)));
    }

    // When it ends: time_based runs for runtime; otherwise io_size (default size) bytes or number_ios I/Os, or runtime, whichever first.
    const runtime = value('runtime') === undefined ? undefined : parseTimeNs(value('runtime')!, at('runtime'), 'runtime');
    const timeBased = flag('time_based');
    if (runtime !== undefined) durationNs = Math.max(durationNs ?? 0, runtime);
    const loops = int('loops', 1) ?? 1;
    const ioBytes = timeBased ? undefined : (size('io_size') ?? region) * loops;
    const ios = timeBased ? undefined : int('number_ios', 1);
    if (timeBased && runtime === undefined) note(`${job.where} time_based`, `${at('time_based')}: time_based without runtime: fio would run until stopped; the run stops at --requests or --duration`);

    const engine = value('ioengine') ?? 'psync';
    if (engine !== 'io_uring') note(`engine ${engine}`, `${at('ioengine')}: ioengine=${engine}${o.has('ioengine') ? '' : " (fio's default)"} simulated as io_uring: the block and virtio path is the same; the application's submission is io_uring's`);
    if (!flag('direct') || flag('buffered')) note(`direct ${job.where}`, `${o.has('direct') ? at('direct') : job.where}: buffered I/O (direct=0, fio's default) simulated as direct I/O: the guest page cache is not simulated`);
    if (o.has('ramp_time')) note('ramp_time', `${at('ramp_time')}: ramp_time: the report covers the whole run, ramp included`);
    for (const k of ['stonewall', 'wait_for_previous', 'new_group'] as const) if (o.has(k)) note(k, `${at(k)}: ${k}: the jobs run together, not one after another`);
    if (o.has('startdelay')) note('startdelay', `${at('startdelay')}: startdelay: jobs start together`);
    for (const opt of job.options) {
      if (READ.has(opt.key) || NO_EFFECT.has(opt.key)) continue;
      note(`ignored ${opt.key}`, `${opt.where}: ${opt.key}${opt.value === undefined ? '' : `=${opt.value}`}: not simulated, ignored`);
    }
    specs.push({
      name: value('name') ?? job.name, rw, bs, iodepth, batch, numjobs, size: region,
      ...(rwmixread !== undefined ? { rwmixread } : {}), ...(rateIops !== undefined ? { rateIops } : {}),
      ...(ioBytes !== undefined ? { ioBytes } : {}), ...(ios !== undefined ? { ios } : {}),
    });
  }
  return { jobs: specs, ...(durationNs !== undefined ? { durationNs } : {}), notes };
}
