// The viotrace trace file format (version 1): a header, records, lost counts and an end mark, in JSON Lines or binary.
import type { LostCounts, Topology } from '../records/index.js';

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
  /** With a scenario: the fio job description its workload was read from (`--job`). */
  job?: string;
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

/** How a trace file's records are encoded: JSON Lines (the default) or the compact binary form (docs/trace-format.md). */
export type TraceEncoding = 'jsonl' | 'binary';

/** The encoding a file name asks for: binary for `.vtb` (and `.vtb.gz`), JSON Lines otherwise. */
export function encodingFor(path: string): TraceEncoding {
  return /\.vtb(\.gz)?$/i.test(path) ? 'binary' : 'jsonl';
}

/** What is known after the last record has been read. */
export interface TraceSummary {
  records: number;
  lost: LostCounts;
  /** Malformed lines (binary: entries) skipped in lenient mode. */
  skipped: number;
  /** Binary: corrupt frames whose entries were skipped in lenient mode (absent when none, and for JSON Lines). */
  skippedFrames?: number;
  /** Set when the file ends before its end line (a cut recording) or its gzip stream is truncated. */
  cut?: { where: string; reason: string };
}
