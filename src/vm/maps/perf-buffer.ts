// User space's perf buffer, as libbpf's perf_buffer: one ring per CPU in a perf event array, read with lost counts.
import { PERF_RECORD_LOST, PERF_RECORD_SAMPLE } from './constants.js';
import { PERF_EVENT_HEADER_SIZE, PerfEventRing, type PerfEventArrayMap } from './perf-event-array.js';

/**
 * Receives one sample from `cpu`: bytes `data[offset .. offset + size)`, valid only during the
 * call. `size` is the raw size perf recorded, i.e. padded so the record is 8-byte aligned, as
 * libbpf passes it.
 */
export type PerfSampleCallback = (cpu: number, data: Uint8Array, offset: number, size: number) => void;
/** Told how many samples `cpu`'s ring lost since the last report (a PERF_RECORD_LOST record). */
export type PerfLostCallback = (cpu: number, lost: number) => void;

/**
 * libbpf's perf_buffer__new(map, page_cnt, sample_cb, lost_cb): opens a ring of `pageCount` pages
 * for every CPU the map has room for and stores it at index = CPU; `consume` reads them all.
 */
export class PerfBuffer {
  /** The rings, index = CPU. */
  readonly rings: PerfEventRing[] = [];
  private scratch = new Uint8Array(256);

  /** Opens the rings and installs them in `map`; throws RangeError when a ring cannot be installed. */
  constructor(map: PerfEventArrayMap, pageCount: number, private readonly onSample: PerfSampleCallback,
    private readonly onLost: PerfLostCallback | null = null) {
    const cpus = Math.min(map.possibleCpus, map.maxEntries);
    for (let cpu = 0; cpu < cpus; cpu++) {
      const ring = new PerfEventRing(cpu, pageCount);
      const err = map.attach(cpu, ring);
      if (err) throw new RangeError(`cannot install the perf ring of CPU ${cpu}: errno ${-err}`);
      this.rings.push(ring);
    }
  }

  /** Samples lost on all rings since creation. */
  get lost(): number {
    let n = 0;
    for (const r of this.rings) n += r.lostSamples;
    return n;
  }

  /** perf_buffer__consume: reads every ring to its head; returns the samples delivered. */
  consume(): number {
    let n = 0;
    for (const ring of this.rings) n += this.consumeRing(ring);
    return n;
  }

  /** perf_event_read_simple(): records from data_tail to data_head, copying ones that wrap. */
  private consumeRing(ring: PerfEventRing): number {
    const size = ring.dataSize;
    const head = ring.dataHead;
    let tail = ring.dataTail;
    let samples = 0;
    while (tail < head) {
      const off = tail % size;
      const hv = new DataView(ring.data.buffer, ring.data.byteOffset + off, PERF_EVENT_HEADER_SIZE);
      const type = hv.getUint32(0, true);
      const recSize = hv.getUint16(6, true);
      let buf = ring.data;
      let at = off;
      if (off + recSize > size) {
        if (this.scratch.length < recSize) this.scratch = new Uint8Array(recSize);
        const first = size - off;
        this.scratch.set(ring.data.subarray(off, size), 0);
        this.scratch.set(ring.data.subarray(0, recSize - first), first);
        buf = this.scratch;
        at = 0;
      }
      const rv = new DataView(buf.buffer, buf.byteOffset + at, recSize);
      if (type === PERF_RECORD_SAMPLE) {
        const rawSize = rv.getUint32(PERF_EVENT_HEADER_SIZE, true);
        this.onSample(ring.cpu, buf, at + PERF_EVENT_HEADER_SIZE + 4, rawSize);
        samples++;
      } else if (type === PERF_RECORD_LOST) {
        this.onLost?.(ring.cpu, Number(rv.getBigUint64(16, true)));
      }
      tail += recSize;
    }
    ring.setDataTail(tail);
    return samples;
  }
}
