// A trace file's bytes as large chunks, gunzipped when the file is gzip, with the bytes not yet consumed kept between reads.
import { createReadStream } from 'node:fs';
import { gunzipFile, isGzip, type GzipFault } from './gzip.js';

/** The reason given for a file whose gzip stream failed part way: what, where in the compressed file, and what was kept (records of a trace, lines of a capture). */
export function gzipCutReason(fault: GzipFault, count: number, what: 'records' | 'lines' = 'records'): string {
  return `${fault.message} (compressed byte ${fault.offset}); ${count} complete ${what} were read`;
}

/** The UTF-8 byte-order mark Windows editors begin a text file with: not part of its text. */
export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Text read from a file without a leading byte-order mark (U+FEFF, as UTF-8 decodes the mark). */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Bytes read from the file per chunk: large reads keep per-chunk costs off the per-record path. */
const CHUNK_BYTES = 1 << 20;

/**
 * Reads a file forward. `buf` holds the bytes read but not consumed; `more()` appends the next
 * chunk (false at the end of the file). A gzip stream cut short or corrupt ends the bytes early
 * and sets `gzipError`: what came before it is still given, as readers of cut recordings need.
 */
export class ByteSource {
  /** Unconsumed bytes. */
  buf: Buffer = Buffer.alloc(0);
  /** Offset in the (decompressed) stream of buf[0], for error messages. */
  offset = 0;
  private done = false;

  private constructor(
    private readonly chunks: AsyncIterator<Buffer>,
    /** The gunzip's fault holder; undefined for a plain file. */
    private readonly failed?: { error?: GzipFault },
  ) {}

  /** True when the file is gzip (by its content). */
  get gzip(): boolean {
    return this.failed !== undefined;
  }

  /** Set when the gzip stream was truncated or corrupt: what and where (every byte before it was given). */
  get gzipError(): GzipFault | undefined {
    return this.failed?.error;
  }

  /** Opens `path` (gzip detected by content). */
  static async open(path: string): Promise<ByteSource> {
    const gz = await isGzip(path);
    if (!gz) return new ByteSource(createReadStream(path, { highWaterMark: CHUNK_BYTES })[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
    const failed: { error?: GzipFault } = {};
    return new ByteSource(gunzipFile(path, failed, CHUNK_BYTES), failed);
  }

  /** Reads the next chunk onto the end of `buf`; false when the file has ended. */
  async more(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.chunks.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buf = this.buf.length === 0 ? next.value : Buffer.concat([this.buf, next.value]);
    return true;
  }

  /**
   * Drops a byte-order mark at the start of a text file, once its first bytes have been read (byte
   * offsets in messages stay the file's). Does nothing once anything has been consumed, so a reader
   * may call it on every chunk until the first three bytes are in.
   */
  dropByteOrderMark(): void {
    if (this.offset === 0 && this.buf.length >= UTF8_BOM.length && this.buf.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)) this.consume(UTF8_BOM.length);
  }

  /** Drops the first n bytes of `buf`. */
  consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.offset += n;
  }

  /** Stops reading (an error or an early return): closes the file. */
  async close(): Promise<void> {
    this.done = true;
    await this.chunks.return?.();
  }
}
