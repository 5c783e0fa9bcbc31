// Records: the common language of the simulator, real-capture ingest, trace files and the correlator.
export * from './time.js';
export * from './topology.js';
export * from './records.js';
export * from './batch.js';
