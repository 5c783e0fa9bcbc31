// Chrome trace-event JSON (opens in ui.perfetto.dev): each request as nested slices on a guest and a host track per VM.
import type { RequestPath } from '../correlate/index.js';
import type { ReportInput } from './input.js';
import { placeStages, requestLabel } from './timeline.js';

/** One Chrome trace event (the subset used: complete slices and metadata). */
export interface TraceEvent {
  name: string;
  ph: 'X' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

/**
 * Builds the trace. Each VM gets two processes (tracks): "<vm> guest" with the request and its
 * guest and boundary stages, and "<vm> host" with its host stages (parts nested). Overlapping
 * requests go to different lanes (threads) so slices on one lane always nest. Times are the guest
 * clock in microseconds.
 */
export function perfettoReport(input: ReportInput): { traceEvents: TraceEvent[]; displayTimeUnit: 'ns' } {
  const paths = [...(input.paths ?? input.slowest)].filter((p) => p.match !== 'host_only').sort((a, b) => a.start - b.start);
  const events: TraceEvent[] = [];
  const vmPid = new Map<string, number>();
  const lanes = new Map<string, number[]>(); // per vm: end time of each lane
  const us = (ns: number) => ns / 1000;
  for (const p of paths) {
    let pid = vmPid.get(p.vm);
    if (pid === undefined) {
      pid = vmPid.size * 2 + 1;
      vmPid.set(p.vm, pid);
      lanes.set(p.vm, []);
      events.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: `${p.vm} guest` } });
      events.push({ name: 'process_name', ph: 'M', pid: pid + 1, tid: 0, args: { name: `${p.vm} host` } });
    }
    const laneEnds = lanes.get(p.vm)!;
    let lane = laneEnds.findIndex((end) => end <= p.start);
    if (lane < 0) {
      lane = laneEnds.length;
      laneEnds.push(0);
      events.push({ name: 'thread_name', ph: 'M', pid, tid: lane + 1, args: { name: `lane ${lane + 1}` } });
      events.push({ name: 'thread_name', ph: 'M', pid: pid + 1, tid: lane + 1, args: { name: `lane ${lane + 1}` } });
    }
    laneEnds[lane] = p.start + p.total;
    const tid = lane + 1;
    events.push({ name: requestLabel(p), cat: 'request', ph: 'X', pid, tid, ts: us(p.start), dur: us(p.total), args: { match: p.match, ...(p.queue >= 0 ? { queue: p.queue } : {}), total_ns: p.total, shared_host_op: p.sharedHostOp } });
    for (const st of placeStages(p)) {
      const onHost = st.def.side === 'host';
      const spid = onHost ? pid + 1 : pid;
      events.push({ name: st.def.name, cat: st.def.side, ph: 'X', pid: spid, tid, ts: us(st.start), dur: us(st.end - st.start), args: { ns: st.end - st.start, request: requestLabel(p) } });
      for (const part of st.parts) {
        events.push({ name: part.def.name, cat: part.def.side, ph: 'X', pid: spid, tid, ts: us(part.start), dur: us(part.end - part.start), args: { ns: part.end - part.start } });
      }
    }
  }
  return { traceEvents: events, displayTimeUnit: 'ns' };
}

/** Re-exported for tests that check nesting. */
export type { RequestPath };
