// Prometheus exposition: `le` buckets count observations <= the bound, and the text keeps the 0.0.4 format's rules.
import { describe, expect, it } from 'vitest';
import { RunStatistics, type RequestPath } from '../correlate/index.js';
import { guestTime, nanos } from '../records/index.js';
import { replayFile } from '../replay/index.js';
import { repoRoot } from '../../test/shared.js';
import { promReport, type ReportInput } from './index.js';

/** One sample line of an exposition. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Label values unescaped (\\, \" and \n are the only escapes the format has). */
function parseLabels(body: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < body.length && (m = re.exec(body))) {
    expect(out, `${where}: label ${m[1]} twice`).not.toHaveProperty(m[1]!);
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  expect(re.lastIndex, `${where}: labels {${body}} do not parse`).toBe(body.length);
  return out;
}

/**
 * Parses an exposition and checks the format's rules on the way: HELP and TYPE at most once per
 * family and before its samples, a family's samples together, every sample in a declared family,
 * no series twice, and histograms with ascending `le`, cumulative counts, +Inf equal to _count.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const series = new Set<string>();
  const finished = new Set<string>();
  let current = '';
  const familyOf = (name: string): string => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && types.get(base) === 'histogram' ? base : name;
  };
  text.slice(0, -1).split('\n').forEach((l, i) => {
    const where = `line ${i + 1}`;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(l);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (name !== current) {
        expect(finished.has(name), `${where}: family ${name} starts again`).toBe(false);
        if (current) finished.add(current);
        current = name;
      }
      if (kind === 'HELP') {
        expect(helps.has(name), `${where}: second HELP for ${name}`).toBe(false);
        expect(rest, `${where}: HELP escapes only \\\\ and \\n`).toMatch(/^(?:[^\\]|\\[\\n])*$/);
        helps.add(name);
      } else {
        expect(types.has(name), `${where}: second TYPE for ${name}`).toBe(false);
        expect(samples.some((s) => familyOf(s.name) === name), `${where}: TYPE after samples`).toBe(false);
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest);
        types.set(name, rest);
      }
      return;
    }
    expect(l.startsWith('#'), `${where}: a comment other than HELP/TYPE: ${l}`).toBe(false);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
    expect(m, `${where}: not a sample: ${l}`).not.toBeNull();
    const [, name, body, value] = m as unknown as [string, string, string | undefined, string];
    const family = familyOf(name);
    expect(types.has(family), `${where}: ${name} has no TYPE`).toBe(true);
    expect(family, `${where}: ${name} outside its family's block`).toBe(current);
    const labels = body ? parseLabels(body, where) : {};
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    expect(series.has(key), `${where}: duplicate series ${key}`).toBe(false);
    series.add(key);
    expect(value, `${where}: value`).toMatch(/^(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN)$/);
    samples.push({ name, labels, value: Number(value.replace('Inf', 'Infinity')) });
  });
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const byKey = new Map<string, { le: number[]; counts: number[]; sum?: number; count?: number }>();
    for (const s of samples) {
      if (familyOf(s.name) !== family) continue;
      const { le, ...rest } = s.labels;
      const k = JSON.stringify(Object.entries(rest).sort());
      if (!byKey.has(k)) byKey.set(k, { le: [], counts: [] });
      const h = byKey.get(k)!;
      if (s.name.endsWith('_bucket')) {
        expect(le, `${family}: a bucket without le`).toBeDefined();
        h.le.push(Number(le!.replace('Inf', 'Infinity')));
        h.counts.push(s.value);
      } else if (s.name.endsWith('_sum')) h.sum = s.value;
      else h.count = s.value;
    }
    for (const [k, h] of byKey) {
      for (let i = 1; i < h.le.length; i++) {
        expect(h.le[i]!, `${family} ${k}: le ascending`).toBeGreaterThan(h.le[i - 1]!);
        expect(h.counts[i]!, `${family} ${k}: cumulative`).toBeGreaterThanOrEqual(h.counts[i - 1]!);
      }
      expect(h.le.at(-1), `${family} ${k}: ends at +Inf`).toBe(Infinity);
      expect(h.count, `${family} ${k}: +Inf is _count`).toBe(h.counts.at(-1));
      expect(h.sum, `${family} ${k}: has _sum`).toBeDefined();
    }
  }
  return { types, samples };
}

/** The `le` buckets (bound in ns -> count) of one histogram series. */
function buckets(samples: Sample[], name: string, match: Record<string, string>): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || Object.entries(match).some(([k, v]) => s.labels[k] !== v)) continue;
    const le = s.labels.le!;
    out.set(le === '+Inf' ? Infinity : Math.round(Number(le) * 1e9), s.value);
  }
  return out;
}

/** A path with this total and one device stage of the same length. */
function path(i: number, total: number): RequestPath {
  return {
    vm: 'vm1', disk: 'vda', queue: 0, op: 'read', sector: 8 * i, nrSectors: 8, match: 'matched', sharedHostOp: 1,
    events: {}, stages: { device: nanos(total) }, total: nanos(total), start: guestTime(1_000_000 + i * 10_000),
  };
}

