// Trace records and files shared by this folder's tests: a header, guest and QEMU records by index, a written trace.
import { guestTime, hostTime, type GuestRequestRecord, type QemuRequestRecord, type TraceRecord } from '../records/index.js';
import { TraceWriter, type TraceHeader } from './index.js';

/** A scenario trace's header with an empty topology. */
export const header: Omit<TraceHeader, 'format' | 'version'> = {
  tool: 'viotrace test',
  created: '2026-11-24T00:00:00Z',
  source: { kind: 'scenario', name: 'baseline', seed: 1 },
  hooks: ['block:block_rq_issue', 'virtio_blk_req_complete'],
  clocks: { guest: { domain: 'guest-mono', base: '0' }, host: { domain: 'host-mono', base: '123456789012345678' } },
  topology: { vms: [], hostDevices: [] },
};

/** The i-th guest request: 10 us apart, sector by sector, every time set. */
export function guestRq(i: number): GuestRequestRecord {
  const t = 1_000_000 + i * 10_000;
  return {
    kind: 'guest_rq', vm: 'vm1', dev: (254 << 20) | 0, sector: 2048 + i * 8, nrSectors: 8, op: 'read', rwbs: 'RS',
    error: 0, hwq: 0, vq: 0, head: i % 128, cpu: 0, kickSeq: i, appUserData: 0x55799e008180n + BigInt(i),
    tBioQueue: guestTime(t), tRqInsert: guestTime(t + 10), tRqIssue: guestTime(t + 20), tQueueRq: guestTime(t + 30),
    tVqAdd: guestTime(t + 40), tKick: guestTime(t + 50), tVringInterrupt: guestTime(t + 900), tCompleteRq: guestTime(t + 950),
    tRqComplete: guestTime(t + 1000),
  };
}

/** The i-th QEMU request, likewise. */
export function qemuReq(i: number): QemuRequestRecord {
  const t = 5_000_000 + i * 10_000;
  return {
    kind: 'qemu_req', qemuPid: 2148, tid: 2148, vdev: 0x5573226b6ed0n, vq: 0, head: i % 128, type: 'in', sector: 2048 + i * 8,
    nbytes: 4096, status: 0, userData: 0x7f8da21ff8c0n, mergedCount: 1, notifySeq: i,
    tHandle: hostTime(t), tPop: hostTime(t + 5), tAio: hostTime(t + 10), tReqComplete: hostTime(t + 700),
  };
}

/**
 * Writes n records (guest and QEMU in turn) with a frame/flush every 100, and a lost-host line of 3;
 * `close` false leaves the file as a killed recorder would (flushed, no end).
 */
export async function writeTrace(path: string, n: number, close = true): Promise<TraceRecord[]> {
  const w = new TraceWriter(path, header, { flushEvery: 100 });
  const recs: TraceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const r = i % 2 ? qemuReq(i) : guestRq(i);
    recs.push(r);
    w.write(r);
  }
  w.writeLost('host', 3);
  if (close) await w.close();
  else {
    w.flush();
    await new Promise((r) => setTimeout(r, 50));
  }
  return recs;
}
