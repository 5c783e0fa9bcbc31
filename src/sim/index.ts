// The simulation's shared machinery: simulated memory laid out by BTF, one side's programs on its hooks, record decoding.
export { KERNEL_HEAP, USER_HEAP, SimMemory, StructLayout } from './memory.js';
export { SideProbes } from './probes.js';
export type { SideMemory, Task } from './probes.js';
export { RecordDecoder } from './decode.js';
export type { DecodedRecord } from './decode.js';
