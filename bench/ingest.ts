// Benchmarks of the real-capture readers: ftrace text and QEMU log lines parsed per second, from disk.
import { join } from 'node:path';
import { readFtrace, readQemuLog, type EventStream, type RawEvent } from '../src/trace/ingest/index.js';
import { repoRoot, sharedPath } from '../test/shared.js';
import type { Figure, Suite } from './harness.js';

/** Reads a stream to its end `minMs` long (after one warm-up) and returns [lines per pass, seconds per pass]. */
async function measure(open: () => EventStream<RawEvent>, minMs = 1000): Promise<[number, number]> {
  const drain = async () => {
    const s = open();
    for await (const _ of s);
    return s.stats.lines;
  };
  const lines = await drain();
  let passes = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    await drain();
    passes++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < BigInt(minMs) * 1_000_000n);
  return [lines, Number(elapsed) / 1e9 / passes];
}

/** The ingest suite (figures documented in bench/README.md). */
export const ingestSuite: Suite = {
  name: 'ingest',
  async run(): Promise<Figure[]> {
    const guest = sharedPath('traces', 'real-guest', 'randread-4k-qd8-io_uring.trace.txt');
    const [lines, sec] = await measure(() => readFtrace(guest, { source: 'guest' }));
    const qemu = join(repoRoot, 'traces', 'real', 'qd16-mixed', 'qemu-trace.log');
    const [qLines, qSec] = await measure(() => readQemuLog(qemu));
    return [
      { name: 'ingest.tracefs.lines_per_s', value: lines / sec, unit: 'lines/s' },
      { name: 'ingest.tracefs.real_guest_qd8_ms', value: sec * 1000, unit: 'ms' },
      { name: 'ingest.qemu_log.lines_per_s', value: qLines / qSec, unit: 'lines/s' },
    ];
  },
};
