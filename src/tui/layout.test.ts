// Fitting to the terminal: lists clipped to their rows keep the selection in view and count what they hide; packed fields never pass the width.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fit, listWindow, packFields } from './layout.js';

describe('listWindow', () => {
  it('fits its rows, shows the selection, and counts every hidden item on its lines', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 1, max: 30 }), (count, sel, rows) => {
        const selected = Math.min(sel, count - 1);
        const w = listWindow(count, selected, rows);
        expect(w.end - w.start + (w.above > 0 ? 1 : 0) + (w.below > 0 ? 1 : 0)).toBeLessThanOrEqual(rows);
        expect(selected).toBeGreaterThanOrEqual(w.start);
        expect(selected).toBeLessThan(w.end);
        if (rows >= 2) expect(w.above + w.below + w.end - w.start).toBe(count);
      }),
    );
  });

  it('keeps the top of the list while the selection is near it', () => {
    expect(listWindow(19, 0, 8)).toEqual({ start: 0, end: 7, above: 0, below: 12 });
    expect(listWindow(19, 18, 8)).toEqual({ start: 12, end: 19, above: 12, below: 0 });
    expect(listWindow(4, 2, 8)).toEqual({ start: 0, end: 4, above: 0, below: 0 });
  });
});

describe('packFields', () => {
  it('packs fields two spaces apart into lines no wider than asked, cutting a field wider than a line', () => {
    expect(packFields(['elapsed 1.2s', 'trace 24.55ms/24.55ms', '122343 IOPS', '477.9 MiB/s'], 50)).toEqual(['elapsed 1.2s  trace 24.55ms/24.55ms  122343 IOPS', '477.9 MiB/s']);
    expect(packFields(['a very long source name indeed'], 10)).toEqual(['a very lo…']);
    expect(fit('short', 10)).toBe('short');
  });
});
