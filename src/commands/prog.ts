// `viotrace prog dump OBJECT.o`: an object's programs, maps and disassembly with C source lines, as bpftool shows them.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { disassemble, helperName, loadObject, parseBtf, type Btf } from '../vm/index.js';
import type { CommandInstaller } from './index.js';

/** The kernel BTF CO-RE resolves against: --btf FILE, else this machine's, else the shipped 6.18 minimal BTF. */
function targetBtf(file: string | undefined): Btf {
  const candidates = file ? [file] : ['/sys/kernel/btf/vmlinux', new URL('../../bpf/btf/linux-6.18.min.btf', import.meta.url).pathname];
  for (const c of candidates) {
    try {
      return parseBtf(readFileSync(c), c);
    } catch (e) {
      if (file || e instanceof InputError) throw e;
    }
  }
  throw new InputError('no kernel BTF found: pass --btf FILE', candidates.join(', '));
}

/** Installs `viotrace prog`. */
export const installProg: CommandInstaller = (program: Command) => {
  const prog = program.command('prog').description('inspect clang-built BPF objects');
  prog
    .command('dump')
    .description("list an object's programs and maps and disassemble each program (with C source lines)")
    .argument('<object>', 'ELF object built by clang -target bpf')
    .option('--btf <file>', 'kernel BTF for CO-RE relocations (default: /sys/kernel/btf/vmlinux, else the shipped Linux 6.18 BTF)')
    .action((file: string, opts: { btf?: string }) => {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new InputError(`cannot read: ${(e as Error).message}`, file);
      }
      const o = loadObject(bytes, file, { possibleCpus: 2, targetBtf: targetBtf(opts.btf) });
      const out: string[] = [`${file}: license ${o.license}, ${o.programs.length} programs, ${o.maps.length} maps`, '', 'maps:'];
      o.maps.forEach((m, i) => out.push(`  ${String(i).padStart(2)}  ${m.name.padEnd(16)} ${m.map.typeName.padEnd(14)} key ${m.map.keySize}  value ${m.map.valueSize}  max_entries ${m.map.maxEntries}  flags 0x${m.map.flags.toString(16)}`));
      for (const p of o.programs) {
        out.push('', `${p.name}: ${p.kind} ${p.attachTo} (SEC("${p.section}"), ${p.insns.length} insns)`);
        for (const l of disassemble(p.insns, { helperName, mapName: (i) => o.maps[i]?.name })) {
          const src = p.lines.get(l.pc);
          if (src) out.push(`    ; ${src}`);
          out.push(`  ${String(l.pc).padStart(4)}: ${l.text}`);
        }
      }
      process.stdout.write(`${out.join('\n')}\n`);
    });
};
