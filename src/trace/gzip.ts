// Gzip, shared by the trace reader and the capture readers: detection by content, and a member-by-member gunzip that keeps every byte decoded before a fault.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants as zlib, crc32, createInflateRaw, type InflateRaw } from 'node:zlib';
import { InputError } from '../errors.js';

/**
 * Refuses a pipe or a socket (`/dev/stdin` fed by a pipe, `<(zcat f)`) as an InputError: an input is
 * read more than once, by position (its kind told from its first bytes, then its records), which a
 * stream does not allow. Told by stat, before opening: opening a FIFO would wait for its writer.
 */
export async function refuseStream(path: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (st && (st.isFIFO() || st.isSocket())) throw new InputError('a pipe, not a file: a trace is read more than once (its kind, then its records); save it to a file first', path);
}

/** True when the file starts with the gzip magic bytes (so a .gz name is not required, nor trusted). */
export async function isGzip(path: string): Promise<boolean> {
  await refuseStream(path);
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file' : `cannot open (${code ?? String(err)})`, path);
  }
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Why a gzip file gave its bytes only up to a point. */
export interface GzipFault {
  /** What is wrong, for the user: "gzip trailer's CRC-32 does not match the data", ... */
  message: string;
  /** Byte offset in the compressed file where it was found. */
  offset: number;
  /** True when the file just ends early (a cut recording), false when bytes are wrong. */
  truncated: boolean;
}

/** Compressed bytes handed to the inflater per write: a fault found inside one is narrowed down byte by byte. */
const STEP_BYTES = 1 << 16;

/** What one write to the inflater gave. */
interface Step {
  out: Buffer[];
  error?: Error;
}

/**
 * Writes `input` and waits until it has been inflated. The output of a write that fails is lost by
 * zlib's stream (it raises the error instead of pushing it), which is why writes are kept small.
 */
function step(inf: InflateRaw, input: Buffer): Promise<Step> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const onData = (c: Buffer): void => void out.push(c);
    const done = (s: Step): void => {
      inf.off('data', onData);
      inf.off('error', onError);
      resolve(s);
    };
    const onError = (e: Error): void => done({ out, error: e });
    inf.on('data', onData);
    inf.on('error', onError);
    inf.write(input, () => done({ out }));
  });
}

/** A gzip member's header length at `buf[0]`, or a fault message / undefined when more bytes are needed. */
function memberHeaderLength(buf: Buffer): number | string | undefined {
  if (buf[0] !== 0x1f || (buf.length > 1 && buf[1] !== 0x8b)) return 'not a gzip member';
  if (buf.length < 10) return undefined;
  if (buf[2] !== 8) return `unknown gzip compression method ${buf[2]}`;
  const flags = buf[3]!;
  let at = 10;
  if (flags & 4) {
    if (buf.length < at + 2) return undefined;
    at += 2 + buf.readUInt16LE(at);
  }
  for (const bit of [8, 16]) {
    if (!(flags & bit)) continue;
    const nul = buf.indexOf(0, at);
    if (nul < 0) return undefined;
    at = nul + 1;
  }
  if (flags & 2) at += 2;
  return at <= buf.length ? at : undefined;
}

/**
 * Gunzips a file member by member (gzip allows several, as `cat a.gz b.gz` makes), yielding the
 * inflated bytes. It checks each member's CRC-32 and length itself rather than leaving that to
 * zlib's gunzip, which on any fault drops the output it had not yet pushed (up to a chunk of
 * records): here every byte decoded before a fault is yielded first, then `fault.error` is set and
 * the generator ends. Trailing bytes after the last member that are not another member are a fault.
 */
export async function* gunzipFile(path: string, fault: { error?: GzipFault }, chunkBytes: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    let pos = 0;
    for (let member = 0; pos < size; member++) {
      const head = await readAt(fh, pos, Math.min(size - pos, 1 << 16));
      const hlen = memberHeaderLength(head);
      if (typeof hlen !== 'number') {
        const wrong = typeof hlen === 'string';
        fault.error = member > 0 && wrong
          ? { message: `${size - pos} bytes of trailing data after the end of the gzip stream (not another gzip member)`, offset: pos, truncated: false }
          : { message: wrong ? hlen : 'the file ends inside a gzip header: truncated', offset: pos, truncated: !wrong };
        return;
      }
      const start = pos + hlen;
      const r = yield* inflateMember(fh, start, size, fault, chunkBytes);
      if (!r) return;
      const trailerAt = start + r.consumed;
      if (size - trailerAt < 8) {
        fault.error = { message: 'the gzip stream is truncated: it ends inside its 8-byte trailer', offset: trailerAt, truncated: true };
        return;
      }
      const trailer = await readAt(fh, trailerAt, 8);
      if (trailer.readUInt32LE(0) !== r.crc) {
        fault.error = { message: "the gzip trailer's CRC-32 does not match the data: the file is corrupt", offset: trailerAt, truncated: false };
        return;
      }
      if (trailer.readUInt32LE(4) !== r.length % 2 ** 32) {
        fault.error = { message: "the gzip trailer's length does not match the data: the file is corrupt", offset: trailerAt + 4, truncated: false };
        return;
      }
      pos = trailerAt + 8;
    }
  } finally {
    await fh.close();
  }
}

