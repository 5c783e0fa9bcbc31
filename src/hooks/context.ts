// The context a program is verified with, by its kind: a tracepoint record, raw u64 arguments, pt_regs, or (tp_btf, fentry, fexit) arguments typed by the kernel's BTF.
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

/** The arguments of a kernel function from its FUNC in the BTF, and (withReturn) its return value after them. */
function fromFunc(btf: Btf, func: string, withReturn = false): TracingArg[] | undefined {
  const id = btf.named(func).find((i) => btf.type(i)!.kind === Kind.FUNC);
  const proto = id === undefined ? undefined : btf.type(btf.type(id)!.type);
  if (proto?.kind !== Kind.FUNC_PROTO) return undefined;
  const args = proto.members.map((p) => argOfType(btf, p.type));
  // A void function's return slot reads as a number too (btf_ctx_access lets fexit read it).
  return withReturn ? [...args, proto.type === 0 ? { kind: 'scalar' } : argOfType(btf, proto.type)] : args;
}

/** A declaration's type (`struct request *rq`, `blk_status_t`) as a tracing argument, its struct looked up in the BTF. */
function declared(btf: Btf, decl: string, sec: string, where: string): TracingArg {
  const m = /^(?:const\s+)?struct\s+(\w+)\s*\*\s*\w*$/.exec(decl.trim());
  if (!m) return { kind: 'scalar' };
  const s = btf.struct(m[1]!);
  if (!s) throw new InputError(`${sec}: the kernel BTF has no struct ${m[1]} (the type of ${decl})`, where);
  return { kind: 'ptr', id: s.id, name: s.name };
}

/** The arguments from the hook table's declarations (`struct request *rq`), struct names looked up in the BTF. */
function fromProto(btf: Btf, hook: HookDef, sec: string, where: string, withReturn = false): TracingArg[] {
  const args = hook.proto!.map((decl) => declared(btf, decl, sec, where));
  return withReturn ? [...args, declared(btf, hook.returns!, sec, where)] : args;
}

/**
 * The context of a tp_btf program on raw tracepoint `event`, as the kernel types it at load. The
 * kernel reads the arguments off `btf_trace_<event>` in its BTF; the simulator's BTF (cut to the
 * fields it keeps) has no such typedefs, so there the hook table's TP_PROTO gives them. Throws
 * InputError, in libbpf's words, when neither knows the event.
 */
function tpBtfContext(event: string, btf: Btf, hook: HookDef | undefined, where: string): ContextSpec {
  const args = fromTypedef(btf, event) ?? (hook?.proto ? fromProto(btf, hook, `tp_btf/${event}`, where) : undefined);
  if (!args) throw new InputError(`tp_btf/${event}: failed to find kernel BTF type ID of '${event}' (no btf_trace_${event} in the kernel BTF, and no such raw tracepoint in viotrace hooks)`, where);
  return tracingContext(event, args);
}

/**
 * The context of an fentry or fexit program on kernel function `func`: its arguments, and for
 * fexit its return value after them (a void function's slot reads as a number), from the
 * function's FUNC in the kernel BTF, else (the simulator's BTF has no functions) from the hook
 * table's declaration. Their pointers are not trusted: a struct pointer may be NULL.
 */
function functionContext(kind: 'fentry' | 'fexit', func: string, btf: Btf, hook: HookDef | undefined, where: string): ContextSpec {
  const exit = kind === 'fexit';
  const args = fromFunc(btf, func, exit) ?? (hook?.proto && (!exit || hook.returns) ? fromProto(btf, hook, `${kind}/${func}`, where, exit) : undefined);
  if (!args) throw new InputError(`${kind}/${func}: failed to find kernel BTF type ID of '${func}' (no such function in the kernel BTF, and no ${exit ? 'function viotrace hooks says it returns from' : 'such kprobe in viotrace hooks'})`, where);
  return tracingContext(func, args, false);
}

/**
 * The context a program of `kind` attached to `attachTo` is verified with. BTF-typed programs
 * (tp_btf, fentry, fexit) need the kernel BTF (`btf`) and take their hook on `side`, else on either side.
 */
export function programContext(p: { kind: string; attachTo: string }, btf: Btf | undefined, where: string, side?: Side): ContextSpec {
  if (p.kind !== 'tp_btf' && p.kind !== 'fentry' && p.kind !== 'fexit') return contextFor(p.kind);
  if (!btf) throw new InputError(`${p.kind}/${p.attachTo}: a BTF-typed program needs the kernel's BTF`, where);
  const hook = side ? findHook(side, p.kind, p.attachTo) : (findHook('guest', p.kind, p.attachTo) ?? findHook('host', p.kind, p.attachTo));
  return p.kind === 'tp_btf' ? tpBtfContext(p.attachTo, btf, hook, where) : functionContext(p.kind, p.attachTo, btf, hook, where);
}
