// One side's paired programs attached to the hook table: contexts built per firing, programs run in the VM, ring buffers drained.
import { InputError } from '../errors.js';
import {
  attachRefusal, findHook, programContext, PtRegsFrame, tracepointLayout, writeRegisterValue, type HookDef, type PositionalEncoder, type ProbeRegisters, type RegisterValue, type Side,
  type TracepointValue, type TracepointValues,
} from '../hooks/index.js';
import { libbpfReason, maps as vmMaps, Program, VerifierError, type BpfObject, type ProgramOptions, type RunEnvironment } from '../vm/index.js';
import type { Clocks } from './clock.js';
import type { SimMemory } from './memory.js';

/** The task a hook fires in: what bpf_get_current_* and bpf_get_smp_processor_id answer. */
export interface Task {
  pid: number;
  tgid: number;
  comm: string;
  cpu: number;
}

/** One side's memories: the kernel's, and (host) QEMU's user memory. */
export interface SideMemory {
  kernel?: SimMemory;
  /** The user memory of the process with this tgid (bpf_probe_read_user reads the current task's). */
  user?: (tgid: number) => SimMemory | undefined;
}

/**
 * What helpers see while a side's programs run: the task, the side's clock and its memories. One
 * class for every side, so that the JIT's calls of ktimeNs and readMemory have one target.
 */
class ProbeEnvironment implements RunEnvironment {
  cpu = 0;
  pid = 0;
  tgid = 0;
  uid = 0;
  gid = 0;
  comm = '';
  /** The side's clock at the current firing (set through SideProbes.useClock). */
  now = 0;
  /** Receives bpf_trace_printk lines (SideProbes.onPrintk). */
  printk?: (line: string) => void;

  /** Set while a run's firings are recorded: every read of simulated memory is logged too. */
  recorder: FiringRecorder | undefined = undefined;
  /** Set while recorded firings are replayed: reads answer what the recording read, in order. */
  replay: FiringReplay | undefined = undefined;

  constructor(
    private readonly memory: SideMemory,
    /** The clock the caller gave, or undefined when the sites set `now`. */
    private readonly clock: (() => number) | undefined,
  ) {}

  ktimeNs(): number {
    return this.clock === undefined ? this.now : this.clock();
  }

  readMemory(space: 'kernel' | 'user', lo: number, hi: number, dst: Uint8Array, off: number, len: number): boolean {
    if (this.replay !== undefined) return this.replay.read(dst, off, len);
    const mem = space === 'user' ? this.memory.user?.(this.tgid) : this.memory.kernel;
    const ok = mem ? mem.readHalves(lo, hi, dst, off, len) : false;
    if (this.recorder !== undefined) this.recorder.read(ok, dst, off, len);
    return ok;
  }
}

/**
 * What SideProbes tells while a run's firings are recorded (firings.ts): each firing's context and
 * task, each read of simulated memory its programs make, and each drain of its ring buffers.
 */
export interface FiringRecorder {
  firing(probes: SideProbes, list: AttachedList, ctx: Uint8Array, task: Task, now: number): void;
  read(ok: boolean, dst: Uint8Array, off: number, len: number): void;
  drained(probes: SideProbes, records: number): void;
}

/** Where a replay's programs read simulated memory from: the recording's reads, in order. */
export interface FiringReplay {
  read(dst: Uint8Array, off: number, len: number): boolean;
}

/** The programs attached at one hook, in order (what a firing runs); opaque outside this file. */
export type AttachedList = readonly Attached[];

interface Attached {
  hook: HookDef;
  /** The program's own kind (tp_btf programs attach to raw tracepoint hooks). */
  kind: string;
  program: Program;
  name: string;
  /** Times it ran. */
  runs: number;
}

/** One attached program and how often it ran (SideProbes.attachedPrograms). */
export interface AttachedProgram {
  name: string;
  /** The hook: side, kind and name, as `viotrace hooks` lists it (a tp_btf program's kind is tp_btf, on its raw tracepoint). */
  hook: string;
  runs: number;
}

/** Pages of each CPU's perf ring a tool's perf buffer opens (libbpf-tools' PERF_BUFFER_PAGES). */
const PERF_BUFFER_PAGES = 16;

/** How a side's program is loaded: read-only context, verified with its hook's context (a tp_btf program's typed by the object's kernel BTF). */
function programOptions(p: BpfObject['programs'][number], object: BpfObject, maps: ProgramOptions['maps'], where: string, side?: Side): ProgramOptions {
  const btf = object.kernelBtf;
  return { maps, ctxWritable: false, verify: { ctx: programContext(p, btf, where, side), lines: p.lines, globals: p.globals, ...(btf ? { btf } : {}) } };
}

