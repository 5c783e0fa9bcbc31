// The plain-text report for terminals and logs.
import type { ReportInput } from './input.js';
import { formatNs } from './units.js';

/** Renders the text report. */
export function textReport(input: ReportInput): string {
  const all = input.stats.all;
  const m = all.matches;
  const out: string[] = [];
  const src = input.source;
  out.push(`viotrace report: ${src.kind} ${src.name}${src.seed !== undefined ? ` (seed ${src.seed})` : ''}${src.job ? ` with the fio jobs of ${src.job}` : ''}`);
  const seconds = input.durationNs / 1e9;
  out.push(
    `requests ${m.matched + m.guest_only + m.host_only}: matched ${m.matched}, guest only ${m.guest_only}, host only ${m.host_only}; ` +
      `lost records guest ${input.lost.guest}, host ${input.lost.host}` +
      (input.skippedLines ? `; skipped lines ${input.skippedLines}` : ''),
  );
  if (input.inFlightAtEnd) out.push(`in flight at the end: ${input.inFlightAtEnd} QEMU requests the guest had not reaped yet (in no count above)`);
  const reasons = Object.entries(input.unmatched).filter(([, n]) => n);
  if (reasons.length) out.push(`unmatched: ${reasons.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  if (seconds > 0) out.push(`over ${seconds.toFixed(3)}s: ${(all.total.count / seconds).toFixed(0)} IOPS, ${(all.bytes / seconds / 1048576).toFixed(1)} MiB/s`);
  if (input.clock) {
    const c = input.clock;
    out.push(`clock: guest - host = ${formatNs(c.offsetNs)} +- ${formatNs(c.uncertaintyNs)}, drift ${c.driftPpm.toFixed(2)} ppm${c.driftRangePpm ? ` (bounds allow ${c.driftRangePpm.min.toFixed(1)} to ${c.driftRangePpm.max.toFixed(1)})` : ''}${c.consistent ? '' : ' (INCONSISTENT bounds)'}`);
  }
  const t = all.totalSummary();
  out.push(`total: p50 ${formatNs(t.p50_ns)}  p90 ${formatNs(t.p90_ns)}  p99 ${formatNs(t.p99_ns)}  p99.9 ${formatNs(t.p999_ns)}  max ${formatNs(t.max_ns)}  mean ${formatNs(t.mean_ns)}`);
  out.push('');
  out.push(`${'stage'.padEnd(20)} ${'side'.padEnd(8)} ${'count'.padStart(8)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)} ${'share'.padStart(6)}`);
  for (const s of all.stageSummaries()) {
    const name = (s.parent ? '  ' : '') + s.name;
    out.push(`${name.padEnd(20)} ${s.side.padEnd(8)} ${String(s.count).padStart(8)} ${formatNs(s.p50_ns).padStart(9)} ${formatNs(s.p99_ns).padStart(9)} ${formatNs(s.max_ns).padStart(9)} ${(s.share * 100).toFixed(1).padStart(5)}%`);
  }
  if (input.slowest.length) {
    out.push('');
    out.push('slowest requests:');
    for (const p of input.slowest.slice(0, 5)) {
      const top = Object.entries(p.stages).sort(([, a], [, b]) => (b as number) - (a as number))[0];
      out.push(`  ${formatNs(p.total).padStart(9)}  ${p.vm}/${p.disk} q${p.queue < 0 ? '?' : p.queue} ${p.op} ${p.sector}+${p.nrSectors}${top ? `  (most in ${top[0]}: ${formatNs(top[1] as number)})` : ''}`);
    }
  }
  return out.join('\n') + '\n';
}
