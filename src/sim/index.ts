// The simulation's shared machinery: simulated memory laid out by BTF, one side's programs on its hooks, record decoding.
export { KERNEL_HEAP, USER_HEAP, SimMemory, StructLayout } from './memory.js';
export { SideProbes } from './probes.js';
export type { AttachedProgram, SideMemory, Task } from './probes.js';
export { RecordDecoder } from './decode.js';
export type { DecodedRecord } from './decode.js';
export { Engine } from './engine.js';
export type { TrueNs } from './engine.js';
export { Rng } from './random.js';
export { Clocks } from './clock.js';
export type { ClockRelation } from './clock.js';
export { SCENARIOS, scenario } from './scenarios.js';
export type { DeviceSpec, DiskSpec, HostSpec, JobSpec, RwMode, ScenarioSpec, VmSpec } from './spec.js';
export { HOST_CPUS, runScenario, runScenarioAsync, RECORD_STRUCTS, simKernelBtf } from './world.js';
export type { EmittedRecord, RunOptions, RunResult, ToolAttach, ToolResult, TruthRequest } from './world.js';
export type { AppOp, SimRequest, SimVirtqueue } from './request.js';
export { toTraceRecord, opOfRwbs } from './to-records.js';
export { repeatRecords, repeatShift, shiftBatch, hostSpan } from './repeat.js';
export type { RepeatShift } from './repeat.js';
