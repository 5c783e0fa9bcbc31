// Kernel BPF program names back to the hooks they stand for: the kernel keeps only 15 characters of a name.
import { HOOKS, type HookDef, type Side } from './table.js';

/** BPF_OBJ_NAME_LEN - 1: the kernel keeps this much of a program's name, so bpftrace's drop report may cut it. */
const KERNEL_PROG_NAME_CHARS = 15;

/**
 * The hook a program name from the kernel's skip counts stands for: the tracepoint's event or the
 * probed function, matched whole or, when the kernel cut it at 15 characters, by its start (only
 * if one hook of the side starts so).
 */
export function probeOfProgram(program: string, side: Side): HookDef | undefined {
  const tail = (h: HookDef): string => (h.kind === 'tracepoint' ? h.name.split(':')[1]! : h.name);
  const hooks = HOOKS.filter((h) => h.side === side);
  const exact = hooks.filter((h) => tail(h) === program || h.name === program);
  if (exact.length === 1) return exact[0];
  if (program.length !== KERNEL_PROG_NAME_CHARS) return undefined;
  const cut = hooks.filter((h) => tail(h).startsWith(program));
  return cut.length === 1 || (cut.length > 1 && cut.every((h) => h.name === cut[0]!.name && h.kind === cut[0]!.kind)) ? cut[0] : undefined;
}
