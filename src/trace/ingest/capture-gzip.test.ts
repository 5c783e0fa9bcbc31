// Real capture files whose gzip stream fails (cut, corrupt, a flipped byte): every complete line before the fault is read and the fault is the stream's cut at file:line, lenient or not; a bad line before it stops a strict read; a folder's cut streams.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/shared.js';
import { replayFile } from '../../replay/index.js';
import { readBpftrace, readBpftraceText } from './bpftrace.js';
import { openCapture } from './capture.js';
import { captureRecords } from './capture-records.js';
import type { RawEvent } from './event.js';
import { collect, readFtrace, readFtraceText } from './ftrace.js';

const work = mkdtempSync(join(tmpdir(), 'viotrace-capture-gzip-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The shipped bpftrace capture (gzip -9 as shipped) and a real tracefs capture. */
const shippedBt = join(repoRoot, 'traces', 'real-bpftrace', 'randrw-4k-qd8.guest.bt.txt.gz');
const tracefsText = readFileSync(join(repoRoot, 'traces', 'real-guest', 'randrw-4k-512k-qd32-io_uring.trace.txt'));
/** A capture folder whose larger streams are gzip files as shipped. */
const gzFolder = join(repoRoot, 'traces', 'real', 'qd16-mixed-bpftrace');

/** How many complete lines zlib itself decodes from a damaged gzip: the reader must give exactly these. */
function completeLines(gz: Buffer): number {
  const text = gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH });
  let n = 0;
  for (const c of text) if (c === 10) n++;
  return n;
}

