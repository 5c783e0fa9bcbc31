// Stages from a request's path events: the stage table applied so that top-level stages telescope to the total.
import type { GuestTime, Nanos } from '../records/index.js';
import { PATH_EVENTS, STAGES, stageDef, TOP_STAGES, type PathEvent, type StageDef, type StageName } from './stages.js';

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
 * A request's path event times by event index, NaN where not seen, in a typed array: the
 * simulator's ground truth keeps one per request it is tracking (the stitchers' paths use a plain
 * array each, `newEventNs`, which costs less to make).
 */
export type EventTimes = Float64Array;

/** A fresh EventTimes with nothing seen. */
export function eventTimes(): EventTimes {
  return new Float64Array(PATH_EVENTS.length).fill(NaN);
}

/** Each stage's index in STAGES: a stitched path's `stageNs` is by this index. */
export const STAGE_INDEX: Readonly<Record<StageName, number>> = (() => {
  const o = {} as Record<StageName, number>;
  STAGES.forEach((s, i) => (o[s.name] = i));
  return o;
})();

const NO_EVENTS: readonly number[] = PATH_EVENTS.map(() => NaN);
const NO_STAGES: readonly number[] = STAGES.map(() => NaN);

/**
 * A fresh array of path event times by EVENT_INDEX, all NaN (not seen). A plain array: one is
 * made for every stitched path, and copying a template took 31 ns where a Float64Array of the
 * same length took 905 (measured here, 20,000 in a loop).
 */
export function newEventNs(): number[] {
  return NO_EVENTS.slice();
}

/** A fresh array of stage durations by STAGE_INDEX, all NaN (absent). */
export function newStageNs(): number[] {
  return NO_STAGES.slice();
}

/** Where a request's stages start and what they add up to: what `foldStages` found. */
export interface Span {
  /** Time of the first event of the chain used (guest clock). */
  start: number;
  /** First to last event of the chain used. */
  total: number;
}

/** A stage with its index, event lists and parts resolved to indexes once. */
interface ChainStage {
  index: number;
  from: readonly number[];
  to: readonly number[];
  parts: readonly ChainStage[];
  /** The event the first end is moved up to when before it (-1: none). */
  endNotBefore: number;
}

function resolve(def: StageDef): ChainStage {
  return {
    index: STAGE_INDEX[def.name], from: def.from.map((e) => EVENT_INDEX[e]), to: def.to.map((e) => EVENT_INDEX[e]),
    parts: (def.parts ?? []).map((p) => resolve(stageDef(p))), endNotBefore: def.endNotBefore ? EVENT_INDEX[def.endNotBefore] : -1,
  };
}

const FULL_CHAIN = TOP_STAGES.filter((s) => s.name !== 'vdisk').map(resolve);
const GUEST_CHAIN = GUEST_ONLY_CHAIN.map((n) => resolve(stageDef(n)));
const QEMU_POP = EVENT_INDEX.qemu_pop;

/** Stage indexes in the order a path's `stages` object lists them: each top-level stage, then its parts. */
const STAGE_ORDER: readonly number[] = TOP_STAGES.flatMap((t) => [STAGE_INDEX[t.name], ...(t.parts ?? []).map((p) => STAGE_INDEX[p])]);

/** Code setting `v` to the time of the first event of `list` that was seen (NaN if none); `ev` reads an event. */
function firstPresentCode(v: string, list: readonly number[], ev: (e: number) => string): string {
  return list.map((e, i) => (i === 0 ? `${v} = ${ev(e)};` : ` if (${v} !== ${v}) ${v} = ${ev(e)};`)).join('');
}

/**
 * The start events of a chain's signal stages, which may have to be moved: of each stage with parts
 * and another start to fall back on, its first start (the guest's kick; QEMU's notification). A
 * request need not have waited for that signal: QEMU can pop a request it reached while already
 * working through the queue, before the kick had any effect; and a guest handler already running
 * for an earlier interrupt reaps every completion it finds, some before QEMU's notification for
 * them was even sent. Such a start is moved to the stage's end, so the stage is 0 and the time
 * goes to the stage before it (the driver still about to kick; QEMU until the guest reaped it),
 * and the stage's parts, which then describe another request's signal, are not given. Moved
 * rather than passed over, so a stage changes with the times continuously: a clock error of a
 * few hundred ns on a signal sent just before or after the reaping costs no more than that.
 */
function signalStarts(chain: readonly ChainStage[]): { start: number; to: readonly number[] }[] {
  return chain.filter((st) => st.parts.length > 0 && st.from.length > 1).map((st) => ({ start: st.from[0]!, to: st.to }));
}

