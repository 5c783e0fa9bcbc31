// Damaged trace files: gzip faults, out-of-range values, bad frame headers; what is kept, what is named, what --lenient skips.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { guestTime, type TraceRecord } from '../records/index.js';
import { replayFile } from '../replay/index.js';
import { openTrace, TraceWriter } from './index.js';
import { guestRq, header, writeTrace } from './records.test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'viotrace-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string, lenient = false) {
  const t = await openTrace(path, { lenient });
  const recs: TraceRecord[] = [];
  for await (const r of t.records()) recs.push(r);
  return { recs, summary: t.summary };
}

describe('gzip faults keep every byte decoded before them', () => {
  for (const name of ['crc.jsonl.gz', 'crc.vtb.gz']) it(`a bad CRC-32 in the trailer: every record kept, the CRC named (${name})`, async () => {
    const path = join(dir, name);
    const written = await writeTrace(path, 3000);
    const b = readFileSync(path);
    b[b.length - 6] ^= 0xff;
    writeFileSync(path, b);
    for (const lenient of [false, true]) {
      const { recs, summary } = await readAll(path, lenient);
      expect(recs).toEqual(written);
      expect(summary.cut?.reason).toMatch(/CRC-32 does not match.*compressed byte \d+.*3000 complete records/);
    }
  });

  it('replay tells a small gzip trace with a bad trailer by its first bytes, then reports the cut', async () => {
    const path = join(dir, 'small-crc.jsonl.gz');
    await writeTrace(path, 20);
    const b = readFileSync(path);
    b[b.length - 6] ^= 0xff;
    writeFileSync(path, b);
    const r = await replayFile(path);
    expect(r.kind).toBe('viotrace-trace');
    expect(r.cut?.reason).toMatch(/CRC-32 does not match.*20 complete records were read/);
  });

  it('a bad length in the trailer is named as such', async () => {
    const path = join(dir, 'isize.jsonl.gz');
    const written = await writeTrace(path, 500);
    const b = readFileSync(path);
    b[b.length - 2] ^= 0x01;
    writeFileSync(path, b);
    const { recs, summary } = await readAll(path);
    expect(recs).toEqual(written);
    expect(summary.cut?.reason).toMatch(/trailer's length does not match/);
  });

  it('trailing bytes after the gzip stream: every record kept, the trailing bytes named', async () => {
    const path = join(dir, 'trail.jsonl.gz');
    const written = await writeTrace(path, 3000);
    const size = readFileSync(path).length;
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from('garbage\n')]));
    const { recs, summary } = await readAll(path);
    expect(recs).toEqual(written);
    expect(summary.cut?.reason).toContain(`8 bytes of trailing data after the end of the gzip stream (not another gzip member) (compressed byte ${size})`);
  });

  it('reads a file of several gzip members (cat a.gz b.gz) as one stream', async () => {
    const plain = join(dir, 'members.jsonl');
    const written = await writeTrace(plain, 400);
    const text = readFileSync(plain);
    const cut = text.indexOf(10, text.length >> 1) + 1;
    const path = join(dir, 'members.jsonl.gz');
    writeFileSync(path, Buffer.concat([gzipSync(text.subarray(0, cut)), gzipSync(text.subarray(cut))]));
    const { recs, summary } = await readAll(path);
    expect(recs).toEqual(written);
    expect(summary.cut).toBeUndefined();
  });

  it('corrupt compressed data: every line decoded before the bad byte is kept', async () => {
    const plain = join(dir, 'stored.jsonl');
    const written = await writeTrace(plain, 2000);
    const text = readFileSync(plain);
    // Level 0 stores the text in blocks of a 5-byte header (type, LEN, NLEN) and LEN bytes: a wrong NLEN
    // in the second block is a fault zlib raises, after the whole first block was decoded.
    const gz = gzipSync(text, { level: 0 });
    const len = gz.readUInt16LE(11);
    const second = 10 + 5 + len;
    gz[second + 3] ^= 0xff; // NLEN's low byte: zlib sees the mismatch on reading its high byte, second + 4
    const path = join(dir, 'stored.jsonl.gz');
    writeFileSync(path, gz);
    const lines = text.subarray(0, len).toString('utf8').split('\n').length - 2; // less the header and the half line
    const { recs, summary } = await readAll(path);
    expect(recs).toEqual(written.slice(0, lines));
    expect(summary.cut?.reason).toMatch(new RegExp(`gzip data is corrupt \\(invalid stored block lengths\\) \\(compressed byte ${second + 4}\\)`));
  });

  it('a gzip fault before the header is named, not taken for an empty file', async () => {
    const path = join(dir, 'tiny.vtb.gz');
    await writeTrace(path, 4);
    const b = readFileSync(path);
    writeFileSync(path, b.subarray(0, 12));
    await expect(openTrace(path)).rejects.toThrow(/gzip stream is truncated/);
  });
});

