// User space's side of ring buffers, as libbpf's ring_buffer__consume: walk committed records in order and advance.
import { BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ } from './constants.js';
import { ringRecordLength, type RingBufMap } from './ringbuf.js';

/**
 * Receives one sample: its bytes are `data[offset .. offset + size)`, valid only during the call
 * (the space is reused once the consumer position moves past it). Passing the ring's storage and an
 * offset instead of a fresh view keeps draining free of allocation. A negative return stops the
 * drain and is returned from `consume`, as in libbpf.
 */
export type RingSampleCallback = (data: Uint8Array, offset: number, size: number) => number | void;

/** One ring and its callback. */
interface Subscription {
  ring: RingBufMap;
  onSample: RingSampleCallback;
}

/**
 * A consumer of one or more ring buffers (libbpf's struct ring_buffer). Records are delivered in
 * producer order per ring; discarded records are skipped; a record still busy (reserved, not yet
 * submitted) stops that ring's walk, since later records must wait for it.
 */
export class RingBufConsumer {
  private readonly subscriptions: Subscription[] = [];

  /** Adds a ring (ring_buffer__new / ring_buffer__add). */
  add(ring: RingBufMap, onSample: RingSampleCallback): this {
    this.subscriptions.push({ ring, onSample });
    return this;
  }

  /** Reservations that did not fit, summed over the rings: the events lost. */
  get dropped(): number {
    let n = 0;
    for (const s of this.subscriptions) n += s.ring.dropped;
    return n;
  }

  /**
   * Drains every ring (ring_buffer__consume, or ring_buffer__consume_n with `limit`): returns the
   * number of samples delivered, or a callback's negative return (the consumer position then
   * already stands past that sample, as libbpf leaves it).
   */
  consume(limit = Infinity): number {
    let total = 0;
    for (const s of this.subscriptions) {
      const n = consumeRing(s.ring, s.onSample, limit - total);
      if (n < 0) return n;
      total += n;
      if (total >= limit) break;
    }
    return total;
  }
}

/**
 * ringbuf_process_ring() from libbpf: from the consumer position, while records are committed,
 * deliver the non-discarded ones and store the new consumer position after each. Re-reads the
 * producer position when it catches up, so records produced by a callback are drained too.
 */
export function consumeRing(ring: RingBufMap, onSample: RingSampleCallback, limit = Infinity): number {
  let count = 0;
  if (limit <= 0) return 0;
  let cons = ring.consumerPos;
  const size = ring.ringSize;
  let more = true;
  while (more) {
    more = false;
    const prod = ring.producerPos;
    while (cons < prod) {
      const len = ring.headerAt(cons);
      // Not committed yet: later records wait behind it.
      if (len & BPF_RINGBUF_BUSY_BIT) return count;
      more = true;
      const sampleSize = (len & ~BPF_RINGBUF_DISCARD_BIT) >>> 0;
      const sampleOff = (cons % size) + BPF_RINGBUF_HDR_SZ;
      cons += ringRecordLength(sampleSize);
      if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
        const r = onSample(ring.data, sampleOff, sampleSize);
        if (typeof r === 'number' && r < 0) {
          ring.setConsumerPos(cons);
          return r;
        }
        count++;
      }
      ring.setConsumerPos(cons);
      if (count >= limit) return count;
    }
  }
  return count;
}