/** The paired programs of one side, attached and run at every firing of their hooks. */
export class SideProbes {
  /** Attached programs by hook kind, then hook name (no key string built per firing). */
  private readonly byHook = new Map<string, Map<string, Attached[]>>();
  private readonly env: ProbeEnvironment;
  private readonly consumer = new vmMaps.RingBufConsumer();
  /** Perf buffers opened on the object's perf event arrays. */
  private readonly perfBuffers: InstanceType<typeof vmMaps.PerfBuffer>[] = [];
  private readonly regs = new PtRegsFrame();
  /** The clocks sites read the side's time from at a true time (useClock). */
  private clocks: Clocks | undefined;
  /** Program runs and instructions executed, for the share of time spent in the VM. */
  runs = 0;
  instructions = 0;

  /**
   * Attaches every program of `object` to its hook on `side`, verifying each as the kernel does and
   * checking that a tracepoint program reads no further than the record. Throws InputError naming
   * the program for an unknown hook or a refused program.
   */
  constructor(
    readonly side: Side,
    readonly object: BpfObject,
    memory: SideMemory,
    /** What bpf_ktime_get_ns answers; undefined: the side's clock at the firing's true time (useClock). */
    clock: (() => number) | undefined,
    where: string,
    /** false: load the object but attach nothing (a baseline that measures the simulator alone). */
    attach = true,
  ) {
    this.env = new ProbeEnvironment(memory, clock);
    const mapList = object.maps.map((m) => m.map);
    for (const p of attach ? object.programs : []) {
      const hook = findHook(side, p.kind, p.attachTo);
      if (!hook) throw new InputError(`program ${p.name}: no ${side} hook ${p.kind} ${p.attachTo} (see viotrace hooks)`, where);
      let program: Program;
      try {
        program = new Program(p.insns, programOptions(p, object, mapList, where, side));
      } catch (e) {
        throw new InputError(`program ${p.name}: ${e instanceof VerifierError ? `insn ${e.pc}: ${libbpfReason(p, e.pc, e.reason)}` : (e as Error).message}`, where);
      }
      const refusal = attachRefusal(hook, program.verdict!.maxCtxOffset);
      if (refusal) throw new InputError(`program ${p.name}: ${refusal}`, where);
      program.env = this.env;
      // fentry programs run where their function's kprobe fires, on the arguments instead of pt_regs; fexit ones where it returns.
      const key = p.kind === 'fentry' || p.kind === 'fexit' ? p.kind : hook.kind;
      let ofKind = this.byHook.get(key);
      if (!ofKind) this.byHook.set(key, (ofKind = new Map()));
      ofKind.set(hook.name, [...(ofKind.get(hook.name) ?? []), { hook, kind: p.kind, program, name: p.name, runs: 0 }]);
    }
    /** Hands a record of map `name` (ring buffer or perf buffer) to whichever receiver is set. */
    const deliver = (name: string) => (data: Uint8Array, off: number, size: number): void => {
      if (this.onRecordAt) this.onRecordAt(data, off, size, name);
      else this.onRecord?.(data.subarray(off, off + size), name);
    };
    for (const m of object.maps) if (m.map instanceof vmMaps.RingBufMap) this.consumer.add(m.map, deliver(m.name));
    // A tool's perf event array gets what its user space opens on it: a perf buffer on every CPU
    // (libbpf-tools' PERF_BUFFER_PAGES), read when the ring buffers are.
    for (const m of attach ? object.maps : []) {
      if (m.map instanceof vmMaps.PerfEventArrayMap) {
        const onSample = deliver(m.name);
        this.perfBuffers.push(new vmMaps.PerfBuffer(m.map, PERF_BUFFER_PAGES, (_cpu, data, off, size) => onSample(data, off, size)));
      }
    }
  }

  /**
   * Verifies the programs of `object` as the constructor will, a slice at a time with the event
   * loop let run in between, so that attaching them after does not hold it for the verifier (a
   * user's object with long bounded loops can take seconds, while a dashboard waits to draw).
   * `stop`, asked between slices, gives up; resolves false then.
   */
  static async prepare(object: BpfObject, stop?: () => boolean): Promise<boolean> {
    const mapList = object.maps.map((m) => m.map);
    for (const p of object.programs) {
      let opts: ProgramOptions;
      try {
        opts = programOptions(p, object, mapList, '');
      } catch {
        // Attaching reports it.
        continue;
      }
      if (!(await Program.verifyAhead(p.insns, opts, stop))) return false;
    }
    return true;
  }

