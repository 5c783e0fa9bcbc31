// The trace subsystem's public face: the trace file format, its writer and reader.
export * from './format.js';
export { COLUMNS, RECORD_KINDS, type Column, type ColumnType } from './columns.js';
export { BINARY_MAGIC } from './binary.js';
export { withoutByteOrderMark } from './source.js';
export * from './writer.js';
export * from './reader.js';
export * from './ingest/index.js';
