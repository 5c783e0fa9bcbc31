// Timestamps out of order within a request (an edited line, a clock that jumped): bad input at file:line, or left out under --lenient.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/shared.js';
import { replayFile } from '../../replay/index.js';

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
