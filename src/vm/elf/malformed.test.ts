// uBPF's malformed-ELF cases (shared/conformance/ubpf/elf), reproduced on a clang-built object: each must be refused cleanly.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/shared.js';
import { InputError } from '../../errors.js';
import { loadObject } from '../object/index.js';

const OBJECT = readFileSync(fileURLToPath(new URL('../../../bpf/testdata/subprog.bpf.o', import.meta.url)));

/** Field access on a copy of the object, by ELF64 layout. */
class Patch {
  readonly bytes = new Uint8Array(OBJECT);
  readonly dv = new DataView(this.bytes.buffer);
  get shoff(): number {
    return Number(this.dv.getBigUint64(40, true));
  }
  shdr(i: number): number {
    return this.shoff + i * 64;
  }
  sectionNames(): string[] {
    const shnum = this.dv.getUint16(60, true);
    const strOff = Number(this.dv.getBigUint64(this.shdr(this.dv.getUint16(62, true)) + 24, true));
    return Array.from({ length: shnum }, (_, i) => {
      let p = strOff + this.dv.getUint32(this.shdr(i), true);
      let s = '';
      while (this.bytes[p]) s += String.fromCharCode(this.bytes[p++]!);
      return s;
    });
  }
  section(name: string): number {
    const i = this.sectionNames().indexOf(name);
    if (i < 0) throw new Error(`no section ${name}`);
    return i;
  }
  /** Offset of the program's call relocation (the uBPF tests' `sqrti_rel`) and of its symbol (`sqrti_sym`). */
  callRelocation(): { rel: number; sym: number } {
    const relSec = this.shdr(this.section('.relkprobe/blk_account_io_done'));
    const relOff = Number(this.dv.getBigUint64(relSec + 24, true));
    const relSize = Number(this.dv.getBigUint64(relSec + 32, true));
    const symtab = this.shdr(this.section('.symtab'));
    const symOff = Number(this.dv.getBigUint64(symtab + 24, true));
    for (let o = relOff; o < relOff + relSize; o += 16) {
      const info = this.dv.getBigUint64(o + 8, true);
      if (Number(info & 0xffffffffn) === 10) return { rel: o, sym: symOff + Number(info >> 32n) * 24 };
    }
    throw new Error('no call relocation');
  }
}

