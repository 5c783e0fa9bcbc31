// The JSON report's figures on real inputs keep the order interface.md's readers rely on (p50 <= ... <= max).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { repoRoot } from './shared.js';

interface Distribution { count: number; mean_ns: number; p50_ns: number; p90_ns: number; p99_ns: number; p999_ns: number; max_ns: number; lat_ns: { min: number; max: number; percentile: Record<string, number> } }
interface Report { total: Distribution; stages: (Distribution & { name: string })[]; groups: { key: string; total: Distribution; stages: (Distribution & { name: string })[] }[] }

/** Every way a distribution breaks its own order, as readable lines (empty when sound). */
function disorder(where: string, d: Distribution): string[] {
  if (d.count === 0) return [];
  const chain: [string, number][] = [['lat_ns.min', d.lat_ns.min], ['p50_ns', d.p50_ns], ['p90_ns', d.p90_ns], ['p99_ns', d.p99_ns], ['p999_ns', d.p999_ns], ['max_ns', d.max_ns]];
  const out: string[] = [];
  for (let i = 1; i < chain.length; i++) if (chain[i - 1]![1] > chain[i]![1]) out.push(`${where}: ${chain[i - 1]![0]} ${chain[i - 1]![1]} > ${chain[i]![0]} ${chain[i]![1]}`);
  if (d.mean_ns > d.max_ns || d.mean_ns < d.lat_ns.min) out.push(`${where}: mean_ns ${d.mean_ns} outside [${d.lat_ns.min}, ${d.max_ns}]`);
  if (d.lat_ns.max !== d.max_ns) out.push(`${where}: lat_ns.max ${d.lat_ns.max} != max_ns ${d.max_ns}`);
  for (const [p, v] of Object.entries(d.lat_ns.percentile)) if (v > d.max_ns || v < d.lat_ns.min) out.push(`${where}: percentile ${p} ${v} outside [${d.lat_ns.min}, ${d.max_ns}]`);
  return out;
}

function allDisorder(r: Report): string[] {
  const out = disorder('total', r.total);
  for (const s of r.stages) out.push(...disorder(`stage ${s.name}`, s));
  for (const g of r.groups) {
    out.push(...disorder(`group ${g.key} total`, g.total));
    for (const s of g.stages) out.push(...disorder(`group ${g.key} stage ${s.name}`, s));
  }
  return out;
}

describe('report distributions are ordered', () => {
  // Stages measured across the clock boundary have fractional nanoseconds (mapped host times): the
  // rounded percentiles must not pass the maximum they are clamped to.
  for (const input of ['traces/real/qd1-mixed', 'traces/real/qd16-mixed', 'traces/sim-baseline.jsonl.gz']) {
    it(`min <= p50 <= p90 <= p99 <= p999 <= max and mean within them: ${input}`, async () => {
      const r = await runCli(['report', `${repoRoot}/${input}`, '--format', 'json']);
      expect(r.code).toBe(0);
      expect(allDisorder(JSON.parse(r.out) as Report)).toEqual([]);
    });
  }
});

describe('OTLP spans of a real capture are at wall-clock times', () => {
  // The capture folder's manifest pairs CLOCK_REALTIME with the host's CLOCK_MONOTONIC; the clock
  // estimate takes guest times to the host's. Spans at 1970 would be dropped by a tracing backend's retention.
  it('traces/real/qd16-mixed: every span within the capture\'s clock pairs', async () => {
    const manifest = JSON.parse(readFileSync(`${repoRoot}/traces/real/qd16-mixed/manifest.json`, 'utf8')) as { clocks: { pairs: { realtime_ns: string }[] } };
    const times = manifest.clocks.pairs.map((p) => BigInt(p.realtime_ns));
    const r = await runCli(['report', `${repoRoot}/traces/real/qd16-mixed`, '--format', 'otlp']);
    expect(r.code).toBe(0);
    const spans = (JSON.parse(r.out) as { resourceSpans: { scopeSpans: { spans: { startTimeUnixNano: string; endTimeUnixNano: string }[] }[] }[] }).resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(spans.length).toBeGreaterThan(1000);
    for (const s of spans) {
      expect(BigInt(s.startTimeUnixNano) >= times[0]! && BigInt(s.endTimeUnixNano) <= times.at(-1)!).toBe(true);
    }
  });
});
