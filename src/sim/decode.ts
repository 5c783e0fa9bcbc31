// Decodes ring-buffer records by the object's own BTF (bpf/include/records.h is the one source of their layout).
import type { Btf } from '../vm/index.js';

/** A decoded record: integer fields as bigint (signed where the C type is), char arrays as strings. */
export type DecodedRecord = Record<string, bigint | string>;

/** A decoder for one struct, compiled once from BTF. */
export class RecordDecoder {
  private readonly fields: { name: string; offset: number; size: number; signed: boolean; chars: boolean }[] = [];
  readonly size: number;

  constructor(btf: Btf, structName: string) {
    const t = btf.struct(structName);
    if (!t) throw new Error(`BTF has no struct ${structName}`);
    this.size = t.size;
    for (const m of t.members) {
      const info = btf.member(t, m.name)!;
      const type = btf.resolve(m.type);
      const chars = type?.kind === 3; // BTF_KIND_ARRAY
      // An integer's signedness, from the name of the INT its typedefs resolve to ("unsigned int" for __u32).
      const signed = type?.kind === 1 && !/unsigned|_Bool/.test(type.name);
      this.fields.push({ name: m.name, offset: info.offset, size: info.size, signed, chars });
    }
  }

  /** Decodes one record's bytes. */
  decode(bytes: Uint8Array): DecodedRecord {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out: DecodedRecord = {};
    for (const f of this.fields) {
      if (f.chars) {
        const raw = bytes.subarray(f.offset, f.offset + f.size);
        const end = raw.indexOf(0);
        out[f.name] = new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
        continue;
      }
      let v: bigint;
      switch (f.size) {
        case 8: v = f.signed ? dv.getBigInt64(f.offset, true) : dv.getBigUint64(f.offset, true); break;
        case 4: v = BigInt(f.signed ? dv.getInt32(f.offset, true) : dv.getUint32(f.offset, true)); break;
        case 2: v = BigInt(f.signed ? dv.getInt16(f.offset, true) : dv.getUint16(f.offset, true)); break;
        default: v = BigInt(f.signed ? dv.getInt8(f.offset) : dv.getUint8(f.offset));
      }
      out[f.name] = v;
    }
    return out;
  }
}