/** Writes `bytes` under the work folder and returns its path. */
function file(name: string, bytes: Buffer): string {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

/** What an event is compared by (the reader's file label aside). */
const key = (e: RawEvent) => ({ line: e.line, name: e.name, ts: e.ts, fields: e.fields });
const byLine = (a: RawEvent, b: RawEvent) => a.line - b.line;

describe('a real bpftrace capture (.gz) cut at several offsets', async () => {
  const gz = readFileSync(shippedBt);
  const whole = (await collect(readBpftraceText(gunzipSync(gz).toString('utf8'), { label: 'whole', side: 'guest' }))).events;

  for (const at of [200, Math.floor(gz.length / 3), Math.floor((2 * gz.length) / 3), gz.length - 4]) {
    it(`cut at compressed byte ${at}: every event before the line after the last complete one, the cut named there, lenient or not`, async () => {
      const path = file(`bt-cut-${at}.gz`, gz.subarray(0, at));
      const k = completeLines(gz.subarray(0, at));
      const what = at === gz.length - 4 ? 'it ends inside its 8-byte trailer' : 'the file ends inside its compressed data';
      const reason = new RegExp(`^the gzip stream is truncated: ${what} \\(compressed byte \\d+\\); ${k} complete lines were read$`);
      for (const lenient of [false, true]) {
        const stream = readBpftrace(path, { side: 'guest', lenient });
        const { events } = await collect(stream);
        expect(events.sort(byLine).map(key)).toEqual(whole.filter((e) => e.line <= k).sort(byLine).map(key));
        expect(stream.cut).toEqual({ where: `${path}:${k + 1}`, reason: expect.stringMatching(reason) });
        if (at > 1000) expect(events.length).toBeGreaterThan(1000);
      }
    });
  }

  it('a malformed whole line just before the fault is skipped and counted, not taken for the half line of a cut', async () => {
    // Stored blocks (level 0): corrupting the second block's NLEN cuts the lines after the first
    // block's last '\n'; that last whole line is made garbage of the same length (same blocks).
    const text = gunzipSync(gz);
    const len = gzipSync(text, { level: 0 }).readUInt16LE(11);
    const last = text.lastIndexOf(10, len - 1);
    const start = text.lastIndexOf(10, last - 1) + 1;
    const spoiled = Buffer.from(text);
    spoiled.fill('x', start, last);
    const stored = gzipSync(spoiled, { level: 0 });
    expect(stored.readUInt16LE(11)).toBe(len);
    stored[10 + 5 + len + 3]! ^= 0xff;
    const path = file('bt-garbage-last.gz', stored);
    const k = spoiled.subarray(0, len).toString('utf8').split('\n').length - 1;
    const stream = readBpftrace(path, { lenient: true });
    const { stats } = await collect(stream);
    expect(stats.skipped).toBe(1);
    expect(stats.skippedExamples).toEqual([expect.stringMatching(new RegExp(`:${k}: not an event line`))]);
    expect(stream.cut?.where).toBe(`${path}:${k + 1}`);
  });

  it('a bad CRC-32 in the trailer: every line read, the file named corrupt after its last line, lenient or not', async () => {
    const b = Buffer.from(gz);
    b[b.length - 6]! ^= 0xff;
    const path = file('bt-crc.gz', b);
    const lines = completeLines(gz);
    const reason = new RegExp(`^the gzip trailer's CRC-32 does not match the data: the file is corrupt \\(compressed byte ${gz.length - 8}\\); ${lines} complete lines were read$`);
    for (const lenient of [false, true]) {
      const stream = readBpftrace(path, { lenient });
      expect((await collect(stream)).events.length).toBe(whole.length);
      expect(stream.cut).toEqual({ where: `${path}:${lines + 1}`, reason: expect.stringMatching(reason) });
    }
  });

  it('a flipped byte inside the data: the garbage line it makes is named, and said to be maybe damage, with the gzip fault', async () => {
    const b = Buffer.from(gz);
    b[b.length >> 1]! ^= 0x40;
    const path = file('bt-flip.gz', b);
    // zlib inflates the flip into wrong text without complaint; only the trailer's CRC-32 tells.
    await expect(collect(readBpftrace(path))).rejects.toMatchObject({
      where: expect.stringMatching(new RegExp(`^${path.replace(/[.]/g, '\\.')}:\\d+$`)),
      message: expect.stringMatching(/; this line may be damaged data rather than what was written: the gzip trailer's CRC-32 does not match the data: the file is corrupt \(compressed byte \d+\)$/),
    });
    const stream = readBpftrace(path, { lenient: true });
    const { stats } = await collect(stream);
    expect(stats.skipped).toBeGreaterThan(0);
    expect(stream.cut?.reason).toMatch(/CRC-32 does not match the data: the file is corrupt/);
  });
});

describe('a real tracefs capture (.gz) that fails part way', async () => {
  const whole = (await collect(readFtraceText(tracefsText.toString('utf8'), { label: 'whole', source: 'guest' }))).events;
  const gz = gzipSync(tracefsText, { level: 9 });

  for (const part of [0.25, 0.5, 0.75]) {
    it(`cut at ${part * 100}% of its bytes: every event before the line after the last complete one, the cut named there, lenient or not`, async () => {
      const at = Math.floor(gz.length * part);
      const path = file(`ft-cut-${part}.txt.gz`, gz.subarray(0, at));
      const k = completeLines(gz.subarray(0, at));
      for (const lenient of [false, true]) {
        const stream = readFtrace(path, { source: 'guest', lenient });
        const { events, stats } = await collect(stream);
        expect(events.map(key)).toEqual(whole.filter((e) => e.line <= k).map(key));
        expect(stats.skipped).toBe(0);
        expect(stream.cut).toEqual({ where: `${path}:${k + 1}`, reason: expect.stringMatching(/^the gzip stream is truncated/) });
      }
    });
  }

  it('corrupt data that zlib refuses: every line of the blocks before it is read, the byte named', async () => {
    // Level 0 stores the text in blocks (5-byte header: type, LEN, NLEN): a wrong NLEN in the second
    // block is refused by zlib on its high byte, after the whole first block was decoded.
    const stored = gzipSync(tracefsText, { level: 0 });
    const len = stored.readUInt16LE(11);
    const second = 10 + 5 + len;
    stored[second + 3]! ^= 0xff;
    const path = file('ft-stored.txt.gz', stored);
    const k = tracefsText.subarray(0, len).toString('utf8').split('\n').length - 1;
    const reason = `the gzip data is corrupt (invalid stored block lengths) (compressed byte ${second + 4}); ${k} complete lines were read`;
    for (const lenient of [false, true]) {
      const stream = readFtrace(path, { source: 'guest', lenient });
      expect((await collect(stream)).events.map(key)).toEqual(whole.filter((e) => e.line <= k).map(key));
      expect(stream.cut).toEqual({ where: `${path}:${k + 1}`, reason });
    }
  });
});

describe('a capture folder with a stream cut', () => {
  /** A copy of the shipped folder with `name` cut at half its compressed bytes; also the zlib-decodable line count. */
  function cutFolder(name: string): { dir: string; path: string; k: number; gz: Buffer } {
    const dir = join(work, `folder-${name.replace(/\W/g, '-')}`);
    cpSync(gzFolder, dir, { recursive: true });
    const gz = readFileSync(join(gzFolder, name));
    const cut = gz.subarray(0, gz.length >> 1);
    writeFileSync(join(dir, name), cut);
    return { dir, path: join(dir, name), k: completeLines(cut), gz };
  }

  for (const [name, host] of [['qemu-trace.log.gz', 'tracefs'], ['host-block.txt.gz', 'tracefs'], ['guest-serial.txt.gz', 'tracefs'], ['host.bt.txt.gz', 'bpftrace']] as const) {
    it(`${name}: the replay's cut at its file:line; every line before the cut is stitched, as a folder holding only those lines would, lenient or not`, async () => {
      const { dir, path, k, gz } = cutFolder(name);
      for (const lenient of [false, true]) {
        const r = await replayFile(dir, { captureHost: host, lenient });
        expect(r.cut).toEqual({ where: `${path}:${k + 1}`, reason: expect.stringMatching(/^the gzip stream is truncated: .*; \d+ complete lines were read$/) });
      }
      // The oracle: the same folder with the stream replaced by its first k lines, whole.
      const prefix = join(work, `prefix-${name.replace(/\W/g, '-')}`);
      cpSync(gzFolder, prefix, { recursive: true });
      const lines = gunzipSync(gz).toString('utf8').split('\n').slice(0, k);
      writeFileSync(join(prefix, name), gzipSync(lines.join('\n') + '\n'));
      for (const lenient of [false, true]) {
        const got = await captureRecords(await openCapture(dir), { host, lenient });
        const want = await captureRecords(await openCapture(prefix), { host, lenient });
        expect(got.records).toEqual(want.records);
        // A cut guest copy ends inside its section: the cut says so, not a missing END marker as well.
        expect(got.cuts).toEqual([{ where: `${path}:${k + 1}`, reason: expect.stringMatching(/truncated/) }]);
        expect(got.skippedExamples).toEqual([]);
      }
    });
  }

  it('a host bpftrace stream without its "# end" line is the replay\'s cut, as for a bpftrace file read alone', async () => {
    const dir = join(work, 'folder-no-end');
    cpSync(gzFolder, dir, { recursive: true });
    const text = gunzipSync(readFileSync(join(gzFolder, 'host.bt.txt.gz'))).toString('utf8');
    expect(text).toContain('\n# end\n');
    writeFileSync(join(dir, 'host.bt.txt.gz'), gzipSync(text.replace('\n# end\n', '\n')));
    const r = await replayFile(dir, { captureHost: 'bpftrace' });
    expect(r.cut).toEqual({ where: expect.stringMatching(/host\.bt\.txt\.gz:\d+$/), reason: expect.stringMatching(/^no "# end" line: the capture was cut/) });
    expect(r.notes.join('\n')).not.toContain('# end');
  });
});
