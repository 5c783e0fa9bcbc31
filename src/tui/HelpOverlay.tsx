// The help overlay (`?`): every key the dashboard takes, in the rows and columns the terminal has.
import { Box, Text } from 'ink';
import { fit, moreLine } from './layout.js';

/** Keys and what they do, in the order shown. */
export const KEYS: readonly [string, string][] = [
  ['q, Ctrl-C', 'quit'],
  ['p', 'pause / resume'],
  ['tab', 'next view (stages, histogram, slowest)'],
  ['up / down', 'select a stage or a request'],
  ['enter', 'expand the selected request into its waterfall'],
  ['/', 'filter: vm=NAME disk=NAME queue=N op=read|write, empty clears'],
  ['s', 'sort (stages: path order / share; slowest: total / start)'],
  ['+ / -', 'replay faster / slower'],
  ['left / right', 'seek back / forward by a tenth of the trace'],
  ['?', 'this help'],
];

/**
 * The overlay in `rows` rows at most: a box with a title, the keys that fit (a line counting the
 * rest) and how to close it; with fewer than five rows, the keys alone.
 */
export function HelpOverlay({ width, rows }: { width: number; rows: number }) {
  const boxed = rows >= 5;
  // The border and padding take two rows and four columns, the title and the closing line two rows.
  const inner = Math.max(1, boxed ? width - 4 : width);
  const room = Math.max(0, boxed ? rows - 4 : rows);
  const shown = KEYS.length <= room ? KEYS.length : Math.max(0, room - 1);
  const keys = (
    <>
      {KEYS.slice(0, shown).map(([k, what]) => (
        <Text key={k} wrap="truncate-end">
          {fit(`${k.padEnd(14)} ${what}`, inner)}
        </Text>
      ))}
      {shown < KEYS.length && room > 0 && <Text dimColor>{moreLine(KEYS.length - shown, 'below', inner, 'keys (a taller window shows them)')}</Text>}
    </>
  );
  if (!boxed) return <Box flexDirection="column">{keys}</Box>;
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>keys</Text>
      {keys}
      <Text dimColor wrap="truncate-end">
        {fit('press ? or esc to close, q to quit', inner)}
      </Text>
    </Box>
  );
}
