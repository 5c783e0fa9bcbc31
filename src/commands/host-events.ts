// The --host-events option of replay and report: which recording of a capture's host kernel events to read.
import { UsageError } from '../errors.js';

/** Checks --host-events: `tracefs` (the capture lab's instances) or `bpftrace` (viotrace-host.bt's output). */
export function hostEvents(value: string): 'tracefs' | 'bpftrace' {
  if (value === 'tracefs' || value === 'bpftrace') return value;
  throw new UsageError(`--host-events must be tracefs or bpftrace, not ${JSON.stringify(value)}`);
}
