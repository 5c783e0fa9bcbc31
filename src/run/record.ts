// Records a scenario to a trace file as it runs: header with topology and clocks, records as they drain, flushed as it goes.
import { closeSync, existsSync, openSync, statSync, unlinkSync } from 'node:fs';
import { fileError, UsageError } from '../errors.js';
import { HOOKS } from '../hooks/index.js';
import type { Topology } from '../records/index.js';
import { runScenarioAsync, type RunResult, type ScenarioSpec } from '../sim/index.js';
import { outputName, STDOUT, TraceWriter, type TraceEncoding } from '../trace/index.js';
import { VERSION } from '../version.js';

/**
 * Refuses an output that is the input under any name (the same path, a hard or a symbolic link):
 * opening it for writing would truncate the file being read, so the input would be lost. Compared by
 * device and inode, as the names alone miss links. Bad usage (exit 2). Standard output (`-`) is never the input.
 */
export function checkNotInput(output: string, input: string): void {
  if (output === STDOUT) return;
  let a, b;
  try {
    [a, b] = [statSync(output), statSync(input)];
  } catch {
    return; // one of them does not exist: they cannot be one file (a missing input is its own error)
  }
  if (a.isFile() && a.dev === b.dev && a.ino === b.ino) throw new UsageError(`${output} is the input ${input}: give an output name other than the input`);
}

/**
 * Opens `path` for writing once, before a long run, so that a folder, a missing directory or a
 * read-only place is a one-line InputError at once (TraceWriter opens its file asynchronously and
 * would raise the error as an unhandled 'error' event). Nothing is truncated or left behind: an
 * existing file is opened without truncating it, a new one is made and removed again, so a run
 * that then fails on its input has not destroyed the file it would have replaced. Standard output
 * (`-`) is not checked: it is already open, and its failures are the executable's (onStdoutError).
 */
export function checkWritable(path: string): void {
  if (path === STDOUT) return;
  try {
    if (existsSync(path)) closeSync(openSync(path, 'r+'));
    else {
      closeSync(openSync(path, 'wx'));
      unlinkSync(path);
    }
  } catch (e) {
    throw fileError(e, path, 'write');
  }
}

/** A TraceWriter's stream errors, caught: `failure` is the first, as an InputError naming the file. */
export interface WriterWatch {
  readonly failure: unknown;
  /** Throws the failure if there was one. */
  check(): void;
  /** Closes the writer (with its end mark, or without for `abandon`); a write error is thrown as the InputError. */
  close(abandon?: boolean): Promise<void>;
}

/** Watches a TraceWriter's `failure`, given as an InputError naming the file. */
export function watchWriter(w: TraceWriter): WriterWatch {
  const failure = (): unknown => (w.failure ? fileError(w.failure, outputName(w.path), 'write') : undefined);
  return {
    get failure() {
      return failure();
    },
    check() {
      const f = failure();
      if (f) throw f;
    },
    async close(abandon = false) {
      try {
        await (abandon ? w.abandon() : w.close());
      } catch (e) {
        throw failure() ?? fileError(e, outputName(w.path), 'write');
      }
    },
  };
}

/** Opens a trace file for a scenario's run: the header names the scenario, seed, hooks, clocks and topology; `encoding` as TraceWriterOptions. */
export function scenarioTraceWriter(path: string, spec: ScenarioSpec, seed: number, topology: Topology, encoding?: TraceEncoding): TraceWriter {
  return new TraceWriter(path, {
    tool: `viotrace ${VERSION}`,
    created: new Date().toISOString(),
    source: { kind: 'scenario', name: spec.name, seed, ...(spec.workload ? { job: spec.workload } : {}) },
    hooks: [...new Set(HOOKS.map((h) => (h.kind === 'tracepoint' ? h.name : `${h.kind}:${h.name}`)))],
    // Record times are the programs' bpf_ktime_get_ns values as they are (base 0).
    clocks: { guest: { domain: 'guest-mono', base: '0' }, host: { domain: 'host-mono', base: '0' } },
    topology,
  }, { flushEvery: 1024, ...(encoding ? { encoding } : {}) });
}

/**
 * Runs `spec` and writes every record the programs emit to `path` (gzip when it ends in .gz). The
 * writer flushes every 1024 records, so a recording killed midway leaves a file whose complete
 * records replay (with a warning that it was cut). `stopped()`, asked between slices of simulated
 * time, ends the run early; the file is then closed with its end mark, a whole trace of a shorter run.
 * `path` may be `-` (standard output); `encoding` overrides the one its name asks for.
 */
export async function recordScenario(spec: ScenarioSpec, seed: number, requests: number | undefined, path: string, parallel = false, stopped?: () => boolean, durationNs?: number, encoding?: TraceEncoding): Promise<{ result: RunResult; records: number }> {
  checkWritable(path);
  let writer: TraceWriter | undefined;
  let watch: WriterWatch | undefined;
  let records = 0;
  const result = await runScenarioAsync(
    spec,
    {
      seed,
      parallel,
      ...(requests ? { requests } : {}),
      ...(durationNs !== undefined ? { durationNs } : {}),
      onStart: (topology) => {
        writer = scenarioTraceWriter(path, spec, seed, topology, encoding);
        watch = watchWriter(writer);
      },
      onTraceRecord: (rec) => {
        watch!.check();
        writer!.write(rec);
        records++;
      },
    },
    5_000_000,
    stopped,
  );
  writer!.writeLost('guest', result.lost.guest);
  writer!.writeLost('host', result.lost.host);
  await watch!.close();
  return { result, records };
}
