// `viotrace vm plugin` speaks the bpf_conformance plugin protocol: spawned per test as the suite's runner does.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode, parseDataFile, programOf } from '../src/vm/index.js';
import { runCli } from './cli.js';
import { repoRoot, sharedPath } from './shared.js';

const ENTRY = join(repoRoot, 'src', 'main.ts');

function plugin(mode: string, program: Uint8Array, mem?: Uint8Array): { stdout: string; stderr: string; status: number | null } {
  const args = ['--import', 'tsx', ENTRY, 'vm', 'plugin', '--mode', mode];
  if (mem && mem.length) args.push(Buffer.from(mem).toString('hex'));
  const r = spawnSync(process.execPath, args, { input: Buffer.from(program).toString('hex').replace(/(..)(?!$)/g, '$1 '), encoding: 'utf8', cwd: repoRoot });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe('viotrace vm plugin (bpf_conformance protocol)', () => {
  // A spread of the suite (spawning all 313 twice would take minutes; vitest runs them all in-process).
  const dir = sharedPath('conformance', 'bpf_conformance', 'tests');
  const sample = readdirSync(dir).filter((f) => f.endsWith('.data')).sort().filter((_, i) => i % 60 === 0);
  it.each(sample)('%s gives the expected r0 in hex through both modes', (f) => {
    const c = parseDataFile(readFileSync(join(dir, f), 'utf8'));
    const bytes = encode(programOf(c));
    for (const mode of ['interpreter', 'jit']) {
      const r = plugin(mode, bytes, c.mem);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(BigInt(`0x${r.stdout.trim()}`)).toBe(c.result);
    }
  }, 30_000);

  it('an out-of-bounds load is a non-zero exit with a message naming the instruction', () => {
    const r = plugin('jit', Uint8Array.from([0x61, 0x10, 0x08, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), Uint8Array.of(1, 2, 3, 4));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('insn 0: load of 4 bytes at 0x900000008 is outside the memory given to the program');
  }, 30_000);

  it('text that is not hex, or not whole instructions, is one line and exit 1', () => {
    const text = (input: string, ...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'vm', 'plugin', ...args], { input, encoding: 'utf8', cwd: repoRoot });
    const cases: [string, string[], string][] = [
      ['zz\n', ['--mode', 'jit'], 'viotrace: stdin: not hex bytes: invalid hex byte "zz"\n'],
      ['b7 00 00\n', [], 'viotrace: stdin: program refused: 3 bytes is not a whole number of 8-byte instructions\n'],
      ['b7 00 00 00 05 00 00 00 95 00 00 00 00 00 00 00\n', ['0g'], 'viotrace: memory argument: not hex bytes: invalid hex byte "0g"\n'],
    ];
    for (const [input, args, err] of cases) {
      const r = text(input, ...args);
      expect([r.status, r.stdout, r.stderr]).toEqual([1, '', err]);
    }
  }, 30_000);
});

describe('viotrace vm run|asm|disasm on a file that cannot be read', () => {
  it.each(['run', 'asm', 'disasm'])('vm %s names the file, exit 1', async (sub) => {
    const r = await runCli(['vm', sub, 'no-such.data']);
    expect([r.code, r.err]).toEqual([1, 'viotrace: no-such.data: cannot read: ENOENT (no such file or directory)\n']);
  });
});
