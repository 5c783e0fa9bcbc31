// Plays stitched request paths into statistics as they arrive, at a replay speed: pause, speed, seek, filter, bounded memory. No rendering here.
import { onGuestClock, RunStatistics, SlowestRequests, type RequestPath } from '../correlate/index.js';
import type { LostCounts } from '../records/index.js';

/** A filter on requests: each field, when set, must match. */
export interface PathFilter {
  vm?: string;
  disk?: string;
  queue?: number;
  op?: string;
}

/** Parses "vm=vm1 op=read queue=2 disk=vda" (empty = no filter); throws on an unknown key. */
export function parseFilter(text: string): PathFilter {
  const f: PathFilter = {};
  for (const part of text.trim().split(/\s+/).filter(Boolean)) {
    const [k, v] = part.split('=');
    if (!v) throw new Error(`filter "${part}" is not key=value`);
    if (k === 'vm' || k === 'disk' || k === 'op') f[k] = v;
    else if (k === 'queue' || k === 'q') f.queue = Number(v);
    else throw new Error(`unknown filter key "${k}" (use vm, disk, queue, op)`);
  }
  return f;
}

/** Text form of a filter, for the header. */
export function describeFilter(f: PathFilter): string {
  return Object.entries(f).map(([k, v]) => `${k}=${v}`).join(' ');
}

function matches(p: RequestPath, f: PathFilter): boolean {
  return (f.vm === undefined || p.vm === f.vm) && (f.disk === undefined || p.disk === f.disk) &&
    (f.queue === undefined || p.queue === f.queue) && (f.op === undefined || p.op === f.op);
}

/** What the dashboard shows at one moment. */
export interface DashboardSnapshot {
  source: string;
  /** Replay position and extent (guest ns from the first request). */
  position: number;
  duration: number;
  speed: number;
  paused: boolean;
  finished: boolean;
  filter: PathFilter;
  stats: RunStatistics;
  slowest: RequestPath[];
  /** Requests started but not completed at the current position. */
  inFlight: number;
  lost: LostCounts;
  /** Requests with no partner: guest requests no host record was found for, host requests no guest record claimed. */
  unmatched: { guest: number; host: number };
  clockOffsetNs?: number;
  /** The source has both sides' records, so a clock estimate is coming when there is none yet. */
  twoSided: boolean;
  /** A simulation is still running and feeding requests. */
  live: boolean;
  /** A trace file is still being read (its duration is not known yet). */
  reading: boolean;
  /** Set when a filter or a backward seek could only cover the newest requests kept (a live run past the history limit). */
  partialHistory?: number;
  /** A problem reading the source. */
  problem?: string;
}

/** Restarts a file's replay from its start (a backward seek past the history kept); the playback is reset first. */
export type Reload = () => void;

/** How many played requests a playback keeps for filter changes and backward seeks. */
export const DEFAULT_HISTORY = 50_000;
/** Requests waiting to be played above which `room()` makes a reader wait. */
const PENDING_HIGH = 50_000;

/** How much a playback holds: played requests kept, and queued requests at which readers wait. */
export interface PlaybackLimits {
  /** Default DEFAULT_HISTORY. */
  history?: number;
  /** Default 50,000. */
  pending?: number;
}

/** Completion time of a path (when a live tool sees it). */
const done = (p: RequestPath): number => p.start + p.total;

/** A min-heap of paths by completion time: arrival is in decision order, playback in completion order. */
class CompletionHeap {
  readonly items: RequestPath[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): RequestPath | undefined {
    return this.items[0];
  }
  push(p: RequestPath): void {
    const a = this.items;
    let i = a.length;
    a.push(p);
    const t = done(p);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (done(a[up]!) <= t) break;
      a[i] = a[up]!;
      i = up;
    }
    a[i] = p;
  }
  pop(): RequestPath | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    const t = done(last);
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= a.length) break;
      if (c + 1 < a.length && done(a[c + 1]!) < done(a[c]!)) c++;
      if (done(a[c]!) >= t) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
  clear(): void {
    this.items.length = 0;
  }
}

