// A whole capture-lab folder as records and topology: guest tracefs through GuestAssembler, QEMU and host streams through HostAssembler.
import type { Extent as TopologyExtent, Topology, TraceRecord } from '../../records/index.js';
import { InputError } from '../../errors.js';
import { probeOfProgram } from '../../hooks/index.js';
import type { Capture } from './capture.js';
import { outOfOrderNote } from './event-order.js';
import type { EventStream } from './event-stream.js';
import { GuestAssembler } from './guest-assembler.js';
import { HostAssembler } from './host-assembler.js';

/** A capture turned into what the stitcher takes. */
export interface CaptureRecords {
  records: TraceRecord[];
  topology: Topology;
  /** What the capture lacked or what was left out, for the user. */
  notes: string[];
  /** Malformed lines skipped under `lenient`, over every stream. */
  skipped: number;
  /** The first few of them as `file:line: reason`. */
  skippedExamples: string[];
  /** Streams that ended early (a gzip fault, a last line cut short, a missing END marker or `# end` line), in reading order. */
  cuts: { where: string; reason: string }[];
}

/** Which recording of the host's kernel events to use. */
export interface CaptureRecordOptions {
  /** `tracefs` (the lab's instances, the default) or `bpftrace` (viotrace-host.bt's output of the same run). */
  host?: 'tracefs' | 'bpftrace';
  /** Skip and count malformed lines in every stream instead of stopping at the first. */
  lenient?: boolean;
}

/** The VM's name in reports of a capture. */
export const CAPTURE_VM = 'guest';

/**
 * Reads every stream of a capture and assembles records: guest requests on the guest's clock, QEMU,
 * io_uring and host block records on the host's monotonic clock (QEMU's realtime stamps converted
 * through the capture's clock pairs). The topology comes from the manifest and the image's extents.
 */
export async function captureRecords(capture: Capture, options: CaptureRecordOptions = {}): Promise<CaptureRecords> {
  const m = capture.manifest;
  const read = { lenient: options.lenient ?? false };
  const streams: EventStream[] = [];
  /** A stream, kept so its skipped lines are counted at the end. */
  const counted = <S extends EventStream>(stream: S): S => (streams.push(stream), stream);
  const guest = new GuestAssembler(CAPTURE_VM, false, read.lenient);
  let guestDev = 0;
  for await (const ev of counted(capture.guest(read))) {
    if (ev.name === 'block_rq_issue' && !guestDev) guestDev = Number(ev.fields.dev);
    guest.add(ev);
  }
  guest.finish();
  const host = new HostAssembler({ qemuPid: m.qemu.pid, hostDev: m.host.dev, realtimeToMono: (ns) => capture.realtimeToHostMono(ns), lenient: read.lenient });
  for await (const ev of counted(capture.qemu(read))) host.addQemu(ev);
  const notes: string[] = [];
  if (options.host === 'bpftrace') {
    if (!capture.hostBpftrace) throw new InputError('the capture has no bpftrace host stream (made without --host-bpftrace)', capture.dir);
    // One time-ordered stream of both kinds: each kind still reaches the assembler in time order.
    const bt = counted(capture.hostBpftrace(read));
    for await (const ev of bt) {
      if (ev.name.startsWith('io_uring_')) host.addIouring(ev);
      else if (ev.name.startsWith('block_')) host.addBlock(ev);
    }
    for (const d of bt.drops) {
      const hook = probeOfProgram(d.program, 'host');
      notes.push(`host: the kernel skipped the ${hook ? `${hook.kind}:${hook.name}` : d.program} program ${d.count} times (${d.reason})`);
    }
  } else {
    for await (const ev of counted(capture.hostIouring(read))) host.addIouring(ev);
    for await (const ev of counted(capture.hostBlock(read))) host.addBlock(ev);
  }
  host.finish();
  const x = capture.extents;
  const extents: TopologyExtent[] = x.extents.map((e) => ({
    fileOffset: e.logical * x.blockSize,
    deviceOffset: e.physical * x.blockSize + x.partitionStartSectors * 512,
    length: e.length * x.blockSize,
  }));
  const topology: Topology = {
    vms: [{
      name: CAPTURE_VM, qemuPid: m.qemu.pid, vcpus: 1,
      disks: [{
        name: 'vda', guestDev, vdev: host.vdev, numQueues: 1, queueSize: 256, notifyGpa: [], msiVector: [],
        hostFile: `${m.qemu.format} image`, hostDev: m.host.dev, extents,
      }],
    }],
    hostDevices: [{ dev: m.host.dev, name: m.host.device, model: 'captured' }],
  };
  if (guest.stats.outOfOrder) notes.push(outOfOrderNote(guest.stats, 'guest'));
  if (host.stats.outOfOrder) notes.push(outOfOrderNote(host.stats, 'host'));
  if (guest.stats.completionsWithoutIssue) notes.push(`${guest.stats.completionsWithoutIssue} guest completions of requests issued before the capture began were left out`);
  if (host.stats.unsubmitted) notes.push(`${host.stats.unsubmitted} QEMU requests had no io_uring submission in the capture (before tracing began)`);
  notes.push(`accel ${m.made.accel}: guest notifies and interrupts do not pass through KVM, so the capture has no kick or injection events`);
  const skipped = streams.reduce((n, st) => n + st.stats.skipped, 0);
  const skippedExamples = streams.flatMap((st) => st.stats.skippedExamples);
  const cuts = streams.flatMap((st) => (st.cut ? [st.cut] : []));
  return { records: [...guest.records, ...host.qemuReqs, ...host.uringOps, ...host.hostBlocks, ...host.notifies], topology, notes, skipped, skippedExamples, cuts };
}
