// fio job descriptions read into the simulator's jobs: real fio JSON outputs, a job file, fio's units and defaults, errors naming the line, and runs that end as fio's would.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, sharedPath } from '../../test/shared.js';
import { InputError } from '../errors.js';
import { runScenario, scenario } from '../sim/index.js';
import { fioWorkload, parseFioJobs, parseSize, parseTimeNs, withFioJobs } from './index.js';

const GiB = 2 ** 30;
const DISK = 64 * GiB;
const REAL = sharedPath('traces', 'real-guest');
const MIXED = join(repoRoot, 'test/fixtures/fio/mixed.fio');

/** The workload of a job file's text, for a 64 GiB disk. */
const jobsOf = (text: string): ReturnType<typeof fioWorkload> => fioWorkload(parseFioJobs(text, 'job.fio'), DISK);

/** The error (message with its place) reading `text` gives. */
function errorOf(text: string): string {
  try {
    jobsOf(text);
  } catch (e) {
    if (e instanceof InputError) return e.describe();
    throw e;
  }
  throw new Error('no error');
}

describe('fio values', () => {
  it('reads sizes as fio does: k, KiB and kB are 1024 with kb_base=1024, kB is 1000 with kb_base=1000', () => {
    expect(parseSize('4k', 'f:1', 'bs')).toBe(4096);
    expect(parseSize('4KiB', 'f:1', 'bs')).toBe(4096);
    expect(parseSize('4kB', 'f:1', 'bs')).toBe(4096);
    expect(parseSize('4kB', 'f:1', 'bs', 1000)).toBe(4000);
    expect(parseSize('4KiB', 'f:1', 'bs', 1000)).toBe(4096);
    expect(parseSize('1g', 'f:1', 'size')).toBe(GiB);
    expect(parseSize('512', 'f:1', 'bs')).toBe(512);
    expect(() => parseSize('4q', 'f:3', 'bs')).toThrow(/not a size/);
  });

  it('reads times in seconds unless a unit says otherwise', () => {
    expect(parseTimeNs('2', 'f:1', 'runtime')).toBe(2e9);
    expect(parseTimeNs('50ms', 'f:1', 'runtime')).toBe(50e6);
    expect(parseTimeNs('1m', 'f:1', 'runtime')).toBe(60e9);
    expect(() => parseTimeNs('5 fortnights', 'f:1', 'runtime')).toThrow(/not a time/);
  });
});

describe('fio JSON output', () => {
  it("reads the real guest runs' job options: randread 4k at iodepth 8, 3000 IOPS for 2 s over 256 MiB", () => {
    const w = fioWorkload(parseFioJobs(readFileSync(`${REAL}/randread-4k-qd8-io_uring.fio.json`, 'utf8'), 'f.json'), DISK);
    expect(w.jobs).toEqual([{ name: 'randread4k', rw: 'randread', bs: 4096, iodepth: 8, batch: 1, numjobs: 1, size: 256 * 2 ** 20, rateIops: 3000, ioBytes: 256 * 2 ** 20 }]);
    expect(w.durationNs).toBe(2e9);
    expect(w.notes).toEqual([]);
  });

  it('reads bsrange and rwmixread', () => {
    const w = fioWorkload(parseFioJobs(readFileSync(`${REAL}/randrw-4k-512k-qd32-io_uring.fio.json`, 'utf8'), 'f.json'), DISK);
    expect(w.jobs[0]).toMatchObject({ rw: 'randrw', bs: [4096, 512 * 1024], rwmixread: 70, iodepth: 32, rateIops: 1500 });
  });

  it('folds numjobs clones that fio reports apart into one job of numjobs', () => {
    const opts = { rw: 'randread', bs: '4k', numjobs: '3', direct: '1', ioengine: 'io_uring' };
    const out = { 'fio version': 'fio-3.36', jobs: [0, 1, 2].map(() => ({ jobname: 'r', 'job options': opts })) };
    const w = fioWorkload(parseFioJobs(JSON.stringify(out), 'f.json'), DISK);
    expect(w.jobs.map((j) => [j.name, j.numjobs])).toEqual([['r', 3]]);
  });
});

