// Plays stitched request paths into statistics at a replay speed: pause, speed, seek, filter. No rendering here.
import { RunStatistics, SlowestRequests, type RequestPath } from '../correlate/index.js';
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
  unmatched: number;
  clockOffsetNs?: number;
  /** A simulation is still running and feeding requests. */
  live: boolean;
}

/**
 * Replays paths (sorted by start) into statistics as virtual time advances: `advance(wallNs)`
 * moves the position by wallNs × speed. The statistics for the current filter are rebuilt from
 * the paths before the position when the filter changes or on a backwards seek.
 */
export class Playback {
  private paths: RequestPath[];
  private t0: number;
  /** Guest ns from the first request's start to the last request's end (computed when paths change, read every frame). */
  duration: number;
  /** Set while a simulation still feeds paths: the end is not the end yet. */
  live = false;
  private index = 0;
  private stats = new RunStatistics();
  private slow = new SlowestRequests(50);
  position = 0;
  speed = 1;
  paused = false;
  filter: PathFilter = {};

  constructor(paths: RequestPath[], readonly source: string, public lost: LostCounts = { guest: 0, host: 0 }, public clockOffsetNs?: number) {
    this.paths = [];
    this.t0 = 0;
    this.duration = 0;
    this.setPaths(paths);
  }

  private setPaths(paths: RequestPath[]): void {
    this.paths = [...paths].sort((a, b) => a.start - b.start);
    this.t0 = this.paths.length ? this.paths[0].start : 0;
    let end = this.t0;
    for (const p of this.paths) end = Math.max(end, p.start + p.total);
    this.duration = end - this.t0;
  }

  /**
   * Replaces the paths with a newer stitch of a running simulation (a superset, mostly, of the
   * old ones) and replays up to the current position, so what is shown stays consistent.
   */
  update(paths: RequestPath[]): void {
    this.setPaths(paths);
    this.rebuild(Math.min(this.position, this.duration));
  }


  /** Advances by wall-clock ns at the current speed (nothing when paused). */
  advance(wallNs: number): void {
    if (this.paused) return;
    this.seekTo(this.position + wallNs * this.speed);
  }

  /** Moves to a position (guest ns from the start), replaying or rebuilding as needed. */
  seekTo(position: number): void {
    const pos = Math.max(0, Math.min(position, this.duration));
    if (pos < this.position) this.rebuild(pos);
    this.position = pos;
    const limit = this.t0 + pos;
    // A request counts once it has completed, as a live tool would see it.
    while (this.index < this.paths.length && this.paths[this.index].start <= limit) {
      const p = this.paths[this.index];
      if (p.start + p.total > limit) break;
      this.index++;
      if (matches(p, this.filter)) (this.stats.add(p), this.slow.offer(p));
    }
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

  private rebuild(position: number): void {
    this.stats = new RunStatistics();
    this.slow = new SlowestRequests(50);
    this.index = 0;
    this.position = 0;
    this.seekTo(position);
  }

  /** The current state for rendering. */
  snapshot(): DashboardSnapshot {
    const limit = this.t0 + this.position;
    let inFlight = 0;
    for (let i = this.index; i < this.paths.length && this.paths[i].start <= limit; i++) inFlight++;
    return {
      source: this.source, position: this.position, duration: this.duration, speed: this.speed, paused: this.paused,
      finished: !this.live && this.index >= this.paths.length, filter: this.filter, stats: this.stats, slowest: this.slow.list(), inFlight,
      lost: this.lost, unmatched: this.stats.all.matches.guest_only + this.stats.all.matches.host_only, live: this.live,
      ...(this.clockOffsetNs !== undefined ? { clockOffsetNs: this.clockOffsetNs } : {}),
    };
  }
}
