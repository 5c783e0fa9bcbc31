// Per-stage count/p50/p99/max/share with a stacked bar of top-level shares: which stage dominates, at a glance; parts under the stage they split; columns and rows fitted to the terminal.
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
  name: 'side' | 'count' | 'p50' | 'p99' | 'max' | 'share';
  width: number;
  cell: (s: StageSummary) => string;
}

const COLUMNS: readonly Column[] = [
  { name: 'side', width: 8, cell: (s) => s.side.padEnd(8) },
  { name: 'count', width: 8, cell: (s) => String(s.count).padStart(8) },
  { name: 'p50', width: 8, cell: (s) => formatNs(s.p50_ns).padStart(8) },
  { name: 'p99', width: 8, cell: (s) => formatNs(s.p99_ns).padStart(8) },
  { name: 'max', width: 8, cell: (s) => formatNs(s.max_ns).padStart(8) },
  { name: 'share', width: 6, cell: (s) => `${(s.share * 100).toFixed(1).padStart(5)}%` },
];
/**
 * Columns left out first when the terminal is narrow: the side shows in the bars' glyphs and
 * colours too; count says how many requests a part covers; p99 and share stay.
 */
const DROPPED_FIRST: readonly Column['name'][] = ['side', 'max', 'count', 'p50'];
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
 * The stage table's rows: the top-level stages (in path order, or by share), each followed by its
 * parts in the same order, so a part is read under the stage it splits; parts of a stage not
 * shown (no samples under a filter) come last.
 */
export function stageRows(stages: readonly StageSummary[], byShare: boolean): StageSummary[] {
  const order = (list: StageSummary[]) => (byShare ? list.sort((a, b) => b.share - a.share) : list);
  const top = order(stages.filter((s) => !s.parent));
  const shown = new Set(top.map((s) => s.name));
  const parts = (parent: string) => order(stages.filter((s) => s.parent === parent));
  return [...top.flatMap((s) => [s, ...parts(s.name)]), ...order(stages.filter((s) => s.parent && !shown.has(s.parent)))];
}

/**
 * Which stages' parts some of their requests lack, e.g. "notify 13359 of 20000": a request has a
 * part only when its events were recorded (a request the guest did not kick has no vm_exit), so
 * parts can add up to far less than their stage; their shares are still of all requests' time.
 */
export function partCoverage(stages: readonly StageSummary[]): string | undefined {
  const short: string[] = [];
  for (const top of stages.filter((s) => !s.parent)) {
    const counts = stages.filter((s) => s.parent === top.name).map((s) => s.count);
    if (counts.length && Math.max(...counts) < top.count) short.push(`${top.name} ${Math.max(...counts)} of ${top.count}`);
  }
  return short.length ? `parts cover only the requests with their events: ${short.join(', ')}` : undefined;
}

/**
 * The stage table in `rows` rows at most: the stacked bar (when there are four rows or more), the
 * headings, and as many stages as fit around `selected`, with a line saying how many are hidden;
 * with six rows or more, a line naming the stages whose parts cover fewer requests than they do.
 */
export function StageBreakdown({ stages, selected, width, rows }: { stages: StageSummary[]; selected: number; width: number; rows: number }) {
  const layout = stageColumns(width);
  const withBar = rows >= 4;
  const coverage = rows >= 6 ? partCoverage(stages) : undefined;
  const win = listWindow(stages.length, selected, Math.max(0, rows - (withBar ? 2 : 1) - (coverage ? 1 : 0)));
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
      {coverage && (
        <Text dimColor wrap="truncate-end">
          {fit(coverage, width)}
        </Text>
      )}
      {stages.length === 0 && rows >= 3 && <Text dimColor>no completed requests yet</Text>}
    </Box>
  );
}
