// Colours of the dashboard, by side of the VM boundary; none at all when NO_COLOR is set.
import type { StageSide } from '../correlate/index.js';

/** True unless NO_COLOR is set (https://no-color.org). */
export const useColor = (): boolean => !process.env.NO_COLOR;

/** The colour of a side, or undefined without colour. */
export function sideColor(side: StageSide): string | undefined {
  if (!useColor()) return undefined;
  return side === 'guest' ? 'cyan' : side === 'host' ? 'magenta' : 'yellow';
}

/** The bar character of a side: distinct without colour too. */
export function sideGlyph(side: StageSide): string {
  return side === 'guest' ? '█' : side === 'host' ? '▓' : '▒';
}

/** A colour for warnings and errors, or undefined without colour. */
export function alertColor(kind: 'warning' | 'error'): string | undefined {
  if (!useColor()) return undefined;
  return kind === 'error' ? 'red' : 'yellow';
}
