// Reader for ftrace text: `cat trace` of the global buffer or an instance, serial-console copies of it, and `trace-cmd report`.
import { InputError } from '../../errors.js';
import { emptyStats, type ClockDomain, type EventSource, type IngestStats, type RawEvent, type ReadOptions, malformedLine } from './event.js';
import { builtInGrammars, grammarsWith, type GrammarTable } from './ftrace-grammars.js';
import { eventStream, type EventStream } from './event-stream.js';
import { readLineBatches, textLineBatches, type LineBatches, type LinesCut } from './lines.js';
import type { EventFormat } from './print-fmt.js';

/** Options of the ftrace reader. */
export interface FtraceOptions extends ReadOptions {
  /** Which machine wrote the trace. */
  source: 'guest' | 'host';
  /** Defaults to the source's mono clock (the lab and the real-guest captures use trace_clock mono). */
  clock?: ClockDomain;
  /** The kernel's own format files (tried before the built-in print fmts). */
  formats?: EventFormat[];
  /**
   * Read only between `=== NAME BEGIN ===` and `=== NAME END ===` (the lab's serial-console sections).
   * A missing BEGIN is an error; a missing END means the copy was cut: the stream's `cut`.
   */
  section?: string;
}

// TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: BODY, with trace-cmd's optional `instance:` prefix, the optional
// `(TGID)` column (options/record-tgid) and the flags column (absent in trace-cmd report and with irq-info off).
const HEADER =
  /^(?:[\w.-]+: +)?\s*(.*?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:([.a-zA-Z0-9]{4,5})\s+)?(\d+)(?:\.(\d+))?:\s+([\w:]+):\s?(.*)$/;
// Terminal junk a serial console adds: CSI sequences (colours, cursor), charset selects, resets.
const ESCAPES = /\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[@-Z\\-_])/g;
const LOST = /^CPU:\s*(\d+)\s+\[+LOST (\d+) EVENTS\]+/;
const ENTRIES = /entries-in-buffer\/entries-written: (\d+)\/(\d+)/;

/** Splits `sec.frac` into nanoseconds; a clock without a fraction (counter, x86-tsc) is taken as printed. */
function timestampNs(sec: string, frac: string | undefined): bigint {
  if (frac === undefined) return BigInt(sec);
  const f = frac.length >= 9 ? frac.slice(0, 9) : frac + '000000000'.slice(frac.length);
  return BigInt(sec) * 1_000_000_000n + BigInt(f);
}

/**
 * Parses ftrace text line by line. Keeps the stats; `parseLine` returns an event, or undefined for
 * headers, comments and (in lenient mode) malformed lines.
 */
export class FtraceLineParser {
  /** Counts so far (final once the input ends). */
  readonly stats: IngestStats = emptyStats();
  private readonly grammars: GrammarTable;
  private readonly clock: ClockDomain;
  private readonly source: EventSource;
  /** Index of the grammar that fitted last time, per event: one kernel prints one variant. */
  private readonly preferred = new Map<string, number>();

  constructor(
    private readonly file: string,
    private readonly options: FtraceOptions,
  ) {
    this.grammars = options.formats?.length ? grammarsWith(options.formats) : builtInGrammars();
    this.source = options.source;
    this.clock = options.clock ?? (options.source === 'guest' ? 'guest-mono' : 'host-mono');
  }

  /** Counts a malformed line, or throws InputError naming file:line. */
  private malformed(line: number, why: string): undefined {
    return malformedLine(this.stats, this.options, this.file, line, why);
  }

