// Live capture: viotrace's paired objects loaded into the running kernel, attached to the real hooks, their records decoded into a trace.
export { capture, hookOfSection } from './capture.js';
export type { CaptureOptions, CaptureProgram, CaptureResult, CaptureSide, ProgramCounts, SkippedProgram } from './capture.js';
export { FrameReader } from './frames.js';
export type { LoaderFrame } from './frames.js';
export { LOADER_SOURCE, loaderPath } from './loader.js';
export { guestTopology, machineDisks } from './topology.js';
export type { MachineDisk } from './topology.js';
