// Writes a trace file as records arrive (JSON Lines or binary), flushing as it goes so a killed recording still replays.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createGzip, constants as zlib, type Gzip } from 'node:zlib';
import type { LostCounts, TraceRecord } from '../records/index.js';
import { BINARY_LAYOUT, BINARY_MAGIC, FrameEncoder } from './binary.js';
import { encodingFor, TRACE_FORMAT, TRACE_VERSION, type TraceEncoding, type TraceHeader } from './format.js';
import { bigintAsHex } from './jsonl.js';

/** The output name that stands for standard output, as for any Unix tool (`-o -`); `./-` still names a file. */
export const STDOUT = '-';

/** An output as messages name it: its path, or "standard output" for `-`. */
export function outputName(path: string): string {
  return path === STDOUT ? 'standard output' : path;
}

/** How a trace is written. */
export interface TraceWriterOptions {
  /** Records between flushes (default 4096). */
  flushEvery?: number;
  /** Default: from the file name (`encodingFor`); JSON Lines for standard output. */
  encoding?: TraceEncoding;
}

/** One encoding's side of the writer: what to append, and the bytes to write on a flush. */
interface Encoder {
  record(r: TraceRecord): void;
  lost(side: keyof LostCounts, count: number): void;
  end(records: number, lost: LostCounts): void;
  /** Bytes buffered since the last take. */
  take(): Buffer | string | undefined;
}

class JsonlEncoder implements Encoder {
  private lines: string[] = [];
  constructor(header: TraceHeader) {
    this.lines.push(JSON.stringify(header, bigintAsHex));
  }
  record(r: TraceRecord): void {
    this.lines.push(JSON.stringify(r, bigintAsHex));
  }
  lost(side: keyof LostCounts, count: number): void {
    this.lines.push(JSON.stringify({ kind: 'lost', side, count }));
  }
  end(records: number, lost: LostCounts): void {
    this.lines.push(JSON.stringify({ kind: 'end', records, lost }));
  }
  take(): string | undefined {
    if (this.lines.length === 0) return undefined;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    return text;
  }
}

class BinaryEncoder implements Encoder {
  private readonly frames = new FrameEncoder();
  private head: Buffer | undefined;
  constructor(header: TraceHeader) {
    const json = Buffer.from(JSON.stringify(header, bigintAsHex), 'utf8');
    const fixed = Buffer.alloc(8);
    fixed.writeUInt32LE(BINARY_LAYOUT, 0);
    fixed.writeUInt32LE(json.length, 4);
    this.head = Buffer.concat([BINARY_MAGIC, fixed, json]);
  }
  record(r: TraceRecord): void {
    this.frames.record(r);
  }
  lost(side: keyof LostCounts, count: number): void {
    this.frames.lost(side, count);
  }
  end(records: number, lost: LostCounts): void {
    this.frames.end(records, lost);
  }
  take(): Buffer | undefined {
    const frame = this.frames.take();
    const head = this.head;
    this.head = undefined;
    if (head && frame) return Buffer.concat([head, frame]);
    return head ?? frame;
  }
}

/**
 * Appends records to a trace file, or to standard output for the path `-` (never gzip there: the
 * name asks for no .gz; standard output is left open at the end, as it is the process's). Records are buffered and written every `flushEvery` records (and
 * on `flush()`); with gzip, each flush is a zlib sync flush, so every complete record written so
 * far can be read back even if the process is killed. `close()` writes the end mark. A stream error
 * (the file cannot be opened, the disk is full) is caught from the start and kept in `failure`:
 * writes after it go nowhere, and `close()`/`abandon()` reject with it instead of waiting for a
 * finish that never comes.
 */
export class TraceWriter {
  private readonly out: Writable;
  private readonly toStdout: boolean;
  private readonly note = (e: Error): void => void (this.error ??= e);
  private readonly gzip: Gzip | undefined;
  private readonly encoder: Encoder;
  private readonly flushEvery: number;
  private buffered = 0;
  private records = 0;
  private readonly lost: LostCounts = { guest: 0, host: 0 };
  private closed = false;
  private error: Error | undefined;
  /** The encoding this writer uses. */
  readonly encoding: TraceEncoding;

  constructor(
    readonly path: string,
    header: Omit<TraceHeader, 'format' | 'version'>,
    opts: TraceWriterOptions = {},
  ) {
    this.flushEvery = opts.flushEvery ?? 4096;
    this.encoding = opts.encoding ?? encodingFor(path);
    this.toStdout = path === STDOUT;
    this.out = this.toStdout ? process.stdout : createWriteStream(path);
    this.out.on('error', this.note);
    if (path.endsWith('.gz')) {
      this.gzip = createGzip({ level: 6 });
      this.gzip.on('error', this.note);
      this.gzip.pipe(this.out);
    }
    const full: TraceHeader = { format: TRACE_FORMAT, version: TRACE_VERSION, ...header };
    this.encoder = this.encoding === 'binary' ? new BinaryEncoder(full) : new JsonlEncoder(full);
    this.flush();
  }

  /** The first error of the file's streams (e.g. ENOENT, EISDIR, ENOSPC), if there was one. */
  get failure(): Error | undefined {
    return this.error;
  }

  /** Adds one record. */
  write(record: TraceRecord): void {
    this.encoder.record(record);
    this.records++;
    if (++this.buffered >= this.flushEvery) this.flush();
  }

  /** Notes records lost on one side (written as a `lost` entry, and totalled in the end mark). */
  writeLost(side: keyof LostCounts, count: number): void {
    if (count <= 0) return;
    this.lost[side] += count;
    this.encoder.lost(side, count);
  }

  /** Writes buffered records out now. */
  flush(): void {
    this.buffered = 0;
    const bytes = this.encoder.take();
    if (bytes === undefined) return;
    if (this.gzip) {
      this.gzip.write(bytes);
      this.gzip.flush(zlib.Z_SYNC_FLUSH);
    } else {
      this.out.write(bytes);
    }
  }

  /** Writes the end mark and closes the file. */
  async close(): Promise<void> {
    await this.finish(true);
  }

  /** Writes what is buffered and closes the file without the end mark: readers report it as cut. */
  async abandon(): Promise<void> {
    await this.finish(false);
  }

  private async finish(end: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // After an error the stream never finishes: waiting for it would hang.
    if (this.error) throw this.error;
    if (end) this.encoder.end(this.records, this.lost);
    this.flush();
    if (this.toStdout) {
      // Standard output is not ended (later output, and the process's own exit, need it): what was written only has to be handed on.
      if (this.out.writableNeedDrain) await once(this.out, 'drain');
      this.out.off('error', this.note);
      if (this.error) throw this.error;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.out.on('finish', resolve).on('error', reject);
      if (this.gzip) this.gzip.end();
      else this.out.end();
    });
    if (this.error) throw this.error;
  }
}