  /** Parses one line (1-based `line` for messages). */
  parseLine(raw: string, line: number): RawEvent | undefined {
    this.stats.lines++;
    let text = raw;
    if (text.includes('\r')) text = text.replace(/\r/g, '');
    if (text.includes('\x1b')) text = text.replace(ESCAPES, '');
    // First non-blank character, without allocating a trimmed copy (this runs for every line).
    let i = 0;
    while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    if (i === text.length) return undefined;
    if (text.charCodeAt(i) === 35 /* # */) {
      const m = ENTRIES.exec(text);
      if (m) this.stats.lost += Math.max(0, Number(m[2]) - Number(m[1]));
      return undefined;
    }
    const m = HEADER.exec(text);
    if (!m) {
      const lost = LOST.exec(text.trim());
      if (lost) {
        this.stats.lost += Number(lost[2]);
        return undefined;
      }
      // trace-cmd report's preamble and per-CPU notes, and ftrace's "##### CPU 1 buffer started ####".
      if (/^(cpus=\d+|version = |CPU \d+ is empty|#####)/.test(text.trim())) return undefined;
      return this.malformed(line, `not an ftrace event line: ${JSON.stringify(text.slice(0, 120))}`);
    }
    let name = m[7];
    let body = m[8];
    // trace-cmd prints trace_marker writes as the ftrace `print` event: "print: tracing_mark_write: text".
    if (name === 'print' && body.trimStart().startsWith('tracing_mark_write: ')) {
      name = 'tracing_mark_write';
      body = body.trimStart().slice('tracing_mark_write: '.length);
    } else if (name.includes(':')) {
      name = name.slice(name.lastIndexOf(':') + 1);
    }
    const event: RawEvent = {
      source: this.source,
      clock: this.clock,
      ts: timestampNs(m[5], m[6]),
      name,
      fields: {},
      task: m[1].trim(),
      pid: Number(m[2]),
      cpu: Number(m[3]),
      flags: m[4],
      known: true,
      body,
      file: this.file,
      line,
    };
    if (name === 'tracing_mark_write') {
      event.fields = { buf: body };
    } else {
      const grammars = this.grammars.get(name);
      if (!grammars) {
        event.known = false;
        this.stats.unknown++;
      } else {
        const trimmed = body.charCodeAt(0) === 32 ? body.trimStart() : body;
        const pref = this.preferred.get(name) ?? 0;
        let fields = grammars[pref]?.parse(trimmed);
        if (!fields) {
          for (let i = 0; i < grammars.length && !fields; i++) {
            if (i === pref) continue;
            fields = grammars[i].parse(trimmed);
            if (fields) this.preferred.set(name, i);
          }
        }
        if (!fields) {
          return this.malformed(
            line,
            `${name}: the text fits none of the ${grammars.length} known print fmt(s) of this event ` +
              `(pass the kernel's format files to read it): ${JSON.stringify(trimmed.slice(0, 120))}`,
          );
        }
        // Before 5.19 some kernels printed user_data in decimal: keep one spelling for the key.
        const ud = fields.user_data;
        if (typeof ud === 'number' || typeof ud === 'bigint') fields.user_data = '0x' + ud.toString(16);
        event.fields = fields;
      }
    }
    this.stats.events++;
    this.stats.byName[name] = (this.stats.byName[name] ?? 0) + 1;
    return event;
  }
}

/** Section-marker state for serial-console copies. */
class SectionGate {
  private state: 'before' | 'inside' | 'after' = 'before';
  constructor(private readonly name: string) {}
  /** True when the line is inside the section (marker lines themselves are not). */
  admit(text: string): boolean {
    if (this.state === 'after') return false;
    const t = text.includes('\r') ? text.replace(/\r/g, '').trim() : text.trim();
    if (this.state === 'before') {
      if (t === `=== ${this.name} BEGIN ===`) this.state = 'inside';
      return false;
    }
    if (t === `=== ${this.name} END ===`) {
      this.state = 'after';
      return false;
    }
    return true;
  }
  /** True once the section's END marker was read: nothing after it is read. */
  get ended(): boolean {
    return this.state === 'after';
  }

  /**
   * After `lines` lines: throws for a section that never began (not this file's section, or nothing
   * of it); returns the cut of one that never ended, at the line after the last.
   */
  finish(file: string, lines: number): LinesCut | undefined {
    if (this.state === 'before') throw new InputError(`no "=== ${this.name} BEGIN ===" marker`, file);
    if (this.state === 'after') return undefined;
    return { where: `${file}:${lines + 1}`, reason: `no "=== ${this.name} END ===" marker: the copy was cut; ${lines} complete lines were read` };
  }
}

/**
 * Parses batches of lines through the section gate, if any, counting line numbers across batches.
 * Its cut is the lines' (a gzip fault, a last line cut short), or else a section that never ended.
 */
function ftraceStream(batches: LineBatches | Iterable<string[]>, parser: FtraceLineParser, file: string, gate: SectionGate | undefined): EventStream {
  let line = 0;
  let sectionCut: LinesCut | undefined;
  const stream = eventStream(
    parser.stats,
    batches,
    (batch, out) => {
      for (const text of batch) {
        line++;
        if (gate && !gate.admit(text)) continue;
        const e = parser.parseLine(text, line);
        if (e) out.push(e);
      }
    },
    () => {
      // Lines cut short end inside the section: that cut says so, not a missing END marker as well.
      if (stream.cut === undefined) sectionCut = gate?.finish(file, line);
    },
  );
  return {
    stats: stream.stats,
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
    get cut() {
      return stream.cut ?? sectionCut;
    },
  };
}

/**
 * Reads an ftrace text file (plain or gzip) as a stream of events.
 * Example: `for await (const e of readFtrace('trace.txt', { source: 'guest' })) ...`.
 */
export function readFtrace(path: string, options: FtraceOptions): EventStream {
  const file = options.label ?? path;
  const gate = options.section ? new SectionGate(options.section) : undefined;
  // Text cut short after the section's END marker is nothing of the trace: no cut.
  const wants = (text: string): boolean => (gate!.admit(text), !gate!.ended);
  const lines = readLineBatches(path, { label: file, ...(gate ? { wants } : {}) });
  return ftraceStream(lines, new FtraceLineParser(file, options), file, gate);
}

/** The same over text already in memory (fixtures, benchmarks). */
export function readFtraceText(text: string, options: FtraceOptions & { label: string }): EventStream {
  return ftraceStream(textLineBatches(text), new FtraceLineParser(options.label, options), options.label, options.section ? new SectionGate(options.section) : undefined);
}

/** Drains a stream into an array, returning the events and the final counts. */
export async function collect<E extends RawEvent>(stream: EventStream<E>): Promise<{ events: E[]; stats: IngestStats }> {
  const events: E[] = [];
  for await (const e of stream) events.push(e);
  return { events, stats: stream.stats };
}
