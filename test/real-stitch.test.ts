// Stitching the shipped real full-path captures: every layer of every fully captured request, nothing matched wrongly.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stitch, type RequestPath, type StitchSummary } from '../src/correlate/index.js';
import { fileOffsetToDeviceSector, type QemuRequestRecord } from '../src/records/index.js';
import { captureRecords, collect, openCapture, type CaptureRecords, type RawEvent } from '../src/trace/index.js';
import { runCli } from './cli.js';
import { repoRoot } from './shared.js';

interface Stitched {
  records: CaptureRecords;
  paths: RequestPath[];
  summary: StitchSummary;
  matches: [RequestPath, QemuRequestRecord][];
  qemu: RawEvent[];
}

async function stitchCapture(name: string): Promise<Stitched> {
  const capture = await openCapture(join(repoRoot, 'traces', 'real', name));
  const records = await captureRecords(capture);
  const paths: RequestPath[] = [];
  const matches: [RequestPath, QemuRequestRecord][] = [];
  const summary = stitch(records.records, records.topology, (p) => paths.push(p), (_g, q, p) => matches.push([p, q]));
  return { records, paths, summary, matches, qemu: (await collect(capture.qemu())).events };
}

const EXPECT = {
  // 209 guest requests: the one flush has no QEMU handle event in the capture; 4 QEMU reads are the
  // guest's partition scan before its tracing began.
  'qd1-mixed': { guest: 209, matched: 208, unmatched: { host_record_lost: 1, guest_record_lost: 4 } },
  'qd16-mixed': { guest: 512, matched: 512, unmatched: { guest_record_lost: 4 } },
} as const;

for (const [name, want] of Object.entries(EXPECT)) {
  describe(`real capture ${name}`, () => {
    let x: Stitched;
    beforeAll(async () => {
      x = await stitchCapture(name);
    });

    it('matches every guest request whose QEMU request was captured, and says why for the rest', () => {
      expect(x.records.records.filter((r) => r.kind === 'guest_rq')).toHaveLength(want.guest);
      expect(x.summary.matched).toBe(want.matched);
      expect(x.summary.unmatched).toEqual(want.unmatched);
      const flush = x.paths.filter((p) => p.match === 'guest_only');
      expect(flush.every((p) => p.op === 'flush' && p.reason === 'host_record_lost')).toBe(true);
      // The clock comes from the capture itself and its bounds agree.
      expect(x.summary.clock?.consistent).toBe(true);
      expect(x.summary.clock!.uncertaintyNs).toBeLessThan(50_000);
    });

    it('follows each matched request through QEMU and io_uring, in causal order on the guest clock', () => {
      const u = x.summary.clock!.uncertaintyNs + 2_000;
      for (const [p] of x.matches) {
        const e = p.events;
        expect(e.qemu_pop! + u).toBeGreaterThanOrEqual(e.rq_issue!);
        expect(e.uring_submit! + 1).toBeGreaterThan(e.qemu_pop!);
        expect(e.uring_complete!).toBeGreaterThanOrEqual(e.uring_submit!);
        expect(e.qemu_req_complete! + 1).toBeGreaterThan(e.uring_complete!);
        expect(e.rq_complete! + u).toBeGreaterThanOrEqual(e.qemu_req_complete!);
        const sum = Object.entries(p.stages).filter(([k]) => ['guest_submit', 'guest_queue', 'notify', 'qemu_submit', 'host_io', 'qemu_complete', 'interrupt', 'guest_reap'].includes(k)).reduce((n, [, v]) => n + (v as number), 0);
        expect(Math.abs(sum - p.total)).toBeLessThan(2);
      }
    });

    it('joins by what the raw lines say: the QEMU request is the handle line with the guest sector, its io_uring op the luring_co_submit covering its bytes', () => {
      const handles = x.qemu.filter((e) => e.name.startsWith('virtio_blk_handle_'));
      const submits = x.qemu.filter((e) => e.name === 'luring_co_submit');
      for (const [p, q] of x.matches) {
        expect(q.sector).toBe(p.sector);
        expect(q.nbytes).toBe(p.nrSectors * 512);
        expect(handles.some((h) => Number(h.fields.sector) === p.sector && Number(h.fields.nsectors) === p.nrSectors && h.name.endsWith(p.op === 'write' ? 'write' : 'read'))).toBe(true);
        const sub = submits.find((s) => BigInt(String(s.fields.luringcb)) === q.userData && Number(s.fields.offset) <= p.sector * 512 && Number(s.fields.offset) + Number(s.fields.nbytes) >= (p.sector + p.nrSectors) * 512);
        expect(sub, `${name}: ${p.op} ${p.sector}+${p.nrSectors}`).toBeDefined();
      }
    });
  });
}

