// The benchmark harness: suites report named figures; the runner prints a table or one JSON object.

/** One measured figure, e.g. `vm.jit.alu_insn_per_s`. */
export interface Figure {
  /** Dotted name, as listed in bench/README.md and design/interface.md. */
  name: string;
  value: number;
  /** Unit shown in the table: 'insn/s', 'ops/s', 'MB', 'x', 'ms', ... */
  unit: string;
  /** What this figure was compared with in the same run, for a ratio figure. */
  baseline?: string;
}

/** A benchmark suite: a name and a function that measures and returns figures. */
export interface Suite {
  name: string;
  run(): Promise<Figure[]> | Figure[];
}

/**
 * Calls `fn` repeatedly for at least `minMs` (after one warm-up call) and returns the mean
 * wall-clock seconds per call. Each call should do a sizeable amount of work (milliseconds).
 */
export function timePerCall(fn: () => void, minMs = 500): number {
  fn();
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  const limit = BigInt(minMs) * 1_000_000n;
  do {
    fn();
    calls++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < limit);
  return Number(elapsed) / 1e9 / calls;
}

/** Formats a number for the table: 1234567 -> "1.23M". */
export function humanize(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e9) return (v / 1e9).toFixed(2) + 'G';
  if (abs >= 1e6) return (v / 1e6).toFixed(2) + 'M';
  if (abs >= 1e4) return (v / 1e3).toFixed(1) + 'k';
  if (abs >= 100) return v.toFixed(0);
  return v.toFixed(2);
}
