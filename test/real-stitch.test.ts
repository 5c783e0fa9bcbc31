// Stitching the shipped real full-path captures: every layer of every fully captured request, nothing matched wrongly.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stitch, type RequestPath, type StitchSummary } from '../src/correlate/index.js';
import type { QemuRequestRecord } from '../src/records/index.js';
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
