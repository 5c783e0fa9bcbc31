// viotrace's eBPF virtual machine: instruction set, programs (interpreter and JIT), memory regions, helpers, maps.
export * from './isa/index.js';
export * from './helpers/index.js';
export { Program } from './program.js';
export type { Engine, ProgramOptions } from './program.js';
export { VmError, formatAddress, CTX_REGION, STACK_REGION, MAP_DATA_REGION, MAP_HANDLE_REGION } from './memory.js';
export { DEFAULT_BUDGET } from './machine.js';
export { parseDataFile, parseHexBytes, programOf } from './conformance.js';
export type { ConformanceCase } from './conformance.js';
export * as maps from './maps/index.js';
export { readElf, EM_BPF } from './elf/index.js';
export type { ElfFile, ElfSection, ElfSymbol, ElfRelocation } from './elf/index.js';
export { Btf, Kind as BtfKind, parseBtf, parseBtfExt } from './btf/index.js';
export type { BtfType, BtfMember, CoreRelocation, LineInfo } from './btf/index.js';
export { libbpfReason, loadObject } from './object/index.js';
export type { BpfObject, BpfProgram, BpfObjectMap, LoadOptions, ProgramKind } from './object/index.js';
export { verify, verifyInSlices, contextFor, tracingContext, mapSpec, VerifierError, COMPLEXITY_LIMIT_INSNS, PERF_MAX_TRACE_SIZE, PT_REGS_SIZE } from './verifier/index.js';
export type { ContextSpec, MapSpec, TracingArg, Verdict, VerifyOptions } from './verifier/index.js';
