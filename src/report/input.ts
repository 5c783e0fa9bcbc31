// What a report is made from: the correlator's published results for a run or a trace.
import type { ClockEstimate, RequestPath, RunStatistics, UnmatchedReason } from '../correlate/index.js';
import type { LostCounts } from '../records/index.js';

/** Where the requests came from (design/interface.md `source`). */
export interface ReportSource {
  kind: 'scenario' | 'trace';
  name: string;
  seed?: number;
  /** With a scenario: the fio job description its workload was read from (`--job`). */
  job?: string;
}

/** Everything a report format needs. */
export interface ReportInput {
  source: ReportSource;
  stats: RunStatistics;
  lost: LostCounts;
  /** Unmatched requests by reason. */
  unmatched: Partial<Record<UnmatchedReason, number>>;
  /** The clock estimate, absent when the trace has one side only. */
  clock?: ClockEstimate;
  /** The slowest requests with their full paths, slowest first. */
  slowest: RequestPath[];
  /**
   * QEMU requests the guest had not reaped when its trace ended (completed after the last one it
   * reaped on their queue): in no request count, neither matched nor host-only.
   */
  inFlightAtEnd?: number;
  /** Malformed input lines skipped in lenient mode. */
  skippedLines?: number;
  /** Guest time span covered (ns), for rates. */
  durationNs: number;
  /** Paths to export as traces (Perfetto, OTLP); the slowest are used when absent. */
  paths?: RequestPath[];
  /** Unix time (ns) of guest time 0, to put exported spans at wall-clock times; 0 if unknown. */
  epochNs?: number;
}
