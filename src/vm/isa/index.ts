// The eBPF instruction set: opcodes, instruction encoding, assembler, disassembler, load-time encoding checks.
export * from './opcodes.js';
export { decode, encode, INSN_SIZE } from './instruction.js';
export type { Instruction } from './instruction.js';
export { assemble, assembleBytes, AsmError } from './asm.js';
export { disassemble, formatInstruction } from './disasm.js';
export type { DisasmOptions } from './disasm.js';
export { validateProgram, functionLayout, LoadError, MAX_PROGRAM_INSNS } from './validate.js';
export type { FunctionLayout, ValidateOptions } from './validate.js';
