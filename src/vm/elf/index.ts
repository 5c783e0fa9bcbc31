// ELF64 little-endian relocatable objects as clang -target bpf writes them: sections, symbols, relocations.
import { InputError } from '../../errors.js';

/** e_machine of eBPF objects. */
export const EM_BPF = 247;
const ET_REL = 1;
const SHT_SYMTAB = 2;
const SHT_REL = 9;
const SHT_NOBITS = 8;

/** One section. */
export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** Contents (empty for NOBITS; `size` still says how big it is). */
  data: Uint8Array;
  size: number;
  link: number;
  info: number;
}

/** One symbol of .symtab. */
export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  /** STT_* (low 4 bits of st_info). */
  type: number;
  /** STB_* (high 4 bits). */
  bind: number;
  /** Section index it is defined in (0 = undefined). */
  shndx: number;
}

/** One REL entry. */
export interface ElfRelocation {
  offset: number;
  type: number;
  symbol: number;
}

/** A parsed object file. */
export interface ElfFile {
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** Relocations by the index of the section they apply to. */
  relocations: Map<number, ElfRelocation[]>;
  section(name: string): ElfSection | undefined;
}

/** STT_FUNC */
export const STT_FUNC = 2;
/** STT_SECTION */
export const STT_SECTION = 3;
/** STT_OBJECT */
export const STT_OBJECT = 1;

/** Parses an ELF64 LE EM_BPF relocatable object; throws InputError naming `where` for anything else or anything inconsistent. */
export function readElf(bytes: Uint8Array, where: string): ElfFile {
  const fail = (msg: string): never => {
    throw new InputError(`not a loadable BPF object: ${msg}`, where);
  };
  if (bytes.length < 64) fail(`file is ${bytes.length} bytes, shorter than an ELF header`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail('no ELF magic');
  if (bytes[4] !== 2) fail(`ELF class ${bytes[4]} (only 64-bit objects are BPF objects)`);
  if (bytes[5] !== 1) fail(`byte order ${bytes[5] === 2 ? 'big endian' : bytes[5]} (viotrace runs little-endian BPF)`);
  if (bytes[6] !== 1) fail(`ELF version ${bytes[6]} (EV_CURRENT is 1)`);
  if (bytes[7] !== 0) fail(`OS ABI ${bytes[7]} (BPF objects are System V, 0)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_BPF) fail(`e_machine ${machine} (EM_BPF is ${EM_BPF}; was it built with clang -target bpf?)`);
  if (type !== ET_REL) fail(`ELF type ${type} (a BPF object is relocatable, ET_REL)`);
  const shoff = Number(dv.getBigUint64(40, true));
  const shentsize = dv.getUint16(58, true);
  const shnum = dv.getUint16(60, true);
  const shstrndx = dv.getUint16(62, true);
  if (shentsize !== 64) fail(`section header size ${shentsize} (64 expected)`);
  if (shnum > 4096) fail(`${shnum} sections: too many`);
  if (shoff + shnum * 64 > bytes.length) fail(`section headers at ${shoff} run past the end of the file (${bytes.length} bytes): truncated?`);
  if (shstrndx >= shnum) fail(`section name table index ${shstrndx} out of range`);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * 64;
    const stype = dv.getUint32(o + 4, true);
    const off = Number(dv.getBigUint64(o + 24, true));
    const size = Number(dv.getBigUint64(o + 32, true));
    if (stype !== SHT_NOBITS && stype !== 0 && off + size > bytes.length) fail(`section ${i} (offset ${off}, size ${size}) runs past the end of the file: truncated?`);
    raw.push({ nameOff: dv.getUint32(o, true), type: stype, flags: Number(dv.getBigUint64(o + 8, true)), off, size, link: dv.getUint32(o + 40, true), info: dv.getUint32(o + 44, true) });
  }
  const strtab = raw[shstrndx]!;
  const str = (table: { off: number; size: number }, at: number): string => {
    if (at >= table.size) fail(`string offset ${at} outside its table`);
    let end = table.off + at;
    while (end < table.off + table.size && bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(table.off + at, end));
  };
  const sections: ElfSection[] = raw.map((s, index) => ({
    index, name: str(strtab, s.nameOff), type: s.type, flags: s.flags,
    data: s.type === SHT_NOBITS ? new Uint8Array(0) : bytes.subarray(s.off, s.off + s.size), size: s.size, link: s.link, info: s.info,
  }));
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  const symbols: ElfSymbol[] = [];
  if (symtab) {
    if (symtab.link >= shnum) fail('symbol table links to a missing string table');
    const names = raw[symtab.link]!;
    const sv = new DataView(symtab.data.buffer, symtab.data.byteOffset, symtab.data.byteLength);
    for (let i = 0; i * 24 + 24 <= symtab.data.length; i++) {
      const o = i * 24;
      const info = sv.getUint8(o + 4);
      const shndx = sv.getUint16(o + 6, true);
      if (shndx >= shnum && shndx < 0xff00) fail(`symbol ${i} is in section ${shndx}, which does not exist`);
      symbols.push({ index: i, name: str(names, sv.getUint32(o, true)), value: Number(sv.getBigUint64(o + 8, true)), size: Number(sv.getBigUint64(o + 16, true)), type: info & 0xf, bind: info >> 4, shndx });
    }
  }
  const relocations = new Map<number, ElfRelocation[]>();
  for (const s of sections) {
    if (s.type !== SHT_REL) continue;
    if (s.info >= shnum) fail(`relocation section ${s.name} applies to section ${s.info}, which does not exist`);
    if (s.link >= shnum || sections[s.link]!.type !== SHT_SYMTAB) fail(`relocation section ${s.name} links to symbol table ${s.link}, which does not exist`);
    const target = sections[s.info]!;
    if (target.type === 0) fail(`relocation section ${s.name} applies to section ${s.info}, which has no contents`);
    const rv = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
    const list: ElfRelocation[] = [];
    for (let i = 0; i * 16 + 16 <= s.data.length; i++) {
      const offset = Number(rv.getBigUint64(i * 16, true));
      const info = rv.getBigUint64(i * 16 + 8, true);
      const rel = { offset, type: Number(info & 0xffffffffn), symbol: Number(info >> 32n) };
      if (rel.symbol >= symbols.length) fail(`${s.name}: relocation ${i} names symbol ${rel.symbol}, which does not exist`);
      if (target.type !== SHT_NOBITS && offset >= target.size) fail(`${s.name}: relocation ${i} at offset ${offset} is outside ${target.name} (${target.size} bytes)`);
      list.push(rel);
    }
    relocations.set(s.info, list);
  }
  return { sections, symbols, relocations, section: (name) => sections.find((s) => s.name === name) };
}
