// Per-stage latency statistics over stitched paths: whole run, sliding window, and groups (VM, disk, queue, op).
import type { Nanos } from '../records/index.js';
import { LatencyHistogram } from './histogram.js';
import { StitchedPath, type RequestPath } from './path.js';
import { STAGES, type StageName, type StageSide } from './stages.js';
import { STAGE_INDEX } from './telescope.js';

/** Summary figures of one distribution, in the report's field names (design/interface.md). */
export interface DistributionSummary {
  count: number;
  mean_ns: number;
  p50_ns: number;
  p90_ns: number;
  p99_ns: number;
  p999_ns: number;
  max_ns: number;
}

/** A stage's summary plus its share of all requests' summed time. */
export interface StageSummary extends DistributionSummary {
  name: StageName;
  side: StageSide;
  /** Parent stage for parts (host_queue -> host_io). */
  parent?: StageName;
  /** This stage's part of the summed total time of all requests (0..1). */
  share: number;
}

/** A dimension requests are grouped by. */
export type GroupDimension = 'vm' | 'disk' | 'queue' | 'op';

/** Statistics of one set of requests: total and per stage. */
export class PathStatistics {
  /** Total latency of each request. */
  readonly total = new LatencyHistogram();
  /** Per stage, created when first seen. */
  readonly stages = new Map<StageName, LatencyHistogram>();
  /** Requests by match status. */
  readonly matches = { matched: 0, guest_only: 0, host_only: 0 };
  /** Bytes moved (for throughput). */
  bytes = 0;

  /** Histograms by stage index (STAGES order), mirroring `stages`: no map lookup per sample. */
  private readonly byIndex: (LatencyHistogram | undefined)[] = [];

  /** Adds one request. */
  add(path: RequestPath): void {
    const n = stageSamples(path, scratch);
    this.addSamples(path, scratch, n);
  }

  /** Adds one request whose stage durations `stageSamples` has put in `s`. */
  addSamples(path: RequestPath, s: StageSamples, n: number): void {
    this.matches[path.match]++;
    this.bytes += path.nrSectors * 512;
    if (path.match === 'host_only') return; // no guest-visible total
    // No stage with both ends (a request whose only record is its completion): no duration to count.
    if (n === 0 && path.total === 0) return;
    this.total.record(path.total);
    for (let i = 0; i < n; i++) {
      const k = s.index[i]!;
      let h = this.byIndex[k];
      if (!h) this.stages.set(STAGES[k]!.name, (this.byIndex[k] = h = new LatencyHistogram()));
      h.record(s.ns[i]!);
    }
  }

  /** Adds everything in `other`. */
  merge(other: PathStatistics): void {
    this.total.merge(other.total);
    for (const [name, h] of other.stages) {
      let mine = this.stages.get(name);
      if (!mine) this.stages.set(name, (mine = this.byIndex[STAGE_INDEX[name]] = new LatencyHistogram()));
      mine.merge(h);
    }
    this.matches.matched += other.matches.matched;
    this.matches.guest_only += other.matches.guest_only;
    this.matches.host_only += other.matches.host_only;
    this.bytes += other.bytes;
  }

  /** Summary of the total latency. */
  totalSummary(): DistributionSummary {
    return summarize(this.total);
  }

  /** Summaries of the stages seen, in the stage table's order. */
  stageSummaries(): StageSummary[] {
    const all = this.total.sum || 1;
    const out: StageSummary[] = [];
    for (const def of STAGES) {
      const h = this.stages.get(def.name);
      if (!h) continue;
      out.push({ name: def.name, side: def.side, ...(def.parent ? { parent: def.parent } : {}), ...summarize(h), share: h.sum / all });
    }
    return out;
  }
}

/** A request's stage durations as parallel arrays of stage index and ns (reused, not allocated per request). */
export interface StageSamples {
  index: number[];
  ns: number[];
}

const scratch: StageSamples = { index: [], ns: [] };

/**
 * Puts a path's stage durations into `out` (in the stage table's order); returns how many. Compiled
 * from the stage table into one named load per stage: a path's stages come in a few shapes, so the
 * loads stay fast where a for-in and a name lookup per stage were a tenth of a run's statistics.
 */
const samplesByName = new Function(
  'stages', 'out',
  `let n = 0, v;\n${STAGES.map((d, i) => `v = stages.${d.name}; if (v !== undefined) { out.index[n] = ${i}; out.ns[n++] = v; }`).join('\n')}\nreturn n;`,
) as (stages: RequestPath['stages'], out: StageSamples) => number;

/** Puts a path's stage durations into `out`; a stitched path's are read by index, with no object made. */
function stageSamples(path: RequestPath, out: StageSamples): number {
  if (!(path instanceof StitchedPath)) return samplesByName(path.stages, out);
  const ns = path.stageNs;
  let n = 0;
  for (let i = 0; i < ns.length; i++) {
    const v = ns[i]!;
    if (v === v) (out.index[n] = i), (out.ns[n++] = v);
  }
  return n;
}

/**
 * Summary figures of a histogram (zeros when empty, so reports stay numeric), in whole nanoseconds:
 * the max is rounded as the percentiles are, since a stage across the clock boundary has fractional
 * nanoseconds and a rounded p99.9 would otherwise pass the unrounded max it is clamped to.
 */
