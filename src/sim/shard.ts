// The host side's programs on a second thread: a worker runs a replica of the simulation and sends back each drain's host records.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { channelBuffer, channelReader, type ChannelReader, type ChannelWriter } from './channel.js';
import type { SideProbes } from './probes.js';
import type { ScenarioSpec } from './spec.js';
import type { RunOptions } from './world.js';

/** What a host shard's worker is given: the simulation to replicate and the channel to write to. */
export interface ShardData {
  spec: ScenarioSpec;
  seed: number;
  requests: number | undefined;
  /** RunOptions.durationNs: the worker stops at the same simulated time. */
  durationNs?: number;
  ringBytes: { guest: number; host: number };
  drainEveryNs: number | undefined;
  buffer: SharedArrayBuffer;
}

/** Frame types on the channel. */
const DRAIN = 1;
const ERROR = 2;
/** A drain frame starts with the shard's totals so far: runs, instructions (f64), records lost in its ring and counted lost by its programs (u32 each). */
const TOTALS = 24;
/** How long the reader waits for a drain before deciding the worker is gone. */
const TIMEOUT_MS = 120_000;

/** One drain's host records as a shard sends them: the totals, then each record as (u32 length, bytes, padding to 4). */
export class DrainFrame {
  private bytes = new Uint8Array(1 << 20);
  private view = new DataView(this.bytes.buffer);
  private at = TOTALS;

  constructor(private readonly max: number) {}

  /** Adds one record (called by the ring-buffer consumer as it drains). */
  add(record: Uint8Array): void {
    const need = 4 + ((record.length + 3) & ~3);
    if (this.at + need > this.bytes.length) this.grow(this.at + need);
    this.view.setUint32(this.at, record.length, true);
    this.bytes.set(record, this.at + 4);
    this.at += need;
  }

  private grow(need: number): void {
    if (need > this.max) throw new Error('host shard: one drain holds more records than the channel carries');
    const bytes = new Uint8Array(Math.min(this.max, Math.max(need, 2 * this.bytes.length)));
    bytes.set(this.bytes.subarray(0, this.at));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  /** Sends the frame with the probes' totals, and starts the next one. */
  send(out: ChannelWriter, probes: SideProbes): void {
    this.view.setFloat64(0, probes.runs, true);
    this.view.setFloat64(8, probes.instructions, true);
    this.view.setUint32(16, probes.lost, true);
    this.view.setUint32(20, probes.lostCounted ?? 0, true);
    out.write(DRAIN, this.bytes, this.at);
    this.at = TOTALS;
  }
}

/**
 * The main thread's end of a host shard: takes a worker, gives it the run, and at each drain hands
 * the worker's host records for that drain to `sink` in the order the worker's ring buffer gave them.
 */
export class HostShard {
  private readonly worker: ShardWorker;
  private readonly reader: ChannelReader;
  private done = false;
  /** The shard's totals as of the last drain taken. */
  runs = 0;
  instructions = 0;
  lost = 0;
  lostCounted = 0;

  constructor(spec: ScenarioSpec, opts: RunOptions, ring: { guest: number; host: number }) {
    // Room for many drains in flight (the worker runs ahead while this thread catches up), and for
    // one drain of a full ring (each record framed by 4 bytes, records at least 8 bytes long).
    const buffer = channelBuffer(Math.ceil(Math.max(16 << 20, Math.min(256 << 20, 8 * ring.host), 2 * ring.host + 1024) / 8) * 8);
    this.reader = channelReader(buffer);
    this.worker = idle.pop() ?? new ShardWorker();
    this.worker.give({ spec, seed: opts.seed, requests: opts.requests, durationNs: opts.durationNs, ringBytes: ring, drainEveryNs: opts.drainEveryNs, buffer });
  }

