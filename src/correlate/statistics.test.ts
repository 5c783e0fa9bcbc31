// RunStatistics: stage shares sum to 1 over top-level stages, groups split requests, the window forgets old slots.
import { describe, expect, it } from 'vitest';
import { guestTime, nanos } from '../records/index.js';
import type { RequestPath } from './path.js';
import { TOP_STAGES } from './stages.js';
import { groupKey, PathStatistics, RunStatistics } from './statistics.js';

function path(start: number, vm: string, op: 'read' | 'write', q: number, guestQueue: number, device: number): RequestPath {
  return {
    vm, disk: 'vda', queue: q, op, sector: 0, nrSectors: 8, match: 'matched', sharedHostOp: 1,
    events: {},
    stages: { guest_queue: nanos(guestQueue), host_io: nanos(device), device: nanos(device - 1_000) },
    total: nanos(guestQueue + device),
    start: guestTime(start),
  };
}

describe('RunStatistics', () => {
  it('computes shares of the summed total that add up to 1 over top-level stages', () => {
    const s = new RunStatistics();
    for (let i = 0; i < 100; i++) s.add(path(i * 1_000_000, 'vm1', 'read', 0, 10_000, 90_000));
    const stages = s.all.stageSummaries();
    const top = stages.filter((st) => TOP_STAGES.some((t) => t.name === st.name));
    expect(top.reduce((a, st) => a + st.share, 0)).toBeCloseTo(1, 9);
    expect(stages.find((st) => st.name === 'host_io')!.share).toBeCloseTo(0.9, 9);
    expect(stages.find((st) => st.name === 'device')!.parent).toBe('host_io');
    expect(s.all.totalSummary().p50_ns).toBe(100_000);
  });

  it('counts a request whose only event is its completion, but puts no zero in the totals', () => {
    const s = new RunStatistics();
    for (let i = 0; i < 10; i++) s.add(path(i * 1_000_000, 'vm1', 'read', 0, 10_000, 90_000));
    // Its stored times were another request's at the same sector (guest.bpf.c): only its completion is left.
    s.add({ ...path(20_000_000, 'vm1', 'read', 0, 0, 0), match: 'guest_only', reason: 'ambiguous', stages: {}, total: nanos(0) });
    expect(s.all.matches).toEqual({ matched: 10, guest_only: 1, host_only: 0 });
    expect(s.all.totalSummary().count).toBe(10);
    expect(s.all.totalSummary().p50_ns).toBe(100_000);
  });

  it('groups by vm, disk, queue and op', () => {
    const s = new RunStatistics();
    s.add(path(0, 'vm1', 'read', 0, 1_000, 10_000));
    s.add(path(1, 'vm2', 'write', 3, 1_000, 50_000));
    s.add(path(2, 'vm2', 'read', 3, 1_000, 50_000));
    expect(s.groups.get('vm')!.get('vm2')!.total.count).toBe(2);
    expect(s.groups.get('queue')!.get('vm2/vda/q3')!.total.count).toBe(2);
    expect(s.groups.get('op')!.get('read')!.total.count).toBe(2);
    expect(s.groups.get('op')!.get('write')!.totalSummary().max_ns).toBe(51_000);
  });

  it('gives each group what recording its requests into it directly gives, and merges again after new requests', () => {
    const s = new RunStatistics();
    const direct = new Map<string, PathStatistics>();
    let x = 7;
    const rnd = (n: number): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
    const check = (): void => {
      for (const [dim, groups] of s.groups) {
        for (const [key, g] of groups) {
          const d = direct.get(`${dim}:${key}`)!;
          expect([g.totalSummary(), g.stageSummaries(), g.matches, g.bytes]).toEqual([d.totalSummary(), d.stageSummaries(), d.matches, d.bytes]);
        }
        expect([...groups.keys()].length).toBe([...direct.keys()].filter((k) => k.startsWith(`${dim}:`)).length);
      }
    };
    for (let i = 0; i < 3000; i++) {
      const p = path(i * 1000, `vm${rnd(3)}`, rnd(2) ? 'read' : 'write', rnd(4), 1000 + rnd(50_000), 2000 + rnd(900_000));
      s.add(p);
      for (const dim of s.dims) {
        const k = `${dim}:${groupKey(p, dim)}`;
        if (!direct.has(k)) direct.set(k, new PathStatistics());
        direct.get(k)!.add(p);
      }
      if (i === 1000) check();
    }
    check();
  });

  it('keeps only the newest slots in the sliding window', () => {
    const s = new RunStatistics(['vm'], 1_000_000_000, 3);
    for (let sec = 0; sec < 10; sec++) s.add(path(sec * 1_000_000_000, 'vm1', 'read', 0, 1_000, sec < 7 ? 10_000 : 900_000));
    const w = s.window();
    expect(w.total.count).toBe(3);
    expect(w.total.min).toBe(901_000); // seconds 7, 8, 9 only
    expect(s.all.total.count).toBe(10);
  });
});

import { SlowestRequests } from './slowest.js';
import { LatencyHistogram } from './histogram.js';

describe('SlowestRequests', () => {
  it('keeps the N slowest, slowest first', () => {
    const s = new SlowestRequests(3);
    const totals = [50, 10, 90, 70, 30, 100, 20];
    totals.forEach((t, i) => s.offer(path(i, 'vm1', 'read', 0, t, 0)));
    expect(s.list().map((p) => p.total)).toEqual([100, 90, 70]);
  });
});

describe('LatencyHistogram.countBelowPow2', () => {
  it('counts exactly below powers of two', () => {
    const h = new LatencyHistogram();
    for (const v of [1023, 1024, 1025, 4095, 4096, 1 << 20]) h.record(v);
    expect(h.countBelowPow2(10)).toBe(1);
    expect(h.countBelowPow2(12)).toBe(4);
    expect(h.countBelowPow2(21)).toBe(6);
  });
});
