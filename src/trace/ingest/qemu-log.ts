// Reader for QEMU's log-backend trace (`-trace events=…,file=…`): `TID@SEC.USEC:event key value …` lines.
import { emptyStats, type FieldValue, type IngestStats, type RawEvent, type ReadOptions, malformedLine } from './event.js';
import { eventStream, type EventStream } from './event-stream.js';
import { readLineBatches, textLineBatches, type LineBatches } from './lines.js';

/**
 * The QEMU events the stitching uses and the keys each must print (from QEMU 7.2's trace-events).
 * Other events are kept with `known: false` and their key/value pairs still parsed.
 */
export const qemuEventKeys: Readonly<Record<string, readonly string[]>> = {
  virtio_blk_handle_read: ['vdev', 'req', 'sector', 'nsectors'],
  virtio_blk_handle_write: ['vdev', 'req', 'sector', 'nsectors'],
  virtio_blk_submit_multireq: ['vdev', 'mrb', 'start', 'num_reqs', 'offset', 'size', 'is_write'],
  virtio_blk_rw_complete: ['vdev', 'req', 'ret'],
  virtio_blk_req_complete: ['vdev', 'req', 'status'],
  virtio_queue_notify: ['vdev', 'n', 'vq'],
  virtio_notify_irqfd: ['vdev', 'vq'],
  virtio_notify: ['vdev', 'vq'],
  blk_co_preadv: ['blk', 'bs', 'offset', 'bytes', 'flags'],
  blk_co_pwritev: ['blk', 'bs', 'offset', 'bytes', 'flags'],
  luring_init_state: ['s', 'size'],
  luring_cleanup_state: ['arg0'],
  luring_io_plug: ['LuringState'],
  luring_io_unplug: ['LuringState', 'blocked', 'plugged', 'queued', 'inflight'],
  luring_do_submit: ['LuringState', 'blocked', 'plugged', 'queued', 'inflight'],
  luring_do_submit_done: ['LuringState', 'kernel'],
  luring_co_submit: ['bs', 's', 'luringcb', 'fd', 'offset', 'nbytes', 'type'],
  luring_process_completion: ['LuringState', 'luringcb', 'ret'],
  luring_io_uring_submit: ['LuringState', 'ret'],
  luring_resubmit_short_read: ['LuringState', 'luringcb', 'nread'],
  thread_pool_submit: ['pool', 'req', 'opaque'],
  thread_pool_complete: ['pool', 'req', 'opaque', 'ret'],
  file_paio_submit: ['acb', 'opaque', 'offset', 'count', 'type'],
};

/** Options of the QEMU log reader. */
export interface QemuLogOptions extends ReadOptions {
  /**
   * Lines without `TID@time:` (QEMU run without `-msg timestamp=on`): 'error' (default) stops with a
   * message saying so; 'keep' yields them with `ts` 0 and `untimed: true`, in file order.
   */
  untimed?: 'error' | 'keep';
}

/** A QEMU event; `untimed` marks a line that carried no timestamp. */
export interface QemuEvent extends RawEvent {
  untimed?: true;
}

const TIMED = /^(\d+)@(\d+)\.(\d+):(\w+)(?: (.*))?$/;
const UNTIMED = /^([a-z][a-z0-9_]*)(?: (.*))?$/;
// With -msg timestamp=on QEMU's own messages (warnings, errors) go to the same log, prefixed by an ISO date.
const MESSAGE = /^\d{4}-\d\d-\d\dT[\d:.]+Z? |^qemu-system-/;
const KEY = /^[A-Za-z_]\w*$/;
const VALUE = /^(?:-?\d+|0x[0-9a-fA-F]+|\(nil\))$/;

/** Parses `key value key value …` (words between pairs, like "submitted to kernel 3", are skipped). */
export function parseQemuArgs(args: string): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  const tokens = args.split(' ');
  let positional = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '') continue;
    const next = tokens[i + 1];
    if (KEY.test(t) && next !== undefined && VALUE.test(next)) {
      out[t] = qemuValue(next);
      i++;
    } else if (VALUE.test(t)) {
      // A value with no key before it, e.g. luring_cleanup_state "%p freed".
      out[`arg${positional++}`] = qemuValue(t);
    }
  }
  return out;
}

