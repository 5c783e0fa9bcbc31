// The help overlay (`?`): every key the dashboard takes.
import { Box, Text } from 'ink';

/** Keys and what they do, in the order shown. */
export const KEYS: readonly [string, string][] = [
  ['q, Ctrl-C', 'quit'],
  ['p', 'pause / resume'],
  ['tab', 'next view (stages, histogram, slowest)'],
  ['up / down', 'select a stage or a request'],
  ['enter', 'expand the selected request into its waterfall'],
  ['/', 'filter: vm=NAME disk=NAME queue=N op=read|write (empty clears)'],
  ['s', 'sort (stages: path order / share; slowest: total / start)'],
  ['+ / -', 'replay faster / slower'],
  ['left / right', 'seek back / forward by a tenth of the trace'],
  ['?', 'this help'],
];

/** The overlay. */
export function HelpOverlay() {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>keys</Text>
      {KEYS.map(([k, what]) => (
        <Text key={k}>
          {k.padEnd(14)} {what}
        </Text>
      ))}
      <Text dimColor>press ? or esc to close, q to quit</Text>
    </Box>
  );
}
