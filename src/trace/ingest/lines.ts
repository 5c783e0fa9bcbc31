// Streams the lines of a capture file, plain or gzip, in batches; a gzip fault or a last line cut short ends them after the last complete line, named at file:line.
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
  /**
   * Set once the lines have ended early, at a gzip fault or inside a line (text after the file's last
   * newline): every complete line before it was given. Not thrown, lenient or not, so a reader keeps
   * what it read; whether a cut fails the run is its caller's to say (a report: exit 1 unless lenient).
   */
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
  /**
   * Whether the reader still wants `text`, the text after the last complete line (empty at a gzip
   * cut at a line end): a serial copy's reader wants nothing after its section's END marker. Not
   * wanted, a half last line or a gzip stream cut short is no cut: nothing the reader reads was lost.
   */
  wants?: (text: string) => boolean;
}

/**
 * The file's lines in batches (arrays), split on `\n` only, so line numbers agree with `grep -n` even
 * when a serial console left stray `\r`s inside lines. Batches keep the per-line cost of async
 * iteration out of the hot loop. Gzip goes through the trace reader's gunzip, which gives every byte
 * decoded before a fault: every complete line before it is yielded, a half line at it is part of the
 * cut, and the fault is the `cut` at the line after the last complete one. A plain file's text after
 * its last newline is a line cut short in the same way (a killed copy): it is the cut, not parsed,
 * since its last field may be cut too and still look whole ("offset 33067" of "offset 3306700").
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
    const tail = src.buf.toString('utf8');
    if (fault) {
      // Corrupt data may have touched any line, wanted or not: only a stream cut short can be let pass.
      if (!fault.truncated || (options.wants?.(tail) ?? true)) cut = { where: `${file}:${lines + 1}`, reason: gzipCutReason(fault, lines, 'lines') };
      return;
    }
    if (tail.trim() !== '' && (options.wants?.(tail) ?? true)) {
      cut = { where: `${file}:${lines + 1}`, reason: `the file ends inside line ${lines + 1}, ${src.buf.length} bytes into it (no newline after them): it was cut; ${lines} complete lines were read` };
    }
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
