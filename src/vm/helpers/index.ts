// Helper functions: the table of prototypes by real id, the call ABI, and the built-in implementations.
export { HELPERS, helperName, helperProto } from './table.js';
export type { ArgKind, HelperProto, RetKind } from './table.js';
export { DEFAULT_ENVIRONMENT, returnNumber } from './call.js';
export type { HelperCall, HelperImpl, RunEnvironment } from './call.js';
export { BUILTIN_HELPERS } from './builtin.js';
