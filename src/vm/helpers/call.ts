// The helper-call ABI: what a helper implementation sees (arguments, memory, maps, environment) and how it returns.
import type { AnyMap } from '../maps/index.js';
import type { AddressSpace } from '../memory.js';

/**
 * Who is running the program: supplied by the caller (the simulator per hook event, tests per run).
 * Mutable on purpose: the simulator updates one object between runs instead of allocating.
 */
export interface RunEnvironment {
  /** bpf_get_smp_processor_id(). */
  cpu: number;
  /** Thread id (the low half of get_current_pid_tgid). */
  pid: number;
  /** Process id (the high half). */
  tgid: number;
  uid: number;
  gid: number;
  /** Task name, at most 15 bytes are used. */
  comm: string;
  /** bpf_ktime_get_ns(): this side's CLOCK_MONOTONIC in ns. */
  ktimeNs(): number;
  /** bpf_ktime_get_boot_ns(); defaults to ktimeNs(). */
  bootNs?(): number;
  /** The current task_struct address (get_current_task), as (lo, hi). */
  taskLo?: number;
  taskHi?: number;
  /**
   * Reads simulated kernel or user memory at address (lo, hi) into dst[dstOff, dstOff+len):
   * false when any byte is unmapped (the helper then zeroes dst and returns -EFAULT).
   */
  readMemory?(space: 'kernel' | 'user', lo: number, hi: number, dst: Uint8Array, dstOff: number, len: number): boolean;
  /** Receives bpf_trace_printk output. */
  printk?(line: string): void;
}

/** One helper call in progress. */
export interface HelperCall {
  /** r1..r5: args[2*i] is the low half of r(i+1), args[2*i+1] the high half. */
  readonly args: Int32Array;
  /** r0 to return. */
  retLo: number;
  retHi: number;
  /** Instruction index of the call (for errors). */
  pc: number;
  readonly space: AddressSpace;
  readonly env: RunEnvironment;
  /** The program's maps, by the index the loader gave them. */
  readonly maps: readonly AnyMap[];
  /** Next pseudo-random u32 (seeded per VM, so runs are reproducible). */
  random(): number;
}

/** A helper implementation: reads call.args, sets call.retLo/retHi, throws VmError on a fault. */
export type HelperImpl = (call: HelperCall) => void;

/** The environment used when the caller gives none: CPU 0, pid 0, a clock that stays at 0. */
export const DEFAULT_ENVIRONMENT: RunEnvironment = {
  cpu: 0,
  pid: 0,
  tgid: 0,
  uid: 0,
  gid: 0,
  comm: '',
  ktimeNs: () => 0,
};

/** Sets r0 to a signed JS integer (|v| < 2^53). */
export function returnNumber(call: HelperCall, v: number): void {
  call.retLo = v | 0;
  call.retHi = Math.floor(v / 4294967296) | 0;
}
