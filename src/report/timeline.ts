// Lays a request's stages out on a timeline: start and end of each stage, parts nested inside their parent.
import { STAGES, TOP_STAGES, type RequestPath, type StageDef, type StageName } from '../correlate/index.js';

/** One stage of one request placed in time (guest-clock ns). */
export interface PlacedStage {
  def: StageDef;
  start: number;
  end: number;
  /** Parts of this stage, placed inside it. */
  parts: PlacedStage[];
}

/**
 * Places a request's stages: top-level stages telescope from the request's start in path order,
 * and a stage's parts telescope from the stage's start (host_queue + device + host_completion =
 * host_io), so children always nest inside parents.
 */
export function placeStages(path: RequestPath): PlacedStage[] {
  const out: PlacedStage[] = [];
  let cursor = path.start as number;
  for (const def of TOP_STAGES) {
    const dur = path.stages[def.name];
    if (dur === undefined) continue;
    const placed: PlacedStage = { def, start: cursor, end: cursor + dur, parts: [] };
    let partCursor = cursor;
    for (const partName of def.parts ?? []) {
      const pd = path.stages[partName as StageName];
      if (pd === undefined) continue;
      const partDef = STAGES.find((s) => s.name === partName)!;
      placed.parts.push({ def: partDef, start: partCursor, end: partCursor + pd, parts: [] });
      partCursor += pd;
    }
    out.push(placed);
    cursor += dur;
  }
  return out;
}

/** A short name for a request: "vm1/vda read 2048+8". */
export function requestLabel(p: RequestPath): string {
  return `${p.vm}/${p.disk} ${p.op} ${p.sector}+${p.nrSectors}`;
}
