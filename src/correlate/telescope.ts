// Stages from a request's path events: the stage table applied so that top-level stages telescope to the total.
import type { GuestTime, Nanos } from '../records/index.js';
import { PATH_EVENTS, stageDef, TOP_STAGES, type PathEvent, type StageDef, type StageName } from './stages.js';

/** The stages and total of one request. */
export interface StageBreakdown {
  stages: Partial<Record<StageName, Nanos>>;
  /** First to last event of the chain used. */
  total: Nanos;
  start: GuestTime;
}

const GUEST_ONLY_CHAIN: readonly StageName[] = ['guest_submit', 'guest_queue', 'vdisk', 'guest_reap'];

/** Each path event's index in PATH_EVENTS. */
export const EVENT_INDEX: Readonly<Record<PathEvent, number>> = (() => {
  const o = {} as Record<PathEvent, number>;
  PATH_EVENTS.forEach((e, i) => (o[e] = i));
  return o;
})();

/**
 * A request's path event times by event index, NaN where not seen. The stitchers fill one as they
 * build a path's `events` (`times[EVENT_INDEX.x] = events.x = t`), so stages are computed by index,
 * not by looking names up in objects of many shapes.
 */
export type EventTimes = Float64Array;

/** A fresh EventTimes with nothing seen. */
export function eventTimes(): EventTimes {
  return new Float64Array(PATH_EVENTS.length).fill(NaN);
}

/** A stage with its event lists and parts resolved to indexes once. */
interface ChainStage {
  name: StageName;
  from: readonly number[];
  to: readonly number[];
  parts: readonly ChainStage[];
}

function resolve(def: StageDef): ChainStage {
  return { name: def.name, from: def.from.map((e) => EVENT_INDEX[e]), to: def.to.map((e) => EVENT_INDEX[e]), parts: (def.parts ?? []).map((p) => resolve(stageDef(p))) };
}

const FULL_CHAIN = TOP_STAGES.filter((s) => s.name !== 'vdisk').map(resolve);
const GUEST_CHAIN = GUEST_ONLY_CHAIN.map((n) => resolve(stageDef(n)));
const QEMU_POP = EVENT_INDEX.qemu_pop;

/** The time of the first event of `list` that was seen, NaN if none. */
function firstPresent(times: EventTimes, list: readonly number[]): number {
  for (let i = 0; i < list.length; i++) {
    const t = times[list[i]!]!;
    if (!Number.isNaN(t)) return t;
  }
  return NaN;
}

/**
 * Computes stages from path event times (all on the guest clock). With host events present the
 * full chain is used; without them `vdisk` stands for everything between rq_issue and rq_complete.
 * Consecutive stages share their boundary event (each stage's `to` list and the next one's `from`
 * list pick the same event), so the top-level stages sum to the total. A stage's parts are given
 * only when all of them are present, so parts always sum to their parent.
 */
export function stagesFromTimes(times: EventTimes): StageBreakdown {
  const chain = Number.isNaN(times[QEMU_POP]!) ? GUEST_CHAIN : FULL_CHAIN;
  const stages: Partial<Record<StageName, Nanos>> = {};
  let first = Infinity;
  let last = -Infinity;
  for (const st of chain) {
    const a = firstPresent(times, st.from);
    const b = firstPresent(times, st.to);
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    stages[st.name] = (b - a) as Nanos;
    if (a < first) first = a;
    if (b > last) last = b;
    const parts = st.parts;
    if (parts.length > 0 && parts.every((pd) => !Number.isNaN(span(times, pd)))) for (const pd of parts) stages[pd.name] = span(times, pd) as Nanos;
  }
  if (first === Infinity) {
    // No stage has both ends (a request whose other records were lost): it still happened when its
    // first event did. A start of 0 would put it hours before the rest of a timeline.
    let at = Infinity;
    for (let i = 0; i < times.length; i++) if (times[i]! < at) at = times[i]!;
    return { stages, total: 0 as Nanos, start: (at === Infinity ? 0 : at) as GuestTime };
  }
  return { stages, total: (last - first) as Nanos, start: first as GuestTime };
}

/** A stage's duration in `times`, NaN when either end was not seen. */
function span(times: EventTimes, st: ChainStage): number {
  return firstPresent(times, st.to) - firstPresent(times, st.from);
}

const scratch = eventTimes();

/** `stagesFromTimes` for events given by name (ground truth, tests). */
export function stagesFromEvents(events: Partial<Record<PathEvent, GuestTime>>): StageBreakdown {
  for (let i = 0; i < PATH_EVENTS.length; i++) {
    const t = events[PATH_EVENTS[i]!];
    scratch[i] = t === undefined ? NaN : t;
  }
  return stagesFromTimes(scratch);
}
