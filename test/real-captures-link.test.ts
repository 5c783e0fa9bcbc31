// Prototype check that the shipped real captures are linkable layer to layer by their real keys (the correlator's job is the real stitching).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { collect, openCapture, type Capture, type RawEvent } from '../src/trace/ingest/index.js';
import { repoRoot } from './shared.js';

interface Streams {
  capture: Capture;
  guest: RawEvent[];
  qemu: RawEvent[];
  iou: RawEvent[];
  block: RawEvent[];
}

async function load(name: string): Promise<Streams> {
  const capture = await openCapture(join(repoRoot, 'traces', 'real', name));
  return {
    capture,
    guest: (await collect(capture.guest())).events,
    qemu: (await collect(capture.qemu())).events,
    iou: (await collect(capture.hostIouring())).events,
    block: (await collect(capture.hostBlock())).events,
  };
}

const n = (e: RawEvent, k: string) => e.fields[k] as number;
const s = (e: RawEvent, k: string) => e.fields[k] as string;
const dirOfRwbs = (rwbs: string) => (rwbs.includes('W') ? 'W' : rwbs.includes('R') ? 'R' : rwbs.includes('F') ? 'F' : '?');

for (const name of ['qd1-mixed', 'qd16-mixed']) {
  describe(`${name}: every layer links to the next by its real key`, () => {
    let x: Streams;
    beforeAll(async () => {
      x = await load(name);
    });

    it('guest block_rq_issue -> QEMU virtio_blk_handle_*: same sector, length and direction, in the same order', () => {
      const guest = x.guest.filter((e) => e.name === 'block_rq_issue' && n(e, 'nr_sector') > 0).map((e) => `${dirOfRwbs(s(e, 'rwbs'))} ${n(e, 'sector')}+${n(e, 'nr_sector')}`);
      const handles = x.qemu
        .filter((e) => e.name === 'virtio_blk_handle_read' || e.name === 'virtio_blk_handle_write')
        .map((e) => `${e.name.endsWith('write') ? 'W' : 'R'} ${n(e, 'sector')}+${n(e, 'nsectors')}`);
      expect(guest.length).toBeGreaterThan(150);
      // QEMU also saw the guest kernel's partition scan, before the guest turned tracing on: those lead.
      const lead = handles.length - guest.length;
      expect(lead).toBeGreaterThanOrEqual(0);
      expect(lead).toBeLessThan(8);
      expect(handles.slice(lead)).toEqual(guest);
    });

    it('each virtio_blk_submit_multireq is one luring_co_submit of the merged offset and size', () => {
      const q = x.qemu;
      let merges = 0;
      for (let i = 0; i < q.length; i++) {
        if (q[i].name !== 'virtio_blk_submit_multireq') continue;
        merges++;
        const next = q.slice(i + 1).find((e) => e.name === 'luring_co_submit')!;
        expect(next.fields).toMatchObject({ offset: n(q[i], 'offset'), nbytes: n(q[i], 'size'), type: n(q[i], 'is_write') ? 2 : 1 });
        // The merged handles sit right before it: their sectors tile [offset, offset+size).
        const handles = q.slice(0, i).filter((e) => e.name.startsWith('virtio_blk_handle_')).slice(-64);
        const covered = handles.filter((h) => n(h, 'sector') * 512 >= n(q[i], 'offset') && (n(h, 'sector') + n(h, 'nsectors')) * 512 <= n(q[i], 'offset') + n(q[i], 'size'));
        expect(covered.length).toBeGreaterThanOrEqual(n(q[i], 'num_reqs'));
      }
      expect(merges).toBeGreaterThan(0);
    });

    it('luring_co_submit luringcb == io_uring_submit_req user_data, in order; completions likewise', () => {
      const pid = x.capture.manifest.qemu.pid;
      // QEMU's own rings: those io_uring_create reported for its pid (other QEMU processes share the comm).
      const rings = new Set(x.iou.filter((e) => e.name === 'io_uring_create' && e.pid === pid).map((e) => s(e, 'ctx')));
      const ours = x.iou.filter((e) => rings.has(s(e, 'ctx')));
      const submits = x.qemu.filter((e) => e.name === 'luring_co_submit').map((e) => s(e, 'luringcb'));
      expect(ours.filter((e) => e.name === 'io_uring_submit_req').map((e) => s(e, 'user_data'))).toEqual(submits);
      const done = x.qemu.filter((e) => e.name === 'luring_process_completion').map((e) => s(e, 'luringcb')).sort();
      expect(ours.filter((e) => e.name === 'io_uring_complete').map((e) => s(e, 'user_data')).sort()).toEqual(done);
    });

    it('io_uring -> host block: every read and write reaches its FIEMAP device sectors inside [submit_req, complete]', () => {
      const pid = x.capture.manifest.qemu.pid;
      const rings = new Set(x.iou.filter((e) => e.name === 'io_uring_create' && e.pid === pid).map((e) => s(e, 'ctx')));
      const subs = x.iou.filter((e) => e.name === 'io_uring_submit_req' && rings.has(s(e, 'ctx')));
      const comps = x.iou.filter((e) => e.name === 'io_uring_complete' && rings.has(s(e, 'ctx')));
      const cos = x.qemu.filter((e) => e.name === 'luring_co_submit');
      const issues = x.block.filter((e) => e.name === 'block_rq_issue');
      let linked = 0;
      cos.forEach((co, i) => {
        if (n(co, 'nbytes') === 0) return; // FSYNC: no data sectors
        const sub = subs[i];
        const comp = comps.find((c) => c.ts >= sub.ts && s(c, 'user_data') === s(sub, 'user_data'))!;
        expect(comp).toBeDefined();
        for (const r of x.capture.deviceRanges(n(co, 'offset'), n(co, 'nbytes'))) {
          const hit = issues.find((b) => n(b, 'sector') >= r.sector && n(b, 'sector') < r.sector + r.sectors && b.ts >= sub.ts && b.ts <= comp.ts);
          expect(hit, `${co.file}:${co.line} -> sector ${r.sector}`).toBeDefined();
        }
        linked++;
      });
      expect(linked).toBeGreaterThan(150);
    });

    it('clocks: QEMU realtime stamps land beside their io_uring events in host mono; guest offset bounds agree', () => {
      const c = x.capture;
      const pid = c.manifest.qemu.pid;
      const rings = new Set(x.iou.filter((e) => e.name === 'io_uring_create' && e.pid === pid).map((e) => s(e, 'ctx')));
      const subs = x.iou.filter((e) => e.name === 'io_uring_submit_req' && rings.has(s(e, 'ctx')));
      const cos = x.qemu.filter((e) => e.name === 'luring_co_submit');
      // Microsecond stamps plus the pair's width: luring_co_submit comes before its submit_req.
      const slack = 1000n + BigInt(Math.max(...c.clockPairs.map((p) => p.widthNs)));
      cos.forEach((co, i) => {
        const mono = c.realtimeToHostMono(co.ts);
        expect(mono <= subs[i].ts + slack).toBe(true);
        expect(subs[i].ts - mono < 50_000_000n).toBe(true);
      });
      // Guest mono -> host mono (offset = host - guest at one instant), from causal pairs: the guest issued
      // before QEMU handled (offset <= handle - issue), QEMU completed before the guest saw it
      // (offset >= req_complete - rq_complete). The bounds must not cross.
      const guestIssues = x.guest.filter((e) => e.name === 'block_rq_issue' && n(e, 'nr_sector') > 0);
      const handles = x.qemu.filter((e) => e.name.startsWith('virtio_blk_handle_'));
      const lead = handles.length - guestIssues.length;
      const key = (e: RawEvent) => `${dirOfRwbs(s(e, 'rwbs'))} ${n(e, 'sector')}+${n(e, 'nr_sector')}`;
      const lowers: [number, number][] = []; // [guest time s, bound ns] relative to the first issue
      const uppers: [number, number][] = [];
      const t0 = guestIssues[0].ts;
      const base = c.realtimeToHostMono(handles[lead].ts) - t0;
      guestIssues.forEach((g, i) => {
        const h = handles[lead + i];
        uppers.push([Number(g.ts - t0) / 1e9, Number(c.realtimeToHostMono(h.ts) - g.ts - base)]);
        // QEMU's req pointer names the request from handle to req_complete; the guest's key from issue to complete.
        const done = x.qemu.find((e) => e.line > h.line && e.name === 'virtio_blk_req_complete' && s(e, 'req') === s(h, 'req'))!;
        const gDone = x.guest.find((e) => e.line > g.line && e.name === 'block_rq_complete' && key(e) === key(g))!;
        expect(done && gDone).toBeTruthy();
        lowers.push([Number(gDone.ts - t0) / 1e9, Number(c.realtimeToHostMono(done.ts) - gDone.ts - base)]);
      });
      // Is there a line offset(t) = a + drift*t between all the bounds? The gap (least upper minus greatest
      // lower, both with the drift taken out) is concave in the drift, so a ternary search finds its best.
      const gap = (drift: number) =>
        Math.min(...uppers.map(([t, b]) => b - drift * t)) - Math.max(...lowers.map(([t, b]) => b - drift * t));
      let lo = -1e7; // ns per s: +-10000 ppm
      let hi = 1e7;
      for (let k = 0; k < 200; k++) {
        const m1 = lo + (hi - lo) / 3;
        const m2 = hi - (hi - lo) / 3;
        if (gap(m1) < gap(m2)) lo = m1;
        else hi = m2;
      }
      const drift = (lo + hi) / 2;
      // A constant offset fits every request (the shipped runs: 45 us wide at qd1, 11 us at qd16), and the
      // best drift is small (tens of ppm); a wrong pairing or a wrong clock conversion breaks both.
      expect(gap(0)).toBeGreaterThan(-Number(slack));
      expect(gap(0)).toBeLessThan(1_000_000);
      expect(Math.abs(drift / 1e3)).toBeLessThan(1000); // ppm
    });
  });
}
