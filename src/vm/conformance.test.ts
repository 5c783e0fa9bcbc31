// Runs the public conformance suites (bpf_conformance, uBPF) through the interpreter and the JIT.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/shared.js';
import { parseDataFile, programOf } from './conformance.js';
import { assembleBytes } from './isa/asm.js';
import { Program, type Engine } from './program.js';

const ENGINES: Engine[] = ['interpreter', 'jit'];

function files(...dir: string[]): { name: string; path: string }[] {
  const d = sharedPath('conformance', ...dir);
  return readdirSync(d).filter((f) => f.endsWith('.data')).sort().map((f) => ({ name: f, path: join(d, f) }));
}

/** Runs a case; returns r0 or the error it was refused or stopped with. */
function runCase(text: string, engine: Engine): { r0?: bigint; error?: string } {
  try {
    const c = parseDataFile(text);
    const prog = new Program(programOf(c), { engine });
    prog.run(c.mem);
    return { r0: prog.r0 };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Cases not run, each with the reason: none is an instruction viotrace lacks. */
const SKIPS: Record<string, string> = {
  'ubpf/stack2.data': "calls uBPF's test helper memfrob as helper 1, which in Linux (and viotrace) is map_lookup_elem",
  'ubpf/string-stack.data': "calls uBPF's test helper strcmp_ext as helper 4, which in Linux (and viotrace) is probe_read",
  'ubpf/reload.data': "tests uBPF's C API (loading code twice into one VM); each viotrace Program is loaded once",
  'ubpf/errors/err-unknown-opcode.data': 'opcode 0x06 is JA with a 32-bit immediate (gotol) in RFC 9669 §4.3.1, which viotrace implements; uBPF predates it',
  'ubpf/extensions/call_unwind.data': "uses uBPF's unwind extension (helper 5 ends the program when r1 is 0); in Linux helper 5 is ktime_get_ns",
};

describe.each(ENGINES)('conformance (%s)', (engine) => {
  describe('bpf_conformance/tests', () => {
    for (const f of files('bpf_conformance', 'tests')) {
      it(f.name, () => {
        const text = readFileSync(f.path, 'utf8');
        const c = parseDataFile(text);
        const got = runCase(text, engine);
        if (c.error !== undefined && c.result === undefined) expect(got.error, 'must be refused').toBeDefined();
        else {
          expect(got.error).toBeUndefined();
          expect(got.r0!.toString(16)).toBe(c.result!.toString(16));
        }
      });
    }
  });

  describe('ubpf', () => {
    for (const f of files('ubpf')) {
      const skip = SKIPS[`ubpf/${f.name}`];
      if (skip) {
        it.skip(`${f.name}: ${skip}`, () => {});
        continue;
      }
      it(f.name, () => {
        const text = readFileSync(f.path, 'utf8');
        const c = parseDataFile(text);
        if (c.asm !== undefined && c.raw && c.result === undefined) {
          // An assembler test: the text must assemble to exactly the raw words.
          expect(Buffer.from(assembleBytes(c.asm)).toString('hex')).toBe(Buffer.from(c.raw).toString('hex'));
          return;
        }
        const got = runCase(text, engine);
        expect(got.error).toBeUndefined();
        expect(got.r0!.toString(16)).toBe(c.result!.toString(16));
      });
    }
  });

  describe('ubpf/errors: refused at load or stopped at run', () => {
    for (const f of files('ubpf', 'errors')) {
      const skip = SKIPS[`ubpf/errors/${f.name}`];
      if (skip) {
        it.skip(`${f.name}: ${skip}`, () => {});
        continue;
      }
      it(f.name, () => {
        const got = runCase(readFileSync(f.path, 'utf8'), engine);
        expect(got.error, 'must be refused').toMatch(/insn \d+: |line \d+: /);
      });
    }
  });

  describe('ubpf/extensions', () => {
    for (const f of files('ubpf', 'extensions')) {
      const skip = SKIPS[`ubpf/extensions/${f.name}`];
      if (skip) {
        it.skip(`${f.name}: ${skip}`, () => {});
        continue;
      }
      it(f.name, () => {
        const text = readFileSync(f.path, 'utf8');
        const c = parseDataFile(text);
        const got = runCase(text, engine);
        if (c.result === undefined) expect(got.error).toBeDefined();
        else {
          expect(got.error).toBeUndefined();
          expect(got.r0!.toString(16)).toBe(c.result.toString(16));
        }
      });
    }
  });
});

describe('bpf_conformance/negative: never accepted with the stated result', () => {
  for (const f of files('bpf_conformance', 'negative')) {
    it(f.name, () => {
      const text = readFileSync(f.path, 'utf8');
      const c = parseDataFile(text);
      for (const engine of ENGINES) {
        const got = runCase(text, engine);
        // Refused (assembler, load checks, or a run-time fault), or a result other than the wrong one stated.
        if (got.error === undefined) expect(c.result === undefined || got.r0 !== c.result, `${engine} accepted it`).toBe(true);
        if (got.error === undefined) expect(c.result, `${engine} ran a case that states no result`).toBeDefined();
      }
    });
  }
});

describe('ubpf/helpers', () => {
  it.skip("all: uBPF's test helpers (memfrob, gather_bytes, strcmp_ext, unwind) are not eBPF helpers", () => {});
});
