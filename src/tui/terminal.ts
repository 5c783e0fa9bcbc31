// The terminal's size as the dashboard lays itself out to it, kept current as the terminal is resized.
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

/** Columns and rows of the terminal. */
export interface TerminalSize {
  columns: number;
  rows: number;
}

/** The size of Ink's stdout (80 x 24 when it does not say, as when it is not a terminal). */
function sizeOf(stdout: NodeJS.WriteStream | undefined): TerminalSize {
  return { columns: stdout?.columns || 80, rows: stdout?.rows || 24 };
}

/**
 * The terminal's size, rendering again on stdout's 'resize': Ink lays out its last frame again
 * on a resize, but a component sized from the old width would keep it until the next key or data.
 */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const resized = () => setSize(sizeOf(stdout));
    stdout.on('resize', resized);
    return () => {
      stdout.off('resize', resized);
    };
  }, [stdout]);
  return size;
}
