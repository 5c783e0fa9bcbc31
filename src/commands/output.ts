// What an output of `-` means for the commands: standard output, where a binary trace is refused on a terminal.
import { UsageError } from '../errors.js';
import { STDOUT, type TraceEncoding } from '../trace/index.js';

/** The help of --binary, for the commands that write a trace. */
export const BINARY_HELP = 'with - as the output: write the binary form (.vtb) to standard output instead of JSON Lines (refused on a terminal)';

/**
 * The encoding of a trace written to `output` with --binary given or not: undefined lets the name
 * choose (JSON Lines for `-`). --binary is only for `-`, since a file's name chooses its form and a
 * second say would contradict it; and like gzip or tar, a binary trace is not written to a terminal,
 * where it would only garble the screen.
 */
export function traceEncoding(output: string, binary: boolean | undefined): TraceEncoding | undefined {
  if (!binary) return undefined;
  if (output !== STDOUT) throw new UsageError(`--binary is for standard output (-): the name ${output} chooses its form (.vtb[.gz] is binary)`);
  if (process.stdout.isTTY) throw new UsageError('a binary trace is not written to a terminal: redirect standard output to a file or a pipe, or leave out --binary for JSON Lines');
  return 'binary';
}
