// BTF: the type information of BPF objects and kernels (.BTF, .BTF.ext func/line info and CO-RE relocations).
import { InputError } from '../../errors.js';

/** BTF kinds (include/uapi/linux/btf.h). */
export const Kind = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11,
  FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

/** A member of a struct/union, an enum value, a function parameter, or a DATASEC entry. */
export interface BtfMember {
  name: string;
  /** Member/param/var type id (0 for enum values). */
  type: number;
  /** Bit offset (struct members), byte offset (DATASEC), value (enums). */
  offset: number;
  /** Bitfield size in bits (0 = not a bitfield); DATASEC entry byte size. */
  size: number;
}

/** One type. */
export interface BtfType {
  id: number;
  kind: number;
  name: string;
  /** Byte size (INT, STRUCT, UNION, ENUM, DATASEC, FLOAT). */
  size: number;
  /** Referenced type (PTR, TYPEDEF, modifiers, FUNC, VAR, FUNC_PROTO's return). */
  type: number;
  members: BtfMember[];
  /** ARRAY: element type and count. */
  elemType: number;
  nelems: number;
  kindFlag: boolean;
  /** INT: BTF_INT_SIGNED in its encoding; ENUM and ENUM64: kind_flag (signed values). */
  signed?: boolean;
}

/** Parsed BTF. */
export class Btf {
  private byName?: Map<string, number[]>;
  constructor(readonly types: BtfType[]) {}

  /** Type `id` (0 is void: undefined). */
  type(id: number): BtfType | undefined {
    return this.types[id];
  }

  /** Follows typedefs and modifiers (const, volatile, restrict, type tags). */
  resolve(id: number): BtfType | undefined {
    let t = this.types[id];
    for (let i = 0; t && i < 32; i++) {
      if (t.kind !== Kind.TYPEDEF && t.kind !== Kind.VOLATILE && t.kind !== Kind.CONST && t.kind !== Kind.RESTRICT && t.kind !== Kind.TYPE_TAG) return t;
      t = this.types[t.type];
    }
    return t;
  }

  /** Byte size of a type (arrays multiplied out, pointers 8). */
  sizeOf(id: number): number {
    const t = this.resolve(id);
    if (!t) return 0;
    if (t.kind === Kind.PTR) return 8;
    if (t.kind === Kind.ARRAY) return t.nelems * this.sizeOf(t.elemType);
    return t.size;
  }

  /** Type ids with this name. */
  named(name: string): number[] {
    if (!this.byName) {
      this.byName = new Map();
      for (const t of this.types) {
        if (!t || !t.name) continue;
        const l = this.byName.get(t.name);
        if (l) l.push(t.id);
        else this.byName.set(t.name, [t.id]);
      }
    }
    return this.byName.get(name) ?? [];
  }

  /** The first struct (or union) named `name`. */
  struct(name: string): BtfType | undefined {
    for (const id of this.named(name)) {
      const t = this.types[id]!;
      if (t.kind === Kind.STRUCT || t.kind === Kind.UNION) return t;
    }
    return undefined;
  }

  /**
   * Byte offset and size of a member by name, looking through anonymous struct/union members
   * as C does; undefined if absent.
   */
  member(struct: BtfType, name: string): { offset: number; size: number; type: number } | undefined {
    for (const m of struct.members) {
      if (m.name === name) return { offset: m.offset / 8, size: this.sizeOf(m.type), type: m.type };
      if (m.name === '') {
        const inner = this.resolve(m.type);
        if (inner && (inner.kind === Kind.STRUCT || inner.kind === Kind.UNION)) {
          const r = this.member(inner, name);
          if (r) return { ...r, offset: r.offset + m.offset / 8 };
        }
      }
    }
    return undefined;
  }
}

function header(bytes: Uint8Array, where: string, what: string): DataView {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || dv.getUint16(0, true) !== 0xeb9f) throw new InputError(`${what}: bad magic (not BTF)`, where);
  return dv;
}

