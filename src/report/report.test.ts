// Report formats: JSON against schemas/report.schema.json, Prometheus exposition grammar, Perfetto nesting, OTLP shape.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { RunStatistics, SlowestRequests, TOP_STAGES, type RequestPath } from '../correlate/index.js';
import { guestTime, nanos } from '../records/index.js';
import { repoRoot } from '../../test/shared.js';
import { jsonReport, otlpReport, perfettoReport, promReport, renderReport, textReport, type ReportInput } from './index.js';

/** A deterministic set of stitched paths: 2 VMs, reads and writes, overlapping in time. */
function paths(n: number): RequestPath[] {
  const out: RequestPath[] = [];
  for (let i = 0; i < n; i++) {
    const dev = 40_000 + ((i * 7919) % 90_000);
    const stages = {
      guest_queue: nanos(2_000 + (i % 13) * 100), guest_driver: nanos(3_000), notify: nanos(9_000 + (i % 5) * 500),
      vm_exit: nanos(1_000), qemu_wakeup: nanos(6_000), qemu_dispatch: nanos(2_000 + (i % 5) * 500),
      qemu_submit: nanos(12_000), host_io: nanos(dev + 7_000), host_queue: nanos(4_000), device: nanos(dev), host_completion: nanos(3_000),
      qemu_complete: nanos(15_000), interrupt: nanos(20_000), irq_inject: nanos(2_000), irq_delivery: nanos(18_000),
      guest_completion: nanos(6_000),
    };
    const total = TOP_STAGES.reduce((a, s) => a + ((stages as Record<string, number>)[s.name] ?? 0), 0);
    out.push({
      vm: i % 3 ? 'vm1' : 'vm2', disk: 'vda', queue: i % 4, op: i % 2 ? 'write' : 'read', sector: 2048 + i * 8, nrSectors: 8,
      match: i % 50 === 0 ? 'guest_only' : 'matched', ...(i % 50 === 0 ? { reason: 'host_record_lost' as const } : {}), sharedHostOp: 1,
      events: {}, stages, total: nanos(total), start: guestTime(1_000_000_000 + i * 20_000),
    });
  }
  return out;
}

function input(n = 500): ReportInput {
  const stats = new RunStatistics();
  const slow = new SlowestRequests(10);
  const ps = paths(n);
  for (const p of ps) (stats.add(p), slow.offer(p));
  return {
    source: { kind: 'scenario', name: 'baseline', seed: 7 }, stats, lost: { guest: 2, host: 1 }, unmatched: { host_record_lost: 10 },
    clock: { offsetNs: 50_000_123, driftPpm: 99.7, uncertaintyNs: 350, bandNs: 300, refHost: 0 as never, samples: { guestToHost: 10, hostToGuest: 10 }, consistent: true },
    slowest: slow.list(), durationNs: n * 20_000, paths: ps, epochNs: 1_795_549_769_000_000_000,
  };
}

