// Decodes ring-buffer records by the object's own BTF (bpf/include/records.h is the one source of their layout).
import type { Btf } from '../vm/index.js';

/** A decoded record: integer fields as bigint (signed where the C type is), char arrays as strings. */
export type DecodedRecord = Record<string, bigint | string>;

/** One member of a record struct as BTF lays it out. */
export interface RecordField {
  name: string;
  offset: number;
  size: number;
  /** Whether the integer type is signed. */
  signed: boolean;
  /** A char array (decoded as a NUL-terminated string). */
  chars: boolean;
}

/** The members of record struct `structName`, from BTF; throws if the struct is not there. */
export function recordFields(btf: Btf, structName: string): { size: number; fields: RecordField[] } {
  const t = btf.struct(structName);
  if (!t) throw new Error(`BTF has no struct ${structName}`);
  const fields: RecordField[] = [];
  for (const m of t.members) {
    const info = btf.member(t, m.name)!;
    const type = btf.resolve(m.type);
    const chars = type?.kind === 3; // BTF_KIND_ARRAY
    // An integer's signedness, from the name of the INT its typedefs resolve to ("unsigned int" for __u32).
    const signed = type?.kind === 1 && !/unsigned|_Bool/.test(type.name);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.name)) throw new Error(`struct ${structName}: member name ${JSON.stringify(m.name)} is not an identifier`);
    fields.push({ name: m.name, offset: info.offset, size: info.size, signed, chars });
  }
  return { size: t.size, fields };
}

const utf8 = new TextDecoder();

/** The NUL-terminated string in bytes[off, off+size). */
export function cString(bytes: Uint8Array, off: number, size: number): string {
  const raw = bytes.subarray(off, off + size);
  const end = raw.indexOf(0);
  return utf8.decode(end < 0 ? raw : raw.subarray(0, end));
}

/** JavaScript reading field `f` from DataView `dv` as a number (exact below 2^53, rounded as Number(bigint) above). */
export function numberRead(f: RecordField): string {
  const o = f.offset;
  switch (f.size) {
    case 8: return `(dv.${f.signed ? 'getInt32' : 'getUint32'}(${o + 4}, true) * 4294967296 + dv.getUint32(${o}, true))`;
    case 4: return `dv.${f.signed ? 'getInt32' : 'getUint32'}(${o}, true)`;
    case 2: return `dv.${f.signed ? 'getInt16' : 'getUint16'}(${o}, true)`;
    default: return `dv.${f.signed ? 'getInt8' : 'getUint8'}(${o})`;
  }
}

/** JavaScript reading field `f` as a bigint. */
export function bigintRead(f: RecordField): string {
  return f.size === 8 ? `dv.${f.signed ? 'getBigInt64' : 'getBigUint64'}(${f.offset}, true)` : `BigInt(${numberRead(f)})`;
}

type Decode = (dv: DataView, bytes: Uint8Array, cString: (b: Uint8Array, off: number, size: number) => string) => DecodedRecord;

/**
 * A decoder for one struct, compiled once from BTF into a function that builds the record as one
 * object literal (one shape per struct; field names are BTF member names, checked to be identifiers).
 */
export class RecordDecoder {
  readonly size: number;
  private readonly fn: Decode;

  constructor(btf: Btf, structName: string) {
    const { size, fields } = recordFields(btf, structName);
    this.size = size;
    const parts = fields.map((f) => `${f.name}: ${f.chars ? `cString(bytes, ${f.offset}, ${f.size})` : bigintRead(f)}`);
    this.fn = new Function('dv', 'bytes', 'cString', `return { ${parts.join(', ')} };`) as Decode;
  }

  /** Decodes one record's bytes. */
  decode(bytes: Uint8Array): DecodedRecord {
    return this.fn(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, cString);
  }
}
