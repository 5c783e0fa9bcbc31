// RecordBatch: a simulated run's records land at the offsets the stitcher reads, through growth, with 64-bit ids exact as pairs.
import { describe, expect, it } from 'vitest';
import { runAndReport } from '../run/index.js';
import { scenario } from '../sim/index.js';
import {
  BATCH_WIDTH, BLOCK_OPS, G_APP_LO, G_APP_NUM, G_COMPLETE, G_HEAD, G_NR, G_OP, G_SECTOR, G_VM, G_VQ, putId, QR_HEAD, QR_TYPE, QR_UD_LO,
  QR_UD_NUM, RecordBatch, TAG_GUEST_RQ, TAG_QEMU_REQ, TAG_URING_OP, UO_RESUBMIT, UO_UD_NUM,
} from './index.js';

describe('RecordBatch', () => {
  it('keeps every record of a simulated run, in order, at the offsets the stitcher reads, across growth', () => {
    const records = runAndReport(scenario('noisy-neighbour')!, 3, 800, undefined, true).kept!.records;
    expect(records.length).toBeGreaterThan(1024); // past the first arrays: growth must keep what was there
    const b = new RecordBatch();
    for (const r of records) b.add(r);
    expect(b.length).toBe(records.length);
    let o = 0, guests = 0, qemus = 0;
    const low = (x: bigint): number => Number(x & 0xffff_ffffn);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!, tag = b.tags[i]!, v = b.values;
      if (r.kind === 'guest_rq') {
        guests++;
        expect(tag).toBe(TAG_GUEST_RQ);
        expect([b.strings[v[o + G_VM]!], v[o + G_SECTOR], v[o + G_NR], BLOCK_OPS[v[o + G_OP]!], v[o + G_VQ], v[o + G_HEAD], v[o + G_COMPLETE]])
          .toEqual([r.vm, r.sector, r.nrSectors, r.op, r.vq, r.head, r.tRqComplete]);
        expect([v[o + G_APP_NUM], v[o + G_APP_LO]]).toEqual([Number(r.appUserData), low(r.appUserData)]);
      } else if (r.kind === 'qemu_req') {
        qemus++;
        expect(tag).toBe(TAG_QEMU_REQ);
        expect([v[o + QR_HEAD], v[o + QR_TYPE], v[o + QR_UD_NUM], v[o + QR_UD_LO]]).toEqual([r.head, r.type === 'in' ? 0 : r.type === 'out' ? 1 : 2, Number(r.userData), low(r.userData)]);
      } else if (r.kind === 'uring_op') {
        expect(tag).toBe(TAG_URING_OP);
        expect([v[o + UO_UD_NUM], v[o + UO_RESUBMIT]]).toEqual([Number(r.userData), r.resubmit ? 1 : 0]);
      }
      o += BATCH_WIDTH[tag]!;
    }
    expect(o).toBe(b.used);
    expect(guests).toBeGreaterThan(700);
    expect(qemus).toBeGreaterThan(700);
    // Two VMs share the host device in this scenario; each name is stored once.
    expect(b.strings.length).toBe(2);
    // `clear` keeps the strings; `put` writes at the start without counting.
    b.clear();
    const tag = b.put(records.find((r) => r.kind === 'qemu_req')!);
    expect([tag, b.length, b.used]).toEqual([TAG_QEMU_REQ, 0, 0]);
  });

  it('writes u64 ids as a pair that tells apart ids one apart above 2^53, where their nearest numbers are equal', () => {
    const v = new Float64Array(4);
    const a = (1n << 60n) + 0x1000n;
    putId(v, 0, a);
    putId(v, 2, a + 1n);
    expect(v[0]).toBe(v[2]); // the nearest numbers collide
    expect(v[1]).not.toBe(v[3]);
    expect([v[0], v[1]]).toEqual([Number(a), 0x1000]);
    putId(v, 0, 0xffff_ffff_ffff_ffffn);
    expect([v[0], v[1]]).toEqual([2 ** 64, 0xffff_ffff]);
  });
});
