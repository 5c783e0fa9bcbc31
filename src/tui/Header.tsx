// The dashboard header: source, time, rates, in-flight, lost, unmatched, clock, replay state; laid out to the terminal's width.
import { Box, Text } from 'ink';
import { formatNs } from '../report/index.js';
import { fit, packFields } from './layout.js';
import { describeFilter, type DashboardSnapshot } from './playback.js';
import { alertColor } from './theme.js';

/** One header line and how it is shown. */
export interface HeaderLine {
  text: string;
  bold?: boolean;
  color?: string | undefined;
}

/** The clock field: the estimate, or why there is none yet. */
function clockText(snap: DashboardSnapshot): string {
  if (snap.clockOffsetNs !== undefined) return formatNs(snap.clockOffsetNs);
  return snap.twoSided ? 'waiting for the first estimate' : 'n/a (one side)';
}

/**
 * A live run that has handed over nothing yet: its programs are being verified, the simulation
 * warming up, the stitcher waiting for its first clock estimate before it decides a request.
 */
function starting(snap: DashboardSnapshot): boolean {
  return snap.live && snap.duration === 0 && snap.stats.all.total.count === 0 && snap.inFlight === 0;
}

/**
 * The header's lines at `width`: the title, then the time and rate fields and the count fields, a
 * line each when both fit; else all of them packed, so no line is wider than `width` (a field wider
 * is cut). `compact` (a terminal with few rows) keeps to a line each, cut to the width. Warnings and
 * problems take a line each, cut to the width.
 */
export function headerLines(snap: DashboardSnapshot, elapsedMs: number, width: number, compact = false): HeaderLine[] {
  const all = snap.stats.all;
  const secs = snap.position / 1e9;
  const iops = secs > 0 ? all.total.count / secs : 0;
  const mbps = secs > 0 ? all.bytes / secs / 1048576 : 0;
  const state = snap.finished ? 'finished' : snap.paused ? 'PAUSED' : snap.live ? 'live' : snap.reading ? 'reading' : 'playing';
  const filter = describeFilter(snap.filter);
  const mode = `[${state} x${snap.speed >= 1 ? snap.speed : snap.speed.toFixed(2)}]`;
  const named = ['viotrace', snap.source, mode, ...(filter ? [`filter: ${filter}`] : [])];
  // On one cut line the state goes first: whether it is live, paused or finished matters more than the name.
  const title = compact && named.join('  ').length > width ? [mode, snap.source, ...(filter ? [`filter: ${filter}`] : [])] : named;
  const elapsed = `elapsed ${(elapsedMs / 1000).toFixed(1)}s`;
  const time = starting(snap)
    ? [elapsed, `starting: simulating, ${snap.clockOffsetNs === undefined ? 'waiting for the first clock estimate' : 'stitching the first requests'}`]
    : [elapsed, `trace ${formatNs(snap.position)}/${formatNs(snap.duration)}${snap.reading ? '+' : ''}`, `${iops.toFixed(0)} IOPS`, `${mbps.toFixed(1)} MiB/s`, `in flight ${snap.inFlight}`];
  // A guest-side capture has nothing to match: every request unmatched would read as a failure.
  const partners = snap.twoSided || snap.unmatched.host > 0 ? `unmatched guest ${snap.unmatched.guest} host ${snap.unmatched.host}` : 'guest side only';
  const counts = [`requests ${all.total.count}`, partners, `lost guest ${snap.lost.guest} host ${snap.lost.host}`, `clock ${clockText(snap)}`];
  const oneLine = (fields: string[]) => [fit(fields.join('  '), width)];
  const timeLines = packFields(time, width);
  const countLines = packFields(counts, width);
  // Two lines as long as each group fits one; past that, packed together they take fewest rows.
  const body = compact ? [...oneLine(time), ...oneLine(counts)] : timeLines.length + countLines.length > 2 ? packFields([...time, ...counts], width) : [...timeLines, ...countLines];
  return [
    ...(compact ? oneLine(title) : packFields(title, width)).map((text) => ({ text, bold: true })),
    ...body.map((text) => ({ text })),
    ...(snap.partialHistory !== undefined ? [{ text: fit(`filter and seek cover the newest ${snap.partialHistory} requests (history limit)`, width), color: alertColor('warning') }] : []),
    ...(snap.problem ? [{ text: fit(snap.problem, width), color: alertColor('error') }] : []),
  ];
}

/** Header lines, as headerLines lays them out. */
export function Header({ lines }: { lines: readonly HeaderLine[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Text key={i} bold={l.bold ?? false} color={l.color} wrap="truncate-end">
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