describe('JSON report', () => {
  const schema = JSON.parse(readFileSync(`${repoRoot}/schemas/report.schema.json`, 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it('validates against schemas/report.schema.json', () => {
    const report = JSON.parse(renderReport(input(), 'json'));
    const ok = validate(report);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('is refused by the schema when a core field is missing (the schema can fail)', () => {
    const report = jsonReport(input());
    delete (report as Record<string, unknown>).clock;
    expect(validate(report)).toBe(false);
  });

  it('carries interface.md fields, fio percentiles and top-level shares summing to 1', () => {
    const r = jsonReport(input()) as any;
    expect(r.requests).toMatchObject({ total: 500, matched: 490, guest_only: 10, lost: { guest: 2, host: 1 } });
    expect(r.clock.offset_ns).toBe(50_000_123);
    const top = r.stages.filter((s: any) => !s.parent);
    expect(top.reduce((a: number, s: any) => a + s.share, 0)).toBeCloseTo(1, 9);
    expect(Object.keys(r.total.lat_ns.percentile)).toContain('99.900000');
    expect(r.groups.some((g: any) => g.dimension === 'vm' && g.key === 'vm2')).toBe(true);
    expect(r.slowest).toHaveLength(10);
    expect(r.slowest[0].total_ns).toBeGreaterThanOrEqual(r.slowest[9].total_ns);
  });
});

describe('text report', () => {
  it('lists every stage seen with its share', () => {
    const t = textReport(input());
    expect(t).toMatch(/requests 500: matched 490, guest only 10, host only 0; lost records guest 2, host 1/);
    for (const s of ['guest_queue', 'host_io', '  device', 'interrupt']) expect(t).toContain(s);
    expect(t).toMatch(/slowest requests:/);
  });
});

describe('Prometheus exposition', () => {
  it('is well formed with cumulative buckets ending at the count', () => {
    const text = promReport(input());
    const line = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? [-+0-9.eE]+(Inf)?$/;
    const series = new Map<string, number[]>();
    for (const l of text.trim().split('\n')) {
      if (l.startsWith('#')) {
        expect(l).toMatch(/^# (HELP|TYPE) /);
        continue;
      }
      expect(l).toMatch(line);
      const m = /^(viotrace_stage_latency_seconds_bucket)\{(.*?),le="([^"]+)"\} (\d+)$/.exec(l);
      if (m) {
        const key = m[2];
        if (!series.has(key)) series.set(key, []);
        series.get(key)!.push(Number(m[4]));
      }
    }
    expect(series.size).toBeGreaterThan(10);
    for (const counts of series.values()) {
      for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]);
    }
    expect(text).toMatch(/viotrace_stage_latency_seconds_count\{source="baseline",stage="device",side="host",parent="host_io"\} 500/);
  });
});

describe('Perfetto trace', () => {
  it('nests every slice inside the enclosing slice on its lane', () => {
    const { traceEvents } = perfettoReport(input(300));
    const slices = traceEvents.filter((e) => e.ph === 'X');
    expect(slices.filter((e) => e.cat === 'request')).toHaveLength(300);
    const byLane = new Map<string, typeof slices>();
    for (const s of slices) {
      const k = `${s.pid}/${s.tid}`;
      if (!byLane.has(k)) byLane.set(k, []);
      byLane.get(k)!.push(s);
    }
    const eps = 1e-6;
    for (const lane of byLane.values()) {
      lane.sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
      const stack: { end: number }[] = [];
      for (const s of lane) {
        while (stack.length && stack[stack.length - 1].end <= s.ts! + eps) stack.pop();
        if (stack.length) expect(s.ts! + s.dur!).toBeLessThanOrEqual(stack[stack.length - 1].end + eps);
        stack.push({ end: s.ts! + s.dur! });
      }
    }
    expect(traceEvents.some((e) => e.ph === 'M' && e.args?.name === 'vm1 host')).toBe(true);
  });
});

describe('OTLP trace JSON', () => {
  it('has one trace per request, spans parented within their parents, valid ids', () => {
    const out = otlpReport(input(50)) as any;
    const spans = out.resourceSpans[0].scopeSpans[0].spans as any[];
    const traces = new Set(spans.map((s) => s.traceId));
    expect(traces.size).toBe(50);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    expect(byId.size).toBe(spans.length);
    for (const s of spans) {
      expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(BigInt(s.startTimeUnixNano) <= BigInt(s.endTimeUnixNano)).toBe(true);
      if (s.parentSpanId) {
        const p = byId.get(s.parentSpanId);
        expect(p.traceId).toBe(s.traceId);
        expect(BigInt(s.startTimeUnixNano) >= BigInt(p.startTimeUnixNano)).toBe(true);
        expect(BigInt(s.endTimeUnixNano) <= BigInt(p.endTimeUnixNano)).toBe(true);
      }
    }
    expect(spans[0].startTimeUnixNano.startsWith('17955497')).toBe(true);
  });
});

describe('an unknown queue (-1: a capture without the virtqueue)', () => {
  const unknownQueue = (): ReportInput => {
    const stats = new RunStatistics();
    const slow = new SlowestRequests(10);
    const ps = paths(20).map((p) => ({ ...p, queue: -1 }));
    for (const p of ps) (stats.add(p), slow.offer(p));
    return { ...input(20), stats, slowest: slow.list(), paths: ps };
  };
  it('is q? in text and in the JSON group keys', () => {
    const text = textReport(unknownQueue());
    expect(text).toMatch(/ vm\d\/vda q\? (read|write) /);
    expect(text).not.toContain('q-1');
    const keys = (jsonReport(unknownQueue()).groups as { dimension: string; key: string }[]).filter((g) => g.dimension === 'queue').map((g) => g.key);
    expect(keys).toEqual(['vm1/vda/q?', 'vm2/vda/q?']);
  });
  it('has no queue attribute in OTLP and no queue arg in Perfetto', () => {
    expect(JSON.stringify(otlpReport(unknownQueue()))).not.toContain('viotrace.queue');
    const requests = perfettoReport(unknownQueue()).traceEvents.filter((e) => e.cat === 'request');
    expect(requests.length).toBeGreaterThan(0);
    for (const e of requests) expect(e.args).not.toHaveProperty('queue');
  });
});

describe('Prometheus bucket bounds', () => {
  it('are the powers of two in seconds exactly, and lost records are described for both kinds of source', () => {
    const text = promReport(input());
    const bounds = [...text.matchAll(/viotrace_request_latency_seconds_bucket\{[^}]*le="([^"]+)"\}/g)].map((m) => m[1]!).filter((b) => b !== '+Inf');
    expect(bounds).toHaveLength(25);
    bounds.forEach((b, i) => expect(Number(b)).toBe(2 ** (i + 10) / 1e9));
    expect(bounds).toContain('0.268435456');
    expect(text).toContain('# HELP viotrace_lost_records_total Records lost before user space read them: drops at a full ring buffer, or, for a bpftrace capture, the program runs the kernel skipped.');
  });
});
