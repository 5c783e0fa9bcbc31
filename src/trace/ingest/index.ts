// Public face of the real-capture readers: ftrace text, viotrace's bpftrace scripts' output, QEMU's log trace, and capture-lab folders, all as typed raw events.
export type { ClockDomain, EventSource, FieldValue, IngestStats, RawEvent, ReadOptions } from './event.js';
export { emptyStats, numberField, stringField } from './event.js';
export { collect, FtraceLineParser, readFtrace, readFtraceText, type FtraceOptions } from './ftrace.js';
export { eventStream, type EventStream } from './event-stream.js';
export { EventOrder, outOfOrderNote, seenOf, type OrderedEvents, type OutOfOrderStats, type Seen } from './event-order.js';
export { builtInGrammars, grammarsWith, loadFormatDir, type GrammarTable } from './ftrace-grammars.js';
export { knownFormats, type KnownFormat } from './known-formats.js';
export { compilePrintFmt, parseFormatFile, type BodyGrammar, type EventFormat } from './print-fmt.js';
export { BPFTRACE_EVENTS, BPFTRACE_MAGIC, BpftraceLineParser, looksLikeBpftrace, readBpftrace, readBpftraceText, type BpftraceDrop, type BpftraceHeader, type BpftraceOptions, type BpftraceStream } from './bpftrace.js';
export { parseQemuArgs, QemuLogLineParser, qemuEventKeys, readQemuLog, readQemuLogText, type QemuEvent, type QemuLogOptions } from './qemu-log.js';
export { fileOffsetToDeviceSector, fileRangeToDeviceRanges, parseFilefrag, type Extent, type FileExtents, type SectorRange } from './fiemap.js';
export { openCapture, realtimeToMono, type Capture, type CaptureManifest, type ClockPair } from './capture.js';
export * from './guest-assembler.js';
export * from './host-assembler.js';
export * from './capture-records.js';
