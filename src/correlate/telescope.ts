// Stages from a request's path events: the stage table applied so that top-level stages telescope to the total.
import type { GuestTime, Nanos } from '../records/index.js';
import { stageDef, TOP_STAGES, type PathEvent, type StageDef, type StageName } from './stages.js';

/** The stages and total of one request. */
export interface StageBreakdown {
  stages: Partial<Record<StageName, Nanos>>;
  /** First to last event of the chain used. */
  total: Nanos;
  start: GuestTime;
}

const GUEST_ONLY_CHAIN: readonly StageName[] = ['guest_submit', 'guest_queue', 'vdisk', 'guest_reap'];

/** A stage with its parts resolved once, so a request's breakdown does no lookups. */
interface ChainStage {
  def: StageDef;
  parts: readonly StageDef[];
}

function chainOf(defs: readonly StageDef[]): readonly ChainStage[] {
  return defs.map((def) => ({ def, parts: (def.parts ?? []).map(stageDef) }));
}

const FULL_CHAIN = chainOf(TOP_STAGES.filter((s) => s.name !== 'vdisk'));
const GUEST_CHAIN = chainOf(GUEST_ONLY_CHAIN.map(stageDef));

function firstPresent(events: Partial<Record<PathEvent, GuestTime>>, list: readonly PathEvent[]): number | undefined {
  for (let i = 0; i < list.length; i++) {
    const t = events[list[i]!];
    if (t !== undefined) return t;
  }
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
  const chain = events.qemu_pop !== undefined ? FULL_CHAIN : GUEST_CHAIN;
  const stages: Partial<Record<StageName, Nanos>> = {};
  let first: number | undefined;
  let last: number | undefined;
  for (const { def, parts } of chain) {
    const a = firstPresent(events, def.from);
    const b = firstPresent(events, def.to);
    if (a === undefined || b === undefined) continue;
    stages[def.name] = (b - a) as Nanos;
    if (first === undefined || a < first) first = a;
    if (last === undefined || b > last) last = b;
    if (parts.length === 0) continue;
    let all = true;
    for (const pd of parts) {
      if (firstPresent(events, pd.from) === undefined || firstPresent(events, pd.to) === undefined) {
        all = false;
        break;
      }
    }
    if (all) for (const pd of parts) stages[pd.name] = (firstPresent(events, pd.to)! - firstPresent(events, pd.from)!) as Nanos;
  }
  const start = (first ?? 0) as GuestTime;
  return { stages, total: ((last ?? 0) - (first ?? 0)) as Nanos, start };
}
