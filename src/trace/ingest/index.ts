// Ingest of real captures: tracefs text readers and the assembly of their events into records.
export * from './ftrace.js';
export * from './guest-assembler.js';
