// Per-stage p50/p99/max/share with a stacked bar of top-level shares: which stage dominates, at a glance.
import { Box, Text } from 'ink';
import type { StageSummary } from '../correlate/index.js';
import { formatNs } from '../report/index.js';
import { sideColor, sideGlyph } from './theme.js';

/** The stacked bar of top-level stage shares, `width` characters wide. */
export function StackedBar({ stages, width }: { stages: StageSummary[]; width: number }) {
  const top = stages.filter((s) => !s.parent && s.share > 0);
  let used = 0;
  return (
    <Text>
      {top.map((s, i) => {
        const n = i === top.length - 1 ? Math.max(0, width - used) : Math.round(s.share * width);
        used += n;
        return (
          <Text key={s.name} color={sideColor(s.side)}>
            {sideGlyph(s.side).repeat(n)}
          </Text>
        );
      })}
    </Text>
  );
}

/** The stage table; `selected` highlights a row. */
export function StageBreakdown({ stages, selected, width }: { stages: StageSummary[]; selected: number; width: number }) {
  // The columns before the bar take 62 characters; the bar gets the rest, so a row never wraps.
  const bar = Math.max(0, width - 63);
  return (
    <Box flexDirection="column">
      <StackedBar stages={stages} width={Math.max(10, width - 2)} />
      <Text bold>{'stage'.padEnd(18)} {'side'.padEnd(8)} {'p50'.padStart(8)} {'p99'.padStart(8)} {'max'.padStart(8)} {'share'.padStart(6)}</Text>
      {stages.map((s, i) => (
        <Text key={s.name} inverse={i === selected}>
          <Text color={sideColor(s.side)}>{((s.parent ? '  ' : '') + s.name).padEnd(18)}</Text> {s.side.padEnd(8)} {formatNs(s.p50_ns).padStart(8)} {formatNs(s.p99_ns).padStart(8)} {formatNs(s.max_ns).padStart(8)} {(s.share * 100).toFixed(1).padStart(5)}% <Text color={sideColor(s.side)}>{sideGlyph(s.side).repeat(Math.round(s.share * bar))}</Text>
        </Text>
      ))}
      {stages.length === 0 && <Text dimColor>no completed requests yet</Text>}
    </Box>
  );
}
