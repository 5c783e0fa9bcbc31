// The typed raw events that the readers of real captures yield: one per trace line, fields by name.
import { InputError } from '../../errors.js';

/** Which side of the VM boundary wrote the line. */
export type EventSource = 'guest' | 'qemu' | 'host';

/**
 * The clock a timestamp was read from. Guest and host CLOCK_MONOTONIC are unrelated (the correlator
 * estimates the offset); QEMU's log stamps are host CLOCK_REALTIME (gettimeofday, microseconds).
 */
export type ClockDomain = 'guest-mono' | 'host-mono' | 'host-realtime';

/**
 * A field value as the line printed it: decimal integers become numbers (bigint past 2^53), everything
 * else (hex, pointers, flags, names) stays the printed string, so keys like `user_data 0x7f8d…` compare
 * exactly with QEMU's `luringcb 0x7f8d…`.
 */
export type FieldValue = string | number | bigint;

/** One event line of a real capture. */
export interface RawEvent {
  source: EventSource;
  clock: ClockDomain;
  /** Nanoseconds in `clock`; the printed precision (µs for ftrace and QEMU) padded with zeros. */
  ts: bigint;
  /** Event name: `block_rq_issue`, `virtio_blk_handle_read`, `tracing_mark_write`, ... */
  name: string;
  /** The event's fields by name (tracefs field names from the format; QEMU's printed keys). */
  fields: Record<string, FieldValue>;
  /** Task (comm) as printed in the ftrace line; absent for QEMU. */
  task?: string;
  /** Thread id: ftrace's pid column, QEMU's TID. */
  pid?: number;
  cpu?: number;
  /** ftrace's irq/preempt flags column (`d.h2.`), when printed. */
  flags?: string;
  /** False when the event is not one the reader knows: `fields` is empty and `body` holds the text. */
  known: boolean;
  /** The text after `event:` as printed, kept for unknown events and for messages. */
  body: string;
  /** Where the line came from, for error messages and for tests that check keys in the raw lines. */
  file: string;
  line: number;
}

/** Counts a reader returns when its iterator ends. */
export interface IngestStats {
  /** Lines read, including comments and blank lines. */
  lines: number;
  /** Events yielded. */
  events: number;
  /** Events yielded per name. */
  byName: Record<string, number>;
  /** Events of names the reader has no grammar for (kept with `known: false`). */
  unknown: number;
  /** Malformed lines skipped in lenient mode (strict mode throws instead). */
  skipped: number;
  /** The first few skipped lines as `file:line: reason`, to show the user. */
  skippedExamples: string[];
  /** Events the kernel reported lost (`CPU:N [LOST M EVENTS]`, entries-written above entries-in-buffer). */
  lost: number;
}

/** A fresh, zeroed stats record. */
export function emptyStats(): IngestStats {
  return { lines: 0, events: 0, byName: {}, unknown: 0, skipped: 0, skippedExamples: [], lost: 0 };
}

/** Options every reader takes. */
export interface ReadOptions {
  /** Skip and count malformed lines instead of throwing InputError. */
  lenient?: boolean;
  /** The name used in messages and in `RawEvent.file` (defaults to the path). */
  label?: string;
}

/**
 * A malformed line: throws InputError naming file:line, or in lenient mode counts it (keeping the
 * first few as examples to show the user) and returns undefined.
 */
export function malformedLine(stats: IngestStats, options: ReadOptions, file: string, line: number, why: string): undefined {
  const where = `${file}:${line}`;
  // The hint names the way past it: a capture with a stray line is still worth a report.
  if (!options.lenient) throw new InputError(`${why} (--lenient skips malformed lines)`, where);
  stats.skipped++;
  if (stats.skippedExamples.length < 5) stats.skippedExamples.push(`${where}: ${why}`);
  return undefined;
}

/** Reads a numeric field, or throws if the event lacks it (a reader bug or a foreign format). */
export function numberField(e: RawEvent, key: string): number {
  const v = e.fields[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new Error(`${e.file}:${e.line}: ${e.name} has no numeric field ${key}`);
}

/** Reads a string field (hex keys, names, flags), or throws if the event lacks it. */
export function stringField(e: RawEvent, key: string): string {
  const v = e.fields[key];
  if (v === undefined) throw new Error(`${e.file}:${e.line}: ${e.name} has no field ${key}`);
  return typeof v === 'string' ? v : String(v);
}
