// The context a program is verified with, by its kind: a tracepoint record, raw u64 arguments, pt_regs, or (tp_btf) arguments typed by the kernel's BTF.
import { InputError } from '../errors.js';
import { BtfKind as Kind, contextFor, tracingContext, type Btf, type ContextSpec, type TracingArg } from '../vm/index.js';
import { findHook, type HookDef, type Side } from './table.js';

/** A BTF type as a tracing argument: a pointer to a struct is a kernel object; anything else (integers, enums, void * and char *) a number. */
function argOfType(btf: Btf, typeId: number): TracingArg {
  const t = btf.resolve(typeId);
  if (t?.kind !== Kind.PTR) return { kind: 'scalar' };
  const to = btf.resolve(t.type);
  return to && (to.kind === Kind.STRUCT || to.kind === Kind.UNION) ? { kind: 'ptr', id: to.id, name: to.name } : { kind: 'scalar' };
}

/** The arguments from the kernel's `btf_trace_<event>` typedef (a pointer to a prototype whose first parameter is the tracepoint's `void *__data`). */
function fromTypedef(btf: Btf, event: string): TracingArg[] | undefined {
  const id = btf.named(`btf_trace_${event}`).find((i) => btf.type(i)!.kind === Kind.TYPEDEF);
  const ptr = id === undefined ? undefined : btf.resolve(id);
  const proto = ptr?.kind === Kind.PTR ? btf.resolve(ptr.type) : undefined;
  if (proto?.kind !== Kind.FUNC_PROTO) return undefined;
  return proto.members.slice(1).map((p) => argOfType(btf, p.type));
}

/** The arguments from the hook table's TP_PROTO (`struct request *rq`), struct names looked up in the BTF. */
function fromProto(btf: Btf, hook: HookDef, where: string): TracingArg[] {
  return hook.proto!.map((decl) => {
    const m = /^(?:const\s+)?struct\s+(\w+)\s*\*\s*\w+$/.exec(decl.trim());
    if (!m) return { kind: 'scalar' };
    const s = btf.struct(m[1]!);
    if (!s) throw new InputError(`tp_btf/${hook.name}: the kernel BTF has no struct ${m[1]} (the type of ${decl})`, where);
    return { kind: 'ptr', id: s.id, name: s.name };
  });
}

/**
 * The context of a tp_btf program on raw tracepoint `event`, as the kernel types it at load. The
 * kernel reads the arguments off `btf_trace_<event>` in its BTF; the simulator's BTF (cut to the
 * fields it keeps) has no such typedefs, so there the hook table's TP_PROTO gives them. Throws
 * InputError, in libbpf's words, when neither knows the event.
 */
export function tpBtfContext(event: string, btf: Btf, hook: HookDef | undefined, where: string): ContextSpec {
  const args = fromTypedef(btf, event) ?? (hook?.proto ? fromProto(btf, hook, where) : undefined);
  if (!args) throw new InputError(`tp_btf/${event}: failed to find kernel BTF type ID of '${event}' (no btf_trace_${event} in the kernel BTF, and no such raw tracepoint in viotrace hooks)`, where);
  return tracingContext(event, args);
}

/**
 * The context a program of `kind` attached to `attachTo` is verified with. tp_btf programs need
 * the kernel BTF (`btf`) and take their hook on `side`, else on either side.
 */
export function programContext(p: { kind: string; attachTo: string }, btf: Btf | undefined, where: string, side?: Side): ContextSpec {
  if (p.kind !== 'tp_btf') return contextFor(p.kind);
  if (!btf) throw new InputError(`tp_btf/${p.attachTo}: a BTF-typed program needs the kernel's BTF`, where);
  const hook = side ? findHook(side, 'tp_btf', p.attachTo) : (findHook('guest', 'tp_btf', p.attachTo) ?? findHook('host', 'tp_btf', p.attachTo));
  return tpBtfContext(p.attachTo, btf, hook, where);
}
