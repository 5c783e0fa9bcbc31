// BPF_MAP_TYPE_PERF_EVENT_ARRAY and the per-CPU perf ring each entry points at, with perf's lost-sample accounting.
import { BpfMap } from './bpf-map.js';
import {
  BPF_ANY, BPF_F_CURRENT_CPU, BPF_MAP_TYPE_PERF_EVENT_ARRAY, E2BIG, EINVAL, ENOENT, ENOSPC,
  EOPNOTSUPP, PAGE_SIZE, PERF_RECORD_LOST, PERF_RECORD_SAMPLE,
} from './constants.js';
import { MapDefinitionError, type MapDefinition, type MapEnvironment } from './definition.js';

/** perf_event_header: u32 type, u16 misc, u16 size. */
export const PERF_EVENT_HEADER_SIZE = 8;
/** A PERF_RECORD_LOST record without sample_id_all: header, u64 id, u64 lost. */
export const PERF_LOST_RECORD_SIZE = 24;
/** header.misc of samples from kernel context (PERF_RECORD_MISC_KERNEL), where viotrace's hooks fire. */
const PERF_RECORD_MISC_KERNEL = 1;

/**
 * The data pages of one CPU's perf event (a PERF_COUNT_SW_BPF_OUTPUT software event, as libbpf's
 * perf_buffer opens), non-overwrite mode: the kernel writes records at data_head, user space frees
 * them by moving data_tail. Records wrap byte-wise at the end. A sample that does not fit is lost:
 * perf counts it, and the next sample that fits is preceded by a PERF_RECORD_LOST record carrying
 * the count (perf_output_begin in kernel/events/ring_buffer.c).
 */
export class PerfEventRing {
  /** The CPU the event is bound to; bpf_perf_event_output from another CPU gets -EOPNOTSUPP. */
  readonly cpu: number;
  /** The event id written into PERF_RECORD_LOST records. */
  readonly id: number;
  /** Data area bytes: a power-of-two number of pages. */
  readonly dataSize: number;
  /** The data area. */
  readonly data: Uint8Array;
  private readonly view: DataView;
  private head = 0;
  private tail = 0;
  private unreported = 0;
  private lostTotal = 0;

  /** A ring of `pageCount` data pages (a power of two) for `cpu`. */
  constructor(cpu: number, pageCount: number, id = cpu) {
    if (!(Number.isInteger(pageCount) && pageCount > 0 && (pageCount & (pageCount - 1)) === 0)) {
      throw new RangeError(`perf ring page count must be a power of two, got ${pageCount}`);
    }
    this.cpu = cpu;
    this.id = id;
    this.dataSize = pageCount * PAGE_SIZE;
    this.data = new Uint8Array(this.dataSize);
    this.view = new DataView(this.data.buffer);
  }

  /** data_head: where the kernel writes next (grows without wrapping). */
  get dataHead(): number {
    return this.head;
  }

  /** data_tail: up to where user space has read. */
  get dataTail(): number {
    return this.tail;
  }

  /** Samples lost on this ring since creation (the event's lost_samples). */
  get lostSamples(): number {
    return this.lostTotal;
  }

  /** User space frees records up to `pos` (it writes data_tail). 0, or -EINVAL outside [tail, head]. */
  setDataTail(pos: number): number {
    if (!(Number.isInteger(pos) && pos >= this.tail && pos <= this.head)) return -EINVAL;
    this.tail = pos;
    return 0;
  }

  /**
   * Writes a PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW: header, u32 raw size, the bytes, zero padding
   * to 8 (raw size counts the padding, as perf_prepare_sample). 0, -ENOSPC when lost, -E2BIG when
   * the record could not be described by the header's u16 size.
   */
  writeSample(mem: Uint8Array, off: number, size: number): number {
    const rawSize = Math.ceil((size + 4) / 8) * 8 - 4;
    const recordSize = PERF_EVENT_HEADER_SIZE + 4 + rawSize;
    if (recordSize > 0xffff) return -E2BIG;
    const needed = recordSize + (this.unreported ? PERF_LOST_RECORD_SIZE : 0);
    // ring_buffer_has_space(): CIRC_SPACE keeps one byte free, so head never catches tail.
    if (needed > this.dataSize - 1 - (this.head - this.tail)) {
      this.unreported++;
      this.lostTotal++;
      return -ENOSPC;
    }
    let pos = this.head;
    if (this.unreported) {
      pos = this.putHeader(pos, PERF_RECORD_LOST, 0, PERF_LOST_RECORD_SIZE);
      pos = this.putU64(pos, this.id);
      pos = this.putU64(pos, this.unreported);
      this.unreported = 0;
    }
    pos = this.putHeader(pos, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL, recordSize);
    pos = this.putU32(pos, rawSize);
    pos = this.putBytes(pos, mem.subarray(off, off + size));
    pos = this.putBytes(pos, new Uint8Array(rawSize - size));
    this.head = pos;
    return 0;
  }