/** Report input of paths with these totals. */
function inputOf(totals: number[], name = 'exact'): ReportInput {
  const stats = new RunStatistics();
  totals.forEach((t, i) => stats.add(path(i, t)));
  return { source: { kind: 'trace', name }, stats, lost: { guest: 0, host: 0 }, unmatched: {}, slowest: [], durationNs: 1e6 };
}

describe('Prometheus le buckets', () => {
  it('count an observation exactly at a bound into that bound (<=), cumulatively', () => {
    const totals = [1023, 1024, 1024.5, 2047, 2048, 2048.25, 4096, 2 ** 20, 2 ** 31, 2 ** 34];
    const { samples } = parseExposition(promReport(inputOf(totals)));
    for (const [name, match] of [['viotrace_request_latency_seconds', {}], ['viotrace_stage_latency_seconds', { stage: 'device' }]] as const) {
      const b = buckets(samples, name, match);
      expect(b.get(1024)).toBe(2); // 1023, 1024
      expect(b.get(2048)).toBe(5); // + 1024.5, 2047, 2048
      expect(b.get(4096)).toBe(7); // + 2048.25, 4096
      expect(b.get(2 ** 19)).toBe(7);
      expect(b.get(2 ** 20)).toBe(8);
      expect(b.get(2 ** 30)).toBe(8);
      expect(b.get(2 ** 31)).toBe(9);
      expect(b.get(2 ** 33)).toBe(9);
      expect(b.get(2 ** 34)).toBe(10);
      expect(b.get(Infinity)).toBe(10);
      const sum = samples.find((s) => s.name === `${name}_sum` && Object.entries(match).every(([k, v]) => s.labels[k] === v))!;
      expect(sum.value).toBeCloseTo(totals.reduce((a, v) => a + v, 0) / 1e9, 12);
    }
  });

  it('escape a source name with quotes, backslashes and a newline, and parse back to it', () => {
    const name = 'a "b"\\c\nd';
    const { samples } = parseExposition(promReport(inputOf([1000, 3000], name)));
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) expect(s.labels.source).toBe(name);
  });

  it("equal the exact counts of a real capture's requests and stages, in a well-formed exposition", async () => {
    const r = await replayFile(`${repoRoot}/traces/real/qd16-mixed`, { keepPaths: 1_000_000 });
    const text = promReport(r.input);
    const { types, samples } = parseExposition(text);
    expect([...types.keys()]).toEqual([
      'viotrace_request_latency_seconds', 'viotrace_stage_latency_seconds', 'viotrace_requests_total', 'viotrace_requests_in_flight_at_end', 'viotrace_lost_records_total', 'viotrace_clock_offset_seconds',
    ]);
    // What the statistics count, from the paths themselves: no total for a host-only request or one with no stage.
    const totals: number[] = [];
    const stages = new Map<string, number[]>();
    for (const p of r.input.paths!) {
      const st = Object.entries(p.stages).filter(([, v]) => v !== undefined && v === v) as [string, number][];
      if (p.match === 'host_only' || (st.length === 0 && p.total === 0)) continue;
      totals.push(p.total);
      for (const [s, v] of st) {
        if (!stages.has(s)) stages.set(s, []);
        stages.get(s)!.push(v);
      }
    }
    const check = (name: string, match: Record<string, string>, values: number[]): void => {
      const b = buckets(samples, name, match);
      expect(b.size).toBe(26);
      for (const [bound, n] of b) expect(n, `${name} ${JSON.stringify(match)} le ${bound} ns`).toBe(values.filter((v) => v <= bound).length);
    };
    expect(totals.length).toBeGreaterThan(400);
    check('viotrace_request_latency_seconds', {}, totals);
    expect(stages.size).toBeGreaterThan(5);
    for (const [s, values] of stages) check('viotrace_stage_latency_seconds', { stage: s }, values);
    const count = samples.find((s) => s.name === 'viotrace_request_latency_seconds_count')!;
    expect(count.value).toBe(totals.length);
    // One level at a time: the top-level stages (parent="") sum to the request latency; each stage's parts to no more than it.
    const sumOf = (match: Record<string, string>): number => samples.filter((s) => s.name === 'viotrace_stage_latency_seconds_sum' && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
    const total = samples.find((s) => s.name === 'viotrace_request_latency_seconds_sum')!.value;
    expect(sumOf({ parent: '' })).toBeCloseTo(total, 6);
    const parents = new Set(samples.filter((s) => s.name === 'viotrace_stage_latency_seconds_sum' && s.labels.parent).map((s) => s.labels.parent!));
    expect([...parents]).toContain('host_io');
    for (const p of parents) expect(sumOf({ parent: p })).toBeLessThanOrEqual(sumOf({ stage: p }) * (1 + 1e-9));
  });
});
