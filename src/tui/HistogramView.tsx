// A log2 latency histogram like biolatency's, for the total or one stage, in the rows and columns the terminal has.
import { Box, Text } from 'ink';
import type { LatencyHistogram } from '../correlate/index.js';
import { formatNs } from '../report/index.js';
import { fit, moreLine } from './layout.js';

/** The `shown` consecutive buckets of `counts` that hold the most samples (the earliest of equals). */
export function busiestBuckets(counts: readonly number[], shown: number): { start: number; end: number } {
  if (counts.length <= shown) return { start: 0, end: counts.length };
  let sum = counts.slice(0, shown).reduce((a, b) => a + b, 0);
  let best = sum;
  let start = 0;
  for (let i = shown; i < counts.length; i++) {
    sum += counts[i]! - counts[i - shown]!;
    if (sum > best) (best = sum), (start = i - shown + 1);
  }
  return { start, end: start + shown };
}

/** A bucket's bar: its count scaled to the largest, at least one mark for any sample (a bucket of 2 next to one of 2,000 rounded to none). */
export function barLength(count: number, max: number, bar: number): number {
  return count > 0 ? Math.max(1, Math.round((count / max) * bar)) : 0;
}

/**
 * Renders `hist` in power-of-two rows, in `rows` rows at most: the title, the headings, and the
 * buckets from the first with a sample to the last; when they do not all fit, the run of them
 * holding the most samples, and a line counting the buckets (and samples) left out.
 */
export function HistogramView({ title, hist, width, rows }: { title: string; hist: LatencyHistogram | undefined; width: number; rows: number }) {
  const buckets = hist ? hist.log2Buckets() : [];
  const firstNonZero = buckets.findIndex((c) => c > 0);
  const all = firstNonZero < 0 ? [] : buckets.slice(firstNonZero).map((c, i) => [firstNonZero + i, c] as const);
  const room = Math.max(0, rows - 2);
  const win = busiestBuckets(all.map(([, c]) => c), all.length > room ? Math.max(0, room - 1) : room);
  const lines = all.slice(win.start, win.end);
  const hidden = all.length - lines.length;
  const hiddenSamples = all.reduce((n, [, c]) => n + c, 0) - lines.reduce((n, [, c]) => n + c, 0);
  const max = Math.max(1, ...lines.map(([, c]) => c));
  // range 20, count 8, the bar between bars, one column spare.
  const bar = Math.max(1, width - 34);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {fit(`latency histogram: ${title} (${hist?.count ?? 0} samples)`, width)}
      </Text>
      {rows >= 2 && (
        <Text bold wrap="truncate-end">
          {fit(`${'range'.padStart(20)} ${'count'.padStart(8)}  distribution`, width)}
        </Text>
      )}
      {lines.map(([k, c]) => (
        <Text key={k} wrap="truncate-end">
          {fit(`${`${formatNs(k === 0 ? 0 : 2 ** k)} -> ${formatNs(2 ** (k + 1))}`.padStart(20)} ${String(c).padStart(8)} |${'@'.repeat(barLength(c, max, bar)).padEnd(bar)}|`, width)}
        </Text>
      ))}
      {hidden > 0 && room > 0 && <Text dimColor>{moreLine(hidden, 'below', width, `buckets (${hiddenSamples} samples)`)}</Text>}
      {all.length === 0 && rows >= 3 && <Text dimColor>no samples</Text>}
    </Box>
  );
}
