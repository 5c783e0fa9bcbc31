// The compact binary trace encoding: checksummed frames of fixed-layout records with a string table, decoded straight from Buffers.
import { crc32 } from 'node:zlib';
import { InputError } from '../errors.js';
import { BATCH_FIELDS, BATCH_KINDS, blockOpCode, RecordBatch, virtioTypeCode, type LostCounts, type TraceRecord } from '../records/index.js';
import type { TraceSummary } from './format.js';
import type { ByteSource } from './source.js';
import { COLUMNS, FIELD_VALUES, RECORD_KINDS, field, type Column, type ColumnType } from './columns.js';

/**
 * The first 8 bytes of a binary trace. As PNG's signature does, the high byte catches a 7-bit
 * channel, CR LF and LF catch newline translation, and 0x1a stops `type` on DOS.
 */
export const BINARY_MAGIC = Buffer.from([0x89, 0x56, 0x54, 0x42, 0x0d, 0x0a, 0x1a, 0x0a]); // \x89 V T B \r \n ^Z \n
/** The layout version after the magic (the records' fields are versioned by the header's `version`). */
export const BINARY_LAYOUT = 1;

/** Entry tag of a string definition (record kinds are tags 1..7, in COLUMNS order). */
const TAG_STRING = 0;
/** Entry tag of a lost-records count. */
const TAG_LOST = 0xfd;
/** Entry tag of the end mark, the file's last entry. */
const TAG_END = 0xfe;

/** Frame header: payload bytes, entries, CRC-32 of the payload. */
const FRAME_HEADER_BYTES = 12;

const WIDTH: Readonly<Record<ColumnType, number>> = { i32: 4, num: 8, time: 8, id: 8, str: 4, bool: 1 };

/** Bytes a record of each kind takes after its tag. */
const RECORD_BYTES: readonly number[] = RECORD_KINDS.map((k) => COLUMNS[k].reduce((n, c) => n + WIDTH[c.type], 0));

/** Where a binary entry sits, for error messages: "file@byte N". */
function binaryWhere(path: string, offset: number): string {
  return `${path}@byte ${offset}`;
}

/**
 * Builds frames. Strings are defined in a frame the first time one of its records uses them and
 * referred to by number after, numbered afresh in each frame: every frame reads on its own, so a
 * corrupt frame skipped in lenient mode costs only its own records.
 */
