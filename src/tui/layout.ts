// Fitting the dashboard to the terminal: text cut to a width, fields packed into lines, lists clipped to rows with a count of what is hidden.

/** Marks text cut short and rows left out. */
export const ELLIPSIS = '…';

/** `text` cut to at most `width` characters, its last one an ellipsis when cut (the dashboard's text is one column a character). */
export function fit(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 0) return '';
  return text.slice(0, width - 1) + ELLIPSIS;
}

/** `text` cut to at most `width` characters from its start, keeping its end (a prompt keeps what is being typed in view). */
export function fitTail(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 0) return '';
  return ELLIPSIS + text.slice(text.length - width + 1);
}

/** Fields joined by two spaces into as few lines of at most `width` as they go, in order; a field wider than a line is cut. */
export function packFields(fields: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const f of fields.map((f) => fit(f, width))) {
    if (line && line.length + 2 + f.length <= width) line += `  ${f}`;
    else {
      if (line) lines.push(line);
      line = f;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The part of a list shown in some rows: items [start, end), the rest counted on a line above or below them. */
export interface ListWindow {
  start: number;
  end: number;
  /** Hidden items counted on a line above the shown ones (0: no such line). */
  above: number;
  /** Hidden items counted on a line below the shown ones (0: no such line). */
  below: number;
}

/**
 * Which of `count` items fit in `rows` rows with `selected` among them, lines that count the hidden
 * ones included: clipped, the list says how many are hidden below it while the selection is near
 * the top, and also above it once the selection has scrolled the list. Two rows: the selection and
 * one line counting the rest; one row: the selection alone.
 */
export function listWindow(count: number, selected: number, rows: number): ListWindow {
  const sel = Math.max(0, Math.min(selected, count - 1));
  const window = (start: number, end: number, above = start, below = count - end): ListWindow => ({ start, end, above, below });
  if (count <= rows) return window(0, count);
  if (rows <= 0) return window(0, 0, 0, 0);
  if (rows === 1) return window(sel, sel + 1, 0, 0);
  // From the top, with a line for the rest below.
  if (sel < rows - 1) return window(0, rows - 1);
  // Scrolled to the end: a line for the rest above.
  if (sel >= count - (rows - 1)) return window(count - (rows - 1), count);
  if (rows === 2) return window(sel, sel + 1, 0, count - 1);
  // In between: the selection mid-window, a line above and one below.
  const shown = rows - 2;
  const start = Math.min(Math.max(1, sel - Math.floor((shown - 1) / 2)), count - 1 - shown);
  return window(start, start + shown);
}

/** The line that says how many rows are hidden, e.g. "… 5 more", cut to `width`. */
export function moreLine(hidden: number, where: 'above' | 'below', width: number, what = ''): string {
  return fit(`${ELLIPSIS} ${hidden} more${what ? ` ${what}` : ''}${where === 'above' ? ' above' : ''}`, width);
}
