// A run's program firings, recorded and replayed on a fresh load of the same objects: what the paired programs cost with no simulator around them.
import type { Side } from '../hooks/index.js';
import type { BpfObject } from '../vm/index.js';
import type { AttachedList, FiringRecorder, FiringReplay, SideProbes, Task } from './probes.js';

/** Bytes of each chunk of a log's arena. */
const ARENA_CHUNK = 1 << 20;

/** What one replay did: the same as the recording's programs did, or the replay throws. */
export interface ReplayResult {
  firings: number;
  /** Program runs and BPF instructions executed. */
  runs: number;
  instructions: number;
  /** Ring-buffer records drained. */
  records: number;
}

/** One side of a recording: its probes, and how to load the same programs afresh (new maps, nothing run). */
interface RecordedSide {
  probes: SideProbes;
  reload: () => SideProbes;
}

/**
 * Every firing of a run's paired programs, in order: the side, the hook's programs, the context
 * bytes, the task, the side's clock; every read of simulated memory the programs made; every
 * drain of the ring buffers. Replaying it on a fresh load of the objects runs exactly the
 * instructions the run did (the maps start empty, the clock and the memory read as they did, the
 * rings drain where they did), with nothing of the simulator in between: what the programs cost
 * by themselves (`npm run bench -- sim`).
 *
 * Recorded with RunOptions.firings, on one thread and without tools.
 */
export class FiringLog implements FiringRecorder {
  private readonly sides: RecordedSide[] = [];
  private readonly sideOf = new Map<SideProbes, number>();
  private readonly side: number[] = [];
  private readonly list: AttachedList[] = [];
  private readonly ctx: Uint8Array[] = [];
  private readonly view: DataView[] = [];
  private readonly task: Task[] = [];
  private readonly now: number[] = [];
  /** The last copy made of each task the run fired in (a task's CPU may change between firings). */
  private readonly taskCopy = new Map<Task, Task>();
  /** Memory reads in order: the bytes read, or undefined where the read failed. */
  private readonly reads: (Uint8Array | undefined)[] = [];
  /** Drains in order: after how many firings, of which side, how many records. */
  private readonly drainAfter: number[] = [];
  private readonly drainSide: number[] = [];
  private readonly drainRecords: number[] = [];
  private recordedRuns = 0;
  private recordedInstructions = 0;
  /** Contexts and reads are copied into chunks of this arena, not each into an ArrayBuffer of its own. */
  private chunk = new Uint8Array(ARENA_CHUNK);
  private chunkAt = 0;

  /** A copy of `len` bytes of `from` at `off`, in the arena. */
  private copy(from: Uint8Array, off: number, len: number): Uint8Array {
    if (this.chunkAt + len > this.chunk.length) {
      this.chunk = new Uint8Array(Math.max(ARENA_CHUNK, len));
      this.chunkAt = 0;
    }
    const at = this.chunkAt;
    const c = this.chunk;
    for (let i = 0; i < len; i++) c[at + i] = from[off + i]!;
    this.chunkAt = (at + len + 7) & ~7;
    return c.subarray(at, at + len);
  }

  /** Starts recording `probes` (the run does this as it builds each side); `reload` loads the same programs afresh. */
  add(probes: SideProbes, reload: () => SideProbes): void {
    this.sideOf.set(probes, this.sides.length);
    this.sides.push({ probes, reload });
    probes.recordInto(this);
  }

  /** Stops recording (the run does this when it finishes). */
  stop(): void {
    for (const s of this.sides) {
      s.probes.recordInto(undefined);
      this.recordedRuns += s.probes.runs;
      this.recordedInstructions += s.probes.instructions;
    }
  }

  /** Firings recorded. */
  get firings(): number {
    return this.side.length;
  }

  /** Program runs and instructions of the recorded run (after stop). */
  get recorded(): { runs: number; instructions: number } {
    return { runs: this.recordedRuns, instructions: this.recordedInstructions };
  }

  firing(probes: SideProbes, list: AttachedList, ctx: Uint8Array, task: Task, now: number): void {
    const copy = this.copy(ctx, 0, ctx.length);
    let t = this.taskCopy.get(task);
    if (t === undefined || t.cpu !== task.cpu || t.pid !== task.pid || t.tgid !== task.tgid || t.comm !== task.comm) {
      t = { pid: task.pid, tgid: task.tgid, comm: task.comm, cpu: task.cpu };
      this.taskCopy.set(task, t);
    }
    this.side.push(this.sideOf.get(probes)!);
    this.list.push(list);
    this.ctx.push(copy);
    this.view.push(new DataView(copy.buffer, copy.byteOffset, copy.length));
    this.task.push(t);
    this.now.push(now);
  }

