// A live capture on the running kernel: the paired object loaded by the native loader, its ring-buffer records decoded as a simulated run's are.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { TraceRecord } from '../records/index.js';
import { RECORD_STRUCTS, TraceRecordDecoder } from '../sim/index.js';
import { parseBtf, readElf } from '../vm/index.js';
import { FrameReader, type LoaderFrame } from './frames.js';
import { loaderPath } from './loader.js';

/** Which side of the VM boundary a capture runs on: inside the guest, or on the host running QEMU. */
export type CaptureSide = 'guest' | 'host';

/** A program of the object and the hook its SEC name attaches it to. */
export interface CaptureProgram {
  program: string;
  /** The SEC name, e.g. "tracepoint/block/block_rq_issue". */
  section: string;
  /** The hook as trace headers name it: "block:block_rq_issue", "kprobe:virtio_queue_rq". */
  hook: string;
}

/** A program the kernel would not attach, and why. */
export interface SkippedProgram extends CaptureProgram {
  errno: number;
  reason: string;
}

/** What the kernel counted for one program over the capture. */
export interface ProgramCounts {
  program: string;
  /** Times it ran (0 when the kernel's run statistics could not be enabled). */
  runs: number;
  /** Times the kernel skipped it because another BPF program was running on that CPU. */
  recursionMisses: number;
}

/** What a capture did. */
export interface CaptureResult {
  attached: CaptureProgram[];
  skipped: SkippedProgram[];
  programs: ProgramCounts[];
  /** Records decoded and handed on. */
  records: number;
  /** Records whose kind is not one of this side's (counted, not handed on). */
  foreign: number;
  /**
   * Records the programs counted as refused by a full ring buffer (their `lost` map,
   * bpf/include/lost.h); undefined for an object that keeps no such count.
   */
  lost: number | undefined;
}

/** How to run a capture. */
export interface CaptureOptions {
  side: CaptureSide;
  /** The object to load (bpf/guest.bpf.o or bpf/host.bpf.o, or one built like them). */
  object: string;
  /** Labels guest records (the VM's name in reports). */
  vmName: string;
  /** Every ring buffer's size in bytes (a power of two, at least a page); undefined: the object's own. */
  ringBytes?: number;
  /** Each record as it is drained. */
  onRecord(record: TraceRecord): void;
  /**
   * Called once every program that can attach is attached, before any record is handed to
   * onRecord (its synchronous start is where a sink is made ready); the capture runs until the
   * promise it returns settles (a workload's end, a signal, a duration), then drains and stops.
   */
  whileAttached(attached: readonly CaptureProgram[], skipped: readonly SkippedProgram[]): Promise<unknown>;
}

/** The hook a SEC name attaches to, as trace headers name hooks. */
export function hookOfSection(section: string): string {
  const [kind, ...rest] = section.split('/');
  if (kind === 'tracepoint' || kind === 'tp') return rest.join(':');
  if (kind === 'uprobe' || kind === 'uretprobe') return `${kind}:${section.slice(section.lastIndexOf(':') + 1)}`;
  return `${kind}:${rest.join('/')}`;
}

/** Why an attach failed, for a person: the kernel's errno with what it usually means there. */
function skipReason(errno: number, section: string): string {
  const kprobe = /^k(ret)?probe\//.test(section);
  if (errno === 2 && kprobe) return 'ENOENT: the kernel has no kprobes (CONFIG_KPROBES) or no such function';
  if (errno === 2) return 'ENOENT: the kernel has no such hook';
  if (errno === 1 || errno === 13) return `${errno === 1 ? 'EPERM' : 'EACCES'}: not permitted`;
  if (errno === 22) return 'EINVAL: the kernel refused the attachment';
  return `errno ${errno}`;
}

/** The record structs each side's object emits (bpf/include/records.h). */
const SIDE_STRUCTS: Record<CaptureSide, readonly string[]> = { guest: RECORD_STRUCTS.slice(1, 3), host: RECORD_STRUCTS.slice(3) };

/**
 * Loads `opts.object` into the running kernel, attaches what attaches, and decodes every record
 * its ring buffers give until `whileAttached`'s promise settles. Throws an InputError naming the
 * object when it cannot be read, loaded or attached at all (the loader's own words).
 */
