// Trace files: round trip (plain and gzip), cut recordings, malformed lines, foreign files.
import { rmSync, mkdtempSync, readFileSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { guestTime, hostTime, type GuestRequestRecord, type QemuRequestRecord, type TraceRecord } from '../records/index.js';
import { openTrace, TraceWriter, type TraceHeader } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'viotrace-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const header: Omit<TraceHeader, 'format' | 'version'> = {
  tool: 'viotrace test',
  created: '2026-11-24T00:00:00Z',
  source: { kind: 'scenario', name: 'baseline', seed: 1 },
  hooks: ['block:block_rq_issue', 'virtio_blk_req_complete'],
  clocks: { guest: { domain: 'guest-mono', base: '0' }, host: { domain: 'host-mono', base: '123456789012345678' } },
  topology: { vms: [], hostDevices: [] },
};

function guestRq(i: number): GuestRequestRecord {
  const t = 1_000_000 + i * 10_000;
  return {
    kind: 'guest_rq', vm: 'vm1', dev: (254 << 20) | 0, sector: 2048 + i * 8, nrSectors: 8, op: 'read', rwbs: 'RS',
    error: 0, hwq: 0, vq: 0, head: i % 128, cpu: 0, kickSeq: i, appUserData: 0x55799e008180n + BigInt(i),
    tBioQueue: guestTime(t), tRqInsert: guestTime(t + 10), tRqIssue: guestTime(t + 20), tQueueRq: guestTime(t + 30),
    tVqAdd: guestTime(t + 40), tKick: guestTime(t + 50), tVringInterrupt: guestTime(t + 900), tCompleteRq: guestTime(t + 950),
    tRqComplete: guestTime(t + 1000),
  };
}

function qemuReq(i: number): QemuRequestRecord {
  const t = 5_000_000 + i * 10_000;
  return {
    kind: 'qemu_req', qemuPid: 2148, tid: 2148, vdev: 0x5573226b6ed0n, vq: 0, head: i % 128, type: 'in', sector: 2048 + i * 8,
    nbytes: 4096, status: 0, userData: 0x7f8da21ff8c0n, mergedCount: 1, notifySeq: i,
    tHandle: hostTime(t), tPop: hostTime(t + 5), tAio: hostTime(t + 10), tReqComplete: hostTime(t + 700),
  };
}

async function writeTrace(path: string, n: number, close = true): Promise<TraceRecord[]> {
  const w = new TraceWriter(path, header, 100);
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

async function readAll(path: string, lenient = false) {
  const t = await openTrace(path, { lenient });
  const recs: TraceRecord[] = [];
  for await (const r of t.records()) recs.push(r);
  return { header: t.header, recs, summary: t.summary };
}

describe('trace files', () => {
  for (const name of ['plain.jsonl', 'packed.jsonl.gz']) {
    it(`round-trips records, bigints and lost counts (${name})`, async () => {
      const path = join(dir, name);
      const written = await writeTrace(path, 1000);
      const { header: h, recs, summary } = await readAll(path);
      expect(h.source.name).toBe('baseline');
      expect(h.clocks.host.base).toBe('123456789012345678');
      expect(recs).toEqual(written);
      expect(summary).toEqual({ records: 1000, lost: { guest: 0, host: 3 }, skipped: 0 });
    });
  }

  it('gzips when the name ends in .gz', async () => {
    const path = join(dir, 'z.jsonl.gz');
    await writeTrace(path, 10);
    expect(readFileSync(path).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it('replays every complete record of a recording killed before close, and reports the cut', async () => {
    for (const name of ['killed.jsonl', 'killed.jsonl.gz']) {
      const path = join(dir, name);
      const written = await writeTrace(path, 250, false);
      const { recs, summary } = await readAll(path);
      expect(recs).toEqual(written);
      expect(summary.cut?.reason).toMatch(/cut|truncated/);
    }
  });

  it('treats an incomplete last line as the cut, not as a malformed record', async () => {
    const path = join(dir, 'partial.jsonl');
    await writeTrace(path, 20);
    const text = readFileSync(path, 'utf8').split('\n');
    // Drop the end line and cut the last record in half.
    const kept = text.slice(0, 20).join('\n') + '\n' + text[20].slice(0, 40);
    writeFileSync(path, kept);
    const { recs, summary } = await readAll(path);
    expect(recs.length).toBe(19);
    expect(summary.cut?.reason).toContain('last line incomplete');
  });

  it('gives back what a gzip cut in the middle of a block still holds', async () => {
    const path = join(dir, 'cut.jsonl.gz');
    await writeTrace(path, 2000);
    truncateSync(path, Math.floor(statSync(path).size * 0.6));
    const { recs, summary } = await readAll(path);
    expect(recs.length).toBeGreaterThan(0);
    expect(recs.length).toBeLessThan(2000);
    expect(summary.cut).toBeDefined();
  });

  it('names file:line for a malformed record and skips it in lenient mode', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeTrace(path, 10);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[3] = '{"kind":"guest_rq","vm":"vm1"}';
    lines[5] = 'this is not json';
    writeFileSync(path, lines.join('\n'));
    await expect(readAll(path)).rejects.toThrow(InputError);
    await expect(readAll(path)).rejects.toMatchObject({ where: `${path}:4` });
    const { recs, summary } = await readAll(path, true);
    expect(summary.skipped).toBe(2);
    expect(recs.length).toBe(8);
  });

  it('refuses a file of another format and an unknown version, naming line 1', async () => {
    const other = join(dir, 'other.txt');
    writeFileSync(other, '# tracer: nop\n');
    await expect(openTrace(other)).rejects.toMatchObject({ where: `${other}:1`, message: expect.stringContaining('not a viotrace trace') });
    const v9 = join(dir, 'v9.jsonl');
    writeFileSync(v9, JSON.stringify({ format: 'viotrace.trace', version: 9 }) + '\n');
    await expect(openTrace(v9)).rejects.toThrow(/unsupported trace version 9/);
    const gzOther = join(dir, 'other.gz');
    writeFileSync(gzOther, gzipSync('hello\n'));
    await expect(openTrace(gzOther)).rejects.toThrow(/not a viotrace trace/);
  });

  it('refuses an unknown record kind', async () => {
    const path = join(dir, 'kind.jsonl');
    await writeTrace(path, 4);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[2] = '{"kind":"mystery"}';
    writeFileSync(path, lines.join('\n'));
    await expect(readAll(path)).rejects.toThrow(/unknown record kind "mystery"/);
  });
});