describe('fio job files', () => {
  it('applies [global] to each job, folds aliases, reads units, and ends jobs as fio would', () => {
    const w = jobsOf(readFileSync(MIXED, 'utf8'));
    expect(w.jobs).toEqual([
      { name: 'reads', rw: 'randread', bs: 4096, iodepth: 32, batch: 8, numjobs: 1, size: 2 * GiB, ioBytes: 2 * GiB },
      // bs=,64k: writes at 64k (the job only writes); time_based: no end but the runtime.
      { name: 'writes', rw: 'write', bs: 65536, iodepth: 4, batch: 1, numjobs: 2, size: 2 * GiB, rateIops: 500 },
    ]);
    expect(w.durationNs).toBe(50e6);
    expect(w.notes).toEqual([]);
  });

  it("takes fio's defaults and says what it simulates differently, naming the place", () => {
    const w = jobsOf('[j]\nrw=randrw\nfsync=8\n');
    expect(w.jobs).toEqual([{ name: 'j', rw: 'randrw', bs: 4096, iodepth: 1, batch: 1, numjobs: 1, size: DISK, ioBytes: DISK }]);
    expect(w.notes).toEqual([
      "job.fio:1: ioengine=psync (fio's default) simulated as io_uring: the block and virtio path is the same; the application's submission is io_uring's",
      "job.fio:1: buffered I/O (direct=0, fio's default) simulated as direct I/O: the guest page cache is not simulated",
      'job.fio:3: fsync=8: not simulated, ignored',
    ]);
  });

  it('names the line of what it cannot simulate or read', () => {
    expect(errorOf('[j]\nrw=randtrim\n')).toBe('job.fio:2: rw=randtrim: not simulated (read, write, randread, randwrite, randrw, rw/readwrite)');
    expect(errorOf('[j]\nrw=randrw\nbs=4k,16k\n')).toBe('job.fio:3: bs=4k,16k: reads and writes of different sizes in one job are not simulated (make two jobs)');
    expect(errorOf('[j]\nbssplit=4k/50:64k/50\n')).toMatch(/^job\.fio:2: bssplit is not simulated/);
    expect(errorOf('[j]\nbs=1000\n')).toMatch(/^job\.fio:2: bs: 1000 bytes: direct I\/O to a virtio-blk disk is in whole 512-byte sectors/);
    expect(errorOf('[j]\nsize=100g\n')).toMatch(/^job\.fio:2: size=100g: larger than the simulated disk/);
    expect(errorOf('iodepth=4\n[j]\n')).toMatch(/^job\.fio:1: option iodepth outside a section/);
    expect(errorOf('[j]\n\n  what is this?\n')).toMatch(/^job\.fio:3: not a section/);
    expect(errorOf('[global]\nrw=read\n')).toMatch(/^job\.fio: no job section/);
    expect(errorOf('[j]\niodepth=-1\n')).toMatch(/^job\.fio:2: iodepth=-1: must be an integer/);
  });

  it('lets a job override [global] and a later [global] apply only to the jobs after it', () => {
    const w = jobsOf('[global]\niodepth=8\n[a]\n[b]\niodepth=2\n[global]\niodepth=64\n[c]\n');
    expect(w.jobs.map((j) => [j.name, j.iodepth])).toEqual([['a', 8], ['b', 2], ['c', 64]]);
  });
});

describe('runs of fio jobs', () => {
  it('ends when every job has done its number_ios, with exactly that many I/Os', () => {
    const dir = mkdtempSync(join(tmpdir(), 'viotrace-fio-'));
    const file = join(dir, 'n.fio');
    writeFileSync(file, '[global]\nioengine=io_uring\ndirect=1\n[r]\nrw=randread\niodepth=16\nnumber_ios=700\nnumjobs=2\n');
    const { spec } = withFioJobs(scenario('baseline')!, file);
    const r = runScenario(spec, { seed: 1 });
    expect(r.appOps).toBe(1400);
    // 4 KiB random reads are neither split nor merged: one request each.
    expect(r.requests).toBe(1400);
  });

  it("ends at the job's size: 1 MiB written sequentially in 64 KiB is 16 I/Os", () => {
    const dir = mkdtempSync(join(tmpdir(), 'viotrace-fio-'));
    const file = join(dir, 'w.fio');
    writeFileSync(file, '[w]\nrw=write\nbs=64k\nsize=1m\niodepth=4\ndirect=1\nioengine=io_uring\n');
    const { spec } = withFioJobs(scenario('baseline')!, file);
    expect(runScenario(spec, { seed: 1 }).appOps).toBe(16);
  });

  it('keeps the rest of the scenario: the noisy neighbour still writes beside the jobs', () => {
    const { spec } = withFioJobs(scenario('noisy-neighbour')!, MIXED);
    expect(spec.vms[0]!.disks[0]!.jobs.map((j) => j.name)).toEqual(['reads', 'writes']);
    expect(spec.vms[1]!.disks[0]!.jobs).toEqual(scenario('noisy-neighbour')!.vms[1]!.disks[0]!.jobs);
  });
});
