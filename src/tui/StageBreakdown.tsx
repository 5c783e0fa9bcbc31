// Per-stage p50/p99/max/share with a stacked bar of top-level shares: which stage dominates, at a glance; columns and rows fitted to the terminal.
import { Box, Text } from 'ink';
import type { StageSummary } from '../correlate/index.js';
import { formatNs } from '../report/index.js';
import { fit, listWindow, moreLine } from './layout.js';
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

/** A column of the stage table after the stage's name: its heading, width, and cell. */
interface Column {
  name: 'side' | 'p50' | 'p99' | 'max' | 'share';
  width: number;
  cell: (s: StageSummary) => string;
}

const COLUMNS: readonly Column[] = [
  { name: 'side', width: 8, cell: (s) => s.side.padEnd(8) },
  { name: 'p50', width: 8, cell: (s) => formatNs(s.p50_ns).padStart(8) },
  { name: 'p99', width: 8, cell: (s) => formatNs(s.p99_ns).padStart(8) },
  { name: 'max', width: 8, cell: (s) => formatNs(s.max_ns).padStart(8) },
  { name: 'share', width: 6, cell: (s) => `${(s.share * 100).toFixed(1).padStart(5)}%` },
];
/** Columns left out first when the terminal is narrow: the side shows in the bars' glyphs and colours too; p99 and share stay. */
const DROPPED_FIRST: readonly Column['name'][] = ['side', 'max', 'p50'];
/** The stage names' column, and the least it is cut to (a part's name is indented by two). */
const NAME_WIDTH = 18;
const NAME_MIN = 10;

/** The stage table's layout at a width: the name column's width, the columns shown, and what is left for each row's bar. */
export function stageColumns(width: number): { name: number; columns: Column[]; bar: number } {
  let columns = [...COLUMNS];
  const used = (name: number) => name + columns.reduce((n, c) => n + 1 + c.width, 0);
  for (const drop of DROPPED_FIRST) {
    if (used(NAME_WIDTH) <= width) break;
    columns = columns.filter((c) => c.name !== drop);
  }
  const name = Math.max(NAME_MIN, Math.min(NAME_WIDTH, width - used(0)));
  // A space before the bar and one spare column, so a row never reaches the terminal's edge.
  return { name, columns, bar: Math.max(0, width - used(name) - 2) };
}

/**
 * The stage table in `rows` rows at most: the stacked bar (when there are four rows or more), the
 * headings, and as many stages as fit around `selected`, with a line saying how many are hidden.
 */
export function StageBreakdown({ stages, selected, width, rows }: { stages: StageSummary[]; selected: number; width: number; rows: number }) {
  const layout = stageColumns(width);
  const withBar = rows >= 4;
  const win = listWindow(stages.length, selected, Math.max(0, rows - (withBar ? 2 : 1)));
  const heading = ['stage'.padEnd(layout.name), ...layout.columns.map((c) => (c.name === 'side' ? c.name.padEnd(c.width) : c.name.padStart(c.width)))].join(' ');
  return (
    <Box flexDirection="column">
      {withBar && <StackedBar stages={stages} width={Math.max(1, width - 2)} />}
      {rows >= 2 && (
        <Text bold wrap="truncate-end">
          {fit(heading, width)}
        </Text>
      )}
      {win.above > 0 && <Text dimColor>{moreLine(win.above, 'above', width)}</Text>}
      {stages.slice(win.start, win.end).map((s, i) => (
        <Text key={s.name} inverse={win.start + i === selected} wrap="truncate-end">
          <Text color={sideColor(s.side)}>{fit((s.parent ? '  ' : '') + s.name, layout.name).padEnd(layout.name)}</Text>
          {layout.columns.map((c) => ` ${c.cell(s)}`).join('')}{' '}
          <Text color={sideColor(s.side)}>{sideGlyph(s.side).repeat(Math.round(s.share * layout.bar))}</Text>
        </Text>
      ))}
      {win.below > 0 && <Text dimColor>{moreLine(win.below, 'below', width)}</Text>}
      {stages.length === 0 && rows >= 3 && <Text dimColor>no completed requests yet</Text>}
    </Box>
  );
}