describe('a cut recording under --lenient', () => {
  it('takes a half-written last line as part of the cut, not as a skipped malformed line', async () => {
    const path = join(dir, 'half.jsonl');
    await writeTrace(path, 20);
    const lines = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, lines.slice(0, 20).join('\n') + '\n' + lines[20]!.slice(0, 40));
    const { recs, summary } = await readAll(path, true);
    expect(recs.length).toBe(19);
    expect(summary.skipped).toBe(0);
    expect(summary.cut?.reason).toContain('last line incomplete');
  });

  it('the same for the half line a gzip fault leaves', async () => {
    const plain = join(dir, 'stored2.jsonl');
    await writeTrace(plain, 2000);
    const gz = gzipSync(readFileSync(plain), { level: 0 });
    gz[10 + 5 + gz.readUInt16LE(11) + 3] ^= 0xff;
    const path = join(dir, 'stored2.jsonl.gz');
    writeFileSync(path, gz);
    const { summary } = await readAll(path, true);
    expect(summary.skipped).toBe(0);
    expect(summary.cut?.reason).toMatch(/gzip data is corrupt/);
  });
});

describe('binary frame headers', () => {
  /** Byte offset of the second frame (after magic, layout, header length, header and the first frame). */
  const secondFrame = (b: Buffer): number => {
    const first = 16 + b.readUInt32LE(12);
    return first + 12 + b.readUInt32LE(first);
  };

  for (const [field, at, value] of [['entries', 4, 0xffffffff], ['length', 0, 0], ['length', 0, 0xffffffff]] as const) {
    it(`an implausible frame ${field} (${value}) is a cut at its byte, strict or lenient: the frames before it are kept`, async () => {
      const path = join(dir, `hdr-${field}-${value}.vtb`);
      const written = await writeTrace(path, 300);
      const b = readFileSync(path);
      const second = secondFrame(b);
      b.writeUInt32LE(value, second + at);
      writeFileSync(path, b);
      for (const lenient of [false, true]) {
        const { recs, summary } = await readAll(path, lenient);
        expect(recs).toEqual(written.slice(0, 100));
        expect(summary.skipped).toBe(0);
        expect(summary.cut).toEqual({ where: `${path}@byte ${second}`, reason: expect.stringMatching(/is not plausible: the file is corrupt from this frame header on; 100 complete records/) });
      }
    });
  }

  it('a frame that miscounts its entries keeps every record it holds; --lenient notes the frame', async () => {
    const path = join(dir, 'miscount.vtb');
    const written = await writeTrace(path, 300);
    const b = readFileSync(path);
    const second = secondFrame(b);
    b.writeUInt32LE(5, second + 4);
    writeFileSync(path, b);
    await expect(readAll(path)).rejects.toMatchObject({ where: `${path}@byte ${second}`, message: 'frame says 5 entries but holds 104' });
    const { recs, summary } = await readAll(path, true);
    expect(recs).toEqual(written);
    expect(summary).toMatchObject({ skipped: 0, skippedFrames: 1 });
    expect((await replayFile(path, { lenient: true })).skippedNote).toBe('1 corrupt frames: 0 of their entries (records and string definitions) could not be read and were skipped');
  });

  it('bytes after the end entry, even fewer than a frame header, are data after the end', async () => {
    const path = join(dir, 'trail.vtb');
    await writeTrace(path, 20);
    const size = readFileSync(path).length;
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from('garbage\n')]));
    await expect(readAll(path)).rejects.toMatchObject({ where: `${path}@byte ${size}`, message: 'data after the end entry' });
  });

  it('a binary header length past belief is corrupt, not a cut', async () => {
    const path = join(dir, 'hdrlen.vtb');
    await writeTrace(path, 10);
    const b = readFileSync(path);
    b.writeUInt32LE(0xfffffff0, 12);
    writeFileSync(path, b);
    await expect(openTrace(path)).rejects.toMatchObject({ where: `${path}@byte 0`, message: 'header length 4294967280 is not plausible: the file is corrupt' });
  });

  it('--lenient says corrupt frames were skipped, not lines', async () => {
    const path = join(dir, 'crcframe.vtb');
    await writeTrace(path, 300);
    const b = readFileSync(path);
    b[secondFrame(b) + 12 + 40] ^= 0xff;
    writeFileSync(path, b);
    const r = await replayFile(path, { lenient: true });
    expect(r.skippedNote).toBe('1 corrupt frames: 104 of their entries (records and string definitions) could not be read and were skipped');
  });
});