export async function capture(opts: CaptureOptions): Promise<CaptureResult> {
  const bytes = readFileSync(opts.object);
  const elf = readElf(bytes, opts.object);
  const btfSection = elf.section('.BTF');
  if (!btfSection) throw new InputError('the object has no .BTF section: its records cannot be decoded (build it with clang -g)', opts.object);
  const structs = SIDE_STRUCTS[opts.side];
  const btf = parseBtf(btfSection.data, opts.object);
  for (const s of structs) if (!btf.struct(s)) throw new InputError(`its BTF has no struct ${s}: it does not emit viotrace's ${opts.side} records (bpf/include/records.h)`, opts.object);
  const decoder = new TraceRecordDecoder(btf, structs);
  const ownKinds = new Set(structs.map((s) => RECORD_STRUCTS.indexOf(s as (typeof RECORD_STRUCTS)[number])));

  const loader = loaderPath();
  const args = [...(opts.ringBytes ? ['-r', String(opts.ringBytes)] : []), opts.object];
  const child = spawn(loader, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const result: CaptureResult = { attached: [], skipped: [], programs: [], records: 0, foreign: 0, lost: undefined };
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (stderr += s));
  let ready: () => void = () => {};
  const readyNow = new Promise<void>((resolve) => (ready = resolve));
  // Started from the READY frame itself: records can follow it in the same chunk of the stream.
  let running: Promise<unknown> | undefined;
  let ended = false;
  let failure: unknown;
  const reader = new FrameReader((f: LoaderFrame) => {
    switch (f.tag) {
      case 'attached':
        result.attached.push({ program: f.program, section: f.section, hook: hookOfSection(f.section) });
        break;
      case 'skipped':
        result.skipped.push({ program: f.program, section: f.section, hook: hookOfSection(f.section), errno: f.errno, reason: skipReason(f.errno, f.section) });
        break;
      case 'ready':
        running = opts.whileAttached(result.attached, result.skipped);
        ready();
        break;
      case 'record': {
        const kind = f.bytes.length >= 4 ? new DataView(f.bytes.buffer, f.bytes.byteOffset).getUint32(0, true) : -1;
        if (!ownKinds.has(kind)) {
          result.foreign++;
          break;
        }
        result.records++;
        opts.onRecord(decoder.decode(RECORD_STRUCTS[kind]!, f.bytes, opts.vmName));
        break;
      }
      case 'program':
        result.programs.push({ program: f.name, runs: f.runs, recursionMisses: f.recursionMisses });
        break;
      case 'lost':
        result.lost = f.count;
        break;
      case 'end':
        ended = true;
        break;
    }
  });
  child.stdout.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk);
    } catch (e) {
      failure ??= e;
      child.kill('SIGTERM');
    }
  });
  // The loader stops when its stdin closes; an error writing to it means it is gone already.
  child.stdin.on('error', () => {});
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const before = await Promise.race([readyNow.then(() => 'ready' as const), exited.then(() => 'exited' as const)]);
  if (before === 'exited') {
    const why = loaderMessage(stderr) ?? `the capture loader stopped before attaching (exit ${child.exitCode})`;
    const notRoot = process.getuid?.() !== 0 && /Operation not permitted/.test(why);
    throw new InputError(notRoot ? `${why}: a capture needs root (or CAP_BPF and CAP_PERFMON)` : why, opts.object);
  }
  try {
    await running;
  } finally {
    child.stdin.end();
  }
  const code = await exited;
  if (failure) throw failure;
  if (code !== 0 || !ended || !reader.clean) {
    throw new InputError(loaderMessage(stderr) ?? `the capture loader stopped without finishing its stream (exit ${code}); ${result.records} records were read`, opts.object);
  }
  return result;
}

/** The loader's first error line, without its "capture: " prefix. */
function loaderMessage(stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((l) => l.startsWith('capture: '));
  const main = lines.find((l) => !l.startsWith('capture: libbpf: ')) ?? lines[0];
  if (!main) return undefined;
  // libbpf's lines before the loader's verdict say why (a verifier log, a missing BTF).
  const why = lines.filter((l) => l !== main && l.startsWith('capture: libbpf: ')).map((l) => l.slice('capture: libbpf: '.length).replace(/^libbpf: /, '').trim()).filter((l) => l.length > 0);
  const text = main.slice('capture: '.length).replace(/^[^:]*\.o: /, '');
  return why.length ? `${text} (libbpf: ${why.slice(-3).join('; ')})` : text;
}