export class FrameEncoder {
  private buf = Buffer.alloc(1 << 16);
  private len = 0;
  private entries = 0;
  private readonly strings = new Map<string, number>();

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private stringId(s: string): number {
    let id = this.strings.get(s);
    if (id !== undefined) return id;
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > 0xffff) throw new Error(`string field longer than 65535 bytes: ${s.slice(0, 40)}...`);
    id = this.strings.size;
    this.strings.set(s, id);
    this.room(3 + bytes.length);
    this.buf[this.len] = TAG_STRING;
    this.buf.writeUInt16LE(bytes.length, this.len + 1);
    bytes.copy(this.buf, this.len + 3);
    this.len += 3 + bytes.length;
    this.entries++;
    return id;
  }

  /** Appends one record. Throws (a bug, not bad input) when a field does not fit its column. */
  record(r: TraceRecord): void {
    const tag = RECORD_KINDS.indexOf(r.kind);
    if (tag < 0) throw new Error(`unknown record kind ${r.kind}`);
    const columns = COLUMNS[r.kind];
    // Strings first: their definitions must precede the record that uses them.
    const ids: number[] = [];
    for (const c of columns) if (c.type === 'str') ids.push(this.stringId(String(field(r, c.name))));
    this.room(1 + RECORD_BYTES[tag]!);
    const b = this.buf;
    let o = this.len;
    b[o++] = tag + 1;
    let next = 0;
    for (const c of columns) {
      const v = field(r, c.name);
      switch (c.type) {
        case 'i32':
          if (typeof v !== 'number' || (v | 0) !== v) throw new Error(`${r.kind}.${c.name} = ${String(v)} does not fit a 32-bit integer`);
          b.writeInt32LE(v, o);
          break;
        case 'num':
        case 'time':
          if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`${r.kind}.${c.name} = ${String(v)} is not a whole number`);
          b.writeDoubleLE(v, o);
          break;
        case 'id':
          b.writeBigUInt64LE(BigInt.asUintN(64, v as bigint), o);
          break;
        case 'str':
          b.writeUInt32LE(ids[next++]!, o);
          break;
        case 'bool':
          b[o] = v ? 1 : 0;
          break;
      }
      o += WIDTH[c.type];
    }
    this.len = o;
    this.entries++;
  }

  /** Appends a lost-records entry. */
  lost(side: keyof LostCounts, count: number): void {
    this.room(6);
    this.buf[this.len] = TAG_LOST;
    this.buf[this.len + 1] = side === 'guest' ? 0 : 1;
    this.buf.writeUInt32LE(Math.min(count, 0xffffffff), this.len + 2);
    this.len += 6;
    this.entries++;
  }

  /** Appends the end entry: records written and lost per side. */
  end(records: number, lost: LostCounts): void {
    this.room(17);
    this.buf[this.len] = TAG_END;
    this.buf.writeDoubleLE(records, this.len + 1);
    this.buf.writeUInt32LE(lost.guest, this.len + 9);
    this.buf.writeUInt32LE(lost.host, this.len + 13);
    this.len += 17;
    this.entries++;
  }

  /** The current frame, header and payload, ready to write; the encoder starts a new frame. */
  take(): Buffer | undefined {
    if (this.entries === 0) return undefined;
    const payload = this.buf.subarray(0, this.len);
    const frame = Buffer.alloc(FRAME_HEADER_BYTES + this.len);
    frame.writeUInt32LE(this.len, 0);
    frame.writeUInt32LE(this.entries, 4);
    frame.writeUInt32LE(crc32(payload), 8);
    payload.copy(frame, FRAME_HEADER_BYTES);
    this.len = 0;
    this.entries = 0;
    this.strings.clear();
    return frame;
  }
}

/** Reads one record of a kind at offset `o` of a frame (after its tag); `str` resolves string ids. */
type RecordDecoder = (dv: DataView, o: number, str: (id: number) => string) => TraceRecord;

/**
 * Compiles a kind's decoder from its columns: one object literal with every field read at its fixed
 * offset, so every record of a kind gets the same shape at once (filling an object field by field
 * from the table would make each store a lookup by name).
 * The generated source uses only the table's names and offsets, never file contents.
 */
