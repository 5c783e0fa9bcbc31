// Reader for the viotrace-bpftrace v1 line format that scripts/bpftrace/*.bt print (docs/bpftrace.md).
import { InputError } from '../../errors.js';
import { emptyStats, malformedLine, type FieldValue, type IngestStats, type RawEvent, type ReadOptions } from './event.js';
import { eventStream, type EventStream } from './event-stream.js';
import { readLineBatches, textLineBatches, type LineBatches } from './lines.js';

/** The first line every viotrace bpftrace script prints (after bpftrace's own "Attaching N probes..."). */
export const BPFTRACE_MAGIC = '# viotrace-bpftrace';

/** What the header line says. */
export interface BpftraceHeader {
  version: 1;
  side: 'guest' | 'host';
  /** The script that wrote the file, as it named itself. */
  script?: string;
}

/** Events the kernel ran no program for, as the capture wrapper read them off the programs' stats. */
export interface BpftraceDrop {
  /** The BPF program's name (the kernel keeps 15 characters: `block_rq_comple`). */
  program: string;
  count: number;
  /** `recursion_misses`: the event fired (in an interrupt, say) while another BPF program ran on that CPU. */
  reason: string;
}

/** The fields each event's line must carry, besides cpu, pid and comm. */
export const BPFTRACE_EVENTS: Readonly<Record<string, readonly string[]>> = {
  block_bio_queue: ['dev', 'sector', 'nr_sector', 'rwbs'],
  block_bio_backmerge: ['dev', 'sector', 'nr_sector', 'rwbs'],
  block_bio_frontmerge: ['dev', 'sector', 'nr_sector', 'rwbs'],
  block_split: ['dev', 'sector', 'new_sector', 'rwbs'],
  block_rq_insert: ['dev', 'sector', 'nr_sector', 'bytes', 'rwbs'],
  block_rq_issue: ['dev', 'sector', 'nr_sector', 'bytes', 'rwbs'],
  block_rq_complete: ['dev', 'sector', 'nr_sector', 'error', 'rwbs'],
  io_uring_create: ['fd', 'ctx', 'sq_entries', 'cq_entries', 'flags'],
  io_uring_submit_req: ['ctx', 'req', 'user_data', 'opcode', 'op_str'],
  io_uring_queue_async_work: ['ctx', 'req', 'user_data', 'opcode', 'rw', 'op_str'],
  io_uring_complete: ['ctx', 'req', 'user_data', 'res', 'cflags'],
  kvm_fast_mmio: ['gpa'],
  kvm_pio: ['rw', 'port', 'size', 'count', 'val'],
  kvm_msi_set_irq: ['address', 'data'],
  kvm_set_irq: ['gsi', 'level', 'irq_source_id'],
};

/** Options of the bpftrace reader. */
export interface BpftraceOptions extends ReadOptions {
  /** Which side the file must be; a header saying otherwise is an error. */
  side?: 'guest' | 'host';
  /**
   * How far (ns) an event may be printed after a later one. bpftrace drains one perf buffer per CPU
   * in turn, so its output is in time order per CPU only; the reader re-sorts within this window
   * (default 1 s; the shipped capture's worst was 32 µs).
   */
  reorderWindowNs?: bigint;
}

/** A stream of a bpftrace capture's events, with what its header and trailer said once read. */
export interface BpftraceStream extends EventStream {
  /** The header; set once the first event (or the end) has been read. */
  readonly header: BpftraceHeader | undefined;
  /** Programs the kernel skipped, per the wrapper's `# lost` lines. */
  readonly drops: BpftraceDrop[];
  /** Set when the file has no `# end` line (bpftrace was killed, or the copy was cut), or its lines ended early (a gzip fault, a last line cut short). */
  readonly cut: { where: string; reason: string } | undefined;
  /** Events printed after a later one (put back in time order). */
  readonly reordered: number;
}

/** A min-heap of events by (ts, arrival): releases them in time order, ties in file order. */
class TimeOrder {
  private readonly heap: { e: RawEvent; seq: number }[] = [];
  private seq = 0;
  private maxTs = -1n;
  reordered = 0;

  constructor(private readonly windowNs: bigint) {}

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!, y = this.heap[b]!;
    return x.e.ts < y.e.ts || (x.e.ts === y.e.ts && x.seq < y.seq);
  }

  push(e: RawEvent): void {
    if (e.ts < this.maxTs) this.reordered++;
    else this.maxTs = e.ts;
    const h = this.heap;
    h.push({ e, seq: this.seq++ });
    for (let i = h.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (!this.less(i, up)) break;
      [h[i], h[up]] = [h[up]!, h[i]!];
      i = up;
    }
  }

  private pop(): RawEvent {
    const h = this.heap;
    const top = h[0]!.e;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Moves out every event older than the newest by more than the window (all of them when `all`). */
  release(out: RawEvent[], all: boolean): void {
    const limit = this.maxTs - this.windowNs;
    while (this.heap.length && (all || this.heap[0]!.e.ts < limit)) out.push(this.pop());
  }
}

