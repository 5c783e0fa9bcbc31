// A log2 latency histogram like biolatency's, for the total or one stage.
import { Box, Text } from 'ink';
import type { LatencyHistogram } from '../correlate/index.js';
import { formatNs } from '../report/index.js';

/** Renders `hist` in power-of-two rows, at most `rows` rows around where the samples are. */
export function HistogramView({ title, hist, width, rows }: { title: string; hist: LatencyHistogram | undefined; width: number; rows: number }) {
  const buckets = hist ? hist.log2Buckets() : [];
  const firstNonZero = buckets.findIndex((c) => c > 0);
  const lines = firstNonZero < 0 ? [] : buckets.slice(firstNonZero).map((c, i) => [firstNonZero + i, c] as const).slice(-Math.max(1, rows));
  const max = Math.max(1, ...lines.map(([, c]) => c));
  const bar = Math.max(10, width - 36);
  return (
    <Box flexDirection="column">
      <Text bold>latency histogram: {title} ({hist?.count ?? 0} samples)</Text>
      <Text bold>{'range'.padStart(20)} {'count'.padStart(8)}  distribution</Text>
      {lines.map(([k, c]) => (
        <Text key={k}>
          {`${formatNs(k === 0 ? 0 : 2 ** k)} -> ${formatNs(2 ** (k + 1))}`.padStart(20)} {String(c).padStart(8)} |{'@'.repeat(Math.round((c / max) * bar)).padEnd(bar)}|
        </Text>
      ))}
      {lines.length === 0 && <Text dimColor>no samples</Text>}
    </Box>
  );
}
