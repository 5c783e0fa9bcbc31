// The slowest requests, each expandable into a waterfall of its path across guest and host.
import { Box, Text } from 'ink';
import type { RequestPath } from '../correlate/index.js';
import { formatNs, placeStages, requestLabel } from '../report/index.js';
import { sideColor, sideGlyph } from './theme.js';

/** One request's stages as bars on a common time axis. */
export function Waterfall({ path, width }: { path: RequestPath; width: number }) {
  const span = Math.max(1, path.total);
  const axis = Math.max(10, width - 34);
  const rows = placeStages(path).flatMap((s) => [{ s, depth: 0 }, ...s.parts.map((p) => ({ s: p, depth: 1 }))]);
  return (
    <Box flexDirection="column" marginLeft={2}>
      {rows.map(({ s, depth }) => {
        const from = Math.floor(((s.start - path.start) / span) * axis);
        const len = Math.max(1, Math.round(((s.end - s.start) / span) * axis));
        return (
          <Text key={`${s.def.name}`}>
            {((depth ? '  ' : '') + s.def.name).padEnd(18)} {formatNs(s.end - s.start).padStart(8)} {' '.repeat(Math.min(from, axis))}
            <Text color={sideColor(s.def.side)}>{sideGlyph(s.def.side).repeat(Math.min(len, axis - Math.min(from, axis - 1)))}</Text>
          </Text>
        );
      })}
    </Box>
  );
}

/** The list; `expanded` shows the selected request's waterfall. */
export function SlowestView({ paths, selected, expanded, width, rows }: { paths: RequestPath[]; selected: number; expanded: boolean; width: number; rows: number }) {
  const start = Math.max(0, Math.min(selected - Math.floor(rows / 2), paths.length - rows));
  const shown = paths.slice(start, start + Math.max(1, rows));
  return (
    <Box flexDirection="column">
      <Text bold>{'total'.padStart(9)}  request{' '.repeat(24)}match</Text>
      {shown.map((p, i) => {
        const idx = start + i;
        return (
          <Box key={idx} flexDirection="column">
            <Text inverse={idx === selected}>
              {formatNs(p.total).padStart(9)}  {requestLabel(p).padEnd(30)} {p.match}
            </Text>
            {expanded && idx === selected && <Waterfall path={p} width={width} />}
          </Box>
        );
      })}
      {paths.length === 0 && <Text dimColor>no completed requests yet</Text>}
    </Box>
  );
}
