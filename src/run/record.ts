// Records a scenario to a trace file as it runs: header with topology and clocks, records as they drain, flushed as it goes.
import { HOOKS } from '../hooks/index.js';
import type { Topology } from '../records/index.js';
import { runScenarioAsync, type RunResult, type ScenarioSpec } from '../sim/index.js';
import { TraceWriter } from '../trace/index.js';
import { VERSION } from '../version.js';

/** Opens a trace file for a scenario's run: the header names the scenario, seed, hooks, clocks and topology. */
export function scenarioTraceWriter(path: string, spec: ScenarioSpec, seed: number, topology: Topology): TraceWriter {
  return new TraceWriter(path, {
    tool: `viotrace ${VERSION}`,
    created: new Date().toISOString(),
    source: { kind: 'scenario', name: spec.name, seed },
    hooks: [...new Set(HOOKS.map((h) => (h.kind === 'tracepoint' ? h.name : `${h.kind}:${h.name}`)))],
    // Record times are the programs' bpf_ktime_get_ns values as they are (base 0).
    clocks: { guest: { domain: 'guest-mono', base: '0' }, host: { domain: 'host-mono', base: '0' } },
    topology,
  }, { flushEvery: 1024 });
}

/**
 * Runs `spec` and writes every record the programs emit to `path` (gzip when it ends in .gz). The
 * writer flushes every 1024 records, so a recording killed midway leaves a file whose complete
 * records replay (with a warning that it was cut).
 */
export async function recordScenario(spec: ScenarioSpec, seed: number, requests: number | undefined, path: string, parallel = false): Promise<{ result: RunResult; records: number }> {
  let writer: TraceWriter | undefined;
  let records = 0;
  const result = await runScenarioAsync(
    spec,
    {
      seed,
      parallel,
      ...(requests ? { requests } : {}),
      onStart: (topology) => (writer = scenarioTraceWriter(path, spec, seed, topology)),
      onTraceRecord: (rec) => {
        writer!.write(rec);
        records++;
      },
    },
  );
  writer!.writeLost('guest', result.lost.guest);
  writer!.writeLost('host', result.lost.host);
  await writer!.close();
  return { result, records };
}
