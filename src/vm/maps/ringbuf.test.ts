// Ring buffers as kernel/bpf/ringbuf.c lays them out and libbpf consumes them: headers, alignment, wrap, busy, discard, drops.
import { describe, expect, it } from 'vitest';
import {
  BPF_MAP_TYPE_RINGBUF, BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP,
  BPF_RB_PROD_POS, BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, consumeRing,
  EAGAIN, EINVAL, RingBufConsumer, RingBufMap,
} from './index.js';
import { readU32 } from './keys.test-support.js';

const ring = (size = 4096) =>
  new RingBufMap({ type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: size }, { possibleCpus: 2 });

/** Drains a ring and returns copies of the samples in order. */
function drain(r: RingBufMap, limit = Infinity): Uint8Array[] {
  const out: Uint8Array[] = [];
  consumeRing(r, (data, off, size) => void out.push(data.slice(off, off + size)), limit);
  return out;
}

describe('ring buffer', () => {
  it('writes the kernel record header: len with BUSY until submit, pg_off, 8-byte aligned records', () => {
    const r = ring();
    const a = r.reserve(5, 0);
    expect(a).toBe(8);
    expect(readU32(r.data, 0)).toBe((5 | BPF_RINGBUF_BUSY_BIT) >>> 0);
    expect(readU32(r.data, 4)).toBe(3); // data starts 3 pages into struct bpf_ringbuf
    expect(r.producerPos).toBe(16);
    r.data.set([1, 2, 3, 4, 5], a);
    expect(r.submit(a, 0)).toBe(0);
    expect(readU32(r.data, 0)).toBe(5);
    const b = r.reserve(16, 0);
    expect(b).toBe(16 + 8);
    expect(r.producerPos).toBe(16 + 24);
    r.submit(b, 0);
    expect(drain(r).map((s) => s.length)).toEqual([5, 16]);
    expect(r.consumerPos).toBe(40);
  });

  it('a busy record stops the consumer; later records wait behind it, then come in order', () => {
    const r = ring();
    const a = r.reserve(4, 0);
    const b = r.reserve(4, 0);
    r.data.set([2, 2, 2, 2], b);
    r.submit(b, 0);
    expect(drain(r)).toEqual([]);
    expect(r.consumerPos).toBe(0);
    r.data.set([1, 1, 1, 1], a);
    r.submit(a, 0);
    expect(drain(r).map((s) => s[0])).toEqual([1, 2]);
  });

  it('discarded records are skipped but consumed', () => {
    const r = ring();
    const a = r.reserve(8, 0);
    r.discard(a, 0);
    expect(readU32(r.data, 0)).toBe((8 | BPF_RINGBUF_DISCARD_BIT) >>> 0);
    expect(r.output(new Uint8Array([7, 7]), 0, 2, 0)).toBe(0);
    expect(drain(r)).toEqual([new Uint8Array([7, 7])]);
    expect(r.consumerPos).toBe(r.producerPos);
  });

  it('counts reservations that do not fit as drops, and they become visible', () => {
    const r = ring(4096);
    // The producer may run at most size-1 bytes ahead of the consumer: 4088 fits, 8 more does not.
    const big = r.reserve(4096 - 16, 0);
    expect(big).toBeGreaterThan(0);
    expect(r.reserve(0, 0)).toBe(-1);
    expect(r.output(new Uint8Array(1), 0, 1, 0)).toBe(-EAGAIN);
    expect(r.reserve(5000, 0)).toBe(-1); // larger than the ring
    expect(r.dropped).toBe(3);
    r.submit(big, 0);
    expect(drain(r).length).toBe(1);
    expect(r.reserve(0, 0)).toBeGreaterThan(0);
    expect(r.dropped).toBe(3);
    expect(new RingBufConsumer().add(r, () => {}).dropped).toBe(3);
  });

  it('bad flags: reserve returns NULL without counting a drop; output is -EINVAL', () => {
    const r = ring();
    expect(r.reserve(8, 1)).toBe(-1);
    expect(r.output(new Uint8Array(8), 0, 8, 4)).toBe(-EINVAL);
    expect(r.dropped).toBe(0);
  });

  it('refuses to commit what is not reserved', () => {
    const r = ring();
    const a = r.reserve(8, 0);
    expect(r.submit(a + 8, 0)).toBe(-EINVAL);
    expect(r.submit(a, 0)).toBe(0);
    expect(r.submit(a, 0)).toBe(-EINVAL);
    expect(r.discard(a, 0)).toBe(-EINVAL);
  });

  it('wraps around: a record across the end is contiguous for the program and the consumer', () => {
    const r = ring(4096);
    r.output(new Uint8Array(3000), 0, 3000, 0);
    drain(r);
    expect(r.consumerPos).toBe(3008);
    const a = r.reserve(2000, 0);
    expect(a).toBe(3016);
    for (let i = 0; i < 2000; i++) r.data[a + i] = i & 0xff;
    r.submit(a, 0);
    // The first mapping (what user space mmap()s) holds the wrapped tail at its start.
    const tail = 3016 + 2000 - 4096;
    expect(r.dataArea[tail - 1]).toBe((2000 - 1) & 0xff);
    expect(r.dataArea[0]).toBe((4096 - 3016) & 0xff);
    const [s] = drain(r);
    expect(s.length).toBe(2000);
    expect(s.every((v, i) => v === (i & 0xff))).toBe(true);
    // And the ring keeps going past several wraps.
    for (let round = 0; round < 20; round++) {
      const payload = Uint8Array.from({ length: 700 + round }, (_, i) => (i + round) & 0xff);
      expect(r.output(payload, 0, payload.length, 0)).toBe(0);
      expect(r.output(payload, 0, payload.length, 0)).toBe(0);
      const got = drain(r);
      expect(got).toEqual([payload, payload]);
    }
    expect(r.consumerPos).toBeGreaterThan(3 * 4096);
  });

  it('does not reserve past the oldest busy record even when user space moves the consumer past it', () => {
    const r = ring(4096);
    const stuck = r.reserve(8, 0);
    expect(stuck).toBe(8);
    expect(r.setConsumerPos(r.producerPos)).toBe(0); // user space skips the busy record
    expect(r.reserve(4096 - 24, 0)).toBe(-1); // would overwrite it (rb->pending_pos check)
    r.submit(stuck, 0);
    expect(r.reserve(4096 - 24, 0)).toBeGreaterThan(0);
    expect(r.setConsumerPos(0)).toBe(-EINVAL); // positions never go back
  });

  it('answers bpf_ringbuf_query', () => {
    const r = ring(8192);
    r.output(new Uint8Array(10), 0, 10, 0);
    r.output(new Uint8Array(10), 0, 10, 0);
    drain(r, 1);
    expect(r.query(BPF_RB_AVAIL_DATA)).toBe(24);
    expect(r.query(BPF_RB_RING_SIZE)).toBe(8192);
    expect(r.query(BPF_RB_CONS_POS)).toBe(24);
    expect(r.query(BPF_RB_PROD_POS)).toBe(48);
    expect(r.query(99)).toBe(0);
  });

  it('wakes the consumer when it waits on the record, never with NO_WAKEUP, always with FORCE_WAKEUP', () => {
    const r = ring();
    let woken = 0;
    r.onWakeup = () => woken++;
    r.output(new Uint8Array(4), 0, 4, 0); // consumer waits at 0: wake
    r.output(new Uint8Array(4), 0, 4, 0); // consumer still at 0, record at 16: no wake
    expect(woken).toBe(1);
    drain(r);
    r.output(new Uint8Array(4), 0, 4, BPF_RB_NO_WAKEUP);
    r.output(new Uint8Array(4), 0, 4, BPF_RB_FORCE_WAKEUP);
    expect(woken).toBe(2);
    expect(r.wakeups).toBe(2);
  });

  it('a callback error stops the drain past that sample, as libbpf', () => {
    const r = ring();
    for (let i = 0; i < 3; i++) r.output(new Uint8Array([i]), 0, 1, 0);
    const seen: number[] = [];
    const n = consumeRing(r, (d, off) => (seen.push(d[off]), d[off] === 1 ? -5 : 0));
    expect(n).toBe(-5);
    expect(seen).toEqual([0, 1]);
    expect(drain(r).map((s) => s[0])).toEqual([2]);
  });

  it('a consumer drains several rings, up to a limit', () => {
    const a = ring();
    const b = ring();
    const got: string[] = [];
    const c = new RingBufConsumer()
      .add(a, (d, off) => void got.push(`a${d[off]}`))
      .add(b, (d, off) => void got.push(`b${d[off]}`));
    for (let i = 0; i < 3; i++) {
      a.output(new Uint8Array([i]), 0, 1, 0);
      b.output(new Uint8Array([i]), 0, 1, 0);
    }
    expect(c.consume(4)).toBe(4);
    expect(c.consume()).toBe(2);
    expect(got).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
  });
});
