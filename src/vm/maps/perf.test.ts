// Perf event arrays: bpf_perf_event_output's errnos, PERF_RECORD_SAMPLE layout, lost-sample accounting, the reader.
import { describe, expect, it } from 'vitest';
import {
  BPF_EXIST, BPF_F_CURRENT_CPU, BPF_MAP_TYPE_PERF_EVENT_ARRAY, E2BIG, EINVAL, ENOENT, ENOSPC,
  EOPNOTSUPP, PERF_RECORD_LOST, PERF_RECORD_SAMPLE, PerfBuffer, PerfEventArrayMap, PerfEventRing,
} from './index.js';
import { readU32 } from './keys.test-support.js';

const env = { possibleCpus: 2 };
const perfArray = (maxEntries = 2) =>
  new PerfEventArrayMap({ type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries }, env);

describe('perf event array', () => {
  it('writes PERF_RECORD_SAMPLE with a raw size padded to keep records 8-byte aligned', () => {
    const m = perfArray();
    const ring = new PerfEventRing(1, 1);
    expect(m.attach(1, ring)).toBe(0);
    expect(m.output(1, BPF_F_CURRENT_CPU, new Uint8Array([1, 2, 3, 4, 5]), 0, 5)).toBe(0);
    const d = new DataView(ring.data.buffer);
    expect(d.getUint32(0, true)).toBe(PERF_RECORD_SAMPLE);
    expect(d.getUint16(6, true)).toBe(24); // header 8 + u32 4 + raw 12
    expect(d.getUint32(8, true)).toBe(12);
    expect(Array.from(ring.data.subarray(12, 24))).toEqual([1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0]);
    expect(ring.dataHead).toBe(24);
  });

  it('returns the kernel errnos', () => {
    const m = perfArray(2);
    m.attach(0, new PerfEventRing(0, 1));
    const data = new Uint8Array(8);
    expect(m.output(0, 2 ** 32, data, 0, 8)).toBe(-EINVAL); // BPF_F_CTXLEN bits: not for tracing
    expect(m.output(0, 5, data, 0, 8)).toBe(-E2BIG);
    expect(m.output(1, BPF_F_CURRENT_CPU, data, 0, 8)).toBe(-ENOENT);
    m.attach(1, new PerfEventRing(0, 1)); // an event bound to CPU 0 at index 1
    expect(m.output(1, 1, data, 0, 8)).toBe(-EOPNOTSUPP);
    expect(m.output(0, 0, data, 0, 8)).toBe(0);
    expect(m.attach(2, new PerfEventRing(0, 1))).toBe(-E2BIG);
    expect(m.attach(0, new PerfEventRing(0, 1), BPF_EXIST)).toBe(-EINVAL);
    expect(m.detach(1)).toBe(0);
    expect(m.detach(1)).toBe(-ENOENT);
  });

  it('counts lost samples and reports them in a PERF_RECORD_LOST before the next sample', () => {
    const m = perfArray();
    const samples: number[] = [];
    const lost: [number, number][] = [];
    const pb = new PerfBuffer(m, 1, (cpu, data, off) => samples.push(readU32(data, off)), (cpu, n) => lost.push([cpu, n]));
    const payload = new Uint8Array(1000);
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < 10; i++) {
      new DataView(payload.buffer).setUint32(0, i, true);
      const r = m.output(0, BPF_F_CURRENT_CPU, payload, 0, 1000);
      if (r === 0) ok++;
      else {
        expect(r).toBe(-ENOSPC);
        failed++;
      }
    }
    expect(ok).toBe(4); // 4 records of 1016 bytes fit in 4095 usable bytes
    expect(failed).toBe(6);
    expect(pb.rings[0].lostSamples).toBe(6);
    expect(pb.lost).toBe(6);
    expect(pb.consume()).toBe(4);
    expect(samples).toEqual([0, 1, 2, 3]);
    expect(lost).toEqual([]);
    new DataView(payload.buffer).setUint32(0, 42, true);
    expect(m.output(0, BPF_F_CURRENT_CPU, payload, 0, 1000)).toBe(0);
    const d = new DataView(pb.rings[0].data.buffer);
    const at = 4 * 1016;
    expect(d.getUint32(at, true)).toBe(PERF_RECORD_LOST);
    expect(pb.consume()).toBe(1);
    expect(lost).toEqual([[0, 6]]);
    expect(samples.at(-1)).toBe(42);
  });

  it('reads records that wrap around the end of the data pages', () => {
    const m = perfArray();
    const got: Uint8Array[] = [];
    const pb = new PerfBuffer(m, 1, (cpu, data, off, size) => void got.push(data.slice(off, off + size)));
    for (let round = 0; round < 30; round++) {
      const payload = Uint8Array.from({ length: 300 + round * 4 }, (_, i) => (i * 7 + round) & 0xff);
      expect(m.output(1, BPF_F_CURRENT_CPU, payload, 0, payload.length)).toBe(0);
      expect(pb.consume()).toBe(1);
      expect(got.at(-1)!.subarray(0, payload.length)).toEqual(payload);
    }
    expect(pb.rings[1].dataHead).toBeGreaterThan(2 * 4096);
  });

  it('rejects ring sizes that are not a power of two of pages', () => {
    expect(() => new PerfEventRing(0, 3)).toThrow(RangeError);
  });
});