/** Reads n bytes at pos (fewer at the end of the file). */
async function readAt(fh: FileHandle, pos: number, n: number): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  const { bytesRead } = await fh.read(buf, 0, n, pos);
  return buf.subarray(0, bytesRead);
}

/**
 * Inflates one member's deflate data from `start`, yielding its output; returns the compressed bytes
 * it took, its CRC-32 and length, or undefined (fault set) when it failed or the file ended first.
 */
async function* inflateMember(fh: FileHandle, start: number, size: number, fault: { error?: GzipFault }, chunkBytes: number): AsyncGenerator<Buffer, { consumed: number; crc: number; length: number } | undefined> {
  const inf = createInflateRaw({ finishFlush: zlib.Z_SYNC_FLUSH, chunkSize: 1 << 16 });
  let ended = false;
  inf.once('end', () => (ended = true));
  let crc = 0, length = 0, written = 0;
  try {
    while (!ended) {
      const chunk = await readAt(fh, start + written, Math.min(chunkBytes, size - start - written));
      if (chunk.length === 0) {
        // Give a deflate end found in the last write its turn to be seen.
        await new Promise((r) => setImmediate(r));
        if (ended) break;
        fault.error = { message: 'the gzip stream is truncated: the file ends inside its compressed data', offset: size, truncated: true };
        return undefined;
      }
      const out: Buffer[] = [];
      for (let at = 0; at < chunk.length && !ended; at += STEP_BYTES) {
        const piece = chunk.subarray(at, at + STEP_BYTES);
        const s = await step(inf, piece);
        if (s.error) {
          // zlib lost this write's output: inflate again up to here, then this piece a byte at a time.
          inf.destroy();
          const from = start + written;
          const r = await refeed(fh, start, from - start, piece, length + out.reduce((n, b) => n + b.length, 0));
          r.inf.destroy();
          out.push(...r.out);
          for (const b of out) crc = crc32(b, crc), (length += b.length);
          if (out.length) yield Buffer.concat(out);
          fault.error = { message: `the gzip data is corrupt (${s.error.message})`, offset: from + r.failedAt, truncated: false };
          return undefined;
        }
        out.push(...s.out);
        written += piece.length;
        if (inf.bytesWritten < written) ended = true;
      }
      for (const b of out) crc = crc32(b, crc), (length += b.length);
      if (out.length) yield Buffer.concat(out);
    }
    return { consumed: inf.bytesWritten, crc, length };
  } finally {
    inf.destroy();
  }
}

/**
 * After a failed write: a fresh inflater over the member's first `before` bytes (their output, of which
 * `have` bytes were already given, is skipped), then `piece` one byte at a time, so everything decoded
 * before the byte zlib rejects is kept. Returns the new output and the failing byte's offset in `piece`.
 */
async function refeed(fh: FileHandle, start: number, before: number, piece: Buffer, have: number): Promise<{ inf: InflateRaw; out: Buffer[]; failedAt: number }> {
  const inf = createInflateRaw({ finishFlush: zlib.Z_SYNC_FLUSH, chunkSize: 1 << 16 });
  let produced = 0;
  const keep: Buffer[] = [];
  const take = (bufs: Buffer[]): void => {
    for (const b of bufs) {
      const skip = Math.max(0, Math.min(b.length, have - produced));
      produced += b.length;
      if (skip < b.length) keep.push(b.subarray(skip));
    }
  };
  for (let at = 0; at < before; at += STEP_BYTES) {
    const s = await step(inf, await readAt(fh, start + at, Math.min(STEP_BYTES, before - at)));
    take(s.out);
  }
  let failedAt = piece.length;
  for (let i = 0; i < piece.length; i++) {
    const s = await step(inf, piece.subarray(i, i + 1));
    take(s.out);
    if (s.error) {
      failedAt = i;
      break;
    }
  }
  return { inf, out: keep, failedAt };
}