/** Decimal -> number (bigint past 2^53); hex stays the printed string; glibc's "(nil)" -> "0x0". */
function qemuValue(v: string): FieldValue {
  if (v === '(nil)') return '0x0';
  if (v.startsWith('0x')) return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : BigInt(v);
}

/** Parses QEMU log lines one at a time, keeping the counts. */
export class QemuLogLineParser {
  /** Counts so far (final once the input ends). */
  readonly stats: IngestStats = emptyStats();

  constructor(
    private readonly file: string,
    private readonly options: QemuLogOptions,
  ) {}

  private malformed(line: number, why: string): undefined {
    return malformedLine(this.stats, this.options, this.file, line, why);
  }

  /** Parses one line (1-based `line` for messages). */
  parseLine(raw: string, line: number): QemuEvent | undefined {
    this.stats.lines++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return undefined;
    let pid: number | undefined;
    let ts = 0n;
    let name: string;
    let args: string;
    let untimed = false;
    const m = TIMED.exec(text);
    if (m) {
      pid = Number(m[1]);
      // SEC.USEC from gettimeofday: host CLOCK_REALTIME in microseconds.
      const frac = m[3].length >= 9 ? m[3].slice(0, 9) : m[3] + '000000000'.slice(m[3].length);
      ts = BigInt(m[2]) * 1_000_000_000n + BigInt(frac);
      name = m[4];
      args = m[5] ?? '';
    } else if (MESSAGE.test(text)) {
      return undefined;
    } else {
      const u = UNTIMED.exec(text);
      if (!u) return this.malformed(line, `not a QEMU trace line: ${JSON.stringify(text.slice(0, 120))}`);
      if ((this.options.untimed ?? 'error') === 'error') {
        return this.malformed(
          line,
          `QEMU trace line without a timestamp (run QEMU with -msg timestamp=on, or read with untimed 'keep'): ${JSON.stringify(text.slice(0, 80))}`,
        );
      }
      untimed = true;
      name = u[1];
      args = u[2] ?? '';
    }
    const fields = parseQemuArgs(args);
    const required = qemuEventKeys[name];
    const known = required !== undefined;
    if (known) {
      for (const k of required) {
        if (fields[k] === undefined) return this.malformed(line, `${name} lacks "${k}": ${JSON.stringify(text.slice(0, 120))}`);
      }
    } else this.stats.unknown++;
    const event: QemuEvent = {
      source: 'qemu',
      clock: 'host-realtime',
      ts,
      name,
      fields,
      pid,
      known,
      body: args,
      file: this.file,
      line,
    };
    if (untimed) event.untimed = true;
    this.stats.events++;
    this.stats.byName[name] = (this.stats.byName[name] ?? 0) + 1;
    return event;
  }
}

/** Parses batches of lines, counting line numbers across batches. */
function qemuStream(batches: LineBatches | Iterable<string[]>, parser: QemuLogLineParser): EventStream<QemuEvent> {
  let line = 0;
  return eventStream<QemuEvent>(parser.stats, batches, (batch, out) => {
    for (const text of batch) {
      const e = parser.parseLine(text, ++line);
      if (e) out.push(e);
    }
  });
}

/** Reads a QEMU log-backend trace file (plain or gzip) as a stream of events. */
export function readQemuLog(path: string, options: QemuLogOptions = {}): EventStream<QemuEvent> {
  const file = options.label ?? path;
  return qemuStream(readLineBatches(path, { label: file }), new QemuLogLineParser(file, options));
}

/** The same over text already in memory. */
export function readQemuLogText(text: string, options: QemuLogOptions & { label: string }): EventStream<QemuEvent> {
  return qemuStream(textLineBatches(text), new QemuLogLineParser(options.label, options));
}