  /**
   * Sites fire at a true time: with `clocks`, the side's clock (what bpf_ktime_get_ns reads when
   * the constructor was given no clock) is set from it as each site fires. The string-named
   * `tracepoint` and `probe` leave it alone.
   */
  useClock(clocks: Clocks): void {
    this.clocks = clocks;
  }

  /** Sets the side's clock for a firing at true time t (sites call it). */
  atTime(t: number): void {
    const c = this.clocks;
    if (c !== undefined) this.env.now = this.side === 'guest' ? c.guest(t) : c.host(t);
  }

  /** Whether any program is attached. */
  get attached(): boolean {
    return this.byHook.size > 0;
  }

  /** Receives each ring-buffer record as it is drained (bytes valid only during the call). */
  onRecord?: (bytes: Uint8Array, ring: string) => void;

  /**
   * Receives each record as `size` bytes at `data[off]` instead (valid only during the call), so
   * that a consumer that only counts records needs no view of each; set, it replaces onRecord.
   */
  onRecordAt?: (data: Uint8Array, off: number, size: number, ring: string) => void;

  /** Set while the run's firings are recorded (firings.ts): each firing and drain is told to it. */
  private recorder: FiringRecorder | undefined = undefined;

  /** Records every firing, memory read and drain of this side into `recorder` from now on (undefined: stop). */
  recordInto(recorder: FiringRecorder | undefined): void {
    this.recorder = recorder;
    this.env.recorder = recorder;
  }

  /**
   * These probes' programs at the hook where `recorded` runs on another SideProbes loaded from the
   * same object (a replay runs a recording's firings on a fresh load); throws when there are none.
   */
  listLike(recorded: AttachedList): AttachedList {
    const a = recorded[0]!;
    const key = a.kind === 'fentry' || a.kind === 'fexit' ? a.kind : a.hook.kind;
    const list = this.byHook.get(key)?.get(a.hook.name);
    if (!list || list.length !== recorded.length) throw new Error(`replay: no programs at ${key} ${a.hook.name} like the recording's`);
    return list;
  }

  /** Answers the programs' memory reads from `reads` (a replay) instead of simulated memory; undefined: from memory again. */
  readFrom(reads: FiringReplay | undefined): void {
    this.env.replay = reads;
  }

  /** Sets the side's clock as a recorded firing saw it (a replay). */
  atNs(now: number): void {
    this.env.now = now;
  }

