// Reads a trace file (JSON Lines or binary, gzip or not) as a stream: header, batches of records, lost counts and end, with placed errors.
import { InputError } from '../errors.js';
import { HOOKS } from '../hooks/index.js';
import { RecordBatch, type TraceRecord } from '../records/index.js';
import { BINARY_LAYOUT, BINARY_MAGIC, binaryBatches, binaryRecordBatches } from './binary.js';
import { TRACE_FORMAT, TRACE_VERSION, type TraceEncoding, type TraceHeader, type TraceSummary } from './format.js';
import { jsonlBatches } from './jsonl.js';
import { ByteSource, gzipCutReason } from './source.js';

/** Options for reading a trace. */
export interface TraceReadOptions {
  /** Skip malformed record lines (binary: the rest of a bad frame) and count them instead of failing. */
  lenient?: boolean;
}

/** An opened trace: its header, then its records, then its summary. */
export interface TraceReader {
  header: TraceHeader;
  encoding: TraceEncoding;
  /** The records in file order, a batch at a time (one chunk or frame): the fast way to read. */
  batches(): AsyncGenerator<TraceRecord[]>;
  /**
   * The records in file order as numbers (RecordBatch: what the stitcher reads, with no object per
   * record for a binary trace), a frame or chunk at a time; one batch is refilled each time, so use
   * each before asking for the next.
   */
  recordBatches(): AsyncGenerator<RecordBatch>;
  /** The records one at a time. */
  records(): AsyncGenerator<TraceRecord>;
  /** Valid after `batches()`, `recordBatches()` or `records()` has been iterated to the end. */
  summary: TraceSummary;
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

/** Parses and checks a header's JSON text. */
function parseHeader(text: string, where: string): TraceHeader {
  let header: TraceHeader;
  try {
    header = JSON.parse(text) as TraceHeader;
  } catch {
    throw new InputError('not a viotrace trace (the header is not JSON)', where);
  }
  if (header?.format !== TRACE_FORMAT) throw new InputError(`not a viotrace trace (format is ${JSON.stringify(header?.format)})`, where);
  if (header.version !== TRACE_VERSION) throw new InputError(`unsupported trace version ${header.version} (this viotrace reads version ${TRACE_VERSION})`, where);
  checkClocks(header.clocks, where);
  checkHooks(header.hooks, where);
  decodeTopology(header, where);
  return header;
}

/** The prefixes a hook name may carry: the probe kinds and the tracepoint systems of the hook table (made on first use: hooks imports trace). */
let hookPrefixes: Set<string> | undefined;
const HOOK_PREFIXES = (): Set<string> =>
  (hookPrefixes ??= new Set(['kprobe', 'kretprobe', 'uprobe', 'uretprobe', ...HOOKS.filter((h) => h.kind === 'tracepoint').map((h) => h.name.split(':')[0]!)]));

/** `hooks` is a list of names, each bare (a QEMU trace event) or prefixed by a probe kind or tracepoint system. */
function checkHooks(hooks: unknown, where: string): void {
  if (!Array.isArray(hooks)) throw new InputError('header hooks must be a list of hook names', where);
  for (const h of hooks) {
    const m = typeof h === 'string' ? /^(?:(\w+):)?[\w.@+-]+$/.exec(h) : null;
    if (!m || (m[1] !== undefined && !HOOK_PREFIXES().has(m[1]))) {
      throw new InputError(`header hook ${JSON.stringify(h)} is not a hook name (a name, or kind:name with kind one of ${[...HOOK_PREFIXES()].join(', ')})`, where);
    }
  }
}

/** `clocks` names each side's clock domain and its base, a decimal string of nanoseconds. */
function checkClocks(clocks: unknown, where: string): void {
  const c = clocks as Record<string, unknown> | null;
  if (typeof c !== 'object' || c === null) throw new InputError('header clocks must be {guest, host}, each {domain, base}', where);
  for (const side of ['guest', 'host'] as const) {
    const d = c[side] as Record<string, unknown> | null;
    if (typeof d !== 'object' || d === null || typeof d.domain !== 'string') throw new InputError(`header clocks.${side} must be {domain, base} with domain a string`, where);
    if (typeof d.base !== 'string' || !/^\d+$/.test(d.base)) throw new InputError(`header clocks.${side}.base is ${JSON.stringify(d.base)}; it must be a decimal string of nanoseconds`, where);
  }
}

/** Reads until `buf` holds n bytes or the file ends; whether it holds them. */
async function fill(src: ByteSource, n: number): Promise<boolean> {
  while (src.buf.length < n) if (!(await src.more())) return false;
  return true;
}

/** The longest header a reader believes (a topology of thousands of disks is well under it): past it the length is corrupt. */
const MAX_HEADER_BYTES = 1 << 24;

/** Reads a binary trace's header (after the magic): layout version, header length, header JSON. */
async function binaryHeader(src: ByteSource, path: string): Promise<TraceHeader> {
  const where = `${path}@byte 0`;
  const cut = (): InputError =>
    new InputError(src.gzipError ? `${src.gzipError.message} (compressed byte ${src.gzipError.offset}) inside the binary trace's header` : 'binary trace cut inside its header', where);
  if (!(await fill(src, 16))) throw cut();
  const layout = src.buf.readUInt32LE(8);
  if (layout !== BINARY_LAYOUT) throw new InputError(`unsupported binary trace layout ${layout} (this viotrace reads layout ${BINARY_LAYOUT})`, where);
  const len = src.buf.readUInt32LE(12);
  if (len > MAX_HEADER_BYTES) throw new InputError(`header length ${len} is not plausible: the file is corrupt`, where);
  if (!(await fill(src, 16 + len))) throw cut();
  const header = parseHeader(src.buf.toString('utf8', 16, 16 + len), where);
  src.consume(16 + len);
  return header;
}

/** Reads a JSON Lines trace's first line. */
async function jsonlHeader(src: ByteSource, path: string): Promise<TraceHeader> {
  const where = `${path}:1`;
  let nl = src.buf.indexOf(10);
  while (nl < 0 && (await src.more())) nl = src.buf.indexOf(10);
  if (src.buf.length === 0) throw new InputError(src.gzipError ? `${src.gzipError.message} (compressed byte ${src.gzipError.offset}) before the header` : 'empty file: not a viotrace trace', where);
  const end = nl < 0 ? src.buf.length : nl;
  if (src.buf[0] !== 0x7b /* { */) throw new InputError('not a viotrace trace (the first line is not a JSON header)', where);
  const header = parseHeader(src.buf.toString('utf8', 0, end), where);
  src.consume(Math.min(end + 1, src.buf.length));
  return header;
}

/**
 * Opens a viotrace trace: JSON Lines or binary (told by the binary magic), gzip or not (told by
 * content). Throws InputError naming the place for a file of another format or an unknown version.
 */
export async function openTrace(path: string, opts: TraceReadOptions = {}): Promise<TraceReader> {
  const src = await ByteSource.open(path);
  try {
    await fill(src, BINARY_MAGIC.length);
    // A JSON Lines trace saved by a Windows editor begins with a byte-order mark; its header follows.
    src.dropByteOrderMark();
    await fill(src, BINARY_MAGIC.length);
  } catch (e) {
    throw new InputError(`cannot read: ${(e as Error).message}`, `${path}:1`);
  }
  const binary = src.buf.length >= BINARY_MAGIC.length && src.buf.subarray(0, BINARY_MAGIC.length).equals(BINARY_MAGIC);
  let header: TraceHeader;
  try {
    header = binary ? await binaryHeader(src, path) : await jsonlHeader(src, path);
  } catch (e) {
    await src.close();
    throw e;
  }
  const summary: TraceSummary = { records: 0, lost: { guest: 0, host: 0 }, skipped: 0 };
  const lenient = opts.lenient ?? false;
  /** Reads the whole file through `frames` (binary) or JSON Lines chunks (`lines`), then checks how it ended. */
  async function* read<T>(frames: (src: ByteSource, path: string, lenient: boolean, state: TraceSummary) => AsyncGenerator<T>, lines: (chunk: TraceRecord[]) => T): AsyncGenerator<T> {
    try {
      if (binary) yield* frames(src, path, lenient, summary);
      else for await (const chunk of jsonlBatches(src, path, 1, lenient, summary)) yield lines(chunk);
      if (src.gzipError && binary) {
        summary.cut = { where: summary.cut?.where ?? `${path}@byte ${src.offset}`, reason: gzipCutReason(src.gzipError, summary.records) };
      }
    } finally {
      await src.close();
    }
  }
  const batches = (): AsyncGenerator<TraceRecord[]> => read(binaryBatches, (chunk) => chunk);
  const one = new RecordBatch();
  const recordBatches = (): AsyncGenerator<RecordBatch> =>
    read(binaryRecordBatches, (chunk) => {
      one.clear();
      for (const r of chunk) one.add(r);
      return one;
    });
  async function* records(): AsyncGenerator<TraceRecord> {
    for await (const batch of batches()) yield* batch;
  }
  return { header, encoding: binary ? 'binary' : 'jsonl', batches, recordBatches, records, summary };
}
