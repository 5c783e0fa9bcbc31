// Prometheus text exposition (format 0.0.4) of per-stage latency histograms and request counters.
import type { LatencyHistogram } from '../correlate/index.js';
import type { ReportInput } from './input.js';

/** Bucket bounds: powers of two from 2^10 ns (~1 us) to 2^34 ns (~17 s), which our histograms count exactly. */
const POW2_BOUNDS = Array.from({ length: 25 }, (_, i) => i + 10);

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function histogram(out: string[], name: string, labels: string, h: LatencyHistogram): void {
  for (const k of POW2_BOUNDS) out.push(`${name}_bucket{${labels}le="${2 ** k / 1e9}"} ${h.countAtMostPow2(k)}`);
  out.push(`${name}_bucket{${labels}le="+Inf"} ${h.count}`);
  out.push(`${name}_sum{${labels.replace(/,$/, '')}} ${h.sum / 1e9}`);
  out.push(`${name}_count{${labels.replace(/,$/, '')}} ${h.count}`);
}

/** Renders the Prometheus exposition. */
export function promReport(input: ReportInput): string {
  const out: string[] = [];
  const all = input.stats.all;
  const src = `source="${label(input.source.name)}",`;
  out.push('# HELP viotrace_request_latency_seconds Guest-visible latency of each request (first to last guest event).');
  out.push('# TYPE viotrace_request_latency_seconds histogram');
  histogram(out, 'viotrace_request_latency_seconds', src, all.total);
  // A stage's parts split its time again: each series says its parent stage ("" for a top-level one), so
  // that sums over stages can keep to one level ({parent=""} sums to the request latency).
  out.push('# HELP viotrace_stage_latency_seconds Time each request spent in each stage of its path; parts of a stage carry its name as parent, top-level stages parent="" (they sum to the request latency).');
  out.push('# TYPE viotrace_stage_latency_seconds histogram');
  for (const s of all.stageSummaries()) {
    histogram(out, 'viotrace_stage_latency_seconds', `${src}stage="${s.name}",side="${s.side}",parent="${s.parent ?? ''}",`, all.stages.get(s.name)!);
  }
  out.push('# HELP viotrace_requests_total Requests by match status.');
  out.push('# TYPE viotrace_requests_total counter');
  for (const [status, n] of Object.entries(all.matches)) out.push(`viotrace_requests_total{${src}match="${status}"} ${n}`);
  out.push('# HELP viotrace_requests_in_flight_at_end QEMU requests the guest had not reaped when its trace ended (in no match status).');
  out.push('# TYPE viotrace_requests_in_flight_at_end gauge');
  out.push(`viotrace_requests_in_flight_at_end{${src.replace(/,$/, '')}} ${input.inFlightAtEnd ?? 0}`);
  out.push('# HELP viotrace_lost_records_total Records lost before user space read them: drops at a full ring buffer, or, for a bpftrace capture, the program runs the kernel skipped.');
  out.push('# TYPE viotrace_lost_records_total counter');
  out.push(`viotrace_lost_records_total{${src}side="guest"} ${input.lost.guest}`);
  out.push(`viotrace_lost_records_total{${src}side="host"} ${input.lost.host}`);
  if (input.clock) {
    out.push('# HELP viotrace_clock_offset_seconds Estimated guest minus host clock offset.');
    out.push('# TYPE viotrace_clock_offset_seconds gauge');
    out.push(`viotrace_clock_offset_seconds{${src.replace(/,$/, '')}} ${input.clock.offsetNs / 1e9}`);
  }
  return out.join('\n') + '\n';
}
