// Timestamps out of order within a request (an edited line, a clock that jumped): the check the guest and host assemblers share.
import { InputError } from '../../errors.js';
import type { RawEvent } from './event.js';

/** Where an event was read, to name it when a later one of its request is out of order. */
export interface Seen {
  name: string;
  ts: bigint;
  line: number;
}

/** What an event is remembered by for that. */
export const seenOf = (ev: RawEvent): Seen => ({ name: ev.name, ts: ev.ts, line: ev.line });

/** The counts an assembler keeps of events it left out for it (--lenient). */
export interface OutOfOrderStats {
  /** Events left out (--lenient), with their request where known, for being earlier than one before them in it. */
  outOfOrder: number;
  /** The first of them, as `file:line: reason`. */
  outOfOrderExample?: string;
}

/** A request (or op) whose events are checked in turn: the latest so far, and whether one was out of order. */
export interface OrderedEvents {
  /** Its latest event so far: each next one must not be earlier. */
  last?: Seen;
  /** An event of it was out of order (lenient): it is left out when it completes. */
  bad: boolean;
}

/** A stamp as tracefs and QEMU print it, seconds and microseconds; nanoseconds when the clock gave them (bpftrace). */
function stamp(ts: bigint): string {
  const ns = (ts % 1_000_000_000n).toString().padStart(9, '0');
  return `${ts / 1_000_000_000n}.${ts % 1000n === 0n ? ns.slice(0, 6) : ns}`;
}

/**
 * Checks that events are not earlier than those before them in their request. Equal stamps are in
 * order (tracefs prints microseconds, and the kernel merges its per-CPU buffers in time order); only
 * events of one request are compared, so streams and CPUs that interleave are never held against
 * each other.
 */
export class EventOrder {
  constructor(
    private readonly stats: OutOfOrderStats,
    /** Count and leave out rather than stop with file:line. */
    private readonly lenient: boolean,
  ) {}

  /**
   * An event earlier than `before`, an earlier event of its request (or the capture's first event):
   * a clock that jumped or an edited line, not a negative duration. Stops with the event's
   * file:line, or under --lenient counts it and returns, for the caller to leave the request out.
   */
  outOfOrder(ev: RawEvent, before: Seen, whose: string): void {
    const why = `${ev.name} at ${stamp(ev.ts)} is earlier than ${whose} ${before.name} at ${stamp(before.ts)} (line ${before.line}): the timestamps are out of order`;
    if (!this.lenient) throw new InputError(why, `${ev.file}:${ev.line}`);
    this.stats.outOfOrder++;
    this.stats.outOfOrderExample ??= `${ev.file}:${ev.line}: ${why}`;
  }

  /** Checks `ev` against the request's latest event; one out of order (lenient) marks the request to be left out. */
  next(ev: RawEvent, rq: OrderedEvents, whose = "its request's"): void {
    if (rq.bad) return;
    if (rq.last && ev.ts < rq.last.ts) {
      this.outOfOrder(ev, rq.last, whose);
      rq.bad = true;
      return;
    }
    rq.last = seenOf(ev);
  }
}

/** The note for events --lenient left out for this: how many, and the first (where, and why). */
export function outOfOrderNote(stats: OutOfOrderStats, side?: string): string {
  const m = stats.outOfOrderExample ? /^(.*?:\d+): (.*)$/.exec(stats.outOfOrderExample) : null;
  return `${stats.outOfOrder} ${side ? `${side} ` : ''}events with timestamps out of order were left out, with their requests${m ? `, the first at ${m[1]} (${m[2]})` : ''}`;
}
