// The slowest requests, each expandable into a waterfall of its path across guest and host, in the rows and columns the terminal has.
import { Box, Text } from 'ink';
import type { RequestPath } from '../correlate/index.js';
import { formatNs, placeStages, requestLabel } from '../report/index.js';
import { fit, moreLine, listWindow } from './layout.js';
import { sideColor, sideGlyph } from './theme.js';

/** A request's waterfall rows: its top-level stages in path order, each followed by its parts. */
function waterfallRows(path: RequestPath) {
  return placeStages(path).flatMap((s) => [{ s, depth: 0 }, ...s.parts.map((p) => ({ s: p, depth: 1 }))]);
}

/** The stage names' column of the waterfall, and the least it is cut to. */
const NAME_WIDTH = 18;
const NAME_MIN = 8;

/** One request's stages as bars on a common time axis, in `rows` rows at most (a line counts the stages left out). */
export function Waterfall({ path, width, rows }: { path: RequestPath; width: number; rows: number }) {
  const span = Math.max(1, path.total);
  // Indent 2, name, a space, duration 8, a space, the axis, one column spare.
  const name = Math.max(NAME_MIN, Math.min(NAME_WIDTH, width - 2 - 1 - 8 - 1 - 10 - 1));
  const axis = Math.max(1, width - 2 - name - 1 - 8 - 1 - 1);
  const all = waterfallRows(path);
  const win = listWindow(all.length, 0, rows);
  return (
    <Box flexDirection="column" marginLeft={2}>
      {all.slice(win.start, win.end).map(({ s, depth }) => {
        const from = Math.min(axis - 1, Math.floor(((s.start - path.start) / span) * axis));
        const len = Math.max(1, Math.round(((s.end - s.start) / span) * axis));
        return (
          <Text key={`${s.def.name}`} wrap="truncate-end">
            {fit((depth ? '  ' : '') + s.def.name, name).padEnd(name)} {formatNs(s.end - s.start).padStart(8)} {' '.repeat(from)}
            <Text color={sideColor(s.def.side)}>{sideGlyph(s.def.side).repeat(Math.min(len, axis - from))}</Text>
          </Text>
        );
      })}
      {win.below > 0 && <Text dimColor>{moreLine(win.below, 'below', width - 2, 'stages')}</Text>}
    </Box>
  );
}

/** Rows the waterfall of `path` takes when nothing is cut. */
export function waterfallHeight(path: RequestPath): number {
  return waterfallRows(path).length;
}

/**
 * The list in `rows` rows at most, the selected request among those shown and a line counting the
 * others; `expanded` shows the selected request's waterfall under it, in what the list leaves.
 */
export function SlowestView({ paths, selected, expanded, width, rows }: { paths: RequestPath[]; selected: number; expanded: boolean; width: number; rows: number }) {
  const body = Math.max(0, rows - 1);
  const open = expanded ? paths[selected] : undefined;
  // An expanded waterfall leaves the list three rows (the selection and a line each side) when it can.
  const fall = open ? Math.min(waterfallHeight(open), Math.max(0, body - Math.min(paths.length, 3))) : 0;
  const win = listWindow(paths.length, selected, body - fall);
  // total 9, two spaces, the label, a space, the match (guest_only is the longest).
  const label = Math.max(8, Math.min(30, width - 9 - 2 - 1 - 10 - 1));
  return (
    <Box flexDirection="column">
      {rows >= 1 && (
        <Text bold wrap="truncate-end">
          {fit(`${'total'.padStart(9)}  ${'request'.padEnd(label)} match`, width)}
        </Text>
      )}
      {win.above > 0 && <Text dimColor>{moreLine(win.above, 'above', width)}</Text>}
      {paths.slice(win.start, win.end).map((p, i) => {
        const idx = win.start + i;
        return (
          <Box key={idx} flexDirection="column">
            <Text inverse={idx === selected} wrap="truncate-end">
              {fit(`${formatNs(p.total).padStart(9)}  ${fit(requestLabel(p), label).padEnd(label)} ${p.match}`, width)}
            </Text>
            {open && idx === selected && fall > 0 && <Waterfall path={p} width={width} rows={fall} />}
          </Box>
        );
      })}
      {win.below > 0 && <Text dimColor>{moreLine(win.below, 'below', width)}</Text>}
      {paths.length === 0 && rows >= 2 && <Text dimColor>no completed requests yet</Text>}
    </Box>
  );
}