describe('real capture qd16-mixed: QEMU multireq merges', () => {
  it('gives the guest requests QEMU merged one shared host operation', async () => {
    const x = await stitchCapture('qd16-mixed');
    const merges = x.qemu.filter((e) => e.name === 'virtio_blk_submit_multireq').reduce((n, e) => n + Number(e.fields.num_reqs), 0);
    const shared = x.matches.filter(([p]) => p.sharedHostOp > 1).length;
    expect(merges).toBeGreaterThan(20);
    expect(shared).toBe(merges);
  });
});

describe('viotrace on a capture folder', () => {
  it('reports a real capture like a simulated run', async () => {
    const r = await runCli(['report', 'traces/real/qd16-mixed', '--format', 'json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.requests.matched).toBe(512);
    expect(report.stages.find((s: { name: string }) => s.name === 'host_io').count).toBe(512);
  });
});

describe('real captures: the host block layer', () => {
  it.each(['qd1-mixed', 'qd16-mixed'])('%s: every request whose op reached the host device is linked to it; the others have no block request in the raw lines', async (name) => {
    const capture = await openCapture(join(repoRoot, 'traces', 'real', name));
    const recs = await captureRecords(capture);
    const raw = (await collect(capture.hostBlock())).events.filter((e) => e.name === 'block_rq_issue');
    const urings = recs.records.filter((r) => r.kind === 'uring_op');
    const disk = recs.topology.vms[0]!.disks[0]!;
    let linked = 0;
    let unlinked = 0;
    stitch(recs.records, recs.topology, () => undefined, (_g, q, p) => {
      const op = urings.filter((u) => u.kind === 'uring_op' && u.userData === q.userData && u.tComplete <= q.tReqComplete).pop() as { offset: number; tSubmit: number; tComplete: number } | undefined;
      if (!op) return;
      const ds = fileOffsetToDeviceSector(disk, op.offset)!;
      const inRaw = raw.some((e) => Number(e.fields.sector) <= ds && ds < Number(e.fields.sector) + Number(e.fields.nr_sector) && e.ts >= BigInt(op.tSubmit) && e.ts <= BigInt(op.tComplete));
      expect(p.events.host_blk_issue !== undefined, `${name} ${p.op} ${p.sector}`).toBe(inRaw);
      if (inRaw) linked++;
      else unlinked++;
    });
    expect(linked).toBeGreaterThan(100);
    // Requests the host served without a device request (no block_rq_issue for their sectors during their op).
    expect(unlinked).toBeGreaterThan(0);
  });
});

describe('a short read QEMU resubmitted', () => {
  it('is one host operation to its request: from the first submit to the last completion', async () => {
    const capture = await openCapture(join(repoRoot, 'traces', 'real', 'qd1-mixed'));
    const recs = await captureRecords(capture);
    // Cut one real read's io_uring op in two, as a short read and QEMU's resubmission of the rest.
    const i = recs.records.findIndex((r) => r.kind === 'uring_op' && r.opcode === 'READV' && r.nbytes === 4096);
    const op = recs.records[i] as Extract<(typeof recs.records)[number], { kind: 'uring_op' }>;
    const mid = Math.round((op.tSubmit + op.tComplete) / 2);
    const first = { ...op, res: 2048, tComplete: mid as typeof op.tComplete };
    const again = { ...op, resubmit: true, tSubmit: (mid + 1_000) as typeof op.tSubmit };
    const records = [...recs.records.slice(0, i), first, again, ...recs.records.slice(i + 1)];
    let path: RequestPath | undefined;
    const s = stitch(records, recs.topology, () => undefined, (_g, q, p) => {
      if (q.userData === op.userData && q.tAio <= op.tSubmit && q.tReqComplete >= op.tComplete) path = p;
    });
    expect(path).toBeDefined();
    const toGuest = (h: number): number => h + s.clock!.offsetNs + s.clock!.driftPpm * 1e-6 * (h - s.clock!.refHost);
    expect(path!.events.uring_submit).toBeCloseTo(toGuest(op.tSubmit), 0);
    expect(path!.events.uring_complete).toBeCloseTo(toGuest(op.tComplete), 0);
  });
});