describe('values the format forbids', () => {
  /** A 20-record JSON Lines trace with line `at` (1-based) replaced. */
  async function withLine(name: string, at: number, text: string | ((line: string) => string)): Promise<string> {
    const path = join(dir, name);
    await writeTrace(path, 20);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[at - 1] = typeof text === 'string' ? text : text(lines[at - 1]!);
    writeFileSync(path, lines.join('\n'));
    return path;
  }

  const cases: [string, number, string | ((l: string) => string), RegExp][] = [
    ['lostneg', 22, '{"kind":"lost","side":"guest","count":-3}', /lost line needs side guest\|host and a count, a whole number from 0/],
    ['lostfrac', 22, '{"kind":"lost","side":"host","count":1.5}', /a whole number from 0/],
    ['timefrac', 4, (l) => l.replace(/"tRqComplete":\d+/, '"tRqComplete":1.5'), /field tRqComplete is 1.5; it must be whole nanoseconds from 0/],
    ['timeneg', 4, (l) => l.replace(/"tRqComplete":\d+/, '"tRqComplete":-5'), /field tRqComplete is -5/],
    ['timehuge', 4, (l) => l.replace(/"tRqComplete":\d+/, '"tRqComplete":1e300'), /field tRqComplete is 1e\+300/],
    ['i32frac', 4, (l) => l.replace(/"error":0/, '"error":0.5'), /field error is 0.5; it must be a whole number from -2147483648/],
    ['badop', 4, (l) => l.replace(/"op":"read"/, '"op":"frobnicate"'), /guest_rq record: field op is "frobnicate"; it must be one of read, write, flush, discard, other/],
    ['badtype', 3, (l) => l.replace(/"type":"in"/, '"type":"bogus"'), /qemu_req record: field type is "bogus"; it must be one of in, out, flush/],
    ['header2', 5, (l) => readFileSync(join(dir, 'lostneg.jsonl'), 'utf8').split('\n')[0] ?? l, /a header line after line 1/],
    ['endrecs', 23, '{"kind":"end","records":5,"lost":{"guest":0,"host":3}}', /end line says 5 records, but the file holds 20/],
    ['endlost', 23, '{"kind":"end","records":20,"lost":{"guest":1,"host":3}}', /end line says lost guest 1 host 3, but the lost lines add up to guest 0 host 3/],
  ];
  for (const [name, at, text, message] of cases) {
    it(`refuses ${name} at file:line; --lenient skips it`, async () => {
      const path = await withLine(`${name}.jsonl`, at, text);
      await expect(readAll(path)).rejects.toMatchObject({ where: `${path}:${at}`, message: expect.stringMatching(message) });
      const { summary } = await readAll(path, true);
      expect(summary.skipped).toBe(1);
    });
  }

  for (const [name, edit, message] of [
    ['noclocks', (h: Record<string, unknown>) => (h.clocks = null), /header clocks must be \{guest, host\}/],
    ['badbase', (h: Record<string, unknown>) => ((h.clocks as { guest: { base: string } }).guest.base = 'xyz'), /clocks.guest.base is "xyz"; it must be a decimal string/],
    ['badhooks', (h: Record<string, unknown>) => (h.hooks = ['block:block_rq_issue', 'bogus:hook']), /header hook "bogus:hook" is not a hook name/],
    ['hooksnull', (h: Record<string, unknown>) => (h.hooks = null), /header hooks must be a list/],
  ] as const) {
    it(`refuses a header with ${name} at line 1`, async () => {
      const path = join(dir, `${name}.jsonl`);
      await writeTrace(path, 2);
      const lines = readFileSync(path, 'utf8').split('\n');
      const h = JSON.parse(lines[0]!) as Record<string, unknown>;
      edit(h);
      lines[0] = JSON.stringify(h);
      writeFileSync(path, lines.join('\n'));
      await expect(openTrace(path)).rejects.toMatchObject({ where: `${path}:1`, message: expect.stringMatching(message) });
    });
  }

  it('the binary reader refuses the same record values, naming the byte offset', async () => {
    for (const [name, rec, message] of [
      ['binneg.vtb', { ...guestRq(3), tRqComplete: guestTime(-5) }, /guest_rq record: field tRqComplete is -5; it must be whole nanoseconds/],
      ['binop.vtb', { ...guestRq(3), op: 'frobnicate' as 'read' }, /guest_rq record: field op is "frobnicate"; it must be one of/],
    ] as const) {
      const path = join(dir, name);
      const w = new TraceWriter(path, header);
      w.write(guestRq(1));
      w.write(rec);
      await w.close();
      await expect(readAll(path)).rejects.toMatchObject({ where: expect.stringMatching(/@byte \d+$/), message: expect.stringMatching(message) });
      const { recs, summary } = await readAll(path, true);
      expect(recs).toEqual([guestRq(1)]);
      expect(summary.skipped).toBeGreaterThan(0);
    }
  });

  it('the binary reader checks the end entry\'s counts', async () => {
    const path = join(dir, 'binend.vtb');
    await writeTrace(path, 50);
    const b = readFileSync(path);
    // The last frame holds the lost entry and the end entry (17 bytes, the file's last).
    b.writeDoubleLE(7, b.length - 16);
    let f = 16 + b.readUInt32LE(12);
    while (f + 12 + b.readUInt32LE(f) < b.length) f += 12 + b.readUInt32LE(f);
    b.writeUInt32LE(crc32(b.subarray(f + 12)), f + 8);
    writeFileSync(path, b);
    await expect(readAll(path)).rejects.toMatchObject({ where: `${path}@byte ${b.length - 17}`, message: 'end entry says 7 records, but the file holds 50' });
  });
});
