// `viotrace prog run OBJECT.o`: a user's BPF object attached beside the paired programs on a simulated run; what its programs did, its maps' contents, its records and printk lines.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { fileError, InputError, UsageError } from '../errors.js';
import { findHook } from '../hooks/index.js';
import { HOST_CPUS, runScenario, simKernelBtf, type ToolResult } from '../sim/index.js';
import { BtfKind as Kind, loadObject, parseBtf, readElf, type BpfObject, type Btf } from '../vm/index.js';
import { integerOption, requestsOption, seedOption } from './options.js';
import { JOB_HELP, QEMU_LOOP_HELP, scenarioRun } from './scenario-run.js';

/** Entries of a map shown at most (the rest counted). */
const SHOWN_ENTRIES = 64;

/** One map's contents as printed: non-zero entries of arrays, every entry of hashes, variables of global data. */
export interface MapContents {
  name: string;
  type: string;
  /** Entries present (hashes) or non-zero (arrays). */
  entries: number;
  shown: { key: string; value: string }[];
}

/** What `prog run` reports. */
export interface ToolRunReport {
  object: string;
  side: 'guest' | 'host';
  /** The guest's VM. */
  vm?: string;
  scenario: string;
  seed: number;
  requests: number;
  simulated_ns: number;
  programs: { name: string; hook: string; runs: number }[];
  instructions: number;
  records: number;
  lost: number;
  /** The first records, decoded as --record-struct's BTF struct, with the ring they came from. */
  first_records?: { ring: string; record: string }[];
  maps: MapContents[];
  printk: { ns: number; line: string }[];
  printk_lines: number;
}

/** The BTF of a file: an ELF object's .BTF section, or raw BTF (a vmlinux's, bpftool's output). */
function btfOfFile(file: string): Btf {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw fileError(e, file, 'read');
  }
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45) return parseBtf(bytes, file);
  const sec = readElf(bytes, file).sections.find((x) => x.name === '.BTF');
  if (!sec) throw new InputError('has no .BTF section (build it with clang -g)', file);
  return parseBtf(sec.data, file);
}

/** The object without the programs --skip names (their autoload off); a name it has no program of is a usage error. */
function withoutSkipped(o: BpfObject, skip: readonly string[] | undefined): BpfObject {
  if (!skip?.length) return o;
  const unknown = skip.find((n) => !o.programs.some((p) => p.name === n));
  if (unknown !== undefined) throw new UsageError(`--skip ${unknown}: no program of that name (it has ${o.programs.map((p) => p.name).join(', ')})`);
  const programs = o.programs.filter((p) => !skip.includes(p.name));
  if (programs.length === 0) throw new UsageError('--skip: every program skipped, nothing to run');
  return { ...o, programs, program: (name) => programs.find((p) => p.name === name) };
}

/** The side every program has a hook on; guest when both have them all (block tracepoints exist on both). */
function sideOf(o: BpfObject, asked: string | undefined, file: string): 'guest' | 'host' {
  if (asked !== undefined && asked !== 'guest' && asked !== 'host') throw new UsageError(`--side takes guest or host, not ${JSON.stringify(asked)}`);
  const fits = (side: 'guest' | 'host'): boolean => o.programs.every((p) => findHook(side, p.kind, p.attachTo) !== undefined);
  if (asked) return asked;
  if (fits('guest')) return 'guest';
  if (fits('host')) return 'host';
  const missing = o.programs.find((p) => !findHook('guest', p.kind, p.attachTo) && !findHook('host', p.kind, p.attachTo));
  if (missing) throw new InputError(`program ${missing.name}: no hook ${missing.kind} ${missing.attachTo} on either side (viotrace hooks lists them; --skip ${missing.name} leaves it unloaded, as a tool turns off autoload for what the kernel lacks)`, file);
  throw new InputError('its programs attach to hooks of both sides: load the guest and the host programs from separate objects', file);
}

