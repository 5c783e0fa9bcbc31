// Replays a trace file or a real capture through the correlator into statistics a report or dashboard shows.
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { GuestOnlyStitcher, onGuestClock, RunStatistics, SlowestRequests, stitch, Stitcher, type ClockEstimate, type RequestPath, type UnmatchedReason } from '../correlate/index.js';
import { InputError } from '../errors.js';
import { probeOfProgram } from '../hooks/index.js';
import type { ReportInput } from '../report/index.js';
import { gunzipFile, refuseStream, type GzipFault } from '../trace/gzip.js';
import { BINARY_MAGIC, captureRecords, GuestAssembler, looksLikeBpftrace, openCapture, openTrace, outOfOrderNote, readBpftrace, readFtrace, withoutByteOrderMark } from '../trace/index.js';

/** An ftrace event line: "task-pid [cpu] flags? seconds.micros: event:". */
const FTRACE_LINE = /^\s*.+-\d+\s+(?:\(\s*[-\d]+\)\s+)?\[\d+\]\s+(?:\S{4,6}\s+)?\d+\.\d+:\s+\w+:/;

/** True if the first lines look like tracefs text output. */
function looksLikeFtrace(lines: string[]): boolean {
  return lines.some((l) => l.startsWith('# tracer:') || FTRACE_LINE.test(l));
}

/** The kinds of input `replay` and `report` read. */
export type InputKind = 'viotrace-trace' | 'ftrace-text' | 'bpftrace-text' | 'capture-folder';

/** Options for replaying. */
export interface ReplayOptions {
  lenient?: boolean;
  /** How many slowest requests to keep with their full paths. */
  slowest?: number;
  /** Keep every path (for Perfetto/OTLP export); bounded by this count. */
  keepPaths?: number;
  /** For a capture folder made with --host-bpftrace: read the host's events from bpftrace's output instead of tracefs. */
  captureHost?: 'tracefs' | 'bpftrace';
  /** Sees every path as it is stitched (the dashboard plays them as the file is read). */
  onPath?: (p: RequestPath) => void;
  /** Awaited between batches of a trace file: a consumer that has enough waiting makes the reader wait. */
  room?: () => Promise<void>;
  /** Stops reading a trace file (the replay then ends early, marked cut). */
  signal?: AbortSignal;
  /** Told of a trace file's source name once its header is read, and of the clock estimate and losses as reading goes. */
  onProgress?: (p: ReplayProgress) => void;
}

/** What is known of a trace file part way through reading it. */
export interface ReplayProgress {
  name: string;
  clock?: ClockEstimate;
  lost: { guest: number; host: number };
}

/** A replay's result: the report input plus what went wrong on the way. */
export interface ReplayResult {
  input: ReportInput;
  kind: InputKind;
  /** Set when the file was cut (a killed recording, a truncated gzip): everything before it was used. */
  cut?: { where: string; reason: string };
  /** Notes for the user (what the capture lacks, what was left out). */
  notes: string[];
  /** What --lenient skipped, said for this kind of input ("3 malformed lines skipped, the first at f:12: ..."). */
  skippedNote?: string;
}

/** Reads the first bytes of a file (decompressed when gzip) to tell its kind. */
async function sniff(path: string): Promise<InputKind> {
  if ((await stat(path).catch(() => undefined))?.isDirectory()) {
    if (existsSync(join(path, 'manifest.json'))) return 'capture-folder';
    throw new InputError('a folder, but not a capture-lab folder (no manifest.json)', path);
  }
  await refuseStream(path);
  let head: Buffer;
  const fh = await open(path, 'r').catch((e: Error) => {
    throw new InputError(`cannot open: ${e.message}`, path);
  });
  try {
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    // The first inflated bytes are enough; a fault later in the file (a bad trailer, trailing bytes) is the reader's to report.
    const fault: { error?: GzipFault } = {};
    const parts: Buffer[] = [];
    let have = 0;
    for await (const b of gunzipFile(path, fault, 1 << 16)) {
      parts.push(b);
      if ((have += b.length) >= 65536) break;
    }
    head = Buffer.concat(parts);
    if (head.length === 0) throw new InputError(fault.error ? `gzip data is corrupt at its start (${fault.error.message})` : 'gzip data is corrupt at its start', `${path}:1`);
  }
  if (head.subarray(0, BINARY_MAGIC.length).equals(BINARY_MAGIC)) return 'viotrace-trace';
  // Text saved by a Windows editor begins with a byte-order mark; the readers drop it too.
  const text = withoutByteOrderMark(head.toString('utf8'));
  if (text.startsWith('{') && text.includes('"viotrace.trace"')) return 'viotrace-trace';
  const lines = text.split('\n').slice(0, 50);
  if (looksLikeBpftrace(lines)) return 'bpftrace-text';
  if (looksLikeFtrace(lines)) return 'ftrace-text';
  throw new InputError('unrecognised input: not a viotrace trace, tracefs text output or a viotrace bpftrace capture', `${path}:1`);
}