  /** Runs `list` on a context, in `task`. */
  run(list: readonly Attached[], ctx: Uint8Array, view: DataView, task: Task): void {
    const env = this.env;
    if (this.recorder !== undefined) this.recorder.firing(this, list, ctx, task, env.now);
    env.cpu = task.cpu;
    env.pid = task.pid;
    env.tgid = task.tgid;
    env.comm = task.comm;
    let executed = 0;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      a.program.run(ctx, view);
      executed += a.program.executed;
      a.runs++;
    }
    this.runs += list.length;
    this.instructions += executed;
  }

  /** Fires a tracepoint: the record is encoded from its format file, then every attached program runs on it. */
  tracepoint(name: string, values: TracepointValues, task: Task): void {
    const list = this.byHook.get('tracepoint')?.get(name);
    if (!list) return;
    const layout = tracepointLayout(name);
    this.run(list, layout.encode(values, { pid: task.pid }), layout.view, task);
  }

  /** Fires a kprobe/kretprobe/uprobe/uretprobe with the call's arguments or return value in pt_regs. */
  probe(kind: 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe', name: string, regs: ProbeRegisters, task: Task): void {
    const list = this.byHook.get(kind)?.get(name);
    if (!list) return;
    this.regs.write(regs, kind === 'uprobe' || kind === 'uretprobe');
    this.run(list, this.regs.bytes, this.regs.view, task);
  }

  /**
   * The firing point of tracepoint `name` for values given in `fields` order, resolved once; undefined
   * when no program is attached there (so a caller skips building the values too).
   */
  tracepointSite(name: string, fields: readonly string[]): TracepointSite | undefined {
    const list = this.byHook.get('tracepoint')?.get(name);
    return list ? new TracepointSite(this, list, tracepointLayout(name).encoder(fields)) : undefined;
  }

  /**
   * The firing point of a probe with `argc` arguments (entry probes) or its return value (return
   * probes), resolved once; undefined when no program is attached there.
   */
  probeSite(kind: 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe', name: string, argc = 0): ProbeSite | undefined {
    const list = this.byHook.get(kind)?.get(name);
    // A kprobe's function is where fentry programs on it run too.
    const fentry = kind === 'kprobe' ? this.byHook.get('fentry')?.get(name) : undefined;
    if (!list && !fentry) return undefined;
    const user = kind === 'uprobe' || kind === 'uretprobe';
    return new ProbeSite(this, list ?? [], this.regs, user, kind === 'kretprobe' || kind === 'uretprobe' ? -1 : argc, fentry && new FentrySite(this, fentry, argc));
  }

  /**
   * The return point of kernel function `name` with `argc` arguments, for fexit programs (the
   * arguments, then the return value, as u64s), resolved once; undefined when none is attached.
   */
  fexitSite(name: string, argc: number): FexitSite | undefined {
    const list = this.byHook.get('fexit')?.get(name);
    return list ? new FexitSite(this, list, argc) : undefined;
  }

  /**
   * The firing point of raw tracepoint `event` (its TP_PROTO arguments as u64s), resolved once;
   * undefined when no program is attached there.
   */
  rawTracepointSite(event: string): RawTracepointSite | undefined {
    const list = this.byHook.get('raw_tracepoint')?.get(event);
    return list ? new RawTracepointSite(this, list, list[0]!.hook.args!.length) : undefined;
  }

  /** The side's clock as the programs read it now (bpf_ktime_get_ns). */
  get clockNs(): number {
    return this.env.ktimeNs();
  }

  /** Receives each bpf_trace_printk line the programs print. */
  set onPrintk(sink: ((line: string) => void) | undefined) {
    this.env.printk = sink;
  }

  /** The attached programs, in the order they were attached, with their run counts. */
  attachedPrograms(): AttachedProgram[] {
    const out: AttachedProgram[] = [];
    for (const byName of this.byHook.values()) for (const list of byName.values()) for (const a of list) out.push({ name: a.name, hook: `${a.hook.side} ${a.kind} ${a.hook.name}`, runs: a.runs });
    return out;
  }

  /** Drains the side's ring buffers and perf buffers into onRecord; returns the number of records. */
  drain(): number {
    let n = this.consumer.consume();
    for (const b of this.perfBuffers) n += b.consume();
    if (this.recorder !== undefined) this.recorder.drained(this, n);
    return n;
  }

  /**
   * What the programs themselves counted as lost: their `lost` map (bpf/include/lost.h), one for
   * each record a full ring buffer refused; undefined for an object without that map. On a real
   * kernel it is the only count there is (the kernel keeps none), so the simulator keeps it too.
   */
  get lostCounted(): number | undefined {
    const m = this.object.maps.find((x) => x.name === 'lost')?.map;
    if (!(m instanceof vmMaps.ArrayMap) || m.valueSize !== 8) return undefined;
    const v = m.lookup(new Uint8Array(4));
    return v ? Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true)) : undefined;
  }

  /** Records lost because a ring buffer or a CPU's perf ring was full. */
  get lost(): number {
    let n = this.consumer.dropped;
    for (const b of this.perfBuffers) n += b.lost;
    return n;
  }
}

/** A tracepoint's programs and record encoder, resolved once (SideProbes.tracepointSite). */
export class TracepointSite {
  constructor(
    private readonly probes: SideProbes,
    private readonly list: readonly Attached[],
    private readonly encode: PositionalEncoder,
  ) {}

  /** Another object's site on the same hook (a tool attached beside the paired programs), fired after this one. */
  also: TracepointSite | undefined = undefined;

  /** Fires at true time t in `task`, with the values of the site's fields in order. */
  fire(t: number, task: Task, a?: TracepointValue, b?: TracepointValue, c?: TracepointValue, d?: TracepointValue, e?: TracepointValue, f?: TracepointValue, g?: TracepointValue, h?: TracepointValue): void {
    this.probes.atTime(t);
    const out = this.encode(task.pid, a, b, c, d, e, f, g, h);
    this.probes.run(this.list, out, this.encode.view, task);
    if (this.also !== undefined) this.also.fire(t, task, a, b, c, d, e, f, g, h);
  }
}

/** A probe's programs, resolved once (SideProbes.probeSite): entry probes take their arguments, return probes their value. */
export class ProbeSite {
  constructor(
    private readonly probes: SideProbes,
    private readonly list: readonly Attached[],
    private readonly regs: PtRegsFrame,
    private readonly user: boolean,
    /** Arguments an entry hit sets; -1 for a return probe. */
    private readonly argc: number,
    /** fentry programs on the function: they get its arguments as u64s. */
    private readonly fentry?: FentrySite,
  ) {}

  /** Another object's site on the same hook (a tool attached beside the paired programs), fired after this one. */
  also: ProbeSite | undefined = undefined;

