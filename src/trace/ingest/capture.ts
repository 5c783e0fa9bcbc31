// Reader for a capture-lab folder as a whole: manifest, the four streams, clock pairs, and the image's extents.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { withoutByteOrderMark } from '../source.js';
import type { ReadOptions } from './event.js';
import { fileOffsetToDeviceSector, fileRangeToDeviceRanges, parseFilefrag, type FileExtents, type SectorRange } from './fiemap.js';
import type { EventStream } from './event-stream.js';
import { readBpftrace, type BpftraceStream } from './bpftrace.js';
import { readFtrace } from './ftrace.js';
import { loadFormatDir } from './ftrace-grammars.js';
import type { EventFormat } from './print-fmt.js';
import { readQemuLog } from './qemu-log.js';

/** One simultaneous reading of host CLOCK_REALTIME and CLOCK_MONOTONIC. */
export interface ClockPair {
  /** `before` the run, `qemu_started` right after QEMU was spawned, `after` the run. */
  when: string;
  realtimeNs: bigint;
  monoNs: bigint;
  /** REALTIME was read on both sides of MONOTONIC; this is the gap, an error bound. */
  widthNs: number;
}

/** The parts of manifest.json (schema viotrace.capture/1) the readers rely on. */
export interface CaptureManifest {
  schema: 'viotrace.capture/1';
  job: { name: string; description: string; iodepth: number; script: string };
  made: { by: string; command: string; qemu_command: string; date_utc: string; accel: string };
  versions: { host_kernel: string; guest_kernel: string; qemu: string; fio: string; busybox: string };
  qemu: { pid: number; aio: string; cache: string; format: string; image_bytes: number };
  guest: Record<string, string>;
  host: { device: string; dev: number; major: number; minor: number; partition_start_sectors: number; loop: boolean };
  events: { guest: string[]; host: string[]; qemu: string[]; host_filters: Record<string, string> };
  clocks: {
    guest: string;
    qemu: string;
    host_iouring: string;
    host_block: string;
    pairs: { when: string; realtime_ns: string; mono_ns: string; width_ns: number }[];
  };
  files: {
    guest: string;
    qemu: string;
    host_iouring: string;
    host_block: string;
    console: string;
    extents: string;
    guest_formats: string;
    host_formats: string;
    fio: string[];
    /** scripts/bpftrace/viotrace-host.bt's output of the same run (capture.sh --host-bpftrace). */
    host_bpftrace?: string;
  };
}

/** An opened capture folder. The streams can be read any number of times, each call a fresh pass. */
export interface Capture {
  dir: string;
  manifest: CaptureManifest;
  clockPairs: ClockPair[];
  extents: FileExtents;
  /** The guest's tracefs text, taken from between the serial console's GUEST TRACE markers. */
  guest(options?: ReadOptions): EventStream;
  /** QEMU's log-backend trace (host CLOCK_REALTIME). */
  qemu(options?: ReadOptions): EventStream;
  /** The host's io_uring tracefs instance (host mono). */
  hostIouring(options?: ReadOptions): EventStream;
  /** The host's block tracefs instance (host mono; every request on the disk holding the image). */
  hostBlock(options?: ReadOptions): EventStream;
  /** viotrace-host.bt's output of the same run (KVM, QEMU's io_uring, host block), when the capture has it. */
  hostBpftrace?: (options?: ReadOptions) => BpftraceStream;
  /** The host device sector holding byte `offset` of the image (what QEMU's luring_co_submit offset names). */
  deviceSector(offset: number): number | undefined;
  /** The device sector ranges of an image byte range. */
  deviceRanges(offset: number, bytes: number): SectorRange[];
  /** Converts a QEMU log stamp (host CLOCK_REALTIME) to host CLOCK_MONOTONIC, interpolating between the pairs. */
  realtimeToHostMono(realtimeNs: bigint): bigint;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = withoutByteOrderMark(await readFile(path, 'utf8'));
  } catch {
    throw new InputError('no manifest.json: not a capture-lab folder', path);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`manifest is not JSON (${(err as Error).message})`, path);
  }
}

