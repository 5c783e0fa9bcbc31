// The correlator's public face: stages now; clock sync, matching and statistics as they land.
export * from './stages.js';
export * from './histogram.js';
export * from './clock.js';
export * from './path.js';
export * from './statistics.js';
export * from './slowest.js';
export * from './telescope.js';
export * from './guest-only.js';
export * from './stitch.js';
