// `viotrace vm plugin|run|asm|disasm`: the eBPF VM on its own (the bpf_conformance plugin protocol, .data files, text).
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { fileError, InputError, UsageError } from '../errors.js';
import {
  AsmError, assembleBytes, decode, disassemble, helperName, LoadError, parseDataFile, parseHexBytes, Program, programOf, VmError,
  type Engine,
} from '../vm/index.js';
import type { CommandInstaller } from './index.js';

/** Turns the VM's and assembler's errors into InputErrors naming the file. */
function rethrow(e: unknown, where: string): never {
  if (e instanceof AsmError) throw new InputError(`assembler: ${e.reason}`, `${where}:${e.line}`);
  if (e instanceof LoadError) throw new InputError(`program refused: ${e.message}`, where);
  if (e instanceof VmError) throw new InputError(`run stopped: ${e.message}`, where);
  throw e;
}

/** A file's text; a file that cannot be read is an InputError naming it. */
function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw fileError(e, file, 'read');
  }
}

/** Hex bytes as an InputError naming where they came from when they are not hex pairs. */
function hexBytes(text: string, where: string): Uint8Array {
  try {
    return parseHexBytes(text);
  } catch (e) {
    throw new InputError(`not hex bytes: ${(e as Error).message}`, where);
  }
}

/** Instruction bytes must be whole 8-byte instructions (decode would throw a RangeError). */
function wholeInstructions(bytes: Uint8Array, where: string): Uint8Array {
  if (bytes.length % 8 !== 0) throw new InputError(`program refused: ${bytes.length} bytes is not a whole number of 8-byte instructions`, where);
  return bytes;
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

const engineOption = (): Option => new Option('--engine <engine>', 'interpreter or JIT').choices(['interpreter', 'jit']).default('jit');

/** Installs `viotrace vm`. */
export const installVm: CommandInstaller = (program: Command) => {
  const vm = program.command('vm').description("viotrace's eBPF virtual machine on its own: conformance plugin, run, assemble, disassemble");

  vm.command('plugin')
    .description('bpf_conformance plugin: program bytes (hex pairs) on stdin, memory as a hex argument, r0 in hex on stdout')
    .addOption(new Option('--mode <mode>', 'engine').choices(['interpreter', 'jit']).default('jit'))
    .argument('[memory]', 'the memory r1 points to, as hex')
    .allowExcessArguments(true)
    .action((memory: string | undefined, opts: { mode: Engine }) => {
      // The suite's runner counts any non-zero exit with a message as a refusal, which these are.
      const bytes = wholeInstructions(hexBytes(readStdin().replace(/0x/gi, ''), 'stdin'), 'stdin');
      const mem = memory ? hexBytes(memory.replace(/\s+/g, '').replace(/(..)/g, '$1 '), 'memory argument') : undefined;
      try {
        const p = new Program(bytes, { engine: opts.mode });
        p.run(mem);
        process.stdout.write(`${p.r0.toString(16)}\n`);
      } catch (e) {
        rethrow(e, 'stdin');
      }
    });

  vm.command('run')
    .description('run a conformance-style .data file (-- asm or -- raw, -- mem) and compare r0 with its -- result')
    .argument('<file>', '.data file')
    .addOption(engineOption())
    .action((file: string, opts: { engine: Engine }) => {
      const c = parseDataFile(readText(file));
      let r0: bigint;
      try {
        const p = new Program(programOf(c), { engine: opts.engine });
        p.run(c.mem);
        r0 = p.r0;
        process.stdout.write(`r0 = 0x${r0.toString(16)} (${p.executed} instructions, ${opts.engine})\n`);
      } catch (e) {
        rethrow(e, file);
      }
      if (c.result !== undefined && c.result !== r0) {
        process.stderr.write(`viotrace: ${file}: expected r0 = 0x${c.result.toString(16)}\n`);
        process.exitCode = 1;
      }
    });

  vm.command('asm')
    .description('assemble text (a .data file or plain assembly) to hex instruction bytes')
    .argument('<file>', 'assembly or .data file')
    .action((file: string) => {
      const text = readText(file);
      const asm = /^--\s*asm/m.test(text) ? (parseDataFile(text).asm ?? '') : text;
      try {
        const bytes = assembleBytes(asm);
        for (let i = 0; i < bytes.length; i += 8) process.stdout.write(`${Buffer.from(bytes.subarray(i, i + 8)).toString('hex').replace(/(..)(?!$)/g, '$1 ')}\n`);
      } catch (e) {
        rethrow(e, file);
      }
    });

  vm.command('disasm')
    .description('disassemble hex instruction bytes (or a .data file) to text that assembles back')
    .argument('<file>', 'hex bytes or .data file')
    .action((file: string) => {
      const text = readText(file);
      let insns;
      try {
        insns = /^--\s*(asm|raw)/m.test(text) ? programOf(parseDataFile(text)) : decode(parseHexBytes(text));
      } catch (e) {
        if (e instanceof AsmError) rethrow(e, file);
        throw new InputError(`not hex instruction bytes: ${(e as Error).message}`, file);
      }
      for (const l of disassemble(insns, { helperName })) process.stdout.write(`${String(l.pc).padStart(4)}: ${l.text}\n`);
    });

  vm.hook('preAction', (_t, action) => {
    if (action.name() === 'vm') throw new UsageError('vm needs a subcommand: plugin, run, asm or disasm');
  });
};
