// One side's paired programs attached to the hook table: contexts built per firing, programs run in the VM, ring buffers drained.
import { InputError } from '../errors.js';
import { findHook, PT_REGS_BYTES, tracepointLayout, writePtRegs, type HookDef, type ProbeRegisters, type Side, type TracepointValues } from '../hooks/index.js';
import { contextFor, maps as vmMaps, Program, type BpfObject, type RunEnvironment } from '../vm/index.js';
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

interface Attached {
  hook: HookDef;
  program: Program;
  name: string;
}

/** The paired programs of one side, attached and run at every firing of their hooks. */
export class SideProbes {
  /** Attached programs by hook kind, then hook name (no key string built per firing). */
  private readonly byHook = new Map<string, Map<string, Attached[]>>();
  private readonly env: RunEnvironment;
  private readonly consumer = new vmMaps.RingBufConsumer();
  private readonly regs = new Uint8Array(PT_REGS_BYTES);
  private readonly regsView = new DataView(this.regs.buffer);
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
    clock: () => number,
    where: string,
    /** false: load the object but attach nothing (a baseline that measures the simulator alone). */
    attach = true,
  ) {
    this.env = {
      cpu: 0, pid: 0, tgid: 0, uid: 0, gid: 0, comm: '', ktimeNs: clock,
      readMemory: (space, lo, hi, dst, off, len) => {
        const mem = space === 'user' ? memory.user?.(this.env.tgid) : memory.kernel;
        return mem ? mem.readHalves(lo, hi, dst, off, len) : false;
      },
    };
    const mapList = object.maps.map((m) => m.map);
    for (const p of attach ? object.programs : []) {
      const hook = findHook(side, p.kind, p.attachTo);
      if (!hook) throw new InputError(`program ${p.name}: no ${side} hook ${p.kind} ${p.attachTo} (see viotrace hooks)`, where);
      let program: Program;
      try {
        program = new Program(p.insns, { maps: mapList, ctxWritable: false, verify: { ctx: contextFor(p.kind), lines: p.lines } });
      } catch (e) {
        throw new InputError(`program ${p.name}: ${(e as Error).message}`, where);
      }
      if (hook.kind === 'tracepoint') {
        const size = tracepointLayout(hook.name).fixedSize;
        if (program.verdict!.maxCtxOffset > size) throw new InputError(`program ${p.name}: reads ${hook.name} up to byte ${program.verdict!.maxCtxOffset}, but its record has ${size}`, where);
      }
      program.env = this.env;
      let ofKind = this.byHook.get(hook.kind);
      if (!ofKind) this.byHook.set(hook.kind, (ofKind = new Map()));
      ofKind.set(hook.name, [...(ofKind.get(hook.name) ?? []), { hook, program, name: p.name }]);
    }
    for (const m of object.maps) if (m.map instanceof vmMaps.RingBufMap) this.consumer.add(m.map, (data, off, size) => this.onRecord?.(data.subarray(off, off + size), m.name));
  }

  /** Whether any program is attached. */
  get attached(): boolean {
    return this.byHook.size > 0;
  }

  /** Receives each ring-buffer record as it is drained (bytes valid only during the call). */
  onRecord?: (bytes: Uint8Array, ring: string) => void;

  private run(list: Attached[], ctx: Uint8Array, view: DataView, task: Task): void {
    const env = this.env;
    env.cpu = task.cpu;
    env.pid = task.pid;
    env.tgid = task.tgid;
    env.comm = task.comm;
    for (const a of list) {
      a.program.run(ctx, view);
      this.runs++;
      this.instructions += a.program.executed;
    }
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
    writePtRegs(this.regsView, regs, kind === 'uprobe' || kind === 'uretprobe');
    this.run(list, this.regs, this.regsView, task);
  }

  /** Drains the side's ring buffers into onRecord; returns the number of records. */
  drain(): number {
    return this.consumer.consume();
  }

  /** Records lost because a ring buffer was full. */
  get lost(): number {
    return this.consumer.dropped;
  }
}
