// The host side's programs on a second thread: the same records, truth and counts as one thread, a run stopped early ends cleanly, the worker awaited without blocking; a run in slices is the same run.
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../records/index.js';
import { runScenario, runScenarioAsync, scenario, type RunOptions, type RunResult, type ScenarioSpec, type TruthRequest } from './index.js';
import { HostShard } from './shard.js';

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
    // Stopped at the fifth slice that simulated (before them, `between` is asked while the programs load and the worker starts).
    const result = await runScenarioAsync(spec, { seed: 5, requests: 4000, parallel: true, onTraceRecord: (r) => records.push(r) }, 1_000_000, () => records.length > 0 && ++slices === 5);
    expect(result.requests).toBeLessThan(4000);
    const host = (rs: TraceRecord[]): TraceRecord[] => rs.filter((r) => r.kind !== 'guest_rq' && r.kind !== 'guest_app_op');
    const got = host(records);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(host(whole.records).slice(0, got.length));
    expect(result.programRuns).toBeGreaterThan(0);
  }, 60_000);

  it('is waited for without blocking the thread while its worker starts (a second of loading and verifying)', async () => {
    const spec = scenario('baseline')!;
    const shard = new HostShard(spec, { seed: 6, requests: 1000 }, spec.ringBytes);
    let turns = 0;
    let waiting = true;
    const turn = (): void => {
      turns++;
      if (waiting) setImmediate(turn);
    };
    setImmediate(turn);
    expect(await shard.ready()).toBe(true);
    waiting = false;
    expect(turns).toBeGreaterThan(10);
    // Ready means the drain is there: taking it does not wait for the worker.
    expect(shard.drainArrived).toBe(true);
    let records = 0;
    shard.drain(() => records++);
    expect(records).toBeGreaterThan(0);
    shard.stop();
    expect(await new HostShard(spec, { seed: 6, requests: 1000 }, spec.ringBytes).ready(() => true)).toBe(false);
  }, 60_000);
});

describe('a run in slices', () => {
  it('gives the records of a whole run, sliced by wall time too', async () => {
    const spec = scenario('baseline')!;
    const whole = collect(spec, { seed: 2, requests: 800 });
    const records: TraceRecord[] = [];
    let slices = 0;
    const result = await runScenarioAsync(spec, { seed: 2, requests: 800, onTraceRecord: (r) => records.push(r) }, 1_000_000, () => (slices++, false), 0.2);
    expect(records).toEqual(whole.records);
    expect(result).toEqual(whole.result);
    // A slice of 0.2 ms of wall time ends before a simulated millisecond does.
    expect(slices).toBeGreaterThan(Math.ceil(whole.result.simulatedNs / 1_000_000));
  }, 60_000);

  it('asks whether to stop while it loads and verifies the programs, and stopped then runs nothing', async () => {
    const result = await runScenarioAsync(scenario('baseline')!, { seed: 2, requests: 800 }, 1_000_000, () => true);
    expect(result.requests).toBe(0);
    expect(result.programRuns).toBe(0);
  });
});
