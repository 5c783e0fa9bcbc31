// Streams the lines of a capture file, plain or gzip, in batches; a gzip fault ends them after the last complete line, named at file:line.
import { InputError } from '../../errors.js';
import { ByteSource, gzipCutReason, withoutByteOrderMark } from '../source.js';

/**
 * Text per batch, at most (but for one longer line). A gzip chunk inflates to megabytes: parsed as
 * one batch, all its events would be alive at once and outlive the young generation (2-4x slower).
 */
const BATCH_BYTES = 1 << 16;

/** Where a capture file's lines ended early, and why (what a report names as the file's cut). */
export interface LinesCut {
  /** `file:line`: the line after the last complete one. */
  where: string;
  reason: string;
}

/** A capture file's lines in batches, with how they ended. */
export interface LineBatches extends AsyncIterable<string[]> {
  /** Set (lenient only) once the lines have ended at a gzip fault; strict reading throws it instead. */
  readonly cut: LinesCut | undefined;
  /**
   * After a bad line: reads the rest of the file and says how its gzip stream fails, if it does. A
   * flipped byte often inflates to garbage that zlib only notices at the trailer's CRC-32, so a line
   * that does not parse may be damage rather than what was written.
   */
  damage(): Promise<string | undefined>;
}

/** Options of the line reader. */
export interface LineOptions {
  /** The file's name in messages (defaults to the path). */
  label?: string;
  /** A gzip fault ends the lines and sets `cut`, rather than throwing. */
  lenient?: boolean;
}

/**
 * The file's lines in batches (arrays), split on `\n` only, so line numbers agree with `grep -n` even
 * when a serial console left stray `\r`s inside lines. Batches keep the per-line cost of async
 * iteration out of the hot loop. Gzip goes through the trace reader's gunzip, which gives every byte
 * decoded before a fault: every complete line before it is yielded, a half line at it is part of the
 * cut, and the fault is an InputError at the line after the last complete one (lenient: `cut`).
 */
export function readLineBatches(path: string, options: LineOptions = {}): LineBatches {
  const file = options.label ?? path;
  let cut: LinesCut | undefined;
  let source: ByteSource | undefined;
  async function* batches(): AsyncGenerator<string[]> {
    const src = (source = await ByteSource.open(path));
    let lines = 0;
    try {
      while (await next(src, file)) {
        // A byte-order mark is not part of the first line (until it is consumed, or the bytes are not one).
        if (lines === 0) src.dropByteOrderMark();
        for (;;) {
          // Up to the last '\n' within BATCH_BYTES (or the first after, for a longer line): '\n' is never
          // part of a multi-byte UTF-8 sequence, so the text before it decodes whole.
          const buf = src.buf;
          let end = buf.lastIndexOf(10, Math.min(buf.length, BATCH_BYTES) - 1);
          if (end < 0 && buf.length > BATCH_BYTES) end = buf.indexOf(10, BATCH_BYTES);
          if (end < 0) break;
          const batch = buf.toString('utf8', 0, end).split('\n');
          src.consume(end + 1);
          lines += batch.length;
          yield batch;
        }
      }
    } finally {
      await src.close();
    }
    const fault = src.gzipError;
    if (fault) {
      const c = { where: `${file}:${lines + 1}`, reason: gzipCutReason(fault, lines, 'lines') };
      if (!options.lenient) throw new InputError(c.reason, c.where);
      cut = c;
      return;
    }
    if (src.buf.length) yield [src.buf.toString('utf8')];
  }
  return {
    get cut() {
      return cut;
    },
    [Symbol.asyncIterator]: batches,
    async damage() {
      const src = source;
      if (!src?.gzip) return undefined;
      try {
        while (await src.more()) src.consume(src.buf.length);
      } catch {
        return undefined;
      }
      const fault = src.gzipError;
      return fault && `${fault.message} (compressed byte ${fault.offset})`;
    },
  };
}

/** The next chunk of the file; a failed read (EISDIR, EIO) is an InputError naming it. */
async function next(src: ByteSource, file: string): Promise<boolean> {
  try {
    return await src.more();
  } catch (err) {
    throw new InputError(`read failed (${(err as Error).message})`, file);
  }
}

/** Splits in-memory text the same way (for fixtures and for benchmarks without disk I/O). */
export function* textLineBatches(text: string): Generator<string[]> {
  const lines = withoutByteOrderMark(text).split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  yield lines;
}
