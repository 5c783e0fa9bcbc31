// Timestamps out of order within a request (an edited line, a clock that jumped), guest or host side: bad input at file:line, or left out under --lenient.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/shared.js';
import type { TraceRecord } from '../../records/index.js';
import { replayFile } from '../../replay/index.js';
import { openCapture } from './capture.js';
import { captureRecords } from './capture-records.js';

const work = mkdtempSync(join(tmpdir(), 'viotrace-order-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const shipped = join(repoRoot, 'traces', 'real-guest', 'randrw-4k-512k-qd32-io_uring.trace.txt');

/** The shipped guest capture with line `at`'s stamp seconds `4379.` changed to `secs.`. */
function restamped(name: string, at: number, secs: string): string {
  const lines = readFileSync(shipped, 'utf8').split('\n');
  expect(lines[at - 1]).toContain(' 4379.');
  lines[at - 1] = lines[at - 1]!.replace(' 4379.', ` ${secs}.`);
  const path = join(work, name);
  writeFileSync(path, lines.join('\n'));
  return path;
}

describe('a tracefs capture with a timestamp out of order', () => {
  const clean = replayFile(shipped);

  for (const [what, at, secs, where, message] of [
    // Line 209 is a block_bio_queue; its request's insert (line 213) is then earlier than it.
    ['a queue that jumped forward', 209, '9999', 213, /block_rq_insert at 4379\.\d{6} is earlier than its request's block_bio_queue at 9999\.467107 \(line 209\)/],
    // Line 215 is that request's completion: earlier than its issue.
    ['a completion that jumped back', 215, '4378', 215, /block_rq_complete at 4378\.467607 is earlier than its request's block_rq_issue/],
    ['an event before the capture began', 209, '1', 209, /block_bio_queue at 1\.467107 is earlier than the capture's first event/],
  ] as const) {
    it(`${what}: stops at file:line; --lenient leaves it out with a note`, async () => {
      const path = restamped(`${at}-${secs}.txt`, at, secs);
      await expect(replayFile(path)).rejects.toMatchObject({ where: `${path}:${where}`, message: expect.stringMatching(message) });
      const r = await replayFile(path, { lenient: true });
      expect(r.notes).toContainEqual(expect.stringMatching(new RegExp(`^1 events with timestamps out of order were left out, with their requests, the first at ${path.replace(/[.]/g, '\\.')}:${where} \\(`)));
      // No negative or hour-long stage: the request is gone (or, before the capture, its queue event).
      const c = (await clean).input.stats.all.total;
      const got = r.input.stats.all.total;
      expect(got.count).toBeGreaterThanOrEqual(c.count - 1);
      expect(got.max).toBeLessThanOrEqual(c.max);
      expect(got.min).toBeGreaterThanOrEqual(0);
    });
  }
});

/** The shipped qd16-mixed capture folder (QEMU log, host io_uring and host block tracefs). */
const folder = join(repoRoot, 'traces', 'real', 'qd16-mixed');

/** The lines of `file` in the shipped folder (line n at index n - 1). */
const linesOf = (file: string): string[] => readFileSync(join(folder, file), 'utf8').split('\n');
/** The first line (1-based) at or after `from` whose text matches. */
function find(lines: string[], re: RegExp, from = 1): number {
  const i = lines.findIndex((l, i) => i + 1 >= from && re.test(l));
  expect(i).toBeGreaterThanOrEqual(0);
  return i + 1;
}
/** A tracefs or QEMU stamp on a line: seconds and microseconds. */
const stampOn = (line: string): string => /(?:\s|@)(\d+\.\d{6})[:\s]/.exec(line)![1]!;

/** A copy of the folder with line `at` of `file` restamped to `stamp`. */
function restampedFolder(name: string, file: string, at: number, stamp: string): string {
  const dir = join(work, name);
  cpSync(folder, dir, { recursive: true });
  const lines = linesOf(file);
  lines[at - 1] = lines[at - 1]!.replace(stampOn(lines[at - 1]!), stamp);
  writeFileSync(join(dir, file), lines.join('\n'));
  return dir;
}

/** One microsecond before a stamp. */
const before = (stamp: string): string => {
  const us = BigInt(stamp.replace('.', '')) - 1n;
  return `${us / 1_000_000n}.${(us % 1_000_000n).toString().padStart(6, '0')}`;
};

/** Records as comparable text (bigints as strings). */
const recordKeys = (rs: TraceRecord[]): string[] => rs.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));

describe('a capture folder with a host timestamp out of order', async () => {
  const clean = await captureRecords(await openCapture(folder));

  const block = linesOf('host-block.txt');
  const blkIssue = find(block, /block_rq_issue: 254,0 .* 30239760 \+ 8/);
  const blkComplete = find(block, /block_rq_complete: 254,0 .* 30239760 \+ 8/, blkIssue);
  const uring = linesOf('host-iouring.txt');
  const urSubmit = find(uring, /io_uring_submit_req: /);
  const ud = /user_data (0x[0-9a-f]+)/.exec(uring[urSubmit - 1]!)![1]!;
  const urComplete = find(uring, new RegExp(`io_uring_complete: .*user_data ${ud},`), urSubmit);
  const qemu = linesOf('qemu-trace.log');
  const handle = find(qemu, /virtio_blk_handle_read .* sector 0 nsectors 1$/);
  const req = /req (0x[0-9a-f]+)/.exec(qemu[handle - 1]!)![1]!;
  const submit = find(qemu, /luring_co_submit .* offset 0 nbytes 512 /, handle);
  const complete = find(qemu, new RegExp(`virtio_blk_req_complete .*req ${req} `), handle);
  const notify = handle - 2;
  expect(qemu[notify - 1]).toContain(':virtio_queue_notify ');

  for (const [what, file, at, earlier, kind, message] of [
    ['a disk completion before its issue', 'host-block.txt', blkComplete, blkIssue, 'host_blk', `block_rq_complete at ${before(stampOn(block[blkIssue - 1]!))} is earlier than its request's block_rq_issue at ${stampOn(block[blkIssue - 1]!)} (line ${blkIssue})`],
    ['an io_uring completion before its submission', 'host-iouring.txt', urComplete, urSubmit, 'uring_op', `io_uring_complete at ${before(stampOn(uring[urSubmit - 1]!))} is earlier than its submission io_uring_submit_req at ${stampOn(uring[urSubmit - 1]!)} (line ${urSubmit})`],
    ['a QEMU completion before its io_uring submission', 'qemu-trace.log', complete, submit, 'qemu_req', `virtio_blk_req_complete at ${before(stampOn(qemu[submit - 1]!))} is earlier than its request's luring_co_submit at ${stampOn(qemu[submit - 1]!)} (line ${submit})`],
    ['a QEMU request handled before its queue notify', 'qemu-trace.log', handle, notify, 'qemu_req', `virtio_blk_handle_read at ${before(stampOn(qemu[notify - 1]!))} is earlier than its request's virtio_queue_notify at ${stampOn(qemu[notify - 1]!)} (line ${notify})`],
  ] as const) {
    it(`${what}: stops at file:line as the guest side does; equal stamps are in order; --lenient leaves the one record out`, async () => {
      const lines = linesOf(file);
      // The same stamp as the event before it is no fault (tracefs prints microseconds).
      const same = restampedFolder(`same-${file}-${at}`, file, at, stampOn(lines[earlier - 1]!));
      expect(recordKeys((await captureRecords(await openCapture(same))).records)).toHaveLength(clean.records.length);
      const dir = restampedFolder(`back-${file}-${at}`, file, at, before(stampOn(lines[earlier - 1]!)));
      const where = `${join(dir, file)}:${at}`;
      await expect(replayFile(dir)).rejects.toMatchObject({ where, message: `${message}: the timestamps are out of order` });
      const r = await replayFile(dir, { lenient: true });
      expect(r.notes).toContainEqual(`1 host events with timestamps out of order were left out, with their requests, the first at ${where} (${message}: the timestamps are out of order)`);
      // Exactly the request the line belongs to is left out; every other record is as in the shipped capture.
      const got = recordKeys((await captureRecords(await openCapture(dir), { lenient: true })).records);
      const want = recordKeys(clean.records);
      expect(got.every((k) => want.includes(k))).toBe(true);
      const gone = want.filter((k) => !got.includes(k));
      expect(gone.map((k) => JSON.parse(k).kind)).toEqual([kind]);
    });
  }
});