/** Each uBPF case as a mutation of our object, and what our refusal must mention. */
const CASES: Record<string, { mutate(p: Patch): void; refusal: RegExp }> = {
  'bad-rel-offset': { mutate: (p) => p.dv.setBigUint64(p.callRelocation().rel, 50_000n, true), refusal: /relocation 2 at offset 50000 is outside kprobe\/blk_account_io_done/ },
  'bad-rel-strtab-index': { mutate: (p) => p.dv.setUint32(p.shdr(p.section('.symtab')) + 40, 30, true), refusal: /symbol table links to a missing string table/ },
  'bad-rel-symbol-index': {
    mutate: (p) => p.dv.setBigUint64(p.callRelocation().rel + 8, (10_000n << 32n) | 10n, true),
    refusal: /relocation 2 names symbol 10000, which does not exist/,
  },
  'bad-rel-symbol-name': { mutate: (p) => p.dv.setUint32(p.callRelocation().sym, 100_000, true), refusal: /string offset 100000 outside its table/ },
  'bad-rel-symbol-table-section-index': { mutate: (p) => p.dv.setUint32(p.shdr(p.section('.relkprobe/blk_account_io_done')) + 40, 30, true), refusal: /links to symbol table 30, which does not exist/ },
  'bad-rel-type': { mutate: (p) => p.dv.setBigUint64(p.callRelocation().rel + 8, (p.dv.getBigUint64(p.callRelocation().rel + 8, true) & ~0xffffffffn) | 7n, true), refusal: /unknown relocation type 7/ },
  'bad-section-header-offset': { mutate: (p) => p.dv.setBigUint64(40, BigInt(p.bytes.length), true), refusal: /section headers at \d+ run past the end of the file/ },
  'bad-section-header-size': { mutate: (p) => p.dv.setUint16(58, 1024, true), refusal: /section header size 1024 \(64 expected\)/ },
  'bad-section-offset': { mutate: (p) => p.dv.setBigUint64(p.shdr(p.section('kprobe/blk_account_io_done')) + 24, BigInt(p.bytes.length), true), refusal: /section \d+ \(offset \d+, size \d+\) runs past the end of the file/ },
  'bad-section-size': { mutate: (p) => p.dv.setBigUint64(p.shdr(p.section('kprobe/blk_account_io_done')) + 32, 1_000_000n, true), refusal: /runs past the end of the file/ },
  'ehdr-short': { mutate: () => undefined, refusal: /file is 4 bytes, shorter than an ELF header/ },
  'no-text-section': { mutate: (p) => p.dv.setUint32(p.shdr(p.section('kprobe/blk_account_io_done')) + 4, 0, true), refusal: /relocation section \.relkprobe\/blk_account_io_done applies to section \d+, which has no contents/ },
  // uBPF resolves calls to helpers by name; a BPF object's call relocation names code the object must
  // define (here the .text section symbol, as clang emits for a static function): renamed and made
  // undefined (an extern), it is not found.
  'rel-sym-not-found': {
    mutate: (p) => {
      const { sym } = p.callRelocation();
      p.dv.setUint32(sym, p.dv.getUint32(sym, true) + 1, true);
      p.dv.setUint16(sym + 6, 0, true);
    },
    refusal: /insn 8: call relocation to .* outside \.text/,
  },
  'too-many-sections': { mutate: (p) => p.dv.setUint16(60, 1024, true), refusal: /run past the end of the file/ },
  'wrong-byte-order': { mutate: (p) => (p.bytes[5] = 2), refusal: /byte order big endian/ },
  'wrong-class': { mutate: (p) => (p.bytes[4] = 1), refusal: /ELF class 1/ },
  'wrong-machine': { mutate: (p) => p.dv.setUint16(18, 1, true), refusal: /e_machine 1 \(EM_BPF is 247/ },
  'wrong-osabi': { mutate: (p) => (p.bytes[7] = 3), refusal: /OS ABI 3 \(BPF objects are System V, 0\)/ },
  'wrong-type': { mutate: (p) => p.dv.setUint16(16, 0, true), refusal: /ELF type 0 \(a BPF object is relocatable/ },
  'wrong-version': { mutate: (p) => (p.bytes[6] = 2), refusal: /ELF version 2/ },
};

const load = (bytes: Uint8Array): unknown => loadObject(bytes, 'subprog.bpf.o', { possibleCpus: 2 });

describe("uBPF's malformed ELF cases", () => {
  const files = readdirSync(sharedPath('conformance', 'ubpf', 'elf')).filter((f) => f.endsWith('.data'));
  it('covers every case of the suite', () => {
    expect(files.map((f) => f.replace(/\.data$/, '')).filter((n) => n !== 'ok').sort()).toEqual(Object.keys(CASES).sort());
  });
  it('ok: the unmutated object loads', () => {
    expect(() => load(OBJECT)).not.toThrow();
    expect(readFileSync(join(sharedPath('conformance', 'ubpf', 'elf'), 'ok.data'), 'utf8')).toContain('-- result');
  });
  for (const [name, c] of Object.entries(CASES)) {
    it(name, () => {
      const p = new Patch();
      c.mutate(p);
      const bytes = name === 'ehdr-short' ? p.bytes.subarray(0, 4) : p.bytes;
      let err: unknown;
      try {
        load(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(c.refusal);
    });
  }
});

describe('truncated objects', () => {
  it('every prefix is refused with an InputError, never another exception', () => {
    for (let len = 0; len < OBJECT.length; len += 97) {
      let err: unknown;
      try {
        load(OBJECT.subarray(0, len));
      } catch (e) {
        err = e;
      }
      expect(err, `prefix of ${len} bytes`).toBeInstanceOf(InputError);
    }
  });
});
