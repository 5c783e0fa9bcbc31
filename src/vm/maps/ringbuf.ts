// BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): the data area, record headers, positions, and the program-side helpers.
import { BpfMap, copyBytes } from './bpf-map.js';
import {
  BPF_MAP_TYPE_RINGBUF, BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP,
  BPF_RB_PROD_POS, BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT,
  BPF_RINGBUF_HDR_SZ, EAGAIN, EINVAL, PAGE_SIZE,
} from './constants.js';
import { MapDefinitionError, type MapDefinition, type MapEnvironment } from './definition.js';

/** RINGBUF_MAX_RECORD_SZ: a record's length must leave the two flag bits of its header free. */
export const RINGBUF_MAX_RECORD_SZ = Math.floor(0xffffffff / 4);
/** Pages before the data area in the kernel's struct bpf_ringbuf (bookkeeping, consumer, producer). */
const RINGBUF_DATA_PAGE = 3;

/** Rounds a sample size up to its record length: header plus sample, 8-byte aligned. */
export function ringRecordLength(sampleSize: number): number {
  return Math.ceil((sampleSize + BPF_RINGBUF_HDR_SZ) / 8) * 8;
}

/**
 * A BPF ring buffer laid out as the kernel's: a data area of max_entries bytes holding records,
 * each an 8-byte header (u32 len with BPF_RINGBUF_BUSY_BIT and BPF_RINGBUF_DISCARD_BIT, u32 pg_off)
 * followed by the sample, 8-byte aligned; a producer and a consumer position that only grow (the
 * offset is position mod size). The data area is mapped twice back to back in `data`, as the
 * kernel maps its pages twice, so a record that wraps is still contiguous for the program writing
 * it and the consumer reading it; commit copies the wrapped tail into the first mapping, which is
 * what user space mmap()s.
 *
 * viotrace adds a drop count: every reservation (or output) that does not fit is counted in
 * `dropped`, for the dashboard's lost events. The kernel leaves that to the program.
 */
export class RingBufMap extends BpfMap {
  /** Data area size in bytes (max_entries): a power of two, whole pages. */
  readonly ringSize: number;
  /** The data area mapped twice: 2 × ringSize bytes. Sample offsets point into it. */
  readonly data: Uint8Array;
  private readonly view: DataView;
  private consumer = 0;
  private producer = 0;
  /** Oldest record that may still be busy (rb->pending_pos, kernel 6.10+). */
  private pending = 0;
  private drops = 0;
  private notifications = 0;
  /** Called when the kernel would wake the consumer (irq_work in bpf_ringbuf_commit). */
  onWakeup: (() => void) | null = null;

  /** Creates the ring; throws MapDefinitionError for a definition the kernel refuses. */
  constructor(def: MapDefinition, env: MapEnvironment, where?: string) {
    super(def, env, where);
    if (def.type !== BPF_MAP_TYPE_RINGBUF) throw new MapDefinitionError(`not a ring buffer type: ${def.type}`, where, EINVAL);
    this.ringSize = this.maxEntries;
    this.data = new Uint8Array(2 * this.ringSize);
    this.view = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
  }

  /** Position up to which user space has consumed. */
  get consumerPos(): number {
    return this.consumer;
  }

  /** Position up to which producers have reserved. */
  get producerPos(): number {
    return this.producer;
  }

  /** Reservations and outputs that did not fit, since creation. */
  get dropped(): number {
    return this.drops;
  }

  /** Consumer wake-ups the kernel would have sent, since creation. */
  get wakeups(): number {
    return this.notifications;
  }

  /** The data area as user space mmap()s it (one mapping; records may wrap at its end). */
  get dataArea(): Uint8Array {
    return this.data.subarray(0, this.ringSize);
  }

  /** The u32 len word of the record header at `pos` (flag bits included). */
  headerAt(pos: number): number {
    return this.view.getUint32(pos % this.ringSize, true);
  }

  /**
   * User space stores its consumer position (the consumer page is its to write). Must lie between
   * the current consumer and producer positions; returns 0 or -EINVAL.
   */
  setConsumerPos(pos: number): number {
    if (!(Number.isInteger(pos) && pos >= this.consumer && pos <= this.producer)) return -EINVAL;
    this.consumer = pos;
    return 0;
  }

