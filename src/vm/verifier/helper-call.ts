// Helper calls as the verifier checks them: each argument against its kind, map types against the helper, the return type.
import type { HelperProto } from '../helpers/table.js';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_CGROUP_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_RINGBUF } from '../maps/constants.js';
import { helperMemory, MEM_TYPES, type AccessEnv } from './access.js';
import { isConst, sync, unknownScalar, type Scalar } from './scalar.js';
import { fixedOffset, isNull, mayBeNull, noVariablePart, notInit, pointerReg, scalarReg, Slot, slotRun, STACK_BYTES, varMin, type Reg, type State } from './state.js';
import type { MapSpec } from './spec.js';

/** What helper checks need beyond memory access. */
export interface HelperEnv extends AccessEnv {
  newId(): number;
  /** nr_cpu_ids, when known (VerifyOptions.cpus). */
  readonly cpus: number | undefined;
}

/** Helpers whose result is at most their size argument, or an error (do_refine_retval_range). */
const SIZED_RESULT = new Set(['get_stack', 'get_task_stack', 'probe_read_str', 'probe_read_kernel_str', 'probe_read_user_str']);
/** -MAX_ERRNO: the most negative error a helper returns. */
const MIN_ERRNO = -4095n;

/** Helpers that alone may take a map of these types (the kernel's check_map_func_compatibility). */
const ONLY_WITH: Record<number, readonly string[]> = {
  [BPF_MAP_TYPE_RINGBUF]: ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query'],
  [BPF_MAP_TYPE_PERF_EVENT_ARRAY]: ['perf_event_output'],
  [BPF_MAP_TYPE_CGROUP_ARRAY]: ['current_task_under_cgroup'],
};

/** Map types these helpers need. */
const NEEDS_MAP: Record<string, number> = {
  ringbuf_output: BPF_MAP_TYPE_RINGBUF,
  ringbuf_reserve: BPF_MAP_TYPE_RINGBUF,
  ringbuf_query: BPF_MAP_TYPE_RINGBUF,
  perf_event_output: BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  current_task_under_cgroup: BPF_MAP_TYPE_CGROUP_ARRAY,
};

/** Largest size a helper may be given (the kernel's BPF_MAX_VAR_SIZ). */
const MAX_VAR_SIZE = 1 << 29;

