// Reads the kernel's tracefs text output (cat trace, trace-cmd report): one event per line, fields parsed by name.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { InputError } from '../../errors.js';

/** A field value: numbers for decimal fields, bigints for 64-bit hex identifiers, strings otherwise. */
export type FieldValue = number | bigint | string;

/** One event line of ftrace text. */
export interface FtraceEvent {
  /** Task name (comm) of the current task, e.g. "fio", "<idle>", "kworker/0:1H". */
  task: string;
  pid: number;
  cpu: number;
  /** Raw timestamp in ns (the trace clock's value; mono here), exact: parsed from the decimal text. */
  ts: bigint;
  /** Event name without its system, e.g. "block_rq_issue". */
  event: string;
  /** Fields parsed by name; the raw argument text is in `args`. */
  fields: Record<string, FieldValue>;
  args: string;
  line: number;
}

// "  fio-3669    [000] .....  4378.931596: block_bio_queue: 254,0 RA 38257904 + 64 [fio]"
// trace-cmd report: "  fio-3669  [000]  4378.931596: block_bio_queue:  ..." (no flags column).
const LINE = /^\s*(.+?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:[.a-zA-Z0-9]{4,6}\s+)?(\d+)\.(\d+):\s+(?:[\w-]+:)?([\w]+):\s?(.*)$/;

// block events with a request: "254,0 RA 32768 () 38257904 + 64 be,0,4 [fio]" (6.1 kernels lack "be,0,4").
const BLOCK_RQ = /^(\d+),(\d+) (\S*) (\d+) \((.*?)\) (\d+) \+ (\d+)(?: ([a-z]+),(\d+),(\d+))? \[(.*)\]$/;
// block_rq_complete: "254,0 RS () 48564224 + 8 be,0,4 [0]".
const BLOCK_RQ_COMPLETE = /^(\d+),(\d+) (\S*) \((.*?)\) (\d+) \+ (\d+)(?: ([a-z]+),(\d+),(\d+))? \[(-?\d+)\]$/;
// bio events: "254,0 RA 38257904 + 64 [fio]".
const BLOCK_BIO = /^(\d+),(\d+) (\S*) (\d+) \+ (\d+) \[(.*)\]$/;
// block_split: "254,0 R 100 / 200 [fio]".
const BLOCK_SPLIT = /^(\d+),(\d+) (\S*) (\d+) \/ (\d+) \[(.*)\]$/;

/** Kernel dev_t from major and minor, as tracepoints carry it (MKDEV in the kernel: major << 20 | minor). */
export function mkdev(major: number, minor: number): number {
  return major * 2 ** 20 + minor;
}

/** Parses "key value, key value ..." argument text (io_uring, kvm events) into fields. */
function keyValues(args: string, fields: Record<string, FieldValue>): void {
  const tokens = args.replace(/,/g, ' ').trim().split(/\s+/);
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const key = tokens[i];
    const raw = tokens[i + 1];
    if (!/^[a-z_][a-z0-9_]*$/i.test(key)) continue;
    if (/^0x[0-9a-f]+$/i.test(raw)) fields[key] = BigInt(raw);
    else if (/^-?\d+$/.test(raw) && raw.length < 16) fields[key] = Number(raw);
    else fields[key] = raw;
  }
}

/** Parses an event's argument text into named fields; throws on a block event that does not fit its format. */
function parseFields(event: string, args: string): Record<string, FieldValue> {
  const f: Record<string, FieldValue> = {};
  let m: RegExpExecArray | null;
  switch (event) {
    case 'block_rq_insert':
    case 'block_rq_issue':
    case 'block_rq_merge':
    case 'block_rq_requeue':
      if (!(m = BLOCK_RQ.exec(args))) throw new Error(`${event} arguments do not match "dev rwbs bytes (cmd) sector + nr [comm]"`);
      Object.assign(f, { dev: mkdev(+m[1], +m[2]), rwbs: m[3], bytes: +m[4], sector: +m[6], nr_sector: +m[7], comm: m[11] });
      return f;
    case 'block_rq_complete':
    case 'block_rq_error':
      if (!(m = BLOCK_RQ_COMPLETE.exec(args))) throw new Error(`${event} arguments do not match "dev rwbs (cmd) sector + nr [error]"`);
      Object.assign(f, { dev: mkdev(+m[1], +m[2]), rwbs: m[3], sector: +m[5], nr_sector: +m[6], error: +m[10] });
      return f;
    case 'block_bio_queue':
    case 'block_getrq':
    case 'block_bio_backmerge':
    case 'block_bio_frontmerge':
    case 'block_bio_bounce':
    case 'block_bio_complete':
      if (!(m = BLOCK_BIO.exec(args))) throw new Error(`${event} arguments do not match "dev rwbs sector + nr [comm]"`);
      Object.assign(f, { dev: mkdev(+m[1], +m[2]), rwbs: m[3], sector: +m[4], nr_sector: +m[5], comm: m[6] });
      return f;
    case 'block_split':
      if (!(m = BLOCK_SPLIT.exec(args))) throw new Error('block_split arguments do not match "dev rwbs sector / new_sector [comm]"');
      Object.assign(f, { dev: mkdev(+m[1], +m[2]), rwbs: m[3], sector: +m[4], new_sector: +m[5], comm: m[6] });
      return f;
    default:
      if (event.startsWith('io_uring_') || event.startsWith('kvm_')) keyValues(args, f);
      return f;
  }
}

/**
 * Parses one line of ftrace text. Returns undefined for comments, blank lines and lines that are
 * not events (e.g. console noise around a serial capture); throws Error with the reason for an
 * event line whose arguments do not fit its event's format.
 */
export function parseFtraceLine(text: string, line: number): FtraceEvent | undefined {
  if (text.length === 0 || text[0] === '#') return undefined;
  const m = LINE.exec(text);
  if (!m) return undefined;
  const frac = m[5].padEnd(9, '0').slice(0, 9);
  const ts = BigInt(m[4]) * 1_000_000_000n + BigInt(frac);
  const event = m[6];
  const args = m[7].trimEnd();
  return { task: m[1].trim(), pid: Number(m[2]), cpu: Number(m[3]), ts, event, args, fields: parseFields(event, args), line };
}

/** Options for reading ftrace text. */
export interface FtraceReadOptions {
  /** Skip event lines whose arguments do not parse, counting them, instead of failing. */
  lenient?: boolean;
}

/** Counts kept while reading. */
export interface FtraceReadStats {
  lines: number;
  events: number;
  skipped: number;
}

/**
 * Streams the events of an ftrace text file (gzip when it ends in .gz). Errors are InputError
 * naming file:line.
 */
export async function* readFtrace(path: string, opts: FtraceReadOptions = {}, stats: FtraceReadStats = { lines: 0, events: 0, skipped: 0 }): AsyncGenerator<FtraceEvent> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  let lineNo = 0;
  try {
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      lineNo++;
      stats.lines++;
      let ev: FtraceEvent | undefined;
      try {
        ev = parseFtraceLine(text.replace(/\r$/, ''), lineNo);
      } catch (e) {
        if (opts.lenient) {
          stats.skipped++;
          continue;
        }
        throw new InputError((e as Error).message, `${path}:${lineNo}`);
      }
      if (ev) {
        stats.events++;
        yield ev;
      }
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read: ${(e as Error).message}`, `${path}:${lineNo + 1}`);
  }
}

/** True if the text looks like ftrace output (a "# tracer:" header or an event line). */
export function looksLikeFtrace(firstLines: string[]): boolean {
  return firstLines.some((l) => l.startsWith('# tracer:') || LINE.test(l));
}