  /**
   * Resolves true once the worker's next drain is there to take (or the worker failed, which
   * `drain` then reports), letting the event loop run meanwhile: the worker takes about a second
   * to start, load and verify host.bpf.o, and `drain` would block the thread for it. Checked
   * every 5 ms; `stop` (asked as often) gives up the wait, resolving false.
   */
  async ready(stop: () => boolean = () => false): Promise<boolean> {
    const until = Date.now() + TIMEOUT_MS;
    while (!this.done && !this.reader.hasFrame() && !this.worker.failure && Date.now() < until) {
      if (stop()) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return true;
  }

  /** Whether the worker's next drain has arrived (`drain` takes it without waiting). */
  get drainArrived(): boolean {
    return this.reader.hasFrame();
  }

  /** Takes the next drain's records from the worker (waiting for it) into `sink`. */
  drain(sink: (record: Uint8Array) => void): void {
    let frame;
    try {
      frame = this.reader.next(TIMEOUT_MS);
    } catch (e) {
      this.stop();
      throw this.worker.failure ?? new Error(`host shard: ${(e as Error).message} from the worker running host.bpf.o`);
    }
    if (frame.type !== DRAIN) {
      this.stop();
      throw new Error(frame.type === ERROR ? `host shard: ${new TextDecoder().decode(frame.payload)}` : `host shard: unexpected frame type ${frame.type}`);
    }
    const p = frame.payload;
    const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
    this.runs = view.getFloat64(0, true);
    this.instructions = view.getFloat64(8, true);
    this.lost = view.getUint32(16, true);
    this.lostCounted = view.getUint32(20, true);
    for (let at = TOTALS; at < p.length; ) {
      const n = view.getUint32(at, true);
      sink(p.subarray(at + 4, at + 4 + n));
      at += 4 + ((n + 3) & ~3);
    }
  }

  /**
   * Ends this shard. `finished`: the worker completed the run (its last drain was taken) and waits
   * for the next; otherwise (a run stopped early, or failed) it may still be running and is stopped.
   */
  stop(finished = false): void {
    if (this.done) return;
    this.done = true;
    if (finished && idle.length === 0 && !this.worker.failure) idle.push(this.worker);
    else this.worker.terminate();
  }
}

/** One idle worker kept for the next run: it keeps its compiled code, verdicts and type feedback warm. */
const idle: ShardWorker[] = [];

/** A worker thread that runs host shards one after another, told of each through a port and a wake-up word. */
class ShardWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly wake = new Int32Array(new SharedArrayBuffer(4));
  failure: Error | undefined;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = startWorker({ port: port2, wake: this.wake }, [port2]);
    this.worker.on('error', (e) => (this.failure = e));
    // Neither the worker nor its port may keep a process alive that is done with its runs.
    this.worker.unref();
    this.port.unref();
  }

  give(job: ShardData): void {
    this.port.postMessage(job);
    Atomics.store(this.wake, 0, 1);
    Atomics.notify(this.wake, 0);
  }

  terminate(): void {
    void this.worker.terminate();
  }
}

/** What a shard worker starts with: where its jobs arrive, and the word it sleeps on between them. */
export interface ShardWorkerData {
  port: MessagePort;
  wake: Int32Array;
}

/** Writes an error down the channel for the main thread to raise. */
export function sendShardError(out: ChannelWriter, e: unknown): void {
  const text = new TextEncoder().encode(e instanceof Error ? (e.stack ?? e.message) : String(e));
  out.write(ERROR, text, Math.min(text.length, out.maxPayload));
}

/**
 * The worker: the compiled entry next to this module, or under a TypeScript runner (tests, the
 * benchmarks) the .ts entry, loaded through tsx's loader, which a worker does not inherit.
 */
function startWorker(data: ShardWorkerData, transferList: MessagePort[]): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = JSON.stringify(new URL('./shard-worker.ts', here).href);
    return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${entry}); });`, { eval: true, workerData: data, transferList });
  }
  return new Worker(new URL('./shard-worker.js', here), { workerData: data, transferList });
}
