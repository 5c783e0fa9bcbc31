// The helper table: every helper viotrace's VM knows, by its real id, with the kernel's argument and return kinds.

/** Argument kinds, as the kernel's bpf_func_proto names them (the verifier checks them). */
export type ArgKind =
  | 'ARG_DONTCARE'
  | 'ARG_ANYTHING'
  | 'ARG_CONST_MAP_PTR'
  | 'ARG_PTR_TO_MAP_KEY'
  | 'ARG_PTR_TO_MAP_VALUE'
  | 'ARG_PTR_TO_MEM'
  | 'ARG_PTR_TO_UNINIT_MEM'
  | 'ARG_CONST_SIZE'
  | 'ARG_CONST_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_CTX'
  | 'ARG_PTR_TO_ALLOC_MEM'
  | 'ARG_CONST_ALLOC_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_FUNC'
  | 'ARG_PTR_TO_STACK_OR_NULL';

/** Return kinds. */
export type RetKind = 'RET_INTEGER' | 'RET_VOID' | 'RET_PTR_TO_MAP_VALUE_OR_NULL' | 'RET_PTR_TO_ALLOC_MEM_OR_NULL';

/** One helper's prototype. */
export interface HelperProto {
  id: number;
  /** Name without the bpf_ prefix, as in include/uapi/linux/bpf.h. */
  name: string;
  args: readonly ArgKind[];
  ret: RetKind;
}

/** The helpers, by real id (include/uapi/linux/bpf.h, __BPF_FUNC_MAPPER). */
export const HELPERS: readonly HelperProto[] = [
  { id: 1, name: 'map_lookup_elem', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY'], ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL' },
  { id: 2, name: 'map_update_elem', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
  { id: 3, name: 'map_delete_elem', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY'], ret: 'RET_INTEGER' },
  { id: 4, name: 'probe_read', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
  { id: 5, name: 'ktime_get_ns', args: [], ret: 'RET_INTEGER' },
  { id: 6, name: 'trace_printk', args: ['ARG_PTR_TO_MEM', 'ARG_CONST_SIZE', 'ARG_DONTCARE', 'ARG_DONTCARE', 'ARG_DONTCARE'], ret: 'RET_INTEGER' },
  { id: 7, name: 'get_prandom_u32', args: [], ret: 'RET_INTEGER' },
  { id: 8, name: 'get_smp_processor_id', args: [], ret: 'RET_INTEGER' },
  { id: 14, name: 'get_current_pid_tgid', args: [], ret: 'RET_INTEGER' },
  { id: 15, name: 'get_current_uid_gid', args: [], ret: 'RET_INTEGER' },
  { id: 16, name: 'get_current_comm', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], ret: 'RET_INTEGER' },
  { id: 25, name: 'perf_event_output', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM', 'ARG_CONST_SIZE_OR_ZERO'], ret: 'RET_INTEGER' },
  { id: 35, name: 'get_current_task', args: [], ret: 'RET_INTEGER' },
  { id: 37, name: 'current_task_under_cgroup', args: ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
  { id: 45, name: 'probe_read_str', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
  { id: 112, name: 'probe_read_user', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
  { id: 113, name: 'probe_read_kernel', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
  { id: 114, name: 'probe_read_user_str', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
  { id: 115, name: 'probe_read_kernel_str', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
  { id: 125, name: 'ktime_get_boot_ns', args: [], ret: 'RET_INTEGER' },
  { id: 130, name: 'ringbuf_output', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
  { id: 131, name: 'ringbuf_reserve', args: ['ARG_CONST_MAP_PTR', 'ARG_CONST_ALLOC_SIZE_OR_ZERO', 'ARG_ANYTHING'], ret: 'RET_PTR_TO_ALLOC_MEM_OR_NULL' },
  { id: 132, name: 'ringbuf_submit', args: ['ARG_PTR_TO_ALLOC_MEM', 'ARG_ANYTHING'], ret: 'RET_VOID' },
  { id: 133, name: 'ringbuf_discard', args: ['ARG_PTR_TO_ALLOC_MEM', 'ARG_ANYTHING'], ret: 'RET_VOID' },
  { id: 134, name: 'ringbuf_query', args: ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
  { id: 181, name: 'loop', args: ['ARG_ANYTHING', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', 'ARG_ANYTHING'], ret: 'RET_INTEGER' },
];

/**
 * bpf_loop's id. It calls back into the program, so the interpreter and the JIT run it themselves
 * rather than as a helper implementation.
 */
export const BPF_LOOP_HELPER = 181;

/** Most iterations bpf_loop runs (the kernel's BPF_MAX_LOOPS); more return -E2BIG. */
export const BPF_MAX_LOOPS = 1 << 23;

const BY_ID = new Map(HELPERS.map((h) => [h.id, h]));

/** The prototype of helper `id`, if the VM knows it. */
export function helperProto(id: number): HelperProto | undefined {
  return BY_ID.get(id);
}

/** A helper's name (`map_lookup_elem`) for disassembly and logs. */
export function helperName(id: number): string | undefined {
  return BY_ID.get(id)?.name;
}
