// Human formatting of nanosecond figures for text output.

/** 1234 -> "1.23us", 1234567 -> "1.23ms"; integers below 1000 as ns. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  const a = Math.abs(ns);
  if (a >= 1e9) return (ns / 1e9).toFixed(2) + 's';
  if (a >= 1e6) return (ns / 1e6).toFixed(2) + 'ms';
  if (a >= 1e3) return (ns / 1e3).toFixed(1) + 'us';
  return Math.round(ns) + 'ns';
}