/** Checks the manifest's shape enough that later reads fail with a clear message, not a TypeError. */
function checkManifest(m: unknown, path: string): CaptureManifest {
  const x = m as Partial<CaptureManifest>;
  if (x?.schema !== 'viotrace.capture/1') throw new InputError(`unknown capture schema ${JSON.stringify(x?.schema)} (expected viotrace.capture/1)`, path);
  for (const k of ['job', 'versions', 'qemu', 'host', 'events', 'clocks', 'files'] as const) {
    if (typeof x[k] !== 'object' || x[k] === null) throw new InputError(`manifest lacks "${k}"`, path);
  }
  for (const k of ['guest', 'qemu', 'host_iouring', 'host_block', 'extents'] as const) {
    if (typeof x.files![k] !== 'string') throw new InputError(`manifest.files lacks "${k}"`, path);
  }
  return x as CaptureManifest;
}

/** Offset REALTIME − MONO at a given realtime, linear between the recorded pairs (NTP may slew REALTIME). */
export function realtimeToMono(pairs: ClockPair[], realtimeNs: bigint): bigint {
  const sorted = [...pairs].sort((a, b) => (a.realtimeNs < b.realtimeNs ? -1 : 1));
  const off = (p: ClockPair) => p.realtimeNs - p.monoNs;
  if (sorted.length === 0) throw new Error('no clock pairs');
  if (sorted.length === 1 || realtimeNs <= sorted[0].realtimeNs) return realtimeNs - off(sorted[0]);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (realtimeNs <= b.realtimeNs) {
      const span = b.realtimeNs - a.realtimeNs;
      const o = span === 0n ? off(a) : off(a) + ((off(b) - off(a)) * (realtimeNs - a.realtimeNs)) / span;
      return realtimeNs - o;
    }
  }
  return realtimeNs - off(sorted[sorted.length - 1]);
}

/** Opens a capture folder written by scripts/capture-lab/capture.sh. */
export async function openCapture(dir: string): Promise<Capture> {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = checkManifest(await readJson(manifestPath), manifestPath);
  const clockPairs: ClockPair[] = manifest.clocks.pairs.map((p, i) => {
    if (!/^\d+$/.test(p.realtime_ns) || !/^\d+$/.test(p.mono_ns)) throw new InputError(`clock pair ${i} is not integer nanoseconds`, manifestPath);
    return { when: p.when, realtimeNs: BigInt(p.realtime_ns), monoNs: BigInt(p.mono_ns), widthNs: p.width_ns };
  });
  const extentsPath = join(dir, manifest.files.extents);
  let extentsText: string;
  try {
    extentsText = withoutByteOrderMark(await readFile(extentsPath, 'utf8'));
  } catch {
    throw new InputError('missing extents file', extentsPath);
  }
  const extents = parseFilefrag(extentsText, extentsPath, manifest.host.partition_start_sectors ?? 0);
  const formats = async (sub: string | undefined): Promise<EventFormat[]> =>
    sub && existsSync(join(dir, sub)) ? loadFormatDir(join(dir, sub)) : [];
  // The kernels' own format files, so their exact print fmts are tried first.
  const guestFormats = await formats(manifest.files.guest_formats);
  const hostFormats = await formats(manifest.files.host_formats);
  const file = (name: string) => {
    const path = join(dir, name);
    if (!existsSync(path)) throw new InputError('capture file listed in the manifest is missing', path);
    return path;
  };
  return {
    dir,
    manifest,
    clockPairs,
    extents,
    guest: (o = {}) => readFtrace(file(manifest.files.guest), { ...o, source: 'guest', section: 'GUEST TRACE', formats: guestFormats }),
    qemu: (o = {}) => readQemuLog(file(manifest.files.qemu), o),
    hostIouring: (o = {}) => readFtrace(file(manifest.files.host_iouring), { ...o, source: 'host', formats: hostFormats }),
    hostBlock: (o = {}) => readFtrace(file(manifest.files.host_block), { ...o, source: 'host', formats: hostFormats }),
    ...(manifest.files.host_bpftrace ? { hostBpftrace: (o: ReadOptions = {}) => readBpftrace(file(manifest.files.host_bpftrace!), { ...o, side: 'host' }) } : {}),
    deviceSector: (offset) => fileOffsetToDeviceSector(extents, offset),
    deviceRanges: (offset, bytes) => fileRangeToDeviceRanges(extents, offset, bytes),
    realtimeToHostMono: (ns) => realtimeToMono(clockPairs, ns),
  };
}
