// Reads the conformance suites' .data files: sections `-- asm`, `-- raw`, `-- mem`, `-- result`, `-- error`.
import { assemble } from './isa/asm.js';
import { decode, type Instruction } from './isa/instruction.js';

/** One .data test case. */
export interface ConformanceCase {
  /** The program text (`-- asm`), if given as assembly. */
  asm?: string;
  /** The program as raw instruction words or bytes (`-- raw`), if given so. */
  raw?: Uint8Array;
  /** The program's memory (`-- mem`): r1 points to it, r2 is its length. */
  mem?: Uint8Array;
  /** Expected r0 (`-- result`). */
  result?: bigint;
  /** Expected error text (`-- error` / `-- error pattern`), when the case must be refused. */
  error?: string;
  /** Section names present. */
  sections: Set<string>;
}

/** Parses a .data file's text. */
export function parseDataFile(text: string): ConformanceCase {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^--\s*(.*?)\s*$/.exec(line);
    if (m) {
      current = [];
      sections.set(m[1]!, current);
      continue;
    }
    current?.push(line);
  }
  const body = (name: string): string | undefined => sections.get(name)?.join('\n');
  const c: ConformanceCase = { sections: new Set(sections.keys()) };
  const asm = body('asm');
  if (asm !== undefined) c.asm = asm;
  const raw = body('raw');
  if (raw !== undefined) c.raw = parseRaw(raw);
  const mem = body('mem');
  if (mem !== undefined) c.mem = parseHexBytes(mem);
  const result = body('result')?.replace(/#.*$/gm, '').trim();
  if (result) c.result = BigInt.asUintN(64, BigInt(result));
  const error = body('error') ?? body('error pattern');
  if (error !== undefined) c.error = error.replace(/^#.*$/gm, '').trim();
  return c;
}

/** Hex byte pairs separated by whitespace. */
export function parseHexBytes(text: string): Uint8Array {
  const pairs = text.replace(/#.*$/gm, '').split(/\s+/).filter(Boolean);
  return Uint8Array.from(pairs.map((p) => {
    if (!/^[0-9a-f]{2}$/i.test(p)) throw new Error(`invalid hex byte ${JSON.stringify(p)}`);
    return parseInt(p, 16);
  }));
}

/** Raw programs: 0x-prefixed 64-bit words (uBPF) or lines of hex byte pairs (bpf_conformance). */
function parseRaw(text: string): Uint8Array {
  const lines = text.replace(/#.*$/gm, '').split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.every((l) => /^0x[0-9a-f]+$/i.test(l))) {
    const out = new Uint8Array(lines.length * 8);
    const dv = new DataView(out.buffer);
    lines.forEach((l, i) => dv.setBigUint64(i * 8, BigInt(l), true));
    return out;
  }
  return parseHexBytes(lines.join(' '));
}

/** The case's program as instructions (assembling `-- asm`; throws AsmError for bad text). */
export function programOf(c: ConformanceCase): Instruction[] {
  if (c.raw) return decode(c.raw);
  return assemble(c.asm ?? '');
}
