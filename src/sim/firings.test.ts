// Recorded firings replayed on fresh programs: exactly the run's runs, instructions and records, with divergence caught.
import { describe, expect, it } from 'vitest';
import { FiringLog, RECORD_STRUCTS, RecordDecoder, runScenario, scenario, type DecodedRecord, type EmittedRecord, type RunOptions } from './index.js';
import type { BpfObject } from '../vm/index.js';

/** A run recorded into a log, with its records as the run decoded them. */
function recorded(name: string, opts: Omit<RunOptions, 'firings' | 'onRecord'>) {
  const log = new FiringLog();
  const records: EmittedRecord[] = [];
  const result = runScenario(scenario(name)!, { ...opts, firings: log, onRecord: (r) => records.push(r) });
  return { log, records, result };
}

/** Decodes a replay's raw records by their kind, as the run's sink does. */
function decoderFor(object: BpfObject): (bytes: Uint8Array) => DecodedRecord & { struct: string } {
  const byKind = new Map<number, RecordDecoder>();
  return (bytes) => {
    const kind = bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24);
    let d = byKind.get(kind);
    if (!d) byKind.set(kind, (d = new RecordDecoder(object.btf, RECORD_STRUCTS[kind]!)));
    return { struct: RECORD_STRUCTS[kind]!, ...d.decode(bytes) };
  };
}

describe('firing replay', () => {
  it('runs exactly the programs, instructions and records of the run, record for record', () => {
    const { log, records, result } = recorded('noisy-neighbour', { seed: 4, requests: 600 });
    expect(log.firings).toBe(result.programRuns);
    expect(log.recorded).toEqual({ runs: result.programRuns, instructions: result.instructions });
    const replayed: { side: string; fields: DecodedRecord & { struct: string } }[] = [];
    const decoders = new Map<string, ReturnType<typeof decoderFor>>();
    const replay = log.prepare((bytes, side) => {
      // Each side's records are decoded by its own object's BTF, as the run's sink does.
      let d = decoders.get(side);
      if (!d) decoders.set(side, (d = decoderFor(replay.objectOf(side))));
      replayed.push({ side, fields: d(bytes) });
    });
    const r = replay.run();
    expect(r).toEqual({ firings: result.programRuns, runs: result.programRuns, instructions: result.instructions, records: result.records.guest + result.records.host });
    // The run decodes per side in drain order; compare side by side (both VMs' guest records interleave the same way).
    for (const side of ['guest', 'host'] as const) {
      const run = records.filter((x) => x.side === side).map((x) => ({ struct: x.struct, ...x.fields }));
      const again = replayed.filter((x) => x.side === side).map((x) => x.fields);
      expect(again.length).toBe(run.length);
      expect(again).toEqual(run);
    }
  });

  it('is exact where ring buffers overflow: the lost records are lost again, and the programs take the same paths', () => {
    const { log, result } = recorded('baseline', { seed: 1, requests: 800, ringBytes: { guest: 4096, host: 4096 }, drainEveryNs: 20_000_000 });
    expect(result.lost.guest).toBeGreaterThan(0);
    expect(result.lost.host).toBeGreaterThan(0);
    const r = log.prepare().run();
    expect(r.instructions).toBe(result.instructions);
    expect(r.records).toBe(result.records.guest + result.records.host);
  });

  it('starts each prepared replay from fresh maps, so every replay is the same', () => {
    const { log, result } = recorded('guest-queueing', { seed: 2, requests: 300 });
    const a = log.prepare().run();
    const b = log.prepare().run();
    expect(b).toEqual(a);
    expect(a.instructions).toBe(result.instructions);
  });

  it('says so when the programs do not do what the run did', () => {
    const { log } = recorded('baseline', { seed: 1, requests: 200 });
    const once = log.prepare();
    once.run();
    expect(() => once.run()).toThrow(/runs once/);
    // A run whose drain found one record more than this replay will.
    const drains = (log as unknown as { drainRecords: number[] }).drainRecords;
    const at = drains.findIndex((n) => n > 0);
    drains[at]! += 1;
    expect(() => log.prepare().run()).toThrow(new RegExp(`drain ${at} took ${drains[at]! - 1} records, the run ${drains[at]}`));
    drains[at]! -= 1;
    // A recording with one memory read more than the programs make.
    const reads = (log as unknown as { reads: (Uint8Array | undefined)[] }).reads;
    reads.push(new Uint8Array(8));
    expect(() => log.prepare().run()).toThrow(/read memory \d+ times, the run \d+/);
    reads.pop();
    expect(log.prepare().run().records).toBeGreaterThan(0);
  });

  it('answers each memory read as the run read it: the bytes, a failed read, or an error for another length', () => {
    const { log } = recorded('baseline', { seed: 1, requests: 50 });
    const reads = (log as unknown as { reads: (Uint8Array | undefined)[] }).reads;
    expect(reads.length).toBeGreaterThan(2);
    reads[1] = undefined;
    const replay = log.prepare();
    const dst = new Uint8Array(64).fill(0xee);
    expect(replay.read(dst, 8, reads[0]!.length)).toBe(true);
    expect([...dst.subarray(8, 8 + reads[0]!.length)]).toEqual([...reads[0]!]);
    expect(replay.read(dst, 0, 4)).toBe(false);
    expect(() => replay.read(dst, 0, reads[2]!.length + 1)).toThrow(/read 2 took \d+ bytes, recorded \d+/);
  });

  it('is recorded on one thread only', () => {
    expect(() => runScenario(scenario('baseline')!, { seed: 1, requests: 10, parallel: true, firings: new FiringLog() })).toThrow(/one thread/);
  });
});