/** Straight-line code folding one chain: each stage's ends looked up by constant index. */
function chainCode(chain: readonly ChainStage[]): string {
  // A signal start is read once into a local, moved to its stage's end if after it, and read from there by every stage.
  const signals = signalStarts(chain);
  // Ends moved up to an earlier event (endNotBefore), read once into a local first: signals move to them.
  const raised = chain.filter((st) => st.endNotBefore >= 0).map((st) => ({ end: st.to[0]!, floor: st.endNotBefore }));
  const ev = (e: number): string => (signals.some((g) => g.start === e) ? `s${e}` : raised.some((r) => r.end === e) ? `r${e}` : `t[${e}]`);
  const raisedCode = raised.map((r) => `let r${r.end} = t[${r.end}]; if (r${r.end} < t[${r.floor}]) r${r.end} = t[${r.floor}];`).join(' ');
  const signalCode = raisedCode + signals.map((g) => `let s${g.start} = t[${g.start}]; ${firstPresentCode('b', g.to, (e) => (raised.some((r) => r.end === e) ? `r${e}` : `t[${e}]`))} if (s${g.start} > b) s${g.start} = b;`).join('\n      ');
  const stages = chain.map((st) => {
    let code = `${firstPresentCode('a', st.from, ev)} ${firstPresentCode('b', st.to, ev)}
      if (a === a && b === b) { out[${st.index}] = b - a; if (a < first) first = a; if (b > last) last = b;`;
    if (st.parts.length > 0) {
      // The parts present must chain from the stage's start to its end, each starting where the one
      // before ended, none negative (a signal moved, or another request's); else none is given.
      // Compared as the event times picked, not as sums: mapped host times are not integers.
      const parts = st.parts.map((pt, k) => `${firstPresentCode('a', pt.from, ev)} ${firstPresentCode('b', pt.to, ev)} const p${k} = b - a;
        if (p${k} === p${k}) { if (a !== at || p${k} < 0) ok = false; at = b; }`).join('\n        ');
      code += `\n        const end = b; let at = a, ok = true;\n        ${parts}\n        if (ok && at === end) { ${st.parts.map((pt, k) => `out[${pt.index}] = p${k};`).join(' ')} }`;
    }
    return code + ' }';
  }).join('\n      ');
  return signalCode ? `${signalCode}\n      ${stages}` : stages;
}

/**
 * Computes stages from path event times (all on the guest clock) into `out` (by STAGE_INDEX, left
 * NaN where absent), and their start and total into `span`. With host events present the full
 * chain is used; without them `vdisk` stands for everything between rq_issue and rq_complete.
 * Consecutive stages share their boundary event (each stage's `to` list and the next one's `from`
 * list pick the same event), so the top-level stages sum to the total; a kick or notification the
 * request did not wait for is moved to its stage's end for both (`signalStarts`). A stage's parts
 * are given only when those present chain from its start to its end, none negative, so parts
 * always sum to their parent. Compiled from the stage table into straight-line code (run once per stitched request):
 * the table's loops over lists of event indexes were a twentieth of stitching.
 */
export const foldStages = new Function('t', 'out', 'span', `
  let first = Infinity, last = -Infinity, a = 0, b = 0;
  if (t[${QEMU_POP}] !== t[${QEMU_POP}]) {
      ${chainCode(GUEST_CHAIN)}
  } else {
      ${chainCode(FULL_CHAIN)}
  }
  if (first === Infinity) {
    // No stage has both ends (a request whose other records were lost): it still happened when its
    // first event did. A start of 0 would put it hours before the rest of a timeline.
    let at = Infinity;
    for (let i = 0; i < t.length; i++) if (t[i] < at) at = t[i];
    span.start = at === Infinity ? 0 : at;
    span.total = 0;
    return;
  }
  span.start = first;
  span.total = last - first;
`) as (times: ArrayLike<number>, out: number[], span: Span) => void;

/** Stage durations by STAGE_INDEX as an object by name (absent ones left out), each top-level stage followed by its parts. */
export function stagesByName(stageNs: ArrayLike<number>): Partial<Record<StageName, Nanos>> {
  const o: Partial<Record<StageName, Nanos>> = {};
  for (const i of STAGE_ORDER) {
    const v = stageNs[i]!;
    if (v === v) o[STAGES[i]!.name] = v as Nanos;
  }
  return o;
}

/** Path event times by EVENT_INDEX as an object by name (unseen ones left out), in path order. */
export function eventsByName(eventNs: ArrayLike<number>): Partial<Record<PathEvent, GuestTime>> {
  const o: Partial<Record<PathEvent, GuestTime>> = {};
  for (let i = 0; i < PATH_EVENTS.length; i++) {
    const v = eventNs[i]!;
    if (v === v) o[PATH_EVENTS[i]!] = v as GuestTime;
  }
  return o;
}

/** Stages of event times given by index (ground truth): `foldStages` as a breakdown by name. */
export function stagesFromTimes(times: ArrayLike<number>): StageBreakdown {
  const out = newStageNs();
  const span: Span = { start: 0, total: 0 };
  foldStages(times, out, span);
  return { stages: stagesByName(out), total: span.total as Nanos, start: span.start as GuestTime };
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