/** The note for lines --lenient skipped: how many, and the first (where, and why). */
function linesSkipped(count: number, examples: readonly string[]): string {
  const first = examples.map((e) => /^(.*?:\d+): (.*)$/.exec(e)).find((m) => m);
  return `${count} malformed lines skipped${first ? `, the first at ${first[1]} (${first[2]})` : ''}`;
}

/** Replays a file into report input. */
export async function replayFile(path: string, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const kind = await sniff(path);
  const stats = new RunStatistics();
  const slow = new SlowestRequests(opts.slowest ?? 20);
  const keep = opts.keepPaths ?? 0;
  const paths: RequestPath[] = [];
  let first = Infinity, last = -Infinity;
  const onPath = (p: RequestPath) => {
    stats.add(p);
    slow.offer(p);
    if (paths.length < keep) paths.push(p);
    if (onGuestClock(p)) {
      if (p.start < first) first = p.start;
      if (p.start + p.total > last) last = p.start + p.total;
    }
    opts.onPath?.(p);
  };
  const notes: string[] = [];
  let lost = { guest: 0, host: 0 };
  let cut: ReplayResult['cut'];
  let skipped = 0;
  let skippedNote: string | undefined;
  let name = basename(path);
  let sourceKind: 'trace' | 'scenario' = 'trace';
  /** A recorded scenario's fio job description, if it ran one. */
  let job: string | undefined;
  let seed: number | undefined;
  let unmatched: Partial<Record<UnmatchedReason, number>> | undefined;
  let clock: ClockEstimate | undefined;
  let inFlightAtEnd = 0;
  let epochNs: number | undefined;

  if (kind === 'capture-folder') {
    // A real full-path capture: guest, QEMU and host streams assembled into records, then stitched.
    const capture = await openCapture(path);
    const r = await captureRecords(capture, { host: opts.captureHost ?? 'tracefs', lenient: opts.lenient ?? false });
    name = `${basename(path)} (real capture)`;
    const s = stitch(r.records, r.topology, onPath);
    unmatched = s.unmatched;
    clock = s.clock;
    inFlightAtEnd = s.inFlightAtEnd;
    // Wall-clock time of guest time 0, for exports: guest -> host monotonic by the estimate, then
    // to CLOCK_REALTIME by the capture's first clock pair (to within its width and the drift).
    const pair = capture.clockPairs[0];
    if (pair && clock) epochNs = Number(pair.realtimeNs - pair.monoNs) - clock.offsetNs;
    // The capture's notes come once per VM stream; one of each is enough.
    notes.push(...new Set(r.notes));
    skipped = r.skipped;
    if (skipped) skippedNote = linesSkipped(skipped, r.skippedExamples);
    // The first cut is the replay's; any other stream cut too is named in a note.
    cut = r.cuts[0];
    for (const c of r.cuts.slice(1)) notes.push(`another capture file was cut too: ${c.where}: ${c.reason}`);
  } else if (kind === 'ftrace-text' || kind === 'bpftrace-text') {
    // A guest-side capture: tracefs text, or viotrace-guest.bt's output.
    const bt = kind === 'bpftrace-text' ? readBpftrace(path, { side: 'guest', lenient: opts.lenient }) : undefined;
    let completionsSkipped = 0;
    const asm = new GuestAssembler('guest', bt !== undefined, opts.lenient ?? false);
    const stream = bt ?? readFtrace(path, { source: 'guest', clock: 'guest-mono', lenient: opts.lenient });
    for await (const ev of stream) asm.add(ev);
    cut = stream.cut;
    if (bt) {
      for (const d of bt.drops) {
        const hook = probeOfProgram(d.program, 'guest');
        const what = hook?.name === 'block:block_rq_complete' ? 'the requests whose completion it skipped never end and are left out' : 'those events are missing';
        notes.push(`the kernel skipped the ${hook ? `${hook.kind}:${hook.name}` : d.program} program ${d.count} times (${d.reason}: it fired while another BPF program ran on that CPU); ${what}`);
        if (hook?.name === 'block:block_rq_complete') completionsSkipped += d.count;
      }
      const overruns = bt.stats.lost - bt.drops.reduce((a, d) => a + d.count, 0);
      if (overruns > 0) notes.push(`bpftrace reported ${overruns} events lost (perf buffer full)`);
    } else if (stream.stats.lost) notes.push(`the kernel reported ${stream.stats.lost} events lost while tracing`);
    asm.finish();
    skipped = stream.stats.skipped;
    if (skipped) skippedNote = linesSkipped(skipped, stream.stats.skippedExamples);
    lost = { guest: stream.stats.lost, host: 0 };
    const stitcher = new GuestOnlyStitcher(onPath);
    for (const r of asm.records) stitcher.add(r);
    stitcher.finish();
    notes.push('guest-side capture: requests have no host side (reported as guest_only, reason no_host_records)');
    const s = asm.stats;
    if (s.completionsWithoutIssue) notes.push(`${s.completionsWithoutIssue} completions of requests issued before the capture began were left out`);
    if (s.completionsLost) notes.push(`${s.completionsLost} requests never showed a completion (a later request at the same sector replaced them)`);
    if (s.sharedSector) notes.push(`${s.sharedSector} requests were in flight at the same sector as another: the tracepoints cannot tell their times apart, so they are left out`);
    if (s.outOfOrder) notes.push(outOfOrderNote(s));
    // A request whose completion the kernel skipped looks in flight at the end too: only the rest are.
    const inFlight = s.inFlightAtEnd - completionsSkipped;
    if (inFlight > 0) notes.push(`${inFlight} requests were still in flight when the capture ended${completionsSkipped ? ` (besides the ${completionsSkipped} whose completion was skipped)` : ''}`);
  } else {
    const trace = await openTrace(path, { lenient: opts.lenient });
    name = trace.header.source.name;
    if (trace.header.source.kind === 'scenario') sourceKind = 'scenario';
    if (trace.header.source.seed !== undefined) seed = trace.header.source.seed;
    job = trace.header.source.job;
    // Records stream through the stitcher, which holds only its window: a trace of any length
    // replays in bounded memory. A trace with no host records comes out guest-only.
    const stitcher = new Stitcher(trace.header.topology, onPath);
    const shown = sourceKind === 'scenario' ? `${name} (recorded)` : name;
    opts.onProgress?.({ name: shown, lost: trace.summary.lost });
    let batches = 0;
    for await (const batch of trace.recordBatches()) {
      stitcher.pushBatch(batch);
      if (opts.signal?.aborted) break;
      // Every few batches (a batch is a chunk or frame of thousands of records): the estimate so far.
      if (opts.onProgress && ++batches % 8 === 0) {
        const c = stitcher.summary().clock;
        opts.onProgress({ name: shown, lost: trace.summary.lost, ...(c ? { clock: c } : {}) });
      }
      if (opts.room) await opts.room();
    }
    const s = stitcher.finish();
    unmatched = s.unmatched;
    clock = s.clock;
    inFlightAtEnd = s.inFlightAtEnd;
    lost = trace.summary.lost;
    cut = opts.signal?.aborted ? { where: path, reason: 'reading was stopped' } : trace.summary.cut;
    skipped = trace.summary.skipped;
    const frames = trace.summary.skippedFrames;
    if (trace.encoding === 'binary' && frames) skippedNote = `${frames} corrupt frames: ${skipped} of their entries (records and string definitions) could not be read and were skipped`;
  }

  const input: ReportInput = {
    // A trace file is the source; a recorded scenario keeps its name and seed.
    source: { kind: 'trace', name: sourceKind === 'scenario' ? `${name} (recorded)` : name, ...(seed !== undefined ? { seed } : {}), ...(job ? { job } : {}) },
    stats,
    lost,
    unmatched: unmatched ?? { no_host_records: stats.all.matches.guest_only },
    ...(clock ? { clock } : {}),
    ...(inFlightAtEnd ? { inFlightAtEnd } : {}),
    slowest: slow.list(),
    durationNs: Number.isFinite(first) ? last - first : 0,
    ...(keep ? { paths } : {}),
    ...(skipped ? { skippedLines: skipped } : {}),
    ...(epochNs !== undefined ? { epochNs } : {}),
  };
  return { input, kind, ...(cut ? { cut } : {}), notes, ...(skippedNote ? { skippedNote } : {}) };
}
