// The viotrace trace file format (version 1): a JSON header line, one JSON record per line, an end line.
import type { LostCounts, RecordKind, Topology } from '../records/index.js';

/** The `format` field of every viotrace trace header. */
export const TRACE_FORMAT = 'viotrace.trace';
/** The version this build writes and reads. */
export const TRACE_VERSION = 1;

/** Where a trace came from. */
export interface TraceSource {
  kind: 'scenario' | 'capture' | 'replay';
  /** Scenario name, or the capture's name. */
  name: string;
  seed?: number;
}

/** One side's clock: what its times mean and the raw value that time 0 stands for. */
export interface ClockDomainInfo {
  /** e.g. "guest-mono" (CLOCK_MONOTONIC in the VM), "host-mono". */
  domain: string;
  /** Raw clock value (ns, decimal string: it may exceed 2^53) that record time 0 stands for. */
  base: string;
}

/** The first line of a trace file. */
export interface TraceHeader {
  format: typeof TRACE_FORMAT;
  version: number;
  /** "viotrace 0.1.0". */
  tool: string;
  /** ISO time the recording started. */
  created: string;
  source: TraceSource;
  /** Hook names the records came from (e.g. "block:block_rq_issue", "virtio_queue_rq"). */
  hooks: string[];
  clocks: { guest: ClockDomainInfo; host: ClockDomainInfo };
  topology: Topology;
}

/** A line recording records lost before user space saw them (ring buffer full). */
export interface LostLine {
  kind: 'lost';
  side: keyof LostCounts;
  count: number;
}

/** The last line of a complete trace. */
export interface EndLine {
  kind: 'end';
  records: number;
  lost: LostCounts;
}

/**
 * Fields holding 64-bit identifiers (io_uring user_data, QEMU addresses, guest-physical
 * addresses): written as "0x..." hex strings because JSON numbers lose precision past 2^53.
 */
export const BIGINT_FIELDS: Readonly<Partial<Record<RecordKind, readonly string[]>>> = {
  guest_rq: ['appUserData'],
  guest_app_op: ['userData'],
  qemu_req: ['userData', 'vdev'],
  uring_op: ['userData'],
  kick: ['gpa'],
  notify: ['vdev'],
};

/** Numeric fields every record of a kind must carry (checked on read). */
export const NUMBER_FIELDS: Readonly<Record<RecordKind, readonly string[]>> = {
  guest_rq: ['dev', 'sector', 'nrSectors', 'error', 'hwq', 'vq', 'head', 'cpu', 'kickSeq', 'tBioQueue', 'tRqInsert', 'tRqIssue', 'tQueueRq', 'tVqAdd', 'tKick', 'tVringInterrupt', 'tCompleteRq', 'tRqComplete'],
  guest_app_op: ['pid', 'res', 'tSubmit', 'tComplete'],
  qemu_req: ['qemuPid', 'tid', 'vq', 'head', 'sector', 'nbytes', 'status', 'mergedCount', 'notifySeq', 'tHandle', 'tPop', 'tAio', 'tReqComplete'],
  uring_op: ['pid', 'tid', 'fd', 'offset', 'nbytes', 'res', 'tLuringSubmit', 'tSubmit', 'tComplete'],
  host_blk: ['dev', 'sector', 'nrSectors', 'error', 'pid', 'tInsert', 'tIssue', 'tComplete'],
  kick: ['qemuPid', 'tid', 't'],
  notify: ['qemuPid', 'tid', 'vq', 'seq', 'vector', 'tNotify', 'tInject'],
};