  read(ok: boolean, dst: Uint8Array, off: number, len: number): void {
    this.reads.push(ok ? this.copy(dst, off, len) : undefined);
  }

  drained(probes: SideProbes, records: number): void {
    this.drainAfter.push(this.side.length);
    this.drainSide.push(this.sideOf.get(probes)!);
    this.drainRecords.push(records);
  }

  /**
   * Loads the recorded programs afresh and resolves every firing's hook on them: a replay ready
   * to run once (loading is not part of what a replay measures). `onRecord` receives each record
   * the replay's ring buffers drain, with the side that emitted it.
   */
  prepare(onRecord?: (bytes: Uint8Array, side: Side) => void): Replay {
    const probes = this.sides.map((s) => s.reload());
    if (onRecord) for (const p of probes) p.onRecord = (bytes) => onRecord(bytes, p.side);
    const lists = new Map<AttachedList, AttachedList>();
    const list = this.list.map((l, i) => {
      let fresh = lists.get(l);
      if (fresh === undefined) lists.set(l, (fresh = probes[this.side[i]!]!.listLike(l)));
      return fresh;
    });
    return new Replay(probes, this.side, list, this.ctx, this.view, this.task, this.now, this.reads, this.drainAfter, this.drainSide, this.drainRecords);
  }
}

/** A recording's firings on freshly loaded programs (FiringLog.prepare): run() once. */
export class Replay implements FiringReplay {
  private cursor = 0;
  private ran = false;

  constructor(
    private readonly probes: readonly SideProbes[],
    private readonly side: readonly number[],
    private readonly list: readonly AttachedList[],
    private readonly ctx: readonly Uint8Array[],
    private readonly view: readonly DataView[],
    private readonly task: readonly Task[],
    private readonly now: readonly number[],
    private readonly reads: readonly (Uint8Array | undefined)[],
    private readonly drainAfter: readonly number[],
    private readonly drainSide: readonly number[],
    private readonly drainRecords: readonly number[],
  ) {}

  /** The object whose programs a side's firings run on (the first such side's, with several VMs). */
  objectOf(side: Side): BpfObject {
    const p = this.probes.find((q) => q.side === side);
    if (!p) throw new Error(`replay: no ${side} programs`);
    return p.object;
  }

  /** A read of simulated memory, answered as the recording's was; throws when the programs read otherwise. */
  read(dst: Uint8Array, off: number, len: number): boolean {
    const i = this.cursor++;
    if (i >= this.reads.length) throw new Error(`replay diverged: the programs read memory more often than the ${this.reads.length} times recorded`);
    const bytes = this.reads[i];
    if (bytes === undefined) return false;
    if (bytes.length !== len) throw new Error(`replay diverged: read ${i} took ${len} bytes, recorded ${bytes.length}`);
    dst.set(bytes, off);
    return true;
  }

  /**
   * Runs every firing in order on the fresh programs, draining where the run drained; throws if a
   * drain finds other than the recorded number of records (the replay did not do what the run did).
   */
  run(): ReplayResult {
    if (this.ran) throw new Error('a replay runs once: prepare another');
    this.ran = true;
    const { probes, side, list, ctx, view, task, now, drainAfter, drainSide, drainRecords } = this;
    for (const p of probes) p.readFrom(this);
    let records = 0;
    let d = 0;
    const n = side.length;
    try {
      for (let i = 0; i <= n; i++) {
        while (d < drainAfter.length && drainAfter[d] === i) {
          const got = probes[drainSide[d]!]!.drain();
          if (got !== drainRecords[d]) throw new Error(`replay diverged: drain ${d} took ${got} records, the run ${drainRecords[d]}`);
          records += got;
          d++;
        }
        if (i === n) break;
        const p = probes[side[i]!]!;
        p.atNs(now[i]!);
        p.run(list[i]!, ctx[i]!, view[i]!, task[i]!);
      }
      if (this.cursor !== this.reads.length) throw new Error(`replay diverged: the programs read memory ${this.cursor} times, the run ${this.reads.length}`);
    } finally {
      for (const p of probes) p.readFrom(undefined);
    }
    return {
      firings: n,
      runs: probes.reduce((k, p) => k + p.runs, 0),
      instructions: probes.reduce((k, p) => k + p.instructions, 0),
      records,
    };
  }
}
