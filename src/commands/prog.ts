// `viotrace prog dump|verify|run OBJECT.o`: an object's programs, maps and disassembly with C source lines; the verifier's verdict on each; run (prog-run.ts).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { ALL_HOOKS, attachRefusal, findHook, hookKindOf, programContext } from '../hooks/index.js';
import { disassemble, helperName, libbpfReason, loadObject, mapSpec, parseBtf, verify, VerifierError, type BpfObject, type BpfProgram, type Btf } from '../vm/index.js';
import type { CommandInstaller } from './index.js';
import { addProgRun } from './prog-run.js';

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

function readObject(file: string, btf: string | undefined): BpfObject {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read: ${(e as Error).message}`, file);
  }
  return loadObject(bytes, file, { possibleCpus: 2, targetBtf: targetBtf(btf) });
}

/** The hook-table entry a program attaches to, on either side. */
function hookOf(p: BpfProgram) {
  return findHook('guest', p.kind, p.attachTo) ?? findHook('host', p.kind, p.attachTo);
}

/**
 * Why a program's SEC name is a problem for viotrace, or undefined. A tracepoint not in the hook
 * table has no record layout here (and the kernel refuses to attach to one it lacks), so it is a
 * refusal; a probe on another function verifies against pt_regs, which is all the kernel checks at
 * load, so it is only a warning: whether the function exists is known at attach.
 */
function hookProblem(p: BpfProgram): { refuse: boolean; text: string } | undefined {
  if (hookOf(p)) return undefined;
  const sec = `SEC("${p.section}")`;
  const known = ALL_HOOKS.some((h) => h.kind === hookKindOf(p.kind));
  if (p.kind === 'tracepoint') return { refuse: true, text: `${sec}: tracepoint ${p.attachTo} is not in viotrace's hook table, so its record layout is unknown (viotrace hooks lists them)` };
  if (!known) return { refuse: true, text: `${sec}: viotrace simulates no ${p.kind} hooks (viotrace hooks lists them)` };
  if (p.kind === 'fentry' || p.kind === 'fexit') return { refuse: false, text: `${sec}: ${p.attachTo} is not a kernel function viotrace simulates${p.kind === 'fexit' ? ' the return of' : ''} (viotrace hooks lists them); its arguments are typed by the kernel BTF's FUNC ${p.attachTo}` };
  if (p.kind === 'tp_btf') return { refuse: false, text: `${sec}: raw tracepoint ${p.attachTo} is not one viotrace fires (viotrace hooks lists them); its arguments are typed by the kernel BTF's btf_trace_${p.attachTo}` };
  if (p.kind === 'raw_tracepoint') return { refuse: false, text: `${sec}: raw tracepoint ${p.attachTo} is not one viotrace fires (viotrace hooks lists them); checked against 12 u64 arguments, as the kernel loads it (it checks at attach that the tracepoint exists and has the arguments read)` };
  return { refuse: false, text: `${sec}: ${p.kind} ${p.attachTo} is not a hook viotrace simulates (viotrace hooks lists them); checked against pt_regs only (the kernel checks at attach that the function exists)` };
}

/** The line for a code section whose SEC name is no program type: libbpf would not load it either. */
const unknownSection = (name: string): string =>
  /^(fmod_ret|lsm|iter)(\.s)?\/|^f(entry|exit)\.s\//.test(name)
    // Return-value overrides, LSM hooks, iterators, sleepable programs: not simulated.
    ? `SEC("${name}"): ${name.split('/')[0]} programs are not supported, so its code is not loaded; fentry/ and fexit/ programs on the kernel functions viotrace simulates are, and kprobe/ and kretprobe/ ones (viotrace hooks lists them)`
    : `SEC("${name}"): not a program type (tracepoint/, kprobe/, kretprobe/, uprobe/, uretprobe/, raw_tp/, tp_btf/, fentry/, fexit/, usdt/); its code is not loaded`;