/** Checks a helper call at st.pc and applies its effects: r1-r5 clobbered, r0 set, references taken or released. */
export function checkHelperCall(env: HelperEnv, st: State, proto: HelperProto): void {
  const pc = st.pc;
  const frame = st.frames[st.frames.length - 1]!;
  const regs = frame.regs;
  // The kernel's func_id_name: bpf_ before the helper's name.
  const fnName = `bpf_${proto.name}#${proto.id}`;
  let map: Reg | undefined;
  let incompatible: number | undefined;
  let mem: { regno: number; reg: Reg; write: boolean } | undefined;
  let allocSize = 0;
  /** The largest value of the call's size argument (meta->msize_max_value). */
  let sizeMax = 0n;
  let released: Reg | undefined;
  /** The key of a map_lookup_elem when it is known (constantMapKey), else -1. */
  let constKey = -1n;
  const expect = (regno: number, reg: Reg, what: string): never => env.fail(pc, `R${regno} type=${reg.type} expected=${what}`);

  proto.args.forEach((kind, i) => {
    const regno = i + 1;
    const reg = regs[regno]!;
    if (kind === 'ARG_DONTCARE') return;
    if (reg.type === 'not_init') env.fail(pc, `R${regno} !read_ok`);
    switch (kind) {
      case 'ARG_ANYTHING':
        return;
      case 'ARG_CONST_MAP_PTR': {
        if (reg.type !== 'map_ptr') expect(regno, reg, 'map_ptr');
        const spec = env.maps[reg.map]!;
        const only = ONLY_WITH[spec.type];
        const needs = NEEDS_MAP[proto.name];
        // Said after every argument is checked, as check_map_func_compatibility is.
        if ((only && !only.includes(proto.name)) || (needs !== undefined && needs !== spec.type)) incompatible ??= spec.type;
        map = reg;
        return;
      }
      case 'ARG_PTR_TO_MAP_KEY':
      case 'ARG_PTR_TO_MAP_VALUE': {
        if (!map) env.fail(pc, `invalid map_ptr to access map->${kind === 'ARG_PTR_TO_MAP_KEY' ? 'key' : 'value'}`);
        if (reg.type !== 'fp' && reg.type !== 'map_value' && reg.type !== 'mem') expect(regno, reg, MEM_TYPES);
        const spec = env.maps[map.map]!;
        const size = kind === 'ARG_PTR_TO_MAP_KEY' ? spec.keySize : spec.valueSize;
        // A map with no keys (a ring buffer's) has none to read: refused (zero bytes not allowed).
        helperMemory(env, st, pc, regno, reg, size, false, false);
        if (kind === 'ARG_PTR_TO_MAP_KEY' && elidesNullness(spec)) constKey = constantMapKey(st, reg, spec.keySize);
        return;
      }
      case 'ARG_PTR_TO_MEM':
      case 'ARG_PTR_TO_UNINIT_MEM':
        if (reg.type !== 'fp' && reg.type !== 'map_value' && reg.type !== 'ringbuf_mem' && reg.type !== 'mem') {
          if (mayBeNull(reg)) env.fail(pc, `R${regno} invalid mem access '${reg.type}'`);
          expect(regno, reg, MEM_TYPES);
        }
        mem = { regno, reg, write: kind === 'ARG_PTR_TO_UNINIT_MEM' };
        return;
      case 'ARG_CONST_SIZE':
      case 'ARG_CONST_SIZE_OR_ZERO': {
        if (reg.type !== 'scalar') expect(regno, reg, 'scalar');
        const v = reg.value;
        if (v.smin < 0n) env.fail(pc, `R${regno} min value is negative, either use unsigned or 'var &= const'`);
        if (v.umax >= BigInt(MAX_VAR_SIZE)) env.fail(pc, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
        if (kind === 'ARG_CONST_SIZE' && v.umin === 0n) env.fail(pc, `R${regno} invalid zero-sized read: u64=[${BigInt.asIntN(64, v.umin)},${BigInt.asIntN(64, v.umax)}]`);
        if (mem) helperMemory(env, st, pc, mem.regno, mem.reg, Number(v.umax), mem.write);
        sizeMax = v.umax;
        return;
      }
      case 'ARG_PTR_TO_CTX':
        if (reg.type !== 'ctx') expect(regno, reg, 'ctx');
        if (reg.off !== 0 || !noVariablePart(reg)) env.fail(pc, `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
        return;
      case 'ARG_PTR_TO_ALLOC_MEM':
        if (reg.type !== 'ringbuf_mem') expect(regno, reg, 'ringbuf_mem');
        if (reg.off !== 0 || !noVariablePart(reg)) env.fail(pc, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
        released = reg;
        return;
      case 'ARG_PTR_TO_FUNC':
        if (reg.type !== 'func') expect(regno, reg, 'func');
        return;
      case 'ARG_PTR_TO_STACK_OR_NULL':
        // A pointer into a stack frame, or NULL: bpf_loop's callback_ctx.
        if (isNull(reg)) return;
        if (reg.type !== 'fp') expect(regno, reg, 'fp');
        return;
      case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
        if (reg.type !== 'scalar') expect(regno, reg, 'scalar');
        if (!isConst(reg.value)) env.fail(pc, `R${regno} is not a known constant'`); // sic: the kernel's message ends in a quote
        // Any constant: a size the ring buffer cannot give fails at run time (NULL). The record's
        // size is the constant's low 32 bits, as the kernel's u32 mem_size keeps it.
        allocSize = Number(BigInt.asUintN(32, reg.value.var.value));
        return;
    }
  });
  if (incompatible !== undefined) env.fail(pc, `cannot pass map_type ${incompatible} into func ${fnName}`);

  if (released) {
    const ref = released.ref;
    if (!st.refs.some((r) => r.id === ref)) env.fail(pc, `R1 must be referenced when passed to release function`);
    st.refs = st.refs.filter((r) => r.id !== ref);
    // Every copy of the released record is now just a number (the kernel's mark_reg_invalid for privileged programs).
    const drop = (q: Reg | undefined): Reg | undefined => (q && q.ref === ref && q.type !== 'scalar' ? scalarReg() : q);
    for (const f of st.frames) {
      f.regs = f.regs.map((q) => drop(q)!);
      f.spills = f.spills.map(drop);
    }
  }
  const out = st.frames[st.frames.length - 1]!;
  for (let r = 1; r <= 5; r++) out.regs[r] = notInit();
  switch (proto.ret) {
    case 'RET_VOID':
      out.regs[0] = notInit();
      break;
    case 'RET_INTEGER':
      out.regs[0] = scalarReg(resultOf(proto.name, sizeMax, env.cpus));
      break;
    case 'RET_PTR_TO_MAP_VALUE_OR_NULL': {
      // An array's element at a constant key below max_entries always exists (Linux 6.13 on).
      const spec = env.maps[map!.map]!;
      if (proto.name === 'map_lookup_elem' && constKey >= 0n && spec.maxEntries !== undefined && constKey < BigInt(spec.maxEntries)) out.regs[0] = pointerReg('map_value', { map: map!.map });
      else out.regs[0] = pointerReg('map_value_or_null', { map: map!.map, id: env.newId() });
      break;
    }
    case 'RET_PTR_TO_ALLOC_MEM_OR_NULL': {
      // An id for the NULL check, then the reference's own (the kernel numbers both: refs start at 2).
      env.newId();
      const id = env.newId();
      st.refs = [...st.refs, { id, insn: pc }];
      out.regs[0] = pointerReg('ringbuf_mem_or_null', { memSize: allocSize, id, ref: id });
      break;
    }
  }
}

/** What a helper returning an integer returns: what do_refine_retval_range knows of it, else anything. */
function resultOf(name: string, sizeMax: bigint, cpus: number | undefined): Scalar {
  if (SIZED_RESULT.has(name)) return sync({ ...unknownScalar(), smax: sizeMax, s32max: BigInt.asIntN(32, sizeMax), smin: MIN_ERRNO, s32min: MIN_ERRNO });
  if (name === 'get_smp_processor_id' && cpus !== undefined) {
    const top = BigInt(cpus - 1);
    return sync({ ...unknownScalar(), umin: 0n, umax: top, u32min: 0n, u32max: top, smin: 0n, smax: top, s32min: 0n, s32max: top });
  }
  return unknownScalar();
}

/** Maps whose lookups with a known key below max_entries cannot fail (the kernel's can_elide_value_nullness). */
export function elidesNullness(spec: Pick<MapSpec, 'type'>): boolean {
  return spec.type === BPF_MAP_TYPE_ARRAY || spec.type === BPF_MAP_TYPE_PERCPU_ARRAY;
}

/**
 * The key `key` points at when the stack says what it is, else -1 (the kernel's
 * get_constant_map_key): zero bytes from the key's first to its last, within its 8-byte slot, or
 * a spill of a known scalar of key_size bytes at the start of the slot. (The kernel also takes the
 * whole value of an 8-byte spill for a 4-byte key in its upper half; that key is not known here,
 * so such a lookup may return NULL: stricter, never looser.)
 */
function constantMapKey(st: State, key: Reg, keySize: number): bigint {
  if (key.type !== 'fp' || !fixedOffset(key)) return -1n;
  const frame = st.frames[key.frame]!;
  const base = STACK_BYTES + key.off + varMin(key);
  if (slotRun(frame, base, Slot.ZERO) >= keySize) return 0n;
  const spilled = frame.spills[base >> 3];
  if (base % 8 !== 0 || frame.slots[base] !== Slot.SPILL || !spilled || spilled.type !== 'scalar') return -1n;
  if (slotRun(frame, base, Slot.SPILL) !== keySize || !isConst(spilled.value)) return -1n;
  return spilled.value.umin;
}
