// The JSON Lines trace encoding: one JSON object per line, read in large chunks and checked against the column table.
import { InputError } from '../errors.js';
import type { RecordKind, TraceRecord } from '../records/index.js';
import { COLUMNS, FIELD_VALUES } from './columns.js';
import type { TraceSummary } from './format.js';
import { gzipCutReason, type ByteSource } from './source.js';

/** JSON.stringify replacer writing bigints as 0x-hex strings. */
export function bigintAsHex(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? '0x' + value.toString(16) : value;
}

/** An `id` column in JSON Lines: a u64 as 0x-hex, at most 16 digits. */
const HEX = /^0x[0-9a-f]{1,16}$/i;

/**
 * Why a number does not fit its column, or undefined when it does: `i32` a whole number in 32 signed
 * bits; `num` a whole number from 0 to 2^53; `time` the same (nanoseconds after the clock's base, 0
 * for not seen: a time before the base or a fraction is no time a tracer gives).
 */
export function numberProblem(type: 'i32' | 'num' | 'time', v: number): string | undefined {
  if (type === 'i32') return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff ? undefined : 'a whole number from -2147483648 to 2147483647';
  return Number.isSafeInteger(v) && v >= 0 ? undefined : type === 'time' ? 'whole nanoseconds from 0 (not seen) to 2^53' : 'a whole number from 0 to 2^53';
}

/** Checks a parsed record line against its kind's columns; turns its 0x-hex identifiers into bigints. */
export function decodeJsonRecord(obj: Record<string, unknown>, where: string): TraceRecord {
  const kind = obj.kind as RecordKind;
  const allowed = FIELD_VALUES[kind];
  for (const c of COLUMNS[kind]) {
    const v = obj[c.name];
    switch (c.type) {
      case 'i32':
      case 'num':
      case 'time': {
        if (typeof v !== 'number') throw new InputError(`${kind} record: field ${c.name} is missing or not a number`, where);
        const problem = numberProblem(c.type, v);
        if (problem) throw new InputError(`${kind} record: field ${c.name} is ${v}; it must be ${problem}`, where);
        break;
      }
      case 'id':
        if (typeof v !== 'string' || !HEX.test(v)) throw new InputError(`${kind} record: field ${c.name} must be a 0x-hex string of a u64 (at most 16 digits)`, where);
        obj[c.name] = BigInt(v);
        break;
      case 'str': {
        if (typeof v !== 'string') throw new InputError(`${kind} record: field ${c.name} is missing or not a string`, where);
        const names = allowed?.[c.name];
        if (names && !names.includes(v)) throw new InputError(`${kind} record: field ${c.name} is ${JSON.stringify(v)}; it must be one of ${names.join(', ')}`, where);
        break;
      }
      case 'bool':
        if (typeof v !== 'boolean') throw new InputError(`${kind} record: field ${c.name} is missing or not true/false`, where);
        break;
    }
  }
  return obj as unknown as TraceRecord;
}

/** True for a count a lost or end line may hold: a whole number from 0. */
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A line that failed to parse as JSON: malformed, unless it turns out to be the file's last (a cut). */
interface Suspect {
  where: string;
  message: string;
}

/**
 * Reads the record lines after a JSON Lines header, one batch per chunk of the file. `lineNo` is
 * the header's line. A line that is not JSON is an error naming file:line, except the last line
 * of the file: a recording killed mid-write leaves half a line, which is the cut, not bad data.
 */
export async function* jsonlBatches(src: ByteSource, path: string, lineNo: number, lenient: boolean, state: TraceSummary): AsyncGenerator<TraceRecord[]> {
  let ended = false;
  let suspect: Suspect | undefined;
  let eof = false;
  const reject = (s: Suspect): void => {
    if (!lenient) throw new InputError(s.message, s.where);
    state.skipped++;
  };
  for (;;) {
    const buf = src.buf;
    // Complete lines only; at the end of the file, the unterminated tail too.
    const limit = eof ? buf.length : buf.lastIndexOf(10) + 1;
    const batch: TraceRecord[] = [];
    let start = 0;
    while (start < limit) {
      let nl = buf.indexOf(10, start);
      if (nl < 0 || nl >= limit) nl = limit;
      lineNo++;
      let end = nl;
      if (end > start && buf[end - 1] === 13) end--;
      const lineStart = start;
      start = nl + 1;
      if (end === lineStart) continue;
      if (suspect) {
        reject(suspect);
        suspect = undefined;
      }
      const where = `${path}:${lineNo}`;
      try {
        let obj: Record<string, unknown>;
        try {
          obj = JSON.parse(buf.toString('utf8', lineStart, end)) as Record<string, unknown>;
        } catch (e) {
          suspect = { where, message: `malformed JSON: ${(e as Error).message}` };
          continue;
        }
        if (ended) throw new InputError('data after the end line', where);
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new InputError('a record line must be a JSON object', where);
        const kind = obj.kind;
        if (kind === 'end') {
          const lost = obj.lost as Record<string, unknown> | null;
          if (!isCount(obj.records) || typeof lost !== 'object' || lost === null || !isCount(lost.guest) || !isCount(lost.host)) {
            throw new InputError('end line needs records and lost {guest, host}, whole numbers from 0', where);
          }
          ended = true;
          // The end line is the writer's own count: a file that disagrees lost or gained lines on the way.
          // (Under --lenient, records already skipped would make it disagree: it is checked only when none were.)
          if (state.skipped === 0) {
            if (obj.records !== state.records + batch.length) throw new InputError(`end line says ${obj.records} records, but the file holds ${state.records + batch.length}`, where);
            if (lost.guest !== state.lost.guest || lost.host !== state.lost.host) {
              throw new InputError(`end line says lost guest ${lost.guest} host ${lost.host}, but the lost lines add up to guest ${state.lost.guest} host ${state.lost.host}`, where);
            }
          }
          continue;
        }
        if (kind === 'lost') {
          const side = obj.side;
          if ((side !== 'guest' && side !== 'host') || !isCount(obj.count)) throw new InputError('lost line needs side guest|host and a count, a whole number from 0', where);
          state.lost[side] += obj.count;
          continue;
        }
        if (kind === undefined && obj.format !== undefined) throw new InputError('a header line after line 1 (two traces joined into one file?): a trace has one header, on its first line', where);
        if (typeof kind !== 'string' || !Object.hasOwn(COLUMNS, kind)) throw new InputError(`unknown record kind ${JSON.stringify(kind)}`, where);
        batch.push(decodeJsonRecord(obj, where));
      } catch (e) {
        if (!lenient || !(e instanceof InputError)) throw e;
        state.skipped++;
      }
    }
    src.consume(Math.min(start, buf.length));
    state.records += batch.length;
    if (batch.length) yield batch;
    if (eof) break;
    eof = !(await src.more());
  }
  if (src.gzipError) {
    // A half line before a gzip fault is part of the cut, as for a killed recording.
    state.cut = { where: `${path}:${lineNo}`, reason: gzipCutReason(src.gzipError, state.records) };
  } else if (!ended) {
    // The last line of the file did not parse: the cut of a killed recording, not a malformed record.
    state.cut = { where: `${path}:${lineNo}`, reason: `the recording was cut: no end line${suspect ? ', last line incomplete' : ''}; ${state.records} complete records were read` };
  } else if (suspect) {
    reject(suspect);
  }
}
