// The host side's programs on a second thread: the same records, truth and counts as one thread, and a run stopped early ends cleanly.
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../records/index.js';
import { runScenario, runScenarioAsync, scenario, type RunOptions, type RunResult, type ScenarioSpec, type TruthRequest } from './index.js';

function collect(spec: ScenarioSpec, opts: RunOptions): { records: TraceRecord[]; truth: TruthRequest[]; result: RunResult } {
  const records: TraceRecord[] = [];
  const truth: TruthRequest[] = [];
  const result = runScenario(spec, { ...opts, onTraceRecord: (r) => records.push(r), onTruth: (t) => truth.push(t) });
  return { records, truth, result };
}

describe('a run with the host side on a worker thread', () => {
  it('gives the records, truth and counts of a run on one thread (two VMs)', () => {
    const spec = scenario('noisy-neighbour')!;
    const one = collect(spec, { seed: 4, requests: 1500 });
    const two = collect(spec, { seed: 4, requests: 1500, parallel: true });
    expect(two.records.length).toBeGreaterThan(1500);
    expect(two.records).toEqual(one.records);
    expect(two.truth).toEqual(one.truth);
    expect(two.result).toEqual(one.result);
  }, 60_000);

  it('loses the same records: random losses on the way to user space and a ring buffer too small for the drains', () => {
    const spec: ScenarioSpec = { ...scenario('baseline')!, recordLoss: { guest: 0.02, host: 0.02 } };
    const opts: RunOptions = { seed: 9, requests: 1500, ringBytes: { guest: 256 * 1024, host: 8192 }, drainEveryNs: 2_000_000 };
    const one = collect(spec, opts);
    const two = collect(spec, { ...opts, parallel: true });
    expect(one.result.lost.host).toBeGreaterThan(0);
    expect(two.result.lost).toEqual(one.result.lost);
    expect(two.result.records).toEqual(one.result.records);
    expect(two.records).toEqual(one.records);
  }, 60_000);

  it('stopped early, keeps the host records drained before the stop and does not wait for the rest', async () => {
    const spec = scenario('baseline')!;
    const whole = collect(spec, { seed: 5, requests: 4000 });
    const records: TraceRecord[] = [];
    let slices = 0;
    const result = await runScenarioAsync(spec, { seed: 5, requests: 4000, parallel: true, onTraceRecord: (r) => records.push(r) }, 1_000_000, () => ++slices === 5);
    expect(result.requests).toBeLessThan(4000);
    const host = (rs: TraceRecord[]): TraceRecord[] => rs.filter((r) => r.kind !== 'guest_rq' && r.kind !== 'guest_app_op');
    const got = host(records);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(host(whole.records).slice(0, got.length));
    expect(result.programRuns).toBeGreaterThan(0);
  }, 60_000);
});
