// How long the stitcher waits for records of simulated runs.
import type { StitcherOptions } from '../correlate/index.js';

/**
 * The stitcher's lag for simulated runs, the longest a QEMU request may complete before the guest
 * sees it: the simulator's slowest interrupt (host CPU contention) takes a few milliseconds.
 */
export const SIM_LAG_NS = 20_000_000;

/**
 * How far a simulated run's records may arrive behind their side's order or the other side's: the
 * simulator drains its ring buffers every simulated millisecond. Every scenario's paths are the
 * same with 1 ms as with the full lag (host-only ones aside, which are published sooner and so
 * mapped with a clock estimate a few milliseconds older); 5 ms leaves room.
 */
export const SIM_SKEW_NS = 5_000_000;

/** The stitcher's waiting for simulated runs: live, recorded, measured. */
export const SIM_STITCH_OPTIONS = { lagNs: SIM_LAG_NS, skewNs: SIM_SKEW_NS } as const satisfies StitcherOptions;