const DECIMAL = /^-?\d+$/;
const DEFAULT_WINDOW_NS = 1_000_000_000n;

/** A field's value: decimal integers as numbers (bigint past 2^53), the rest (hex keys, rwbs, op names) as printed. */
function value(text: string): FieldValue {
  if (!DECIMAL.test(text)) return text;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** Parses `key=value ...` of a `#` line. */
function commentFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tok of text.split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq > 0) out[tok.slice(0, eq)] = tok.slice(eq + 1);
  }
  return out;
}

/**
 * Parses the line format line by line: `TS_NS EVENT cpu=N pid=N key=value ... comm=REST`, with the
 * event named either plainly or as bpftrace's `probe` builtin prints it (`tracepoint:block:block_rq_issue`).
 */
export class BpftraceLineParser {
  readonly stats: IngestStats = emptyStats();
  header: BpftraceHeader | undefined;
  readonly drops: BpftraceDrop[] = [];
  private ended = false;
  /** A malformed line held back one line: if it turns out to be the last, the file was cut mid-line. */
  private pending: { line: number; why: string } | undefined;

  constructor(
    private readonly file: string,
    private readonly options: BpftraceOptions,
  ) {}

  /** Parses one line (1-based `line`). */
  parseLine(text: string, line: number): RawEvent | undefined {
    this.stats.lines++;
    if (this.pending) {
      const p = this.pending;
      this.pending = undefined;
      malformedLine(this.stats, this.options, this.file, p.line, p.why);
    }
    if (text.length === 0 || text.trim() === '') return undefined;
    if (text.startsWith('Attaching ')) return undefined;
    if (text.startsWith('#')) return this.comment(text, line);
    if (!this.header) throw new InputError(`not a viotrace bpftrace capture: no "${BPFTRACE_MAGIC} v1" header before the first event`, `${this.file}:${line}`);
    if (text.startsWith('Lost ')) {
      // bpftrace's own report of perf-buffer overruns: "Lost 12 events".
      const m = /^Lost (\d+) events/.exec(text);
      if (m) {
        this.stats.lost += Number(m[1]);
        return undefined;
      }
    }
    if (this.ended) return this.malformed(line, 'an event after the "# end" line');
    return this.event(text, line);
  }

  private comment(text: string, line: number): undefined {
    if (text.startsWith(BPFTRACE_MAGIC)) {
      const rest = text.slice(BPFTRACE_MAGIC.length).trim();
      const version = rest.split(/\s+/)[0];
      if (version !== 'v1') throw new InputError(`unsupported viotrace-bpftrace version ${JSON.stringify(version)} (this viotrace reads v1)`, `${this.file}:${line}`);
      const f = commentFields(rest);
      if (f.side !== 'guest' && f.side !== 'host') throw new InputError(`header needs side=guest or side=host (got ${JSON.stringify(f.side)})`, `${this.file}:${line}`);
      if (f.clock !== 'monotonic') throw new InputError(`header clock must be monotonic (bpftrace's nsecs), got ${JSON.stringify(f.clock)}`, `${this.file}:${line}`);
      if (this.options.side && f.side !== this.options.side) throw new InputError(`a ${f.side}-side capture where the ${this.options.side} side was expected`, `${this.file}:${line}`);
      if (this.header) throw new InputError('a second header: two captures in one file?', `${this.file}:${line}`);
      this.header = { version: 1, side: f.side, ...(f.script ? { script: f.script } : {}) };
      return undefined;
    }
    if (/^#\s*end\s*$/.test(text)) {
      this.ended = true;
      return undefined;
    }
    if (text.startsWith('# lost ')) {
      const f = commentFields(text.slice(7));
      const count = Number(f.count);
      if (!f.program || !Number.isSafeInteger(count) || count < 0) return this.malformed(line, 'a "# lost" line needs program=NAME count=N');
      this.drops.push({ program: f.program, count, reason: f.reason ?? 'unknown' });
      this.stats.lost += count;
    }
    return undefined;
  }

  private malformed(line: number, why: string): undefined {
    return malformedLine(this.stats, this.options, this.file, line, why);
  }

