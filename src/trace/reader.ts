// Reads a trace file as a stream: header, records, lost counts and end line, with file:line errors.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip, constants as zlib } from 'node:zlib';
import { InputError } from '../errors.js';
import type { LostCounts, RecordKind, TraceRecord } from '../records/index.js';
import { isGzip } from './gzip.js';
import { BIGINT_FIELDS, NUMBER_FIELDS, TRACE_FORMAT, TRACE_VERSION, type TraceHeader } from './format.js';

/** Options for reading a trace. */
export interface TraceReadOptions {
  /** Skip malformed record lines and count them instead of failing. */
  lenient?: boolean;
}

/** What is known after the last record has been read. */
export interface TraceSummary {
  records: number;
  lost: LostCounts;
  /** Malformed lines skipped in lenient mode. */
  skipped: number;
  /** Set when the file ends before its end line (a cut recording) or its gzip stream is truncated. */
  cut?: { where: string; reason: string };
}

/** An opened trace: its header, then its records as an async iterator, then its summary. */
export interface TraceReader {
  header: TraceHeader;
  records(): AsyncGenerator<TraceRecord>;
  /** Valid after `records()` has been iterated to the end. */
  summary: TraceSummary;
}

const KINDS = new Set<string>(Object.keys(NUMBER_FIELDS));

/** Converts the 0x-hex identifier fields of a parsed record back to bigints and checks its numbers. */
function decodeRecord(obj: Record<string, unknown>, where: string): TraceRecord {
  const kind = obj.kind as RecordKind;
  for (const f of NUMBER_FIELDS[kind]) {
    if (typeof obj[f] !== 'number') throw new InputError(`${kind} record: field ${f} is missing or not a number`, where);
  }
  for (const f of BIGINT_FIELDS[kind] ?? []) {
    const v = obj[f];
    if (typeof v !== 'string' || !/^0x[0-9a-f]+$/i.test(v)) throw new InputError(`${kind} record: field ${f} must be a 0x-hex string`, where);
    obj[f] = BigInt(v);
  }
  return obj as unknown as TraceRecord;
}

/** The topology's addresses (vdev, doorbells) were written as 0x-hex strings: back to bigints. */
function decodeTopology(header: TraceHeader, where: string): void {
  const hex = (v: unknown, what: string): bigint => {
    if (typeof v === 'bigint') return v;
    if (typeof v !== 'string' || !/^0x[0-9a-f]+$/i.test(v)) throw new InputError(`header topology: ${what} must be a 0x-hex string`, where);
    return BigInt(v);
  };
  if (!header.topology || !Array.isArray(header.topology.vms)) throw new InputError('header has no topology', where);
  for (const vm of header.topology.vms) {
    for (const d of vm.disks ?? []) {
      d.vdev = hex(d.vdev, `${vm.name}/${d.name}.vdev`);
      d.notifyGpa = (d.notifyGpa ?? []).map((g, i) => hex(g, `${vm.name}/${d.name}.notifyGpa[${i}]`));
    }
  }
}

/**
 * Opens a viotrace trace (gzip detected by content). Throws InputError for a file of another
 * format or an unknown version, naming file:1.
 */
export async function openTrace(path: string, opts: TraceReadOptions = {}): Promise<TraceReader> {
  const gz = await isGzip(path);
  const raw = createReadStream(path);
  // Sync-flush finishing lets a gzip cut mid-stream give up every complete line written before the cut.
  const gunzip = gz ? createGunzip({ finishFlush: zlib.Z_SYNC_FLUSH }) : undefined;
  let gzipError: Error | undefined;
  const stream = gunzip ? raw.pipe(gunzip) : raw;
  gunzip?.on('error', (e) => {
    gzipError = e;
    gunzip.end();
  });
  const lines = createInterface({ input: stream, crlfDelay: Infinity })[Symbol.asyncIterator]();

  let lineNo = 1;
  const first = await lines.next().catch((e: Error) => {
    throw new InputError(`cannot read: ${e.message}`, `${path}:1`);
  });
  if (first.done) throw new InputError('empty file: not a viotrace trace', `${path}:1`);
  let header: TraceHeader;
  try {
    header = JSON.parse(first.value) as TraceHeader;
  } catch {
    throw new InputError('not a viotrace trace (the first line is not a JSON header)', `${path}:1`);
  }
  if (header?.format !== TRACE_FORMAT) throw new InputError(`not a viotrace trace (format is ${JSON.stringify(header?.format)})`, `${path}:1`);
  if (header.version !== TRACE_VERSION) throw new InputError(`unsupported trace version ${header.version} (this viotrace reads version ${TRACE_VERSION})`, `${path}:1`);
  decodeTopology(header, `${path}:1`);

  const summary: TraceSummary = { records: 0, lost: { guest: 0, host: 0 }, skipped: 0 };
  async function* records(): AsyncGenerator<TraceRecord> {
    let ended = false;
    let partialLast = false;
    // One line of lookahead: a malformed LAST line is a cut recording, not a malformed record.
    let next = await lines.next();
    while (!next.done) {
      const text = next.value;
      lineNo++;
      next = await lines.next();
      if (text === '') continue;
      const where = `${path}:${lineNo}`;
      let obj: Record<string, unknown>;
      try {
        try {
          obj = JSON.parse(text) as Record<string, unknown>;
        } catch (e) {
          if (next.done && !opts.lenient) {
            partialLast = true;
            break;
          }
          throw new InputError(`malformed JSON: ${(e as Error).message}`, where);
        }
        if (ended) throw new InputError('data after the end line', where);
        if (obj === null || typeof obj !== 'object') throw new InputError('a record line must be a JSON object', where);
        if (obj.kind === 'end') {
          ended = true;
          continue;
        }
        if (obj.kind === 'lost') {
          const side = obj.side;
          if ((side !== 'guest' && side !== 'host') || typeof obj.count !== 'number') throw new InputError('lost line needs side guest|host and a count', where);
          summary.lost[side] += obj.count;
          continue;
        }
        if (typeof obj.kind !== 'string' || !KINDS.has(obj.kind)) throw new InputError(`unknown record kind ${JSON.stringify(obj.kind)}`, where);
        const rec = decodeRecord(obj, where);
        summary.records++;
        yield rec;
      } catch (e) {
        if (!opts.lenient || !(e instanceof InputError)) throw e;
        summary.skipped++;
      }
    }
    if (gzipError) {
      summary.cut = { where: `${path}:${lineNo}`, reason: `gzip stream is truncated or corrupt (${gzipError.message}); ${summary.records} complete records were read` };
    } else if (!ended) {
      summary.cut = { where: `${path}:${lineNo}`, reason: `the recording was cut: no end line${partialLast ? ', last line incomplete' : ''}; ${summary.records} complete records were read` };
    }
  }
  return { header, records, summary };
}
