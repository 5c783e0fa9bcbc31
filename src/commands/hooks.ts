// `viotrace hooks [--json]`: the hook table, the one source the simulator, the contexts and the docs come from.
import type { Command } from 'commander';
import { ALL_HOOKS, QEMU_BINARY, tracepointLayout } from '../hooks/index.js';
import type { CommandInstaller } from './index.js';

/** What a program attached to the hook receives in r1. */
function context(kind: string, name: string, proto?: readonly string[], returns?: string): string {
  if (kind === 'raw_tracepoint') return `u64 args[${proto!.length}] (${proto!.length * 8} bytes): ${proto!.join(', ')}`;
  // An fentry program on the function gets its arguments as u64s instead; an fexit one the return value after them.
  if (kind === 'kprobe' && proto) return `struct pt_regs (168 bytes); fentry: u64 args[${proto.length}]: ${proto.join(', ')}${returns ? `; fexit: then ${returns}` : ''}`;
  if (kind !== 'tracepoint') return `struct pt_regs (168 bytes)`;
  const l = tracepointLayout(name);
  const fields = l.format.fields.filter((f) => !f.name.startsWith('common_')).map((f) => `${f.name}@${f.offset}`);
  return `record ${l.fixedSize} bytes: ${fields.join(' ')}`;
}

/**
 * The SEC names of programs that attach to the hook, as libbpf reads them: a raw tracepoint takes
 * raw_tp/ and BTF-typed tp_btf/ programs, a kernel function declared in the table kprobe/ and fentry/ ones, and
 * fexit/ ones where the simulator knows its return.
 */
function sections(kind: string, name: string, proto?: readonly string[], returns?: string): string[] {
  switch (kind) {
    case 'kprobe': return [`kprobe/${name}`, ...(proto ? [`fentry/${name}`] : []), ...(proto && returns ? [`fexit/${name}`] : [])];
    case 'tracepoint': return [`tracepoint/${name.replace(':', '/')}`];
    case 'raw_tracepoint': return [`raw_tp/${name}`, `tp_btf/${name}`];
    case 'uprobe':
    case 'uretprobe': return [`${kind}/${QEMU_BINARY}:${name}`];
    default: return [`${kind}/${name}`];
  }
}

/** Installs `viotrace hooks`. */
export const installHooks: CommandInstaller = (program: Command) => {
  program
    .command('hooks')
    .description('list every hook programs attach to: side, kind, real name, arguments or record layout, when it fires')
    .option('--json', 'print the table as JSON')
    .action((opts: { json?: boolean }) => {
      const rows = ALL_HOOKS.map((h) => ({
        side: h.side, kind: h.kind, name: h.name,
        ...(h.kind === 'uprobe' || h.kind === 'uretprobe' ? { binary: QEMU_BINARY } : {}),
        ...(h.args ? { args: h.args } : {}),
        context: context(h.kind, h.name, h.proto, h.returns),
        sections: sections(h.kind, h.name, h.proto, h.returns),
        // Whether viotrace's own paired programs attach there; the rest are kept for users' tools.
        paired: !h.toolsOnly && h.kind !== 'raw_tracepoint',
        fires: h.fires,
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const out = rows.map((r) => `${r.side.padEnd(6)}${r.kind.padEnd(15)}${(r.args ? `${r.name}(${r.args.join(', ')})` : r.name).padEnd(58)}${r.fires}${r.paired ? '' : " (for users' tools)"}\n${' '.repeat(21)}${r.context}\n${' '.repeat(21)}SEC ${r.sections.map((x) => `"${x}"`).join(' or ')}`);
      process.stdout.write(`${out.join('\n')}\n`);
    });
};
