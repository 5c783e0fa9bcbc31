// Tests of the repeated streams: record copies and shifted batches move the same times by the same amounts.
import { describe, expect, it } from 'vitest';
import { RecordBatch, type TraceRecord } from '../records/index.js';
import { runAndReport } from '../run/index.js';
import { hostSpan, repeatRecords, repeatShift, scenario, shiftBatch } from './index.js';

const batchOf = (records: Iterable<TraceRecord>): RecordBatch => {
  const b = new RecordBatch();
  for (const r of records) b.add(r);
  return b;
};

describe('repeated streams', () => {
  const run = runAndReport(scenario('baseline')!, 3, 2000, undefined, true);
  const records = run.kept!.records;
  const period = hostSpan(records) + 1_000_000;

  it('shifts a batch in place as repeatRecords shifts its next copy', () => {
    const copies = [...repeatRecords(records, run.result.clock, 3, period)];
    const third = batchOf(copies.slice(2 * records.length));
    const b = batchOf(records);
    const before = b.values.slice(0, b.used);
    shiftBatch(b, repeatShift(run.result.clock, period));
    shiftBatch(b, repeatShift(run.result.clock, period));
    expect(b.length).toBe(third.length);
    expect(Array.from(b.values.subarray(0, b.used))).toEqual(Array.from(third.values.subarray(0, third.used)));
    // Times moved (host ones by two periods), every other number and every 0 ("not seen") left alone.
    let moved = 0;
    for (let i = 0; i < b.used; i++) {
      if (before[i] === 0) expect(b.values[i]).toBe(0);
      if (b.values[i] !== before[i]) moved++;
    }
    expect(moved).toBeGreaterThan(records.length);
    expect(moved).toBeLessThan(b.used);
  });

  it("moves guest times by the guest clock's span of the period", () => {
    const drift = run.result.clock.driftPpm;
    expect(drift).not.toBe(0);
    const s = repeatShift(run.result.clock, 1e9);
    expect(s.host).toBe(1e9);
    expect(s.guest).toBe(Math.round(1e9 * (1 + drift * 1e-6)));
  });
});