  /** Fires at true time t in `task`: the arguments (entry) or the return value in `a` (return). */
  fire(t: number, task: Task, a?: RegisterValue, b?: RegisterValue, c?: RegisterValue, d?: RegisterValue, e?: RegisterValue, f?: RegisterValue): void {
    this.probes.atTime(t);
    if (this.list.length > 0) {
      if (this.argc < 0) this.regs.ret(this.user, a!);
      else this.regs.args(this.user, this.argc, a, b, c, d, e, f);
      this.probes.run(this.list, this.regs.bytes, this.regs.view, task);
    }
    this.fentry?.fire(task, a, b, c, d, e, f);
    if (this.also !== undefined) this.also.fire(t, task, a, b, c, d, e, f);
  }
}

/** A site whose programs get their context as u64 slots (raw tracepoints, fentry, fexit): the slots' buffer, reused every firing. */
abstract class U64Site {
  protected readonly bytes: Uint8Array;
  protected readonly view: DataView;

  constructor(
    protected readonly probes: SideProbes,
    protected readonly list: readonly Attached[],
    /** How many arguments the tracepoint or function passes. */
    protected readonly argc: number,
    slots: number,
  ) {
    this.bytes = new Uint8Array(slots * 8);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Writes the first `argc` of the arguments into their slots (missing ones as 0). */
  protected put(a?: RegisterValue, b?: RegisterValue, c?: RegisterValue, d?: RegisterValue, e?: RegisterValue, f?: RegisterValue): void {
    const n = this.argc;
    const v = this.view;
    if (n > 0) writeRegisterValue(v, 0, a ?? 0);
    if (n > 1) writeRegisterValue(v, 8, b ?? 0);
    if (n > 2) writeRegisterValue(v, 16, c ?? 0);
    if (n > 3) writeRegisterValue(v, 24, d ?? 0);
    if (n > 4) writeRegisterValue(v, 32, e ?? 0);
    if (n > 5) writeRegisterValue(v, 40, f ?? 0);
  }
}

/** A kernel function's fentry programs, run from its kprobe's site (ProbeSite) at the same firing: the arguments as u64s. */
class FentrySite extends U64Site {
  constructor(probes: SideProbes, list: readonly Attached[], argc: number) {
    super(probes, list, argc, argc);
  }

  /** Runs the programs in `task` on the arguments (the site has set the time). */
  fire(task: Task, a?: RegisterValue, b?: RegisterValue, c?: RegisterValue, d?: RegisterValue, e?: RegisterValue, f?: RegisterValue): void {
    this.put(a, b, c, d, e, f);
    this.probes.run(this.list, this.bytes, this.view, task);
  }
}

/** A raw tracepoint's programs, resolved once (SideProbes.rawTracepointSite): the context is the TP_PROTO arguments as u64s. */
export class RawTracepointSite extends U64Site {
  constructor(probes: SideProbes, list: readonly Attached[], argc: number) {
    super(probes, list, argc, argc);
  }

  /** Another object's site on the same hook (a tool attached beside the paired programs), fired after this one. */
  also: RawTracepointSite | undefined = undefined;

  /** Fires at true time t in `task` with the tracepoint's arguments in order. */
  fire(t: number, task: Task, a: RegisterValue, b?: RegisterValue, c?: RegisterValue, d?: RegisterValue, e?: RegisterValue): void {
    this.probes.atTime(t);
    this.put(a, b, c, d, e);
    this.probes.run(this.list, this.bytes, this.view, task);
    if (this.also !== undefined) this.also.fire(t, task, a, b, c, d, e);
  }
}

/** A kernel function's return point for fexit programs (SideProbes.fexitSite): its arguments, then the value it returns, as u64s. */
export class FexitSite extends U64Site {
  constructor(probes: SideProbes, list: readonly Attached[], argc: number) {
    super(probes, list, argc, argc + 1);
  }

  /** Another object's site on the same function (a tool attached beside others), fired after this one. */
  also: FexitSite | undefined = undefined;

  /** Fires at true time t in `task` as the function returns `ret`, called with arguments a, b, ... */
  fire(t: number, task: Task, ret: RegisterValue, a?: RegisterValue, b?: RegisterValue, c?: RegisterValue, d?: RegisterValue, e?: RegisterValue, f?: RegisterValue): void {
    this.probes.atTime(t);
    this.put(a, b, c, d, e, f);
    writeRegisterValue(this.view, this.argc * 8, ret);
    this.probes.run(this.list, this.bytes, this.view, task);
    if (this.also !== undefined) this.also.fire(t, task, ret, a, b, c, d, e, f);
  }
}
