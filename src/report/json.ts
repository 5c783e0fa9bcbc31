// The JSON report (schema viotrace.report/1, schemas/report.schema.json): design/interface.md fields plus fio-like percentiles.
import { summarize, type DistributionSummary, type LatencyHistogram, type PathStatistics, type RequestPath, type StageSummary } from '../correlate/index.js';
import type { ReportInput } from './input.js';

/** The percentiles fio reports by default, as fio's JSON keys them. */
export const FIO_PERCENTILES = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];

/** fio's latency block layout (`clat_ns`, `lat_ns`): min, max, mean, N and a percentile map. */
export interface FioLatency {
  min: number;
  max: number;
  mean: number;
  N: number;
  percentile: Record<string, number>;
}

/** A distribution in both layouts: interface.md's flat fields and fio's `lat_ns` block. */
export type ReportDistribution = DistributionSummary & { lat_ns: FioLatency };

/** fio's layout of a histogram; min and max rounded as the percentiles are, so none falls outside them. */
export function fioLatency(h: LatencyHistogram): FioLatency {
  const percentile: Record<string, number> = {};
  for (const p of FIO_PERCENTILES) percentile[p.toFixed(6)] = h.count ? Math.round(h.quantile(p / 100)) : 0;
  return { min: h.count ? Math.round(h.min) : 0, max: h.count ? Math.round(h.max) : 0, mean: h.count ? h.mean() : 0, N: h.count, percentile };
}

function distribution(h: LatencyHistogram): ReportDistribution {
  return { ...summarize(h), lat_ns: fioLatency(h) };
}

function stages(stats: PathStatistics): (StageSummary & { lat_ns: FioLatency })[] {
  return stats.stageSummaries().map((s) => ({ ...s, lat_ns: fioLatency(stats.stages.get(s.name)!) }));
}

/** A stitched request as the report shows it. */
export function pathJson(p: RequestPath): Record<string, unknown> {
  return {
    vm: p.vm, disk: p.disk, queue: p.queue, op: p.op, sector: p.sector, nr_sectors: p.nrSectors,
    match: p.match, ...(p.reason ? { reason: p.reason } : {}), shared_host_op: p.sharedHostOp,
    start_ns: p.start, total_ns: p.total, stages_ns: { ...p.stages }, events_ns: { ...p.events },
  };
}

/** Builds the JSON report object. */
export function jsonReport(input: ReportInput): Record<string, unknown> {
  const all = input.stats.all;
  const m = all.matches;
  const groups: Record<string, unknown>[] = [];
  for (const [dimension, map] of input.stats.groups) {
    for (const [key, s] of [...map].sort(([a], [b]) => a.localeCompare(b))) {
      // The correlator keys an unknown queue (a capture without the virtqueue) as q-1; it is shown as q?.
      groups.push({ dimension, key: dimension === 'queue' ? key.replace(/\/q-1$/, '/q?') : key, requests: s.matches.matched + s.matches.guest_only + s.matches.host_only, bytes: s.bytes, total: distribution(s.total), stages: stages(s) });
    }
  }
  const seconds = input.durationNs / 1e9;
  return {
    schema: 'viotrace.report/1',
    source: { ...input.source },
    requests: {
      total: m.matched + m.guest_only + m.host_only,
      matched: m.matched,
      guest_only: m.guest_only,
      host_only: m.host_only,
      // Requests an application op (io_uring SQE) submitted: the others are the kernel's own (readahead,
      // writeback), which an application's latency figures (fio's) do not include.
      with_app_op: all.stages.get('guest_submit')?.count ?? 0,
      lost: { ...input.lost },
      unmatched_reasons: { ...input.unmatched },
      // QEMU requests completed on the host that the guest had not reaped yet when its trace ended.
      in_flight_at_end: input.inFlightAtEnd ?? 0,
      ...(input.skippedLines ? { skipped_lines: input.skippedLines } : {}),
    },
    clock: input.clock
      ? { offset_ns: Math.round(input.clock.offsetNs), drift_ppm: input.clock.driftPpm, uncertainty_ns: Math.round(input.clock.uncertaintyNs), consistent: input.clock.consistent,
        ...(input.clock.driftRangePpm ? { drift_range_ppm: { min: input.clock.driftRangePpm.min, max: input.clock.driftRangePpm.max } } : {}) }
      : { offset_ns: 0, drift_ppm: 0, uncertainty_ns: 0, estimated: false },
    rates: { duration_s: seconds, iops: seconds > 0 ? (all.total.count / seconds) : 0, bytes_per_s: seconds > 0 ? all.bytes / seconds : 0 },
    total: distribution(all.total),
    stages: stages(all),
    groups,
    slowest: input.slowest.map(pathJson),
  };
}
