// Stitching a whole set of records at once (any order): the streaming stitcher holding every decision until the end.
import type { GuestRequestRecord, QemuRequestRecord, Topology, TraceRecord } from '../records/index.js';
import type { RequestPath } from './path.js';
import { Stitcher, type StitchSummary } from './stitcher.js';

/**
 * Stitches a run's records (guest and host, in any order) into one path per guest request, with
 * the clock estimated from all of them first. See Stitcher for the joins; for streams, use a
 * Stitcher directly, which keeps memory bounded.
 */
export function stitch(
  records: Iterable<TraceRecord>,
  topology: Topology,
  onPath: (p: RequestPath) => void,
  /** Sees each match made (for measuring the stitcher against ground truth). */
  onMatch?: (guest: GuestRequestRecord, host: QemuRequestRecord, path: RequestPath) => void,
): StitchSummary {
  const s = new Stitcher(topology, onPath, { batch: true, ...(onMatch ? { onMatch } : {}) });
  for (const r of records) s.push(r);
  return s.finish();
}