/**
 * Plays stitched paths into statistics as virtual time advances: `advance(wallNs)` moves the
 * position by wallNs × speed, and a request counts once the position passes its completion, as a
 * live tool would see it. Paths come in with `push` as a simulation or a trace reader produces
 * them (nearly in completion order); each is added to the statistics once, so a frame costs what
 * arrived since the last, never the whole run. Played paths are kept up to `historyLimit` for
 * filter changes and backward seeks; past it, a replay restarts its file (`reload`) and a live
 * run rebuilds from the newest it kept, and says so.
 */
export class Playback {
  private readonly pending = new CompletionHeap();
  /** Played paths in play order, the newest `historyLimit`. */
  private history: RequestPath[] = [];
  private historyDropped = 0;
  private t0 = NaN;
  /** Guest ns from the first request's start to the latest end seen (grows while paths arrive). */
  duration = 0;
  /** Set while a simulation still feeds paths: the end is not the end yet. */
  live = false;
  /** Set while a trace file is still being read. */
  reading = false;
  /**
   * Set when the source has both sides' records: by a live run, whose simulation has both; by the
   * first matched path of a replay. Until the first clock estimate, the clock is awaited, not "one side".
   */
  twoSided = false;
  private stats = new RunStatistics();
  private slow = new SlowestRequests(50);
  position = 0;
  speed = 1;
  paused = false;
  filter: PathFilter = {};
  /** Set on a filter change or backward seek that could only use the newest requests kept. */
  private partial: number | undefined;
  /** Where to seek once a restarted replay has read that far. */
  private target: number | undefined;
  private waiting: (() => void)[] = [];
  /** A problem reading the source (shown in the header). */
  problem: string | undefined;
  /** Restarts the source (file replays); set by the command that reads the file. */
  reload: Reload | undefined;
  /** Played requests kept for filter changes and backward seeks. */
  readonly historyLimit: number;
  private readonly pendingHigh: number;

  constructor(
    paths: readonly RequestPath[],
    public source: string,
    public lost: LostCounts = { guest: 0, host: 0 },
    public clockOffsetNs?: number,
    limits: PlaybackLimits = {},
  ) {
    this.historyLimit = limits.history ?? DEFAULT_HISTORY;
    this.pendingHigh = limits.pending ?? PENDING_HIGH;
    this.push(paths);
  }

  /** Where the playback is going: the position, or while a restarted file is read again, the position it will return to. */
  get destination(): number {
    return this.target ?? this.position;
  }

  /** Paths waiting to be played. */
  get queued(): number {
    return this.pending.size;
  }

  /** Adds newly stitched paths. */
  push(paths: Iterable<RequestPath>): void {
    for (const p of paths) {
      // A host-only path with no guest time is counted but has no place on the timeline.
      if (p.match === 'matched') this.twoSided = true;
      if (!onGuestClock(p)) {
        this.pending.push(p);
        continue;
      }
      if (Number.isNaN(this.t0)) this.t0 = p.start;
      else if (p.start < this.t0) {
        // An earlier start decided late: the timeline starts there, and the position keeps its time.
        this.position += this.t0 - p.start;
        this.duration += this.t0 - p.start;
        this.t0 = p.start;
      }
      const end = done(p) - this.t0;
      if (end > this.duration) this.duration = end;
      this.pending.push(p);
    }
    if (this.target !== undefined) this.seekTo(this.target);
  }

