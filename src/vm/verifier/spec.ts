// What the verifier is told about a program: its context, its maps, its limits; and what it answers.
import type { Btf } from '../btf/index.js';
import { BPF_MAP_TYPE_ARRAY } from '../maps/constants.js';

/** One argument of a BTF-typed tracing program's context: a number, or a pointer to a kernel struct (its BTF id in the kernel BTF). */
export type TracingArg = { kind: 'scalar' } | { kind: 'ptr'; id: number; name: string };

/** MAX_BPF_FUNC_ARGS: a tracing program's context is verified as up to this many u64 arguments. */
export const MAX_BPF_FUNC_ARGS = 12;

/** The context a program type gets in r1, as the kernel's is_valid_access sees it. */
export interface ContextSpec {
  /** For logs: "tracepoint block:block_rq_issue", "kprobe pt_regs". */
  name: string;
  /** Bytes the program may read. */
  size: number;
  /** Whether writes are allowed (no tracing context is writable). */
  writable: boolean;
  /** First byte a program may read (tracepoint programs may not read the record's first 8 bytes). */
  minOffset: number;
  /** Whether accesses must be aligned to their size. */
  aligned: boolean;
  /**
   * A BTF-typed tracing program's (tp_btf) arguments, as the kernel types them from the target's
   * BTF at load (btf_ctx_access): reading one past them is refused at load, and a pointer to a
   * struct reads as a trusted ptr_to_btf_id.
   */
  tracing?: {
    func: string;
    args: readonly TracingArg[];
    /**
     * Whether struct pointer arguments are PTR_TRUSTED (never NULL): a raw tracepoint's are; an
     * fentry program's are not (the kernel's prog_args_trusted), so tests of them go both ways.
     */
    trusted: boolean;
  };
}

/** The context of a BTF-typed tracing program attached to `func` (a tracepoint's or a kernel function's name) with these arguments. */
export function tracingContext(func: string, args: readonly TracingArg[], trusted = true): ContextSpec {
  return { name: `${func} arguments`, size: MAX_BPF_FUNC_ARGS * 8, writable: false, minOffset: 0, aligned: true, tracing: { func, args, trusted } };
}

/** x86-64 struct pt_regs: 21 eight-byte registers. */
export const PT_REGS_SIZE = 168;

/** PERF_MAX_TRACE_SIZE: a tracepoint program is verified against this, then its reads against the record at attach. */
export const PERF_MAX_TRACE_SIZE = 8192;

/**
 * The kernel's contexts per program kind. Tracepoint programs may not read the first 8 bytes
 * (tp_prog_is_valid_access: `off < sizeof(void *)`), are verified against PERF_MAX_TRACE_SIZE, and
 * the deepest read is checked against the real record size when attached.
 */
export function contextFor(kind: string, rawTpArgs = 12): ContextSpec {
  switch (kind) {
    case 'tracepoint':
      return { name: 'tracepoint record', size: PERF_MAX_TRACE_SIZE, writable: false, minOffset: 8, aligned: true };
    case 'raw_tracepoint':
      return { name: 'raw tracepoint args', size: rawTpArgs * 8, writable: false, minOffset: 0, aligned: true };
    default:
      return { name: 'pt_regs', size: PT_REGS_SIZE, writable: false, minOffset: 0, aligned: true };
  }
}

/** What the verifier needs to know of a map. */
export interface MapSpec {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  /** BPF_F_RDONLY_PROG (.rodata): program writes are refused. */
  readOnly: boolean;
  /** max_entries: an array lookup with a constant key below it cannot fail. */
  maxEntries?: number;
  /**
   * The value of a read-only, frozen, one-element array (.rodata and .kconfig after libbpf's
   * freeze): the kernel reads loads from it at constant offsets as known numbers
   * (bpf_map_direct_read), so branches on a configuration flag are walked one way only.
   */
  frozenValue?: Uint8Array;
}