/** A little-endian number of 1, 2, 4 or 8 bytes (two's complement when `signed`), else hex. */
function numberText(b: Uint8Array, signed = false): string {
  if (b.length === 0) return '';
  if (b.length === 1 || b.length === 2 || b.length === 4 || b.length === 8) {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return (signed ? BigInt.asIntN(b.length * 8, v) : v).toString();
  }
  return `0x${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

/** Elements of an array shown at most. */
const SHOWN_ELEMENTS = 16;

/**
 * Bytes as their BTF type says: integers and enums as numbers, char arrays as strings, arrays as
 * [..], structs as {member=..}, pointers in hex; without a type, numberText.
 */
function typed(btf: Btf, id: number | undefined, b: Uint8Array): string {
  const t = id === undefined ? undefined : btf.resolve(id);
  if (!t) return numberText(b);
  switch (t.kind) {
    case Kind.INT:
    case Kind.ENUM:
    case Kind.ENUM64:
      return numberText(b.subarray(0, t.size || b.length), t.kind === Kind.INT ? t.signed : t.kindFlag);
    case Kind.PTR:
      return `0x${BigInt(numberText(b.subarray(0, 8))).toString(16)}`;
    case Kind.ARRAY: {
      const elem = btf.resolve(t.elemType);
      const size = btf.sizeOf(t.elemType);
      if (elem?.kind === Kind.INT && size === 1 && /char/.test(elem.name)) {
        const end = b.indexOf(0);
        return JSON.stringify(new TextDecoder().decode(b.subarray(0, end < 0 ? b.length : end)));
      }
      const items: string[] = [];
      for (let i = 0; i < Math.min(t.nelems, SHOWN_ELEMENTS); i++) items.push(typed(btf, t.elemType, b.subarray(i * size, (i + 1) * size)));
      return `[${items.join(', ')}${t.nelems > SHOWN_ELEMENTS ? `, ... ${t.nelems - SHOWN_ELEMENTS} more` : ''}]`;
    }
    case Kind.STRUCT:
    case Kind.UNION:
      // Bitfields are shown as the bytes they sit in.
      // A record shorter than the struct (another kind of record in the same ring) shows what it has.
      return `{${t.members.filter((m) => Math.floor(m.offset / 8) < b.length).map((m) => {
        const at = Math.floor(m.offset / 8);
        const size = m.size ? Math.ceil(m.size / 8) : btf.sizeOf(m.type);
        return `${m.name || '?'}=${m.size ? numberText(b.subarray(at, at + size)) : typed(btf, m.type, b.subarray(at, at + size))}`;
      }).join(', ')}}`;
    default:
      return numberText(b);
  }
}

/** A map's contents after the run. */
function contents(m: BpfObject['maps'][number], btf: Btf): MapContents | undefined {
  const { name, map } = m;
  if (!('nextKey' in map) || !('lookup' in map)) return undefined;
  const shown: { key: string; value: string }[] = [];
  const datasec = m.valueType === undefined ? undefined : btf.type(m.valueType);
  if (datasec?.kind === Kind.DATASEC) {
    // Global data: one line per variable.
    const v = map.lookup(new Uint8Array(4)) ?? new Uint8Array(map.valueSize);
    for (const e of datasec.members) {
      const vt = btf.type(e.type);
      shown.push({ key: vt?.name ?? `+${e.offset}`, value: typed(btf, vt?.type, v.subarray(e.offset, e.offset + e.size)) });
    }
    return { name, type: map.typeName, entries: shown.length, shown };
  }
  let entries = 0;
  const array = map.typeName.includes('array');
  const perCpu = map.typeName.includes('percpu') && 'lookupPerCpu' in map;
  for (let k = map.nextKey(null); k; k = map.nextKey(k)) {
    const cpus = perCpu ? map.lookupPerCpu(k) : null;
    const v = cpus ? null : map.lookup(k);
    if (array && (cpus ? cpus.every(isZero) : !v || isZero(v))) continue;
    entries++;
    if (shown.length < SHOWN_ENTRIES) {
      const value = cpus ? cpus.map((c, cpu) => `cpu${cpu} ${typed(btf, m.valueType, c)}`).join(', ') : typed(btf, m.valueType, v ?? new Uint8Array());
      shown.push({ key: typed(btf, m.keyType, k), value });
    }
  }
  return { name, type: map.typeName, entries, shown };
}

/** A power of two as bpftrace prints a bucket's bounds: 1, 2, 4, ... 512, 1K, 2K, ... 1M, ... */
function pow2(i: number): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  return `${2 ** (i % 10)}${units[Math.floor(i / 10)] ?? `*2^${i - (i % 10)}`}`;
}

/**
 * A log2 histogram array (element i counts values in [2^i, 2^(i+1)), 0 also counting 0 and 1) as
 * bpftrace's hist() prints one: bucket bounds, count, a bar of @ scaled to the largest.
 */
export function log2Histogram(m: MapContents): string[] {
  const counts = m.shown.map((e) => [Number(e.key), Number(e.value)] as const).filter(([k, v]) => Number.isInteger(k) && Number.isFinite(v));
  if (counts.length === 0) return ['  (empty)'];
  const lo = Math.min(...counts.map(([k]) => k));
  const hi = Math.max(...counts.map(([k]) => k));
  const max = Math.max(...counts.map(([, v]) => v));
  const by = new Map(counts);
  const out: string[] = [];
  for (let i = lo; i <= hi; i++) {
    const n = by.get(i) ?? 0;
    const range = i === 0 ? '[0, 2)' : `[${pow2(i)}, ${pow2(i + 1)})`;
    out.push(`${range.padEnd(14)}${String(n).padStart(8)} |${'@'.repeat(Math.round((52 * n) / max)).padEnd(52)}|`);
  }
  return out;
}

/** The report as text; maps named in `hist` as log2 histograms. */
function text(r: ToolRunReport, hist: readonly string[] = []): string {
  const out = [
    `${r.object} on the ${r.side}${r.vm ? ` of ${r.vm}` : ''}, beside the paired programs: scenario ${r.scenario} (seed ${r.seed}), ${r.requests} requests in ${(r.simulated_ns / 1e6).toFixed(2)} ms simulated`,
    '',
    'programs:',
    ...r.programs.map((p) => `  ${p.name.padEnd(24)} ${p.hook.padEnd(48)} ${p.runs} runs`),
    `  ${r.instructions} BPF instructions in all`,
  ];
  for (const m of r.maps) {
    out.push('', `map ${m.name} (${m.type}): ${m.entries} ${m.type.includes('array') && !m.name.startsWith('.') ? 'non-zero entries' : m.name.startsWith('.') ? 'variables' : 'entries'}`);
    if (hist.includes(m.name)) {
      out.push(...log2Histogram(m));
      continue;
    }
    for (const e of m.shown) out.push(`  ${e.key.padStart(12)}: ${e.value}`);
    if (m.entries > m.shown.length) out.push(`  ... ${m.entries - m.shown.length} more`);
  }
  out.push('', `ring and perf buffers: ${r.records} records drained, ${r.lost} lost`);
  for (const f of r.first_records ?? []) out.push(`  ${f.ring}: ${f.record}`);
  if (r.printk_lines) {
    out.push('', `bpf_trace_printk: ${r.printk_lines} lines${r.printk_lines > r.printk.length ? ` (the first ${r.printk.length})` : ''}`);
    for (const p of r.printk) out.push(`  ${(p.ns / 1e9).toFixed(6)}: ${p.line}`);
  }
  return `${out.join('\n')}\n`;
}

/** Adds `viotrace prog run` to the `prog` command. */
/** A commander collector of NAME=VALUE arguments (integers, or true/false) for `option`. */
function settings(option: string): (arg: string, so: Record<string, bigint>) => Record<string, bigint> {
  return (arg, so) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(arg);
    if (!m) throw new UsageError(`${option} takes NAME=VALUE, not ${JSON.stringify(arg)}`);
    const text = m[2]!;
    let value: bigint;
    if (text === 'true' || text === 'false') value = text === 'true' ? 1n : 0n;
    else if (/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) value = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
    else throw new UsageError(`${option} ${m[1]}: ${JSON.stringify(text)} is not an integer or true/false`);
    return { ...so, [m[1]!]: value };
  };
}

/** Adds `prog run`: a user's object attached beside the paired programs on a simulated run, its maps and records reported. */
export function addProgRun(prog: Command): void {
  prog
    .command('run')
    .description("attach an object's programs beside the paired programs on a simulated run (a second tool on the machine) and show what they did: runs, maps, ring-buffer records, trace_printk lines")
    .argument('<object>', 'ELF object built by clang -target bpf')
    .option('--side <side>', 'guest or host; default: the side that has every hook its programs attach to, the guest when both do')
    .option('--vm <name>', "with the guest side: the VM whose kernel it runs in (default: the scenario's first)")
    .option('--scenario <name>', 'scenario (viotrace scenarios lists them)', 'baseline')
    .option('--job <file>', JOB_HELP)
    .option('--qemu-loop <loop>', QEMU_LOOP_HELP)
    .option('--requests <n>', 'requests to complete (default 2000)', requestsOption)
    .option('--seed <n>', 'random seed', seedOption, 1)
    .option('--printk <n>', 'trace_printk lines shown at most', integerOption('--printk', 0), 20)
    .option('--record-struct <name>', "decode the first ring-buffer records as this struct of the object's BTF")
    .option('--records <n>', 'with --record-struct: records shown', integerOption('--records', 0), 10)
    .option('--record-btf <file>', "with --record-struct: the struct from this file's BTF (an object built from the tool's header, or raw BTF) when the tool's own BTF lacks it, as a tool's user space decodes its events with its header")
    .option('--hist <map...>', 'print these array maps as log2 histograms, as bpftrace prints hist() (element i: [2^i, 2^(i+1)))')
    .option('--set <name=value...>', 'set global variables before load, as a libbpf skeleton sets rodata (const volatile options): --set targ_per_flag=1 targ_ms=true', settings('--set'), {})
    .option('--kconfig <name=value...>', "values for the object's CONFIG_* __kconfig externs (y = 1, n = 0), as libbpf reads them from the kernel's config", settings('--kconfig'), {})
    .option('--skip <program...>', "programs not to load, as a tool's user space turns off their autoload (bpf_program__set_autoload) for what it does not want or the kernel lacks: --skip block_rq_insert_btf")
    .option('--json', 'print the report as JSON')
    .action((file: string, opts: { side?: string; vm?: string; scenario: string; job?: string; qemuLoop?: string; requests?: number; seed: number; printk: number; recordStruct?: string; records: number; recordBtf?: string; hist?: string[]; set: Record<string, bigint>; kconfig: Record<string, bigint>; skip?: string[]; json?: boolean }) => {
      const { spec, requests, durationNs } = scenarioRun('prog run', { ...opts, requests: opts.requests ?? (opts.job ? undefined : 2000) });
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw fileError(e, file, 'read');
      }
      const targetBtf = simKernelBtf();
      const kconfig = Object.fromEntries(Object.entries(opts.kconfig).map(([k, v]) => [k, Number(v)]));
      const load = { targetBtf, globals: opts.set, kconfig };
      // Per-CPU maps have a slot per CPU of the machine it runs on: loaded for the host's CPUs, and
      // again for a guest with another number of vCPUs once the side is known.
      let object = withoutSkipped(loadObject(bytes, file, { possibleCpus: HOST_CPUS, ...load }), opts.skip);
      const side = sideOf(object, opts.side, file);
      const vm = opts.vm === undefined ? 0 : spec.vms.findIndex((v) => v.name === opts.vm);
      if (vm < 0) throw new UsageError(`--vm: scenario ${spec.name} has no VM ${JSON.stringify(opts.vm)} (it has ${spec.vms.map((v) => v.name).join(', ')})`);
      if (opts.vm !== undefined && side === 'host') throw new UsageError('--vm is for the guest side: the host is one');
      const cpus = side === 'guest' ? spec.vms[vm]!.vcpus : HOST_CPUS;
      if (cpus !== HOST_CPUS) object = withoutSkipped(loadObject(bytes, file, { possibleCpus: cpus, ...load }), opts.skip);
      for (const name of opts.hist ?? []) {
        const m = object.maps.find((x) => x.name === name);
        if (!m || !m.map.typeName.includes('array')) throw new UsageError(`--hist ${name}: ${m ? 'not an array map' : `no map of that name (it has ${object.maps.map((x) => x.name).join(', ')})`}`);
      }
      if (opts.recordBtf !== undefined && opts.recordStruct === undefined) throw new UsageError('--record-btf goes with --record-struct');
      const recordBtf = opts.recordBtf === undefined ? object.btf : btfOfFile(opts.recordBtf);
      const recordType = opts.recordStruct === undefined ? undefined : recordBtf.named(opts.recordStruct).find((id) => recordBtf.type(id)?.kind === Kind.STRUCT);
      if (opts.recordStruct !== undefined && recordType === undefined) throw new InputError(`its BTF has no struct ${opts.recordStruct}${opts.recordBtf === undefined ? ' (--record-btf FILE takes it from another object, built from the header that declares it)' : ''}`, opts.recordBtf ?? file);
      const first: { ring: string; record: string }[] = [];
      const printk: { ns: number; line: string }[] = [];
      let printkLines = 0;
      const result = runScenario(spec, {
        seed: opts.seed,
        ...(requests !== undefined ? { requests } : {}),
        ...(durationNs !== undefined ? { durationNs } : {}),
        tools: [{ side, vm, object, name: basename(file), ...(recordType !== undefined ? { onRecord: (bytes: Uint8Array, ring: string) => {
          if (first.length < opts.records) first.push({ ring, record: typed(recordBtf, recordType, bytes) });
        } } : {}), onPrintk: (line, ns) => {
          printkLines++;
          if (printk.length < opts.printk) printk.push({ ns, line: line.replace(/\n$/, '') });
        } }],
      });
      const tool: ToolResult = result.tools[0]!;
      const report: ToolRunReport = {
        object: basename(file), side, ...(side === 'guest' ? { vm: spec.vms[vm]!.name } : {}), scenario: spec.name, seed: opts.seed, requests: result.requests, simulated_ns: result.simulatedNs,
        programs: tool.programs, instructions: tool.instructions, records: tool.records, lost: tool.lost, ...(recordType !== undefined ? { first_records: first } : {}),
        maps: object.maps.map((m) => contents(m, object.btf)).filter((m): m is MapContents => m !== undefined),
        printk, printk_lines: printkLines,
      };
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : text(report, opts.hist));
    });
}