function compileDecoder(kind: string, columns: readonly Column[]): RecordDecoder {
  const parts: string[] = [];
  let at = 0;
  for (const c of columns) {
    const o = `o + ${at}`;
    const read: Record<ColumnType, string> = {
      i32: `dv.getInt32(${o}, true)`,
      num: `dv.getFloat64(${o}, true)`,
      time: `dv.getFloat64(${o}, true)`,
      id: `dv.getBigUint64(${o}, true)`,
      str: `str(dv.getUint32(${o}, true))`,
      bool: `dv.getUint8(${o}) !== 0`,
    };
    parts.push(`${JSON.stringify(c.name)}: ${read[c.type]}`);
    at += WIDTH[c.type];
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the column table (see above)
  return new Function('dv', 'o', 'str', `return { kind: ${JSON.stringify(kind)}, ${parts.join(', ')} };`) as RecordDecoder;
}

const DECODERS: readonly RecordDecoder[] = RECORD_KINDS.map((k) => compileDecoder(k, COLUMNS[k]));

/** Checks one record of a kind at offset `o` of a frame (after its tag): what is wrong with it, or undefined. */
type RecordChecker = (dv: DataView, o: number, str: (id: number) => string) => string | undefined;

/**
 * Compiles a kind's checks from its columns, the JSON Lines reader's rules for what a fixed-width
 * field can still get wrong: `num` and `time` whole numbers from 0 to 2^53 (the doubles may hold a
 * fraction or a negative), names from FIELD_VALUES. Generated, as the decoders are, so a record's
 * checks are a few comparisons; the source uses only the tables' names and offsets.
 */
function compileChecker(kind: (typeof RECORD_KINDS)[number], columns: readonly Column[]): RecordChecker {
  const tests: string[] = [];
  const allowed = FIELD_VALUES[kind] ?? {};
  const sets: Set<string>[] = [];
  let at = 0;
  for (const c of columns) {
    const o = `o + ${at}`;
    const what = c.type === 'time' ? 'whole nanoseconds from 0 (not seen) to 2^53' : 'a whole number from 0 to 2^53';
    if (c.type === 'num' || c.type === 'time') {
      tests.push(`{ const v = dv.getFloat64(${o}, true); if (!(v >= 0 && v <= 9007199254740991 && Math.floor(v) === v)) return ${JSON.stringify(`field ${c.name} is `)} + v + ${JSON.stringify(`; it must be ${what}`)}; }`);
    } else if (c.type === 'str' && allowed[c.name]) {
      sets.push(new Set(allowed[c.name]));
      tests.push(`{ const s = str(dv.getUint32(${o}, true)); if (!sets[${sets.length - 1}].has(s)) return ${JSON.stringify(`field ${c.name} is `)} + JSON.stringify(s) + ${JSON.stringify(`; it must be one of ${allowed[c.name]!.join(', ')}`)}; }`);
    }
    at += WIDTH[c.type];
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the column table (see above)
  const make = new Function('sets', `return function (dv, o, str) { ${tests.join(' ')} return undefined; };`);
  return make(sets) as RecordChecker;
}

const CHECKERS: readonly RecordChecker[] = RECORD_KINDS.map((k) => compileChecker(k, COLUMNS[k]));

/** Appends one record of a kind at offset `o` of a frame (after its tag) to a batch; `str` resolves string ids. */
type BatchDecoder = (dv: DataView, o: number, str: (id: number) => string, batch: RecordBatch) => void;

/**
 * Compiles a kind's decoder into a batch: each field the batch keeps (BATCH_FIELDS) read at its
 * column's fixed offset and stored at its slot, an identifier as its two 32-bit halves (the pair
 * putId writes, with no bigint made). The source uses only the two tables' names and offsets.
 */
function compileBatchDecoder(kind: (typeof RECORD_KINDS)[number], columns: readonly Column[]): BatchDecoder {
  const offsets = new Map<string, { at: number; type: ColumnType }>();
  let at = 0;
  for (const c of columns) {
    offsets.set(c.name, { at, type: c.type });
    at += WIDTH[c.type];
  }
  const tag = BATCH_KINDS.indexOf(kind);
  const stores = BATCH_FIELDS[tag]!.map((f) => {
    const c = offsets.get(f.name);
    if (!c) throw new Error(`batch field ${kind}.${f.name} has no trace column`);
    const o = `o + ${c.at}`;
    const read = c.type === 'i32' ? `dv.getInt32(${o}, true)` : c.type === 'bool' ? `dv.getUint8(${o})` : `dv.getFloat64(${o}, true)`;
    const s = `str(dv.getUint32(${o}, true))`;
    switch (f.type) {
      case 'id':
        return `{ const lo = dv.getUint32(${o}, true); v[b + ${f.at}] = dv.getUint32(${o} + 4, true) * 4294967296 + lo; v[b + ${f.at + 1}] = lo; }`;
      case 'string':
        return `v[b + ${f.at}] = batch.string(${s});`;
      case 'blockOp':
        return `v[b + ${f.at}] = blockOpCode(${s});`;
      case 'virtioType':
        return `v[b + ${f.at}] = virtioTypeCode(${s});`;
      case 'bool':
        return `v[b + ${f.at}] = ${read} !== 0 ? 1 : 0;`;
      case 'num':
        return `v[b + ${f.at}] = ${read};`;
    }
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the column and field tables (see above)
  const make = new Function('blockOpCode', 'virtioTypeCode', `return function (dv, o, str, batch) { const b = batch.begin(${tag}), v = batch.values; ${stores.join(' ')} };`);
  return make(blockOpCode, virtioTypeCode) as BatchDecoder;
}

const BATCH_DECODERS: readonly BatchDecoder[] = RECORD_KINDS.map((k) => compileBatchDecoder(k, COLUMNS[k]));

/** A problem inside one frame: its place and what is wrong. */
class BadEntry extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

/** The largest frame a reader believes: past it the length itself is corrupt. */
const MAX_FRAME_BYTES = 1 << 28;

/** Where a frame's records go as they are decoded: objects or a batch of numbers. */
interface FrameSink<T> {
  /** A new frame begins. */
  start(): void;
  /** Decodes the record of 0-based tag `tag` at `at` of `dv`; throws BadEntry (having kept nothing of it) when it cannot. */
  record(tag: number, dv: DataView, at: number, str: (id: number) => string): void;
  /** Records decoded in this frame. */
  readonly count: number;
  /** The frame's records. */
  take(): T;
}

/** Decodes frames into record objects, a new array per frame. */
class ObjectSink implements FrameSink<TraceRecord[]> {
  private batch: TraceRecord[] = [];
  start(): void {
    this.batch = [];
  }
  record(tag: number, dv: DataView, at: number, str: (id: number) => string): void {
    this.batch.push(DECODERS[tag]!(dv, at, str));
  }
  get count(): number {
    return this.batch.length;
  }
  take(): TraceRecord[] {
    return this.batch;
  }
}

/** Decodes frames into one RecordBatch, refilled each frame. */
class BatchSink implements FrameSink<RecordBatch> {
  private readonly batch = new RecordBatch();
  start(): void {
    this.batch.clear();
  }
  record(tag: number, dv: DataView, at: number, str: (id: number) => string): void {
    const b = this.batch, length = b.length, used = b.used;
    try {
      BATCH_DECODERS[tag]!(dv, at, str, b);
    } catch (e) {
      // A string used before its definition: the record's slots are given back.
      b.length = length;
      b.used = used;
      throw e;
    }
  }
  get count(): number {
    return this.batch.length;
  }
  take(): RecordBatch {
    return this.batch;
  }
}

/**
 * Reads a binary trace's frames after its header, a batch of records per frame. A frame whose
 * checksum fails, or with an entry that cannot be read, is an error naming its byte offset;
 * `lenient` skips the frame's remaining entries and counts them. A frame cut short at the end of
 * the file is the cut of a killed recording: every frame before it has been given.
 */
export function binaryBatches(src: ByteSource, path: string, lenient: boolean, state: TraceSummary): AsyncGenerator<TraceRecord[]> {
  return binaryFrames(src, path, lenient, state, new ObjectSink());
}

/**
 * The same frames decoded into a RecordBatch, the numbers the stitcher reads, with no object per
 * record: one batch refilled each frame, so each must be used before the next is asked for.
 */
export function binaryRecordBatches(src: ByteSource, path: string, lenient: boolean, state: TraceSummary): AsyncGenerator<RecordBatch> {
  return binaryFrames(src, path, lenient, state, new BatchSink());
}

async function* binaryFrames<T>(src: ByteSource, path: string, lenient: boolean, state: TraceSummary, sink: FrameSink<T>): AsyncGenerator<T> {
  const strings: string[] = [];
  let at = 0;
  const str = (id: number): string => {
    const s = strings[id];
    if (s === undefined) throw new BadEntry(`string ${id} is used before it is defined`, at);
    return s;
  };
  let ended = false;
  for (;;) {
    while (src.buf.length < FRAME_HEADER_BYTES && (await src.more()));
    if (src.buf.length === 0) break;
    const frameAt = src.offset;
    // Bytes after the end entry, however few, are not the cut of a recording that never ended.
    if (ended) throw new InputError('data after the end entry', binaryWhere(path, frameAt));
    if (src.buf.length < FRAME_HEADER_BYTES) {
      state.cut = { where: binaryWhere(path, frameAt), reason: `the recording was cut inside a frame header; ${state.records} complete records were read` };
      break;
    }
    const len = src.buf.readUInt32LE(0);
    const entries = src.buf.readUInt32LE(4);
    const crc = src.buf.readUInt32LE(8);
    // A header no writer makes (the writer never ends an empty frame; every entry takes at least a
    // byte) cannot be trusted to find the next frame: the file is cut there, strict or lenient, so
    // the frames before it are still reported.
    const implausible = len === 0 || len > MAX_FRAME_BYTES ? `frame length ${len}` : entries === 0 || entries > len ? `frame entry count ${entries} (in ${len} bytes)` : undefined;
    if (implausible) {
      state.cut = { where: binaryWhere(path, frameAt), reason: `${implausible} is not plausible: the file is corrupt from this frame header on; ${state.records} complete records before it were read` };
      break;
    }
    while (src.buf.length < FRAME_HEADER_BYTES + len && (await src.more()));
    if (src.buf.length < FRAME_HEADER_BYTES + len) {
      state.cut = { where: binaryWhere(path, frameAt), reason: `the recording was cut: last frame incomplete (${src.buf.length - FRAME_HEADER_BYTES} of ${len} bytes); ${state.records} complete records were read` };
      break;
    }
    const payload = src.buf.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len);
    strings.length = 0; // each frame numbers its strings afresh
    const base = frameAt + FRAME_HEADER_BYTES;
    sink.start();
    let n = 0;
    at = 0;
    try {
      if (crc32(payload) !== crc) throw new BadEntry('frame checksum mismatch: the file is corrupt', -FRAME_HEADER_BYTES);
      const dv = new DataView(payload.buffer, payload.byteOffset, payload.length);
      for (at = 0; at < len; n++) {
        const tag = payload[at]!;
        if (tag >= 1 && tag <= DECODERS.length) {
          const size = RECORD_BYTES[tag - 1]!;
          if (at + 1 + size > len) throw new BadEntry('record runs past the end of its frame', at);
          const bad = CHECKERS[tag - 1]!(dv, at + 1, str);
          if (bad) throw new BadEntry(`${RECORD_KINDS[tag - 1]} record: ${bad}`, at);
          sink.record(tag - 1, dv, at + 1, str);
          at += 1 + size;
        } else if (tag === TAG_STRING) {
          if (at + 3 > len) throw new BadEntry('string runs past the end of its frame', at);
          const l = payload.readUInt16LE(at + 1);
          if (at + 3 + l > len) throw new BadEntry('string runs past the end of its frame', at);
          strings.push(payload.toString('utf8', at + 3, at + 3 + l));
          at += 3 + l;
        } else if (tag === TAG_LOST) {
          if (at + 6 > len) throw new BadEntry('lost entry runs past the end of its frame', at);
          const side = payload[at + 1];
          if (side !== 0 && side !== 1) throw new BadEntry(`lost entry side ${side} (0 guest, 1 host)`, at);
          state.lost[side === 0 ? 'guest' : 'host'] += payload.readUInt32LE(at + 2);
          at += 6;
        } else if (tag === TAG_END) {
          if (at + 17 !== len) throw new BadEntry('the end entry must be the last of its frame', at);
          ended = true;
          // The writer's own counts, checked as the JSON Lines end line's are (not once --lenient skipped entries).
          const records = payload.readDoubleLE(at + 1), guest = payload.readUInt32LE(at + 9), host = payload.readUInt32LE(at + 13);
          const have = state.records + sink.count;
          if (state.skipped === 0 && records !== have) throw new BadEntry(`end entry says ${records} records, but the file holds ${have}`, at);
          if (state.skipped === 0 && (guest !== state.lost.guest || host !== state.lost.host)) {
            throw new BadEntry(`end entry says lost guest ${guest} host ${host}, but the lost entries add up to guest ${state.lost.guest} host ${state.lost.host}`, at);
          }
          at += 17;
        } else throw new BadEntry(`unknown entry tag 0x${tag.toString(16)}`, at);
      }
      if (n !== entries) throw new BadEntry(`frame says ${entries} entries but holds ${n}`, -FRAME_HEADER_BYTES);
    } catch (e) {
      if (!(e instanceof BadEntry)) throw e;
      if (!lenient) throw new InputError(e.message, binaryWhere(path, base + e.offset));
      // The entries not read: the rest of the frame, or (a miscount, every entry read) those it claims beyond.
      state.skipped += at >= len ? Math.max(0, entries - n) : Math.max(1, entries - n);
      state.skippedFrames = (state.skippedFrames ?? 0) + 1;
    }
    src.consume(FRAME_HEADER_BYTES + len);
    const count = sink.count;
    state.records += count;
    if (count) yield sink.take();
  }
  if (!ended && !state.cut) state.cut = { where: binaryWhere(path, src.offset), reason: `the recording was cut: no end entry; ${state.records} complete records were read` };
}