/** Parses a .BTF section (or /sys/kernel/btf/vmlinux). */
export function parseBtf(bytes: Uint8Array, where: string): Btf {
  const dv = header(bytes, where, '.BTF');
  const fail = (msg: string): never => {
    throw new InputError(`.BTF: ${msg}`, where);
  };
  const hdrLen = dv.getUint32(4, true);
  const typeOff = hdrLen + dv.getUint32(8, true);
  const typeLen = dv.getUint32(12, true);
  const strOff = hdrLen + dv.getUint32(16, true);
  const strLen = dv.getUint32(20, true);
  if (typeOff + typeLen > bytes.length || strOff + strLen > bytes.length) fail('type or string section runs past the end');
  const decoder = new TextDecoder();
  const str = (off: number): string => {
    if (off >= strLen) fail(`string offset ${off} outside the string section`);
    let end = strOff + off;
    while (end < strOff + strLen && bytes[end] !== 0) end++;
    return decoder.decode(bytes.subarray(strOff + off, end));
  };
  const types: BtfType[] = [undefined as unknown as BtfType];
  let p = typeOff;
  const end = typeOff + typeLen;
  while (p < end) {
    if (p + 12 > end) fail('truncated type');
    const nameOff = dv.getUint32(p, true);
    const info = dv.getUint32(p + 4, true);
    const sizeOrType = dv.getUint32(p + 8, true);
    p += 12;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    // What follows the common 12 bytes, per kind: it must lie inside the type section.
    const trailing = kind === Kind.INT || kind === Kind.VAR || kind === Kind.DECL_TAG ? 4
      : kind === Kind.ARRAY ? 12
      : kind === Kind.STRUCT || kind === Kind.UNION || kind === Kind.DATASEC || kind === Kind.ENUM64 ? 12 * vlen
      : kind === Kind.ENUM || kind === Kind.FUNC_PROTO ? 8 * vlen : 0;
    if (p + trailing > end) fail(`type ${types.length} (kind ${kind}) runs past the type section`);
    const t: BtfType = { id: types.length, kind, name: str(nameOff), size: 0, type: 0, members: [], elemType: 0, nelems: 0, kindFlag: (info >>> 31) === 1 };
    switch (kind) {
      case Kind.INT:
        t.size = sizeOrType;
        // BTF_INT_ENCODING: bits 24-27 of the word that follows; BTF_INT_SIGNED is bit 0 of it.
        t.signed = ((dv.getUint32(p, true) >>> 24) & 1) === 1;
        p += 4;
        break;
      case Kind.PTR: case Kind.FWD: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.FUNC: case Kind.TYPE_TAG:
        t.type = sizeOrType;
        break;
      case Kind.FLOAT:
        t.size = sizeOrType;
        break;
      case Kind.ARRAY:
        t.elemType = dv.getUint32(p, true);
        t.nelems = dv.getUint32(p + 8, true);
        p += 12;
        break;
      case Kind.STRUCT: case Kind.UNION:
        t.size = sizeOrType;
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = dv.getUint32(p + 8, true);
          t.members.push({ name: str(dv.getUint32(p, true)), type: dv.getUint32(p + 4, true), offset: t.kindFlag ? off & 0xffffff : off, size: t.kindFlag ? off >>> 24 : 0 });
        }
        break;
      case Kind.ENUM:
        t.size = sizeOrType;
        for (let i = 0; i < vlen; i++, p += 8) t.members.push({ name: str(dv.getUint32(p, true)), type: 0, offset: dv.getInt32(p + 4, true), size: 0 });
        break;
      case Kind.ENUM64:
        t.size = sizeOrType;
        for (let i = 0; i < vlen; i++, p += 12) t.members.push({ name: str(dv.getUint32(p, true)), type: 0, offset: dv.getUint32(p + 4, true) + dv.getUint32(p + 8, true) * 2 ** 32, size: 0 });
        break;
      case Kind.FUNC_PROTO:
        t.type = sizeOrType;
        for (let i = 0; i < vlen; i++, p += 8) t.members.push({ name: str(dv.getUint32(p, true)), type: dv.getUint32(p + 4, true), offset: 0, size: 0 });
        break;
      case Kind.VAR:
        t.type = sizeOrType;
        p += 4;
        break;
      case Kind.DATASEC:
        t.size = sizeOrType;
        for (let i = 0; i < vlen; i++, p += 12) t.members.push({ name: '', type: dv.getUint32(p, true), offset: dv.getUint32(p + 4, true), size: dv.getUint32(p + 8, true) });
        break;
      case Kind.DECL_TAG:
        t.type = sizeOrType;
        p += 4;
        break;
      default:
        fail(`type ${types.length} has unknown kind ${kind}`);
    }
    types.push(t);
  }
  if (p !== end) fail('type section does not end on a type boundary');
  return new Btf(types);
}