export function summarize(h: LatencyHistogram): DistributionSummary {
  if (h.count === 0) return { count: 0, mean_ns: 0, p50_ns: 0, p90_ns: 0, p99_ns: 0, p999_ns: 0, max_ns: 0 };
  return {
    count: h.count,
    mean_ns: Math.round(h.mean()),
    p50_ns: Math.round(h.quantile(0.5)),
    p90_ns: Math.round(h.quantile(0.9)),
    p99_ns: Math.round(h.quantile(0.99)),
    p999_ns: Math.round(h.quantile(0.999)),
    max_ns: Math.round(h.max),
  };
}

/** The key of a request in one grouping dimension, e.g. "vm1/vda/q2". */
export function groupKey(path: RequestPath, dim: GroupDimension): string {
  switch (dim) {
    case 'vm':
      return path.vm;
    case 'disk':
      return `${path.vm}/${path.disk}`;
    case 'queue':
      return `${path.vm}/${path.disk}/q${path.queue}`;
    case 'op':
      return path.op;
  }
}

/** The requests of one (vm, disk, queue, op), and the key of each dimension's group they fall in. */
interface Leaf {
  keys: string[];
  stats: PathStatistics;
}

/**
 * Whole-run statistics, grouped statistics, and a sliding window made of fixed slots (each slot one
 * `slotNs` of guest time) merged on demand: memory stays bounded however long the run.
 */
export class RunStatistics {
  /** Every request of the run. */
  readonly all = new PathStatistics();
  private readonly slots: { index: number; stats: PathStatistics }[] = [];

  /**
   * @param dims Grouping dimensions kept.
   * @param slotNs Width of one window slot (guest ns).
   * @param windowSlots Number of slots in the sliding window.
   */
  constructor(
    readonly dims: readonly GroupDimension[] = ['vm', 'disk', 'queue', 'op'],
    readonly slotNs = 1_000_000_000,
    readonly windowSlots = 10,
  ) {}

  /**
   * The requests of each (vm, disk, queue, op), found by four map lookups (not key strings): every
   * group of every dimension is a union of these, so a request is recorded once here and the
   * groups are merged from them when read. Merging histograms is exact, so the groups are what
   * recording each request into each of them gives, with a request recorded three times (run,
   * leaf, window slot) instead of six.
   */
  private readonly leaves = new Map<string, Map<string, Map<number, Map<string, Leaf>>>>();
  private readonly leafList: Leaf[] = [];
  /** The groups as last merged, and the number of requests added when they were. */
  private merged: { at: number; groups: Map<GroupDimension, Map<string, PathStatistics>> } | undefined;
  private added = 0;

  private leafOf(path: RequestPath): PathStatistics {
    let byDisk = this.leaves.get(path.vm);
    if (!byDisk) this.leaves.set(path.vm, (byDisk = new Map()));
    let byQueue = byDisk.get(path.disk);
    if (!byQueue) byDisk.set(path.disk, (byQueue = new Map()));
    let byOp = byQueue.get(path.queue);
    if (!byOp) byQueue.set(path.queue, (byOp = new Map()));
    let leaf = byOp.get(path.op);
    if (!leaf) {
      leaf = { keys: this.dims.map((d) => groupKey(path, d)), stats: new PathStatistics() };
      byOp.set(path.op, leaf);
      this.leafList.push(leaf);
    }
    return leaf.stats;
  }

  /** Per grouping dimension, per group key: merged from the (vm, disk, queue, op) leaves when read after new requests. */
  get groups(): Map<GroupDimension, Map<string, PathStatistics>> {
    if (this.merged && this.merged.at === this.added) return this.merged.groups;
    const groups = new Map<GroupDimension, Map<string, PathStatistics>>();
    this.dims.forEach((d, i) => {
      const m = new Map<string, PathStatistics>();
      for (const leaf of this.leafList) {
        const k = leaf.keys[i]!;
        let g = m.get(k);
        if (!g) m.set(k, (g = new PathStatistics()));
        g.merge(leaf.stats);
      }
      groups.set(d, m);
    });
    this.merged = { at: this.added, groups };
    return groups;
  }

  /** Adds one stitched request. */
  add(path: RequestPath): void {
    const n = stageSamples(path, scratch);
    this.added++;
    this.all.addSamples(path, scratch, n);
    this.leafOf(path).addSamples(path, scratch, n);
    this.slotFor(Math.floor(path.start / this.slotNs)).addSamples(path, scratch, n);
  }

  private slotFor(index: number): PathStatistics {
    const last = this.slots[this.slots.length - 1];
    if (last && last.index === index) return last.stats;
    let slot = this.slots.find((s) => s.index === index);
    if (!slot) {
      slot = { index, stats: new PathStatistics() };
      this.slots.push(slot);
      this.slots.sort((a, b) => a.index - b.index);
      // Keep only the newest windowSlots slots.
      while (this.slots.length > this.windowSlots) this.slots.shift();
    }
    return slot.stats;
  }

  /** Statistics of the requests that started in the last `windowSlots` slots. */
  window(): PathStatistics {
    const w = new PathStatistics();
    for (const s of this.slots) w.merge(s.stats);
    return w;
  }
}