  /** Resolves when few enough paths wait to be played (a reader awaits it between batches). */
  room(): Promise<void> {
    if (this.pending.size < this.pendingHigh) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Advances by wall-clock ns at the current speed (nothing when paused). */
  advance(wallNs: number): void {
    if (this.paused) return;
    const by = wallNs * this.speed;
    this.seekTo((this.target ?? this.position) + by);
  }

  /** The source has given its last path (a file read to its end). */
  endOfInput(): void {
    this.reading = false;
    this.live = false;
    if (this.target !== undefined) this.seekTo(this.target);
  }

  /** Moves to a position (guest ns from the start), replaying or rebuilding as needed. */
  seekTo(position: number): void {
    if (this.target !== undefined) {
      // A restarted file is being read again: go toward the target as far as it has been read.
      this.target = Math.max(0, position);
      if (this.reading && this.target > this.duration) {
        if (this.duration > this.position) (this.position = this.duration), this.play();
        return;
      }
      this.target = undefined;
    }
    const pos = Math.max(0, Math.min(position, this.duration));
    if (pos < this.position) {
      this.rebuild(pos);
      return;
    }
    this.position = pos;
    this.play();
  }

  private play(): void {
    const limit = this.t0 + this.position;
    for (let p = this.pending.peek(); p && done(p) <= limit; p = this.pending.peek()) {
      this.pending.pop();
      this.history.push(p);
      this.count(p);
    }
    if (this.history.length > this.historyLimit * 1.25) {
      // Trim in steps, not per request.
      const drop = this.history.length - this.historyLimit;
      this.history = this.history.slice(drop);
      this.historyDropped += drop;
    }
    if (this.pending.size < this.pendingHigh / 2) this.release();
  }

  /** Adds a played request to the statistics when the filter takes it. */
  private count(p: RequestPath): void {
    if (matches(p, this.filter)) (this.stats.add(p), this.slow.offer(p));
  }

  /** Lets waiting readers go on. */
  private release(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  /** Sets the filter and rebuilds the statistics up to the current position. */
  setFilter(f: PathFilter): void {
    this.filter = f;
    this.rebuild(this.position);
  }

  /** Multiplies the speed (e.g. 2 or 0.5), within 1/64..1024. */
  scaleSpeed(factor: number): void {
    this.speed = Math.min(1024, Math.max(1 / 64, this.speed * factor));
  }

  /**
   * Statistics again from the start to `position` under the current filter: from the history when
   * it holds every played request; else a replay restarts its file, and a live run uses what it kept.
   */
  private rebuild(position: number): void {
    this.stats = new RunStatistics();
    this.slow = new SlowestRequests(50);
    if (this.historyDropped > 0 && this.reload) {
      this.pending.clear();
      this.history = [];
      this.historyDropped = 0;
      this.position = 0;
      this.t0 = NaN;
      this.duration = 0;
      this.target = position;
      this.partial = undefined;
      this.release();
      this.reload();
      return;
    }
    this.partial = this.historyDropped > 0 ? this.history.length : undefined;
    // Played requests past the new position go back to waiting.
    const limit = this.t0 + position;
    const kept: RequestPath[] = [];
    for (const p of this.history) {
      if (done(p) <= limit) kept.push(p);
      else this.pending.push(p);
    }
    this.history = kept;
    this.position = position;
    for (const p of kept) this.count(p);
    this.play();
  }

  /** The current state for rendering. */
  snapshot(): DashboardSnapshot {
    const limit = this.t0 + this.position;
    let inFlight = 0;
    for (const p of this.pending.items) if (p.start <= limit) inFlight++;
    return {
      source: this.source, position: this.position, duration: this.duration, speed: this.speed, paused: this.paused,
      finished: !this.live && !this.reading && this.pending.size === 0, filter: this.filter, stats: this.stats, slowest: this.slow.list(), inFlight,
      lost: this.lost, unmatched: { guest: this.stats.all.matches.guest_only, host: this.stats.all.matches.host_only }, live: this.live, reading: this.reading, twoSided: this.twoSided,
      ...(this.clockOffsetNs !== undefined ? { clockOffsetNs: this.clockOffsetNs } : {}),
      ...(this.partial !== undefined ? { partialHistory: this.partial } : {}),
      ...(this.problem !== undefined ? { problem: this.problem } : {}),
    };
  }
}
