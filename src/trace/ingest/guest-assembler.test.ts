// The tracefs guest assembler on requests that share a sector: never a record of mixed times.
import { describe, expect, it } from 'vitest';
import type { GuestRequestRecord } from '../../records/index.js';
import type { RawEvent } from './event.js';
import { GuestAssembler } from './guest-assembler.js';

/** A guest block event as the ftrace reader yields it (dev 254:0 as the kernel's dev_t encoding). */
const ev = (us: number, name: string, sector: number): RawEvent => ({
  source: 'guest', clock: 'guest-mono', ts: BigInt(Math.round(us * 1000)), name, task: 'fio', pid: 812, cpu: 1,
  fields: { dev: (254 << 20) | 0, sector, nr_sector: 8, rwbs: 'R', comm: 'fio' }, known: true, body: '', file: 'trace.txt', line: 1,
});

const assemble = (events: RawEvent[]): { records: GuestRequestRecord[]; asm: GuestAssembler } => {
  const asm = new GuestAssembler('guest');
  for (const e of events) asm.add(e);
  asm.finish();
  return { records: asm.records.filter((r): r is GuestRequestRecord => r.kind === 'guest_rq'), asm };
};

describe('the tracefs guest assembler with requests at one sector', () => {
  it('leaves out two requests in flight at one sector at once, and counts them; the next one there is whole', () => {
    const { records, asm } = assemble([
      ev(1000, 'block_bio_queue', 2048), ev(1001, 'block_rq_issue', 2048),
      ev(1010, 'block_bio_queue', 2048), ev(1011, 'block_rq_issue', 2048),
      ev(1100, 'block_rq_complete', 2048), ev(1150, 'block_rq_complete', 2048),
      ev(2000, 'block_bio_queue', 2048), ev(2001, 'block_rq_issue', 2048), ev(2090, 'block_rq_complete', 2048),
    ]);
    expect(asm.stats.sharedSector).toBe(2);
    expect(records.map((r) => [Number(r.tRqIssue), Number(r.tRqComplete)])).toEqual([[2_001_000, 2_090_000]]);
  });

  it('takes a requeued request issued again for one request, with its last issue', () => {
    const { records, asm } = assemble([
      ev(1000, 'block_bio_queue', 4096), ev(1001, 'block_rq_issue', 4096), ev(1002, 'block_rq_requeue', 4096),
      ev(1050, 'block_rq_issue', 4096), ev(1100, 'block_rq_complete', 4096),
    ]);
    expect(asm.stats.sharedSector).toBe(0);
    expect(records.map((r) => [Number(r.tBioQueue), Number(r.tRqIssue)])).toEqual([[1000 * 1000, 1050 * 1000]]);
  });

  it('takes a request at a sector whose last one never completed, past the request timeout, for a new one', () => {
    const { records, asm } = assemble([
      ev(1000, 'block_rq_issue', 8192), // its completion was lost
      ev(31_001_000, 'block_bio_queue', 8192), ev(31_001_001, 'block_rq_issue', 8192), ev(31_001_100, 'block_rq_complete', 8192),
    ]);
    expect([asm.stats.completionsLost, asm.stats.sharedSector]).toEqual([1, 0]);
    expect(records.map((r) => Number(r.tRqIssue))).toEqual([31_001_001 * 1000]);
  });

  it('gives neither of two bios waiting at one sector at once the other\'s start (one waits for a tag while the next is queued)', () => {
    const { records, asm } = assemble([
      ev(1000, 'block_bio_queue', 12288), ev(1500, 'block_bio_queue', 12288),
      ev(2000, 'block_rq_issue', 12288), ev(2100, 'block_rq_complete', 12288),
      ev(3000, 'block_rq_issue', 12288), ev(3100, 'block_rq_complete', 12288),
    ]);
    expect(asm.stats.sharedSector).toBe(0);
    // Each keeps its own issue and completion; no bio start is one bio's.
    expect(records.map((r) => [Number(r.tBioQueue), Number(r.tRqIssue)])).toEqual([[0, 2_000_000], [0, 3_000_000]]);
  });

  it('counts a request an elevator holds: one inserted behind it at its sector makes both left out, never one with the other\'s times', () => {
    const { records, asm } = assemble([
      ev(1000, 'block_rq_issue', 16384),
      ev(1100, 'block_bio_queue', 16384), ev(1110, 'block_rq_insert', 16384), // held while the first is in flight
      ev(1200, 'block_rq_complete', 16384),
      ev(1300, 'block_bio_queue', 16384), ev(1310, 'block_rq_insert', 16384), // inserted behind it
      ev(1400, 'block_rq_issue', 16384), ev(1500, 'block_rq_complete', 16384),
      ev(1600, 'block_rq_issue', 16384), ev(1700, 'block_rq_complete', 16384),
      ev(2000, 'block_bio_queue', 16384), ev(2010, 'block_rq_issue', 16384), ev(2100, 'block_rq_complete', 16384),
    ]);
    expect(asm.stats.sharedSector).toBe(3);
    expect(records.map((r) => [Number(r.tBioQueue), Number(r.tRqIssue)])).toEqual([[2_000_000, 2_010_000]]);
  });
});
