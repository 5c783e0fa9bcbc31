// The correlator's public face: stages, clock sync, the streaming stitcher, statistics.
export * from './stages.js';
export * from './histogram.js';
export * from './clock.js';
export * from './path.js';
export * from './statistics.js';
export * from './slowest.js';
export * from './telescope.js';
export * from './guest-only.js';
export * from './stitcher.js';
export * from './stitch.js';
