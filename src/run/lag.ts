// How long the stitcher waits for records of simulated runs.

/**
 * The stitcher's lag for simulated runs: the simulator drains ring buffers every simulated
 * millisecond, and its slowest interrupt (host CPU contention) takes a few milliseconds.
 */
export const SIM_LAG_NS = 20_000_000;
