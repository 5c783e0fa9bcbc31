// What crosses between the simulated guest and host: requests in virtqueues, and each request's ground truth.
import { EVENT_INDEX, eventTimes, PATH_EVENTS, type EventTimes, type PathEvent } from '../correlate/index.js';
import type { Address } from './memory.js';

/** One guest block request on its way through the stack. Simulator-side only: no field of it goes into a record. */
export interface SimRequest {
  /** Ground-truth identity (never seen by programs). */
  id: number;
  vm: number;
  disk: number;
  write: boolean;
  sector: number;
  nrSectors: number;
  /** Application operations whose bios this request carries. */
  appOps: AppOp[];
  hwq: number;
  tag: number;
  /** Kernel address of the struct request. */
  rqAddr: Address;
  vq: number;
  head: number;
  /** True times (host clock) of each path event it met, by EVENT_INDEX (NaN: not met). */
  truth: EventTimes;
  /** Set when the request completes in the guest. */
  done: boolean;
}

/** One application I/O (fio io_u) and the requests serving it. */
export interface AppOp {
  userData: Address;
  write: boolean;
  bytes: number;
  /** Requests still to complete before the application sees the op done. */
  pending: number;
  /** Job it belongs to, and its io_u slot there. */
  job: number;
  slot: number;
  submitted: number;
}

/** A virtqueue as both sides see it: the avail ring the guest fills, the used ring the host fills. */
export interface SimVirtqueue {
  index: number;
  /** Requests made available and not yet popped by QEMU. */
  avail: SimRequest[];
  /** Requests QEMU completed and the guest has not yet reaped. */
  used: SimRequest[];
  /** Whether QEMU wants a notify for new requests (off while it is processing: EVENT_IDX suppression). */
  wantsNotify: boolean;
  /**
   * The used ring's EVENT_IDX state (16-bit indexes, as in the ring): QEMU's used idx and what it
   * last signalled (virtio_should_notify's signalled_used); the guest's used_event and
   * last_used_idx. An interrupt is sent only for a push that crosses used_event.
   */
  usedIdx: number;
  signalledUsed: number;
  signalledValid: boolean;
  usedEvent: number;
  lastUsed: number;
  /** Whether the guest's virtblk_done is running for this queue, since its vring_interrupt at `handlerIrq`; whether its MSI came again meanwhile (latched). */
  inHandler: boolean;
  handlerIrq: number;
  irqLatched: boolean;
  /** Guest-side struct vring_virtqueue address and QEMU-side VirtQueue address. */
  guestAddr: Address;
  hostAddr: Address;
  /** The doorbell address a notify writes (kvm_fast_mmio gpa) and the MSI vector of its interrupt. */
  notifyGpa: number;
  msiVector: number;
}

/** Path event indexes, for writing a request's truth (`rq.truth[EV.kick] = t`) without a name lookup. */
export const EV = EVENT_INDEX;

/** Truth arrays of completed requests, for reuse: a fresh Float64Array is a malloc'd buffer each time. */
const spareTruth: EventTimes[] = [];

/** A request's truth with nothing met yet. */
export function freshTruth(): EventTimes {
  const t = spareTruth.pop();
  return t ? t.fill(NaN) : eventTimes();
}

/** What a completed request's truth becomes once released: writes to it go nowhere, not into another request's. */
export const RELEASED_TRUTH: EventTimes = new Float64Array(0);

/** Returns a completed request's truth for reuse (after its TruthRequest was made). */
export function releaseTruth(t: EventTimes): void {
  if (spareTruth.length < 4096) spareTruth.push(t);
}

/** The events a request met, by name (what TruthRequest carries). */
export function truthEvents(times: EventTimes): Partial<Record<PathEvent, number>> {
  const out: Partial<Record<PathEvent, number>> = {};
  for (let i = 0; i < PATH_EVENTS.length; i++) if (!Number.isNaN(times[i])) out[PATH_EVENTS[i]!] = times[i]!;
  return out;
}

/** enum req_op (include/linux/blk_types.h): a request's cmd_flags & REQ_OP_MASK; REQ_OP_READ. */
export const REQ_OP_READ = 0;
/** REQ_OP_WRITE. */
export const REQ_OP_WRITE = 1;
/** __REQ_SYNC's bit (enum req_flag_bits, Linux 6.18). */
export const REQ_SYNC = 1 << 11;
/** __REQ_IDLE's bit. */
export const REQ_IDLE = 1 << 12;

/**
 * The cmd_flags of the O_DIRECT requests a side makes, as the real captures show them
 * (traces/real/qd16-mixed). In the guest, fio's io_uring on the raw virtio-blk disk goes through
 * block/fops.c: reads plain REQ_OP_READ ("R"), writes dio_bio_write_op()'s REQ_SYNC | REQ_IDLE
 * ("WS"). On the host, QEMU's cache=none image on ext4 goes through iomap's direct I/O, which marks
 * both REQ_SYNC | REQ_IDLE ("RS", "WS").
 */
export function directIoFlags(side: 'guest' | 'host', write: boolean): number {
  if (write) return REQ_OP_WRITE | REQ_SYNC | REQ_IDLE;
  return side === 'host' ? REQ_OP_READ | REQ_SYNC | REQ_IDLE : REQ_OP_READ;
}

/** blk_fill_rwbs for the flags directIoFlags makes: the op's letter, then S for REQ_SYNC. */
export function rwbsOf(cmdFlags: number): string {
  return `${(cmdFlags & 0xff) === REQ_OP_WRITE ? 'W' : 'R'}${cmdFlags & REQ_SYNC ? 'S' : ''}`;
}
