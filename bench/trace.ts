// Benchmarks of trace files: JSON Lines records read per second, and stitched requests per second on replay.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestOnlyStitcher } from '../src/correlate/index.js';
import { guestTime, type GuestRequestRecord } from '../src/records/index.js';
import { openTrace, TraceWriter } from '../src/trace/index.js';
import type { Figure, Suite } from './harness.js';

const N = 500_000;

function record(i: number): GuestRequestRecord {
  const t = 1_000_000 + i * 5_000;
  return {
    kind: 'guest_rq', vm: 'vm1', dev: 254 * 2 ** 20, sector: (i * 7919) % 50_000_000, nrSectors: 8, op: i % 3 ? 'read' : 'write', rwbs: i % 3 ? 'R' : 'W',
    error: 0, hwq: i % 4, vq: i % 4, head: i % 256, cpu: i % 2, kickSeq: i, appUserData: 0n,
    tBioQueue: guestTime(t), tRqInsert: guestTime(t + 900), tRqIssue: guestTime(t + 2_100), tQueueRq: guestTime(t + 2_500), tVqAdd: guestTime(t + 3_000),
    tKick: guestTime(t + 3_600), tVringInterrupt: guestTime(t + 90_000), tCompleteRq: guestTime(t + 92_000), tRqComplete: guestTime(t + 95_000),
  };
}

/** The trace suite: replay.records_per_s (read + decode) and correlate.guest_only.requests_per_s (read + stitch + stats). */
export const traceSuite: Suite = {
  name: 'trace',
  async run(): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), 'viotrace-bench-'));
    const path = join(dir, 'bench.jsonl');
    try {
      const w = new TraceWriter(path, {
        tool: 'bench', created: new Date().toISOString(), source: { kind: 'scenario', name: 'bench' }, hooks: [],
        clocks: { guest: { domain: 'guest-mono', base: '0' }, host: { domain: 'host-mono', base: '0' } }, topology: { vms: [], hostDevices: [] },
      });
      for (let i = 0; i < N; i++) w.write(record(i));
      await w.close();

      let t = process.hrtime.bigint();
      let n = 0;
      const tr = await openTrace(path);
      for await (const _ of tr.records()) n++;
      const readS = Number(process.hrtime.bigint() - t) / 1e9;

      t = process.hrtime.bigint();
      let stitched = 0;
      const st = new GuestOnlyStitcher(() => stitched++);
      const tr2 = await openTrace(path);
      for await (const r of tr2.records()) st.add(r as GuestRequestRecord);
      st.finish();
      const stitchS = Number(process.hrtime.bigint() - t) / 1e9;
      return [
        { name: 'replay.records_per_s', value: n / readS, unit: 'records/s' },
        { name: 'correlate.guest_only.requests_per_s', value: stitched / stitchS, unit: 'requests/s' },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
