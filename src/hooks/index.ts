// Hooks: the one table of places programs attach (real names, kinds, contexts), and the context bytes each gets.
export { ALL_HOOKS, HOOKS, QEMU_BINARY, RAW_TRACEPOINTS, findHook, hookKey, hookKindOf, tracepointLayout } from './table.js';
export type { HookDef, HookKind, Side } from './table.js';
export { probeOfProgram } from './program-name.js';
export { attachRefusal } from './attach.js';
export { programContext } from './context.js';
export { MAX_POSITIONAL_FIELDS, TracepointLayout } from './tracepoint.js';
export type { CommonFields, PositionalEncoder, TracepointValue, TracepointValues } from './tracepoint.js';
export { ARG_REGISTERS, PT_REGS, PT_REGS_BYTES, PtRegsFrame, ptRegs, writePtRegs, writeRegisterValue, type RegisterValue } from './pt-regs.js';
export type { ProbeRegisters } from './pt-regs.js';
