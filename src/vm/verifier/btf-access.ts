// Loads through BTF-typed kernel pointers, as the kernel's btf_struct_access walks the struct: what a read at an offset finds, or why it is refused.
import { Kind, type Btf, type BtfType } from '../btf/index.js';
import type { BtfPointee } from './state.js';

/** What a read of `size` bytes at an offset into a kernel struct gives: a number, a pointer to another struct, or a refusal in the kernel's words. */
export type StructRead = { kind: 'scalar' } | { kind: 'ptr'; pointee: BtfPointee } | { kind: 'refused'; reason: string };

/** Skips typedefs and modifiers; the id of the type reached and the type. */
function skip(btf: Btf, id: number): { id: number; t: BtfType | undefined } {
  let t = btf.type(id);
  for (let i = 0; t && i < 32; i++) {
    if (t.kind !== Kind.TYPEDEF && t.kind !== Kind.VOLATILE && t.kind !== Kind.CONST && t.kind !== Kind.RESTRICT && t.kind !== Kind.TYPE_TAG) break;
    id = t.type;
    t = btf.type(id);
  }
  return { id, t };
}

const isStruct = (t: BtfType | undefined): boolean => t !== undefined && (t.kind === Kind.STRUCT || t.kind === Kind.UNION);

/**
 * The kernel's btf_struct_access for a read: walks struct `structId` of the kernel BTF down to
 * the member holding [off, off + size). A read inside an integer, enum or array element is a
 * number; an 8-byte read of a pointer member exactly is a pointer to its struct (a pointer to
 * anything else is a number, as the kernel makes it); reads past the struct, across members or
 * of part of a pointer are refused with the kernel's messages.
 */
export function structRead(btf: Btf, structId: number, off: number, size: number): StructRead {
  let t = skip(btf, structId).t;
  for (let depth = 0; depth < 64 && t && isStruct(t); depth++) {
    const tname = t.name;
    if (off + size > t.size) return { kind: 'refused', reason: `access beyond struct ${tname} at off ${off} size ${size}` };
    let next: BtfType | undefined;
    let found = false;
    for (const m of t.members) {
      const moff = Math.floor(m.offset / 8);
      // Won't find anything: the members are in order and this one is already past the access.
      if (off + size <= moff) break;
      if (m.size) {
        // A bitfield: only a read covering all of it, from its first byte or before.
        const endByte = Math.ceil((m.offset + m.size) / 8);
        if (off <= moff && endByte <= off + size) return { kind: 'scalar' };
        continue;
      }
      const msize = btf.sizeOf(m.type);
      const mtrueEnd = moff + msize;
      if (off >= mtrueEnd) continue;
      let mtype = skip(btf, m.type).t;
      let elemOff = moff;
      let mend = mtrueEnd;
      if (mtype?.kind === Kind.ARRAY) {
        // Multi-dimensional arrays are one run of their innermost element.
        let elem = skip(btf, mtype.elemType);
        while (elem.t?.kind === Kind.ARRAY) elem = skip(btf, elem.t.elemType);
        if (moff === mtrueEnd) continue;
        const esize = btf.sizeOf(elem.id);
        mtype = elem.t;
        elemOff = moff + Math.floor((off - moff) / esize) * esize;
        mend = elemOff + esize;
      }
      if (isStruct(mtype)) {
        // Into the nested struct (or union), the offset made relative to it.
        next = mtype;
        off -= elemOff;
        found = true;
        break;
      }
      if (mtype?.kind === Kind.PTR) {
        if (mend - elemOff !== size || off !== elemOff) return { kind: 'refused', reason: `cannot access ptr member ${m.name} with moff ${elemOff} in struct ${tname} with off ${off} size ${size}` };
        const target = skip(btf, mtype.type);
        if (target.t && isStruct(target.t)) return { kind: 'ptr', pointee: { id: target.id, name: target.t.name, trusted: false } };
        return { kind: 'scalar' };
      }
      if (off + size > mend) return { kind: 'refused', reason: `access beyond the end of member ${m.name} (mend:${mend}) in struct ${tname} with off ${off} size ${size}` };
      return { kind: 'scalar' };
    }
    if (!found) return { kind: 'refused', reason: `struct ${tname} doesn't have field at offset ${off}` };
    t = next;
  }
  return { kind: 'refused', reason: `type ${structId} is not a struct` };
}