/** A CO-RE relocation record of .BTF.ext. */
export interface CoreRelocation {
  /** Section (program) it applies to. */
  section: string;
  /** Byte offset of the instruction in that section. */
  insnOff: number;
  /** Local type id the access starts from. */
  typeId: number;
  /** Access string, e.g. "0:3:1". */
  access: string;
  /** bpf_core_relo_kind. */
  kind: number;
}

/** A line_info record of .BTF.ext. */
export interface LineInfo {
  section: string;
  insnOff: number;
  file: string;
  line: string;
  lineNumber: number;
}

/** What .BTF.ext holds. */
export interface BtfExt {
  core: CoreRelocation[];
  lines: LineInfo[];
}

/** Parses .BTF.ext; strings resolve against the object's .BTF string section (passed as the raw .BTF). */
export function parseBtfExt(bytes: Uint8Array, btfBytes: Uint8Array, where: string): BtfExt {
  const dv = header(bytes, where, '.BTF.ext');
  const bdv = new DataView(btfBytes.buffer, btfBytes.byteOffset, btfBytes.byteLength);
  const strOff = bdv.getUint32(4, true) + bdv.getUint32(16, true);
  const decoder = new TextDecoder();
  const str = (off: number): string => {
    let end = strOff + off;
    while (end < btfBytes.length && btfBytes[end] !== 0) end++;
    return decoder.decode(btfBytes.subarray(strOff + off, end));
  };
  const hdrLen = dv.getUint32(4, true);
  const section = (off: number, len: number, each: (sec: string, p: number) => void): void => {
    if (len === 0) return;
    let p = hdrLen + off;
    const end = p + len;
    if (end > bytes.length) throw new InputError('.BTF.ext: a subsection runs past the end', where);
    const recSize = dv.getUint32(p, true);
    p += 4;
    // Every record kind read here is at least 16 bytes; a smaller size (0 included) is corrupt.
    if (recSize < 16) throw new InputError(`.BTF.ext: record size ${recSize} is too small`, where);
    while (p < end) {
      if (p + 8 > end) throw new InputError('.BTF.ext: a section header runs past its subsection', where);
      const sec = str(dv.getUint32(p, true));
      const n = dv.getUint32(p + 4, true);
      p += 8;
      if (n * recSize > end - p) throw new InputError(`.BTF.ext: ${n} records of ${recSize} bytes run past their subsection`, where);
      for (let i = 0; i < n; i++, p += recSize) each(sec, p);
    }
  };
  const out: BtfExt = { core: [], lines: [] };
  section(dv.getUint32(16, true), dv.getUint32(20, true), (sec, p) => {
    const lineCol = dv.getUint32(p + 12, true);
    out.lines.push({ section: sec, insnOff: dv.getUint32(p, true), file: str(dv.getUint32(p + 4, true)), line: str(dv.getUint32(p + 8, true)), lineNumber: lineCol >>> 10 });
  });
  if (hdrLen >= 32) {
    section(dv.getUint32(24, true), dv.getUint32(28, true), (sec, p) => {
      out.core.push({ section: sec, insnOff: dv.getUint32(p, true), typeId: dv.getUint32(p + 4, true), access: str(dv.getUint32(p + 8, true)), kind: dv.getUint32(p + 12, true) });
    });
  }
  return out;
}
