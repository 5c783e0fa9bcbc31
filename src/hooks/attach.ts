// What the kernel checks when a loaded program is attached to a hook: that it reads no more context than the hook gives.
import { tracepointLayout, type HookDef } from './table.js';

/**
 * Why attaching a program that reads its context up to byte `maxCtxOffset` to `hook` fails, or
 * undefined. Tracepoint and raw tracepoint programs are verified against the largest context
 * their type allows (a perf record; 12 u64 arguments); the kernel refuses the attach (EINVAL)
 * when the program reads past the tracepoint's own record or arguments.
 */
export function attachRefusal(hook: HookDef, maxCtxOffset: number): string | undefined {
  if (hook.kind === 'tracepoint') {
    const size = tracepointLayout(hook.name).fixedSize;
    return maxCtxOffset > size ? `reads ${hook.name} up to byte ${maxCtxOffset}, but its record has ${size}` : undefined;
  }
  if (hook.kind === 'raw_tracepoint') {
    const args = hook.args!;
    return maxCtxOffset > args.length * 8
      ? `reads raw tracepoint ${hook.name}'s arguments up to byte ${maxCtxOffset}, but it has ${args.length} (${args.join(', ')}: ${args.length * 8} bytes)`
      : undefined;
  }
  return undefined;
}
