// Stages from a request's path events: the stage table applied so that top-level stages telescope to the total.
import type { GuestTime, Nanos } from '../records/index.js';
import { STAGES, TOP_STAGES, type PathEvent, type StageDef, type StageName } from './stages.js';

/** The stages and total of one request. */
export interface StageBreakdown {
  stages: Partial<Record<StageName, Nanos>>;
  /** First to last event of the chain used. */
  total: Nanos;
  start: GuestTime;
}

const GUEST_ONLY_CHAIN: readonly StageName[] = ['guest_submit', 'guest_queue', 'vdisk', 'guest_reap'];

function firstPresent(events: Partial<Record<PathEvent, GuestTime>>, list: readonly PathEvent[]): PathEvent | undefined {
  for (const e of list) if (events[e] !== undefined) return e;
  return undefined;
}

/**
 * Computes stages from path events (all on the guest clock). With host events present the full
 * chain is used; without them `vdisk` stands for everything between rq_issue and rq_complete.
 * Consecutive stages share their boundary event (each stage's `to` list and the next one's `from`
 * list pick the same event), so the top-level stages sum to the total. A stage's parts are given
 * only when all of them are present, so parts always sum to their parent.
 */
export function stagesFromEvents(events: Partial<Record<PathEvent, GuestTime>>): StageBreakdown {
  const hasHost = events.qemu_pop !== undefined;
  const chain: readonly StageDef[] = hasHost
    ? TOP_STAGES.filter((s) => s.name !== 'vdisk')
    : GUEST_ONLY_CHAIN.map((n) => TOP_STAGES.find((s) => s.name === n)!);
  const stages: Partial<Record<StageName, Nanos>> = {};
  let first: number | undefined;
  let last: number | undefined;
  for (const def of chain) {
    const from = firstPresent(events, def.from);
    const to = firstPresent(events, def.to);
    if (!from || !to) continue;
    const a = events[from]!, b = events[to]!;
    stages[def.name] = (b - a) as Nanos;
    if (first === undefined || a < first) first = a;
    if (last === undefined || b > last) last = b;
    if (def.parts) {
      const parts: [StageName, number][] = [];
      for (const p of def.parts) {
        const pd = STAGES.find((s) => s.name === p)!;
        const pf = firstPresent(events, pd.from), pt = firstPresent(events, pd.to);
        if (!pf || !pt) break;
        parts.push([p, events[pt]! - events[pf]!]);
      }
      if (parts.length === def.parts.length) for (const [p, d] of parts) stages[p] = d as Nanos;
    }
  }
  const start = (first ?? 0) as GuestTime;
  return { stages, total: ((last ?? 0) - (first ?? 0)) as Nanos, start };
}