  private event(text: string, line: number): RawEvent | undefined {
    const s1 = text.indexOf(' ');
    const s2 = s1 < 0 ? -1 : text.indexOf(' ', s1 + 1);
    const stamp = s1 < 0 ? text : text.slice(0, s1);
    if (!/^\d+$/.test(stamp) || s2 < 0) {
      // Held back: a cut last line is the end of a killed capture, not a malformed one.
      this.pending = { line, why: `not an event line ("NS EVENT key=value ... comm=TASK"): ${JSON.stringify(text.slice(0, 60))}` };
      return undefined;
    }
    const probe = text.slice(s1 + 1, s2);
    const name = probe.slice(probe.lastIndexOf(':') + 1);
    const commAt = text.indexOf(' comm=', s2);
    const body = commAt < 0 ? text.slice(s2 + 1) : text.slice(s2 + 1, commAt);
    const fields: Record<string, FieldValue> = {};
    for (const tok of body.split(' ')) {
      if (tok === '') continue;
      const eq = tok.indexOf('=');
      if (eq <= 0) return this.malformed(line, `${name}: ${JSON.stringify(tok)} is not key=value`);
      fields[tok.slice(0, eq)] = value(tok.slice(eq + 1));
    }
    const cpu = fields.cpu, pid = fields.pid;
    if (typeof cpu !== 'number' || typeof pid !== 'number' || commAt < 0) {
      this.pending = { line, why: `${name}: cpu=, pid= and comm= are required` };
      return undefined;
    }
    delete fields.cpu;
    delete fields.pid;
    const need = BPFTRACE_EVENTS[name];
    if (need) {
      for (const k of need) if (!(k in fields)) return this.malformed(line, `${name}: no ${k}= field`);
    } else this.stats.unknown++;
    this.stats.events++;
    this.stats.byName[name] = (this.stats.byName[name] ?? 0) + 1;
    const source = this.header!.side;
    return {
      source,
      clock: source === 'guest' ? 'guest-mono' : 'host-mono',
      ts: BigInt(stamp),
      name,
      fields,
      task: text.slice(commAt + 6),
      pid,
      cpu,
      known: need !== undefined,
      body,
      file: this.file,
      line,
    };
  }

  /**
   * After the last line: a held-back malformed line or a missing `# end` means the capture was cut.
   * `linesCut`: the lines ended at a gzip fault, which kept any half line back, so a held-back line was whole.
   */
  finish(linesCut = false): { where: string; reason: string } | undefined {
    if (!this.header) throw new InputError(`not a viotrace bpftrace capture: no "${BPFTRACE_MAGIC} v1" header`, `${this.file}:1`);
    if (this.pending && (this.ended || linesCut)) {
      const p = this.pending;
      this.pending = undefined;
      malformedLine(this.stats, this.options, this.file, p.line, p.why);
    }
    if (this.ended) return undefined;
    return {
      where: `${this.file}:${this.stats.lines}`,
      reason: `no "# end" line: the capture was cut (bpftrace killed, or the copy ended early)${this.pending ? ', its last line incomplete' : ''}; ${this.stats.events} complete events were read`,
    };
  }
}

function bpftraceStream(batches: LineBatches | Iterable<string[]>, parser: BpftraceLineParser, windowNs: bigint): BpftraceStream {
  let line = 0;
  let cut: { where: string; reason: string } | undefined;
  const order = new TimeOrder(windowNs);
  const stream = eventStream(
    parser.stats,
    batches,
    (batch, out) => {
      for (const text of batch) {
        const e = parser.parseLine(text, ++line);
        if (e) order.push(e);
      }
      order.release(out, false);
    },
    (out) => {
      cut = parser.finish(stream.cut !== undefined);
      order.release(out, true);
    },
  );
  return {
    stats: stream.stats,
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
    get header() {
      return parser.header;
    },
    drops: parser.drops,
    // Lines cut short (a gzip fault, a half last line) explain the missing "# end" line, and place the cut at theirs.
    get cut() {
      return stream.cut ?? cut;
    },
    get reordered() {
      return order.reordered;
    },
  };
}

/** Reads a capture printed by viotrace-guest.bt or viotrace-host.bt (plain or gzip). */
export function readBpftrace(path: string, options: BpftraceOptions = {}): BpftraceStream {
  const file = options.label ?? path;
  return bpftraceStream(readLineBatches(path, { label: file }), new BpftraceLineParser(file, options), options.reorderWindowNs ?? DEFAULT_WINDOW_NS);
}

/** The same over text in memory (fixtures). */
export function readBpftraceText(text: string, options: BpftraceOptions & { label: string }): BpftraceStream {
  return bpftraceStream(textLineBatches(text), new BpftraceLineParser(options.label, options), options.reorderWindowNs ?? DEFAULT_WINDOW_NS);
}

/** True if the first lines are a viotrace bpftrace capture's. */
export function looksLikeBpftrace(lines: string[]): boolean {
  for (const l of lines) {
    if (l.trim() === '' || l.startsWith('Attaching ')) continue;
    return l.startsWith(BPFTRACE_MAGIC);
  }
  return false;
}
