// Writes a trace file as records arrive, flushing as it goes so a killed recording still replays.
import { createWriteStream, type WriteStream } from 'node:fs';
import { createGzip, constants as zlib, type Gzip } from 'node:zlib';
import type { LostCounts, TraceRecord } from '../records/index.js';
import { TRACE_FORMAT, TRACE_VERSION, type TraceHeader } from './format.js';

/** JSON.stringify replacer writing bigints as 0x-hex strings. */
function bigintAsHex(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? '0x' + value.toString(16) : value;
}

/**
 * Appends records to a trace file. Lines are buffered and written every `flushEvery` records (and
 * on `flush()`); with gzip, each flush is a zlib sync flush, so every complete line written so far
 * can be read back even if the process is killed. `close()` writes the end line.
 */
export class TraceWriter {
  private readonly out: WriteStream;
  private readonly gzip: Gzip | undefined;
  private buffer: string[] = [];
  private records = 0;
  private readonly lost: LostCounts = { guest: 0, host: 0 };
  private closed = false;

  constructor(
    readonly path: string,
    header: Omit<TraceHeader, 'format' | 'version'>,
    private readonly flushEvery = 4096,
  ) {
    this.out = createWriteStream(path);
    if (path.endsWith('.gz')) {
      this.gzip = createGzip({ level: 6 });
      this.gzip.pipe(this.out);
    }
    const full: TraceHeader = { format: TRACE_FORMAT, version: TRACE_VERSION, ...header };
    this.buffer.push(JSON.stringify(full, bigintAsHex));
    this.flush();
  }

  /** Adds one record. */
  write(record: TraceRecord): void {
    this.buffer.push(JSON.stringify(record, bigintAsHex));
    this.records++;
    if (this.buffer.length >= this.flushEvery) this.flush();
  }

  /** Notes records lost on one side (written as a `lost` line, and totalled in the end line). */
  writeLost(side: keyof LostCounts, count: number): void {
    if (count <= 0) return;
    this.lost[side] += count;
    this.buffer.push(JSON.stringify({ kind: 'lost', side, count }));
  }

  /** Writes buffered lines out now. */
  flush(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('\n') + '\n';
    this.buffer = [];
    if (this.gzip) {
      this.gzip.write(text);
      this.gzip.flush(zlib.Z_SYNC_FLUSH);
    } else {
      this.out.write(text);
    }
  }

  /** Writes the end line and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.buffer.push(JSON.stringify({ kind: 'end', records: this.records, lost: this.lost }));
    this.flush();
    await new Promise<void>((resolve, reject) => {
      this.out.on('finish', resolve).on('error', reject);
      if (this.gzip) this.gzip.end();
      else this.out.end();
    });
  }
}
