// Trace files: round trip (plain and gzip), cut recordings, malformed lines, foreign files.
import { rmSync, mkdtempSync, readFileSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { guestTime, hostTime, RecordBatch, type TraceRecord } from '../records/index.js';
import { openTrace, TraceWriter } from './index.js';
import { guestRq, header, qemuReq, writeTrace } from './records.test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'viotrace-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A trace's records as numbers (recordBatches), every batch's tags and values copied out as it comes. */
async function readNumbers(path: string, lenient = false) {
  const t = await openTrace(path, { lenient });
  const tags: number[] = [];
  const values: number[] = [];
  for await (const b of t.recordBatches()) {
    tags.push(...b.tags.subarray(0, b.length));
    values.push(...b.values.subarray(0, b.used));
  }
  return { tags, values, summary: t.summary };
}

/** The same numbers from record objects (RecordBatch.add). */
function numbersOf(recs: readonly TraceRecord[]) {
  const b = new RecordBatch();
  for (const r of recs) b.add(r);
  return { tags: [...b.tags.subarray(0, b.length)], values: [...b.values.subarray(0, b.used)] };
}

async function readAll(path: string, lenient = false) {
  const t = await openTrace(path, { lenient });
  const recs: TraceRecord[] = [];
  for await (const r of t.records()) recs.push(r);
  return { header: t.header, recs, summary: t.summary };
}

describe('trace files', () => {
  for (const name of ['plain.jsonl', 'packed.jsonl.gz', 'plain.vtb', 'packed.vtb.gz']) {
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
    for (const name of ['killed.jsonl', 'killed.jsonl.gz', 'killed.vtb', 'killed.vtb.gz']) {
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

  for (const name of ['cut.jsonl.gz', 'cut.vtb.gz']) it(`gives back what a gzip cut in the middle of a block still holds (${name})`, async () => {
    const path = join(dir, name);
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

  it('refuses an identifier wider than 64 bits, naming file:line', async () => {
    const path = join(dir, 'wide.jsonl');
    await writeTrace(path, 6);
    const lines = readFileSync(path, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('"userData":"0x'));
    expect(at).toBeGreaterThan(0);
    lines[at] = lines[at]!.replace(/"userData":"0x[0-9a-f]+"/, '"userData":"0x1ffffffffffffffff"');
    writeFileSync(path, lines.join('\n'));
    await expect(readAll(path)).rejects.toMatchObject({ where: `${path}:${at + 1}`, message: expect.stringContaining('at most 16 digits') });
    // Sixteen digits are a u64.
    lines[at] = lines[at]!.replace('0x1ffffffffffffffff', '0xffffffffffffffff');
    writeFileSync(path, lines.join('\n'));
    const { recs } = await readAll(path);
    expect(recs.some((r) => 'userData' in r && r.userData === 0xffff_ffff_ffff_ffffn)).toBe(true);
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

  describe('binary encoding', () => {
    /** Byte offset of the first frame (after magic, layout, header length and header). */
    const firstFrame = (b: Buffer): number => 16 + b.readUInt32LE(12);

    it('writes the magic, and reads as the same records as JSON Lines in under half the bytes', async () => {
      const bin = join(dir, 'same.vtb');
      const txt = join(dir, 'same.jsonl');
      const a = await writeTrace(bin, 1000);
      await writeTrace(txt, 1000);
      const b = readFileSync(bin);
      expect(b.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x56, 0x54, 0x42, 0x0d, 0x0a, 0x1a, 0x0a]));
      const fromBin = await readAll(bin);
      const fromTxt = await readAll(txt);
      expect(fromBin.recs).toEqual(a);
      expect(fromBin.recs).toEqual(fromTxt.recs);
      expect(fromBin.header).toEqual(fromTxt.header);
      expect(b.length * 2).toBeLessThan(statSync(txt).size);
    });

    it('keeps a record kind with every column type (booleans, ids, strings, negative numbers)', async () => {
      const path = join(dir, 'kinds.vtb');
      const w = new TraceWriter(path, header);
      const recs: TraceRecord[] = [
        { kind: 'uring_op', pid: 2148, tid: 2160, userData: 0xffff_ffff_ffff_fff0n, opcode: 'READV', fd: 17, offset: 2 ** 40 + 4096, nbytes: 4096, res: -11, punted: true, resubmit: false, tLuringSubmit: hostTime(1), tSubmit: hostTime(2), tComplete: hostTime(2 ** 52) },
        { kind: 'notify', qemuPid: 2148, tid: 2148, vdev: 0x5573226b6ed0n, vq: 3, seq: 9, vector: -1, tNotify: hostTime(5), tInject: hostTime(0) },
        { kind: 'guest_app_op', vm: 'vm-ü', pid: 1, userData: 0n, opcode: 'WRITE', res: 4096, tSubmit: guestTime(1), tComplete: guestTime(2) },
      ];
      for (const r of recs) w.write(r);
      await w.close();
      expect((await readAll(path)).recs).toEqual(recs);
    });

    it('decodes frames straight into the stitcher\'s numbers: the numbers the records make, for every kind, and JSON Lines alike', async () => {
      const recs: TraceRecord[] = [];
      for (let i = 0; i < 250; i++) recs.push(guestRq(i), qemuReq(i));
      recs.push(
        { kind: 'uring_op', pid: 2148, tid: 2160, userData: 0xffff_ffff_ffff_fff0n, opcode: 'READV', fd: 17, offset: 2 ** 40 + 4096, nbytes: 4096, res: -11, punted: true, resubmit: true, tLuringSubmit: hostTime(1), tSubmit: hostTime(2), tComplete: hostTime(2 ** 52) },
        { kind: 'host_blk', dev: (259 << 20) | 1, sector: 2 ** 33, nrSectors: 256, op: 'write', rwbs: 'WS', error: 0, pid: 2160, tInsert: hostTime(3), tIssue: hostTime(4), tComplete: hostTime(90) },
        { kind: 'kick', qemuPid: 2148, tid: 2150, gpa: 0xfe00_3000n, t: hostTime(7) },
        { kind: 'notify', qemuPid: 2148, tid: 2148, vdev: 0x5573226b6ed0n, vq: 3, seq: 9, vector: -1, tNotify: hostTime(5), tInject: hostTime(0) },
        { kind: 'guest_app_op', vm: 'vm-ü', pid: 1, userData: (1n << 60n) + 0x41n, opcode: 'WRITE', res: 4096, tSubmit: guestTime(1), tComplete: guestTime(2) },
        { ...guestRq(7), vm: 'vm2', op: 'discard', rwbs: 'D' },
      );
      const want = numbersOf(recs);
      for (const name of ['numbers.vtb', 'numbers.jsonl']) {
        const path = join(dir, name);
        const w = new TraceWriter(path, header, { flushEvery: 100 });
        for (const r of recs) w.write(r);
        await w.close();
        const got = await readNumbers(path);
        expect(got.tags, name).toEqual(want.tags);
        expect(got.values, name).toEqual(want.values);
        expect(got.summary.records).toBe(recs.length);
      }
      // Numbers stand in for the strings: the two VMs, the block ops, the virtio types.
      expect(new Set(want.tags)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    });

    it('names the byte offset of a corrupt frame, and skips and counts its records when lenient', async () => {
      const path = join(dir, 'corrupt.vtb');
      await writeTrace(path, 300);
      const b = readFileSync(path);
      const second = firstFrame(b) + 12 + b.readUInt32LE(firstFrame(b));
      b[second + 12 + 40] ^= 0xff; // a byte inside the second frame's payload (records 100-199)
      writeFileSync(path, b);
      await expect(readAll(path)).rejects.toMatchObject({ where: `${path}@byte ${second}`, message: expect.stringContaining('checksum') });
      // Frames define their own strings: the frames after the corrupt one read in full.
      const { recs, summary } = await readAll(path, true);
      expect(summary.skipped).toBe(104); // the frame's entries: 100 records and its 4 string definitions
      expect(recs.length).toBe(200);
      expect(recs.at(-1)).toEqual(qemuReq(299));
      // Read as numbers, the same frames are skipped and the same records kept.
      const numbers = await readNumbers(path, true);
      expect(numbers.summary.skipped).toBe(104);
      expect(numbers).toMatchObject(numbersOf(recs));
      await expect(readNumbers(path)).rejects.toMatchObject({ where: `${path}@byte ${second}` });
    });

    it('reads every frame after a corrupt one even when that frame defined strings the rest use', async () => {
      const path = join(dir, 'strings.vtb');
      const w = new TraceWriter(path, header, { flushEvery: 100 });
      // Frame 1: guest records only; frames 2 and 3: QEMU records, whose type string "in" frame 2 is first to use.
      for (let i = 0; i < 100; i++) w.write(guestRq(i));
      for (let i = 100; i < 300; i++) w.write(qemuReq(i));
      await w.close();
      const b = readFileSync(path);
      const second = firstFrame(b) + 12 + b.readUInt32LE(firstFrame(b));
      b[second + 12 + 60] ^= 0xff;
      writeFileSync(path, b);
      const { recs } = await readAll(path, true);
      expect(recs.slice(100)).toEqual(Array.from({ length: 100 }, (_, i) => qemuReq(200 + i)));
    });

    it('refuses an unknown entry tag, naming its byte offset', async () => {
      const path = join(dir, 'tag.vtb');
      await writeTrace(path, 10);
      const b = readFileSync(path);
      const f = firstFrame(b);
      const payload = b.subarray(f + 12, f + 12 + b.readUInt32LE(f));
      payload[0] = 0x42; // the first entry (a string definition) becomes an unknown tag
      b.writeUInt32LE(crc32(payload), f + 8);
      writeFileSync(path, b);
      await expect(readAll(path)).rejects.toMatchObject({ where: `${path}@byte ${f + 12}`, message: 'unknown entry tag 0x42' });
    });

    it('reads every complete frame of a file cut inside a frame, and reports the cut', async () => {
      const path = join(dir, 'cutframe.vtb');
      await writeTrace(path, 250);
      const b = readFileSync(path);
      writeFileSync(path, b.subarray(0, b.length - 100));
      const { recs, summary } = await readAll(path);
      expect(recs.length).toBe(200);
      expect(summary.cut?.reason).toContain('last frame incomplete');
    });

    it('refuses an unknown binary layout, naming byte 0', async () => {
      const path = join(dir, 'layout.vtb');
      await writeTrace(path, 2);
      const b = readFileSync(path);
      b.writeUInt32LE(7, 8);
      writeFileSync(path, b);
      await expect(openTrace(path)).rejects.toMatchObject({ where: `${path}@byte 0`, message: expect.stringContaining('unsupported binary trace layout 7') });
    });
  });
});

describe('a trace writer whose file fails', () => {
  it('keeps the error as its failure and rejects close with it, instead of crashing or waiting forever', async () => {
    const w = new TraceWriter(join(dir, 'no-such-folder', 'x.jsonl.gz'), header);
    w.write(guestRq(0));
    await new Promise((r) => setTimeout(r, 50));
    expect((w.failure as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT');
    await expect(w.close()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