/** Installs `viotrace prog`. */
export const installProg: CommandInstaller = (program: Command) => {
  const prog = program.command('prog').description('inspect clang-built BPF objects, and run them on the simulated stack');
  prog
    .command('dump')
    .description("list an object's programs and maps and disassemble each program (with C source lines)")
    .argument('<object>', 'ELF object built by clang -target bpf')
    .option('--btf <file>', 'kernel BTF for CO-RE relocations (default: /sys/kernel/btf/vmlinux, else the shipped Linux 6.18 BTF)')
    .action((file: string, opts: { btf?: string }) => {
      const o = readObject(file, opts.btf);
      for (const name of o.unknownSections) process.stderr.write(`viotrace: warning: ${file}: ${unknownSection(name)}\n`);
      for (const p of o.programs) {
        const problem = hookProblem(p);
        if (problem) process.stderr.write(`viotrace: warning: ${file}: program ${p.name}: ${problem.text}\n`);
      }
      const out: string[] = [`${file}: license ${o.license}, ${o.programs.length} programs, ${o.maps.length} maps`, '', 'maps:'];
      o.maps.forEach((m, i) => out.push(`  ${String(i).padStart(2)}  ${m.name.padEnd(16)} ${m.map.typeName.padEnd(14)} key ${m.map.keySize}  value ${m.map.valueSize}  max_entries ${m.map.maxEntries}  flags 0x${m.map.flags.toString(16)}`));
      for (const p of o.programs) {
        out.push('', `${p.name}: ${p.kind} ${p.attachTo} (SEC("${p.section}"), ${p.insns.length} insns)`);
        for (const l of disassemble(p.insns, { helperName, mapName: (i) => o.maps[i]?.name })) {
          const src = p.lines.get(l.pc);
          if (src) out.push(`    ; ${src}`);
          // libbpf's own word for a poisoned instruction in the logs it prints.
          const poisoned = p.poisoned.get(l.pc);
          out.push(`  ${String(l.pc).padStart(4)}: ${l.text}${poisoned === undefined ? '' : `\t; <invalid CO-RE relocation> ${poisoned}`}`);
        }
      }
      process.stdout.write(`${out.join('\n')}\n`);
    });
  prog
    .command('verify')
    .description('verify every program of an object as the kernel would; a verdict for each; on a refusal, print the verifier log and exit 1')
    .argument('<object>', 'ELF object built by clang -target bpf')
    .option('--btf <file>', 'kernel BTF for CO-RE relocations (default: /sys/kernel/btf/vmlinux, else the shipped Linux 6.18 BTF)')
    .option('--program <name>', 'verify only this program')
    .option('--log', "print each program's verifier summary line")
    .option('--any-hook', "verify programs on hooks viotrace's hook table lacks too (a tracepoint as a record of unknown layout)")
    .action((file: string, opts: { btf?: string; program?: string; log?: boolean; anyHook?: boolean }) => {
      const o = readObject(file, opts.btf);
      const programs = opts.program ? o.programs.filter((p) => p.name === opts.program) : o.programs;
      if (programs.length === 0) throw new InputError(`no program named ${JSON.stringify(opts.program)} (it has ${o.programs.map((p) => p.name).join(', ')})`, file);
      const maps = o.maps.map(({ name, map }) => mapSpec(name, map));
      // Every program gets its verdict: a refusal is printed where it happens and the walk goes on.
      let refused = 0;
      const refuse = (line: string): void => {
        refused++;
        process.stderr.write(`viotrace: ${file}: ${line}\n`);
      };
      if (!opts.program) for (const name of o.unknownSections) refuse(unknownSection(name));
      for (const p of programs) {
        const problem = hookProblem(p);
        if (problem?.refuse && !opts.anyHook) {
          refuse(`program ${p.name}: ${problem.text}`);
          continue;
        }
        try {
          const ctx = programContext(p, o.kernelBtf, file);
          // Warned only once its context is known: a BTF-typed program whose target the BTF lacks is refused instead.
          if (problem) process.stderr.write(`viotrace: warning: ${file}: program ${p.name}: ${problem.text}\n`);
          const v = verify(p.insns, { ctx, maps, lines: p.lines, globals: p.globals, ...(o.kernelBtf ? { btf: o.kernelBtf } : {}) });
          const reads = v.maxCtxOffset ? `, reads ${ctx.name} up to byte ${v.maxCtxOffset}` : '';
          process.stdout.write(`${p.name}: verified (${p.kind} ${p.attachTo}, ${p.insns.length} insns, processed ${v.processed}${reads})\n`);
          if (opts.log) process.stdout.write(`  ${v.log}\n`);
          const hook = hookOf(p);
          const refusal = hook && attachRefusal(hook, v.maxCtxOffset);
          if (refusal) process.stderr.write(`viotrace: warning: ${file}: program ${p.name}: it loads, but the kernel refuses to attach it (EINVAL): it ${refusal}\n`);
        } catch (e) {
          if (e instanceof InputError) {
            refuse(`program ${p.name}: ${e.message}`);
            continue;
          }
          if (!(e instanceof VerifierError)) throw e;
          process.stderr.write(`verifier log of ${p.name}:\n${e.log.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
          refuse(`program ${p.name}: insn ${e.pc}: ${libbpfReason(p, e.pc, e.reason)}${p.lines.get(e.pc) ? ` (${p.lines.get(e.pc)!.trim()})` : ''}`);
        }
      }
      if (refused) process.exitCode = 1;
    });
  addProgRun(prog);
};