  /**
   * Helper 131, bpf_ringbuf_reserve: room for a `size`-byte sample. Returns the sample's offset in
   * `data` (the record header sits 8 bytes before it), or -1 for NULL: non-zero flags, or no room,
   * which also counts a drop. As __bpf_ringbuf_reserve(): the producer may not get a full ring
   * ahead of the consumer, nor of the oldest record still busy.
   */
  reserve(size: number, flags: number): number {
    if (flags !== 0) return -1;
    if (!(size >= 0 && size <= RINGBUF_MAX_RECORD_SZ)) {
      this.drops++;
      return -1;
    }
    const len = ringRecordLength(size);
    const mask = this.ringSize - 1;
    if (len > this.ringSize) {
      this.drops++;
      return -1;
    }
    const prod = this.producer;
    let pend = this.pending;
    while (pend < prod) {
      const hdrLen = this.view.getUint32(pend % this.ringSize, true);
      if (hdrLen & BPF_RINGBUF_BUSY_BIT) break;
      pend += ringRecordLength((hdrLen & ~BPF_RINGBUF_DISCARD_BIT) >>> 0);
    }
    this.pending = pend;
    const next = prod + len;
    if (next - this.consumer > mask || next - pend > mask) {
      this.drops++;
      return -1;
    }
    const off = prod % this.ringSize;
    this.view.setUint32(off, (size | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    // pg_off: pages from the start of struct bpf_ringbuf to the header, so the kernel can find
    // the ring from a sample pointer.
    this.view.setUint32(off + 4, RINGBUF_DATA_PAGE + Math.floor(off / PAGE_SIZE), true);
    this.producer = next;
    return off + BPF_RINGBUF_HDR_SZ;
  }

  /** Helper 132, bpf_ringbuf_submit: publishes the reserved sample at `sampleOff`. 0, or -EINVAL if it is not reserved. */
  submit(sampleOff: number, flags: number): number {
    return this.commit(sampleOff, flags, false);
  }

  /** Helper 133, bpf_ringbuf_discard: releases the reserved sample; consumers skip it. 0 or -EINVAL. */
  discard(sampleOff: number, flags: number): number {
    return this.commit(sampleOff, flags, true);
  }

  /**
   * Helper 130, bpf_ringbuf_output: reserve, copy `size` bytes from `mem[off]`, submit. 0,
   * -EINVAL for unknown flags, -EAGAIN (and a drop) when it does not fit.
   */
  output(mem: Uint8Array, off: number, size: number, flags: number): number {
    if (flags !== 0 && flags !== BPF_RB_NO_WAKEUP && flags !== BPF_RB_FORCE_WAKEUP &&
      flags !== (BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -EINVAL;
    const at = this.reserve(size, 0);
    if (at < 0) return -EAGAIN;
    copyBytes(this.data, at, mem, off, size);
    this.commit(at, flags, false);
    return 0;
  }

  /** Helper 134, bpf_ringbuf_query: BPF_RB_AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS; 0 for anything else. */
  query(flags: number): number {
    switch (flags) {
      case BPF_RB_AVAIL_DATA: return this.producer - this.consumer;
      case BPF_RB_RING_SIZE: return this.ringSize;
      case BPF_RB_CONS_POS: return this.consumer;
      case BPF_RB_PROD_POS: return this.producer;
      default: return 0;
    }
  }

  /** bpf_ringbuf_commit(): clears BUSY (sets DISCARD), then wakes the consumer if it waits on this record. */
  private commit(sampleOff: number, flags: number, discard: boolean): number {
    const hdrOff = sampleOff - BPF_RINGBUF_HDR_SZ;
    if (!(Number.isInteger(hdrOff) && hdrOff >= 0 && hdrOff < this.ringSize && hdrOff % 8 === 0)) return -EINVAL;
    const len = this.view.getUint32(hdrOff, true);
    if (!(len & BPF_RINGBUF_BUSY_BIT)) return -EINVAL;
    const size = (len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) >>> 0;
    const end = sampleOff + size;
    // The tail past the end was written into the second mapping; make the first one agree.
    if (!discard && end > this.ringSize) this.data.copyWithin(0, this.ringSize, end);
    this.view.setUint32(hdrOff, ((len ^ BPF_RINGBUF_BUSY_BIT) | (discard ? BPF_RINGBUF_DISCARD_BIT : 0)) >>> 0, true);
    if (flags & BPF_RB_FORCE_WAKEUP || (!(flags & BPF_RB_NO_WAKEUP) && this.consumer % this.ringSize === hdrOff)) {
      this.notifications++;
      this.onWakeup?.();
    }
    return 0;
  }
}
