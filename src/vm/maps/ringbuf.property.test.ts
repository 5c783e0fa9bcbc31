// Property: whatever the interleaving of reserve/submit/discard/drain, the consumer gets exactly the submitted samples in reservation order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_MAP_TYPE_RINGBUF, consumeRing, RingBufMap } from './index.js';

type Op = { op: 'reserve'; size: number } | { op: 'commit'; pick: number; discard: boolean } | { op: 'drain' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('reserve' as const), size: fc.integer({ min: 0, max: 1500 }) }),
  fc.record({ op: fc.constant('commit' as const), pick: fc.nat(), discard: fc.boolean() }),
  fc.record({ op: fc.constant('drain' as const) }),
);

interface ModelRecord { id: number; size: number; state: 'busy' | 'submitted' | 'discarded'; at: number }

describe('ring buffer against a queue model', () => {
  it('delivers submitted samples intact and in order, skips discarded ones, waits on busy ones', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
      const r = new RingBufMap({ type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }, { possibleCpus: 1 });
      const queue: ModelRecord[] = [];
      let nextId = 0;
      let drops = 0;
      const fill = (rec: ModelRecord) => {
        for (let i = 0; i < rec.size; i++) r.data[rec.at + i] = (rec.id * 31 + i) & 0xff;
      };
      for (const o of ops) {
        if (o.op === 'reserve') {
          const at = r.reserve(o.size, 0);
          if (at < 0) drops++;
          else {
            const rec: ModelRecord = { id: nextId++, size: o.size, state: 'busy', at };
            fill(rec);
            queue.push(rec);
          }
        } else if (o.op === 'commit') {
          const busy = queue.filter((q) => q.state === 'busy');
          if (!busy.length) continue;
          const rec = busy[o.pick % busy.length];
          expect(o.discard ? r.discard(rec.at, 0) : r.submit(rec.at, 0)).toBe(0);
          rec.state = o.discard ? 'discarded' : 'submitted';
        } else {
          const want: ModelRecord[] = [];
          while (queue.length && queue[0].state !== 'busy') {
            const rec = queue.shift()!;
            if (rec.state === 'submitted') want.push(rec);
          }
          const got: number[] = [];
          consumeRing(r, (data, off, size) => {
            const rec = want[got.length];
            expect(size).toBe(rec.size);
            for (let i = 0; i < size; i++) expect(data[off + i]).toBe((rec.id * 31 + i) & 0xff);
            got.push(rec.id);
          });
          expect(got).toEqual(want.map((w) => w.id));
        }
      }
      expect(r.dropped).toBe(drops);
      expect(r.producerPos - r.consumerPos).toBeLessThan(4096);
    }), { numRuns: 300 });
  });
});