/** How to verify. */
export interface VerifyOptions {
  /** The context r1 points to; absent: r1 is not initialised. */
  ctx?: ContextSpec;
  /** Maps by the index ld_imm64 references use. */
  maps: readonly MapSpec[];
  /** BPF_COMPLEXITY_LIMIT_INSNS: instructions processed across all paths. */
  maxProcessed?: number;
  /**
   * false: prune only on states whose every live scalar is covered by range, as if every register
   * were precise (the walk before precision.ts; a check that the relaxation changes no verdict).
   */
  precision?: boolean;
  /** C source lines by instruction, for the log. */
  lines?: ReadonlyMap<number, string>;
  /**
   * The program's global (non-static) functions by first instruction, with their arguments as
   * their BTF types make them: each is verified on its own from those, before the program, and a
   * call to one checks the arguments and returns an unknown scalar, as the kernel does. Functions
   * not listed are verified in their caller's context (static functions).
   */
  globals?: ReadonlyMap<number, GlobalFunction>;
  /** The kernel's BTF, which loads through ptr_to_btf_id are checked against (the BTF the context's tracing arguments come from). */
  btf?: Btf;
  /**
   * The machine's possible CPUs (the kernel's nr_cpu_ids), which bound what
   * bpf_get_smp_processor_id returns; absent: not bounded.
   */
  cpus?: number;
  /**
   * Called after each instruction the walk executes with its index and the current frame's
   * registers as they are then, each in the kernel's log text (`scalar(smin=0,...)`, `5`), or
   * undefined where not initialised: what the kernel's level-2 log prints after the instruction.
   */
  onStep?: (pc: number, regs: readonly (string | undefined)[]) => void;
}

/** A global function's argument, as the kernel's btf_prepare_func_args makes it of the BTF type. */
export type GlobalArg =
  | { kind: 'scalar' }
  /** A pointer to the program type's context struct (struct pt_regs for kprobes and uprobes). */
  | { kind: 'ctx' }
  /** Any other pointer to a sized type: memory of that size, or NULL (the function must check). */
  | { kind: 'mem'; size: number }
  /** A type the kernel cannot pass (void *, a struct by value): `why` is its complaint; calls are refused. */
  | { kind: 'unsupported'; why: string };

/** A global function: its name and arguments. */
export interface GlobalFunction {
  name: string;
  args: readonly GlobalArg[];
}

/** The kernel's BPF_COMPLEXITY_LIMIT_INSNS. */
export const COMPLEXITY_LIMIT_INSNS = 1_000_000;

/** A verified program's statistics, as the kernel's log ends with them. */
export interface Verdict {
  /** Instructions processed over all explored paths. */
  processed: number;
  /** States checkpointed, and paths cut short because a checkpoint covered them. */
  totalStates: number;
  prunedPaths: number;
  /** Largest pending-branch stack. */
  peakPending: number;
  /** One past the deepest context byte read (a tracepoint's record must be at least this long). */
  maxCtxOffset: number;
  /** Stack bytes per function (by start instruction), rounded as the kernel does. */
  stackDepth: Map<number, number>;
  /** Loads through ptr_to_btf_id, which the kernel makes BPF_PROBE_MEM (a fault reads 0): by instruction, in order. */
  probeMem: readonly number[];
  /** The log's summary line. */
  log: string;
}

/** A program the verifier refuses: the instruction, the reason, and the path that led there. */
export class VerifierError extends Error {
  constructor(
    readonly pc: number,
    readonly reason: string,
    readonly log: string,
    /** Instructions walked until the refusal (the kernel's "processed N insns"), when the walk got that far. */
    readonly processed?: number,
  ) {
    super(`insn ${pc}: ${reason}`);
    this.name = 'VerifierError';
  }
}

/** The verifier's view of a created map. */
export function mapSpec(name: string, map: { type: number; keySize: number; valueSize: number; readOnlyForPrograms: boolean; frozen?: boolean; maxEntries?: number; values?: Uint8Array }): MapSpec {
  const spec: MapSpec = { name, type: map.type, keySize: map.keySize, valueSize: map.valueSize, readOnly: map.readOnlyForPrograms };
  if (map.maxEntries !== undefined) spec.maxEntries = map.maxEntries;
  // bpf_map_is_rdonly() and array_map_direct_value_addr(): read-only for programs, frozen, an array of one.
  if (map.readOnlyForPrograms && map.frozen && map.type === BPF_MAP_TYPE_ARRAY && map.maxEntries === 1 && map.values) spec.frozenValue = map.values.slice(0, map.valueSize);
  return spec;
}