  private putHeader(pos: number, type: number, misc: number, size: number): number {
    pos = this.putU32(pos, type);
    const o = pos % this.dataSize;
    this.view.setUint16(o, misc, true);
    this.view.setUint16(o + 2, size, true);
    return pos + 4;
  }

  private putU32(pos: number, v: number): number {
    // Records and their fields are 8-byte aligned and the area a multiple of 8: no field wraps.
    this.view.setUint32(pos % this.dataSize, v, true);
    return pos + 4;
  }

  private putU64(pos: number, v: number): number {
    this.view.setBigUint64(pos % this.dataSize, BigInt(v), true);
    return pos + 8;
  }

  private putBytes(pos: number, bytes: Uint8Array): number {
    const o = pos % this.dataSize;
    const first = Math.min(bytes.length, this.dataSize - o);
    this.data.set(bytes.subarray(0, first), o);
    if (first < bytes.length) this.data.set(bytes.subarray(first), 0);
    return pos + bytes.length;
  }
}

/**
 * A perf event array: entry i holds a perf event (here its ring), normally the one for CPU i, set
 * by user space as it would store a perf event fd. Programs write with bpf_perf_event_output (25).
 */
export class PerfEventArrayMap extends BpfMap {
  private readonly rings: (PerfEventRing | null)[];

  /** Creates the array with no events in it; throws MapDefinitionError for a definition the kernel refuses. */
  constructor(def: MapDefinition, env: MapEnvironment, where?: string) {
    super(def, env, where);
    if (def.type !== BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
      throw new MapDefinitionError(`not a perf event array type: ${def.type}`, where, EINVAL);
    }
    this.rings = new Array<PerfEventRing | null>(this.maxEntries).fill(null);
  }

  /** The ring at `index`, or null. */
  ringAt(index: number): PerfEventRing | null {
    return this.rings[index] ?? null;
  }

  /**
   * bpf(2) update with a perf event fd (bpf_fd_array_map_update_elem): 0, -EINVAL for flags other
   * than BPF_ANY, -E2BIG past the end, -EPERM when the syscall side may not write.
   */
  attach(index: number, ring: PerfEventRing, flags = BPF_ANY): number {
    const err = this.syscallWriteError();
    if (err) return err;
    if (flags !== BPF_ANY) return -EINVAL;
    if (!(index >= 0 && index < this.maxEntries)) return -E2BIG;
    this.rings[index] = ring;
    return 0;
  }

  /** bpf(2) delete: 0, -E2BIG past the end, -ENOENT when the entry is empty, -EPERM. */
  detach(index: number): number {
    const err = this.syscallWriteError();
    if (err) return err;
    if (!(index >= 0 && index < this.maxEntries)) return -E2BIG;
    if (!this.rings[index]) return -ENOENT;
    this.rings[index] = null;
    return 0;
  }

  /**
   * Helper 25, bpf_perf_event_output from a tracing program on `cpu`: the low 32 bits of `flags`
   * pick the entry (BPF_F_CURRENT_CPU: the entry for `cpu`), higher bits are -EINVAL. Then -E2BIG
   * past the end, -ENOENT for an empty entry, -EOPNOTSUPP when the event is on another CPU, and
   * -ENOSPC when the sample is lost (counted, reported later as PERF_RECORD_LOST).
   */
  output(cpu: number, flags: number, mem: Uint8Array, off: number, size: number): number {
    if (!(Number.isInteger(flags) && flags >= 0 && flags <= BPF_F_CURRENT_CPU)) return -EINVAL;
    const index = flags === BPF_F_CURRENT_CPU ? cpu : flags;
    if (index >= this.maxEntries) return -E2BIG;
    const ring = this.rings[index];
    if (!ring) return -ENOENT;
    if (ring.cpu !== cpu) return -EOPNOTSUPP;
    return ring.writeSample(mem, off, size);
  }
}
