// The verifier's walk: symbolic execution of every path with register types and bounds, pruned by covering states.
import { formatInstruction } from '../isa/disasm.js';
import { codeAddressTarget } from '../isa/validate.js';
import type { Instruction } from '../isa/instruction.js';
import { AluOp, AtomicOp, CallSrc, Class, Imm64Src, JmpOp, MAX_CALL_FRAMES, Mode, Size, Source, sizeBytes } from '../isa/opcodes.js';
import { BPF_LOOP_HELPER, helperName, helperProto } from '../helpers/table.js';
import { analyzeControlFlow, CfgError, type ControlFlow } from './cfg.js';
import { callbackWidening, stackPrecision } from './precision.js';
import { checkHelperCall } from './helper-call.js';
import { helperMemory, readMemory, writeMemory, type AccessEnv } from './access.js';
import {
  alu32Scalar, aluScalar, branchOutcome, constScalar, endScalar, forkedScalars, isConst, isConst32, linkedValue, mov32, negScalar, pointerOffset, toS64,
  loadedScalar, refineBranch, regWidth, S64_MIN, sext, sext32, unknownScalar, type CompareOp, type Scalar,
} from './scalar.js';
import {
  copyState, fixedOffset, formatReg, formatRegs, isNull, isPointer, mayBeNull, newFrame, notInit, pointerReg, regEqual, scalarReg, Slot, STACK_BYTES, stateCovers,
  varMin, type Checkpoint, type Reg, type State,
} from './state.js';
import { COMPLEXITY_LIMIT_INSNS, VerifierError, type GlobalFunction, type Verdict, type VerifyOptions } from './spec.js';

/** BPF_COMPLEXITY_LIMIT_JMP_SEQ: pending branches at once. */
const JMP_SEQ_LIMIT = 8192;
/** Checkpoints kept per instruction; the oldest finished one goes first (a bound on memory the kernel does not have). */
const CHECKPOINTS_PER_INSN = 64;
/**
 * A checkpoint that missed more than MISS_RATIO times its hits, plus MISS_RATIO, leaves its
 * instruction's list, as the kernel's is_state_visited() drops states unlikely to prune (n = 3).
 * Kept, a loop's checkpoints would be compared on every later iteration and the walk grow with the
 * square of the iterations (a 2,000,000-iteration loop never ended).
 */
const MISS_RATIO = 3;
/** The same for a bpf_loop call's checkpoint still being explored (the kernel's 64 for forced checkpoints). */
const LOOP_MISS_RATIO = 64;
const unlikelyToPrune = (cp: Checkpoint, ratio: number): boolean => cp.misses > cp.hits * ratio + ratio;
/**
 * A new checkpoint only after this many jumps and instructions since the last one, the kernel's
 * heuristic ("bpf progs typically have pruning point every 4 instructions", bpfconf 2019); inside a
 * loop (a checkpoint at the instruction still open), after LOOP_CHECKPOINT_*.
 */
const CHECKPOINT_JMPS = 2;
const CHECKPOINT_INSNS = 8;
const LOOP_CHECKPOINT_JMPS = 20;
const LOOP_CHECKPOINT_INSNS = 100;
/** Instructions of the failing path shown in the log. */
const TRAIL = 100;

/**
 * Verifies a program as the kernel would before loading it: every path, every register's type and
 * bounds, every memory access, every helper argument. Throws VerifierError naming the instruction.
 */
export function verify(insns: readonly Instruction[], opts: VerifyOptions): Verdict {
  // The verdict depends only on the instructions, the context, the maps and the limit, so a program
  // loaded again (every simulation run reloads the paired objects) is not walked again. Only
  // acceptances are remembered: a refusal is thrown with its log every time.
  // A walk asked to report its steps is walked whatever is remembered.
  if (opts.onStep) return new Walk(insns, opts).run();
  const key = verdictKey(insns, opts);
  const known = verdicts.get(key);
  if (known) return known;
  const verdict = new Walk(insns, opts).run();
  remember(key, verdict);
  return verdict;
}

/**
 * Verifies a program as `verify` does, `sliceMs` of walking at a time with the event loop let run
 * in between, and remembers an acceptance, so that `verify` on the same program, context and maps
 * answers at once (a dashboard that loads programs while it draws; one program can take half a
 * second). A refusal is not reported here: `verify` walks it again and throws, as the loader does.
 * `stop`, asked between slices, gives up the walk; resolves false then.
 */
export async function verifyInSlices(insns: readonly Instruction[], opts: VerifyOptions, stop: () => boolean = () => false, sliceMs = 20): Promise<boolean> {
  const key = verdictKey(insns, opts);
  if (verdicts.has(key)) return true;
  try {
    const walk = new Walk(insns, opts);
    for (;;) {
      const until = performance.now() + sliceMs;
      while (performance.now() < until) {
        if (walk.walk(WALK_STEP)) {
          remember(key, walk.verdict());
          return true;
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
      if (stop()) return false;
    }
  } catch (e) {
    if (e instanceof VerifierError) return true;
    throw e;
  }
}

/**
 * The acceptance remembered for this program, context, maps and limit, if there is one: what
 * `verify` answers with at once, without a walk.
 */
export function rememberedVerdict(insns: readonly Instruction[], opts: VerifyOptions): Verdict | undefined {
  return verdicts.get(verdictKey(insns, opts));
}

/** Instructions walked between looks at the clock (one can take 40 us in a loop with many states to compare). */
const WALK_STEP = 64;

function remember(key: string, verdict: Verdict): void {
  if (verdicts.size >= MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value!);
  verdicts.set(key, verdict);
}

const verdicts = new Map<string, Verdict>();
const MAX_VERDICTS = 512;

/** A number per kernel BTF object seen, so a verdict reached against one BTF is not taken for another's. */
const btfSerials = new WeakMap<object, number>();
let nextBtfSerial = 1;
function btfSerial(btf: object | undefined): number {
  if (!btf) return 0;
  let n = btfSerials.get(btf);
  if (n === undefined) btfSerials.set(btf, (n = nextBtfSerial++));
  return n;
}

function verdictKey(insns: readonly Instruction[], opts: VerifyOptions): string {
  const parts: (string | number)[] = [JSON.stringify(opts.ctx ?? null), JSON.stringify(opts.maps), opts.maxProcessed ?? COMPLEXITY_LIMIT_INSNS, opts.precision === false ? 'exact' : 'precise', JSON.stringify([...(opts.globals ?? [])]), btfSerial(opts.btf), opts.cpus ?? 0];
  for (const i of insns) parts.push(i.opcode, i.dst, i.src, i.off, i.imm);
  return parts.join(',');
}

/** Whether a pointer offset lies outside (-BPF_MAX_VAR_OFF, BPF_MAX_VAR_OFF). */
const outOfOffsets = (x: bigint): boolean => x >= 1n << 29n || x <= -(1n << 29n);

/** The registers an instruction reads or writes, in order, for the log; undefined for jumps, exits and calls of nothing. */
function scratchedBy(insn: Instruction): readonly number[] | undefined {
  const cls = insn.opcode & 0x07;
  const x = (insn.opcode & Source.X) !== 0;
  const op = insn.opcode & 0xf0;
  const sorted = (...r: number[]): number[] => [...new Set(r)].sort((a, b) => a - b);
  switch (cls) {
    case Class.ALU: case Class.ALU64: return x ? sorted(insn.src, insn.dst) : [insn.dst];
    case Class.LD: case Class.ST: return [insn.dst];
    case Class.LDX: return sorted(insn.src, insn.dst);
    case Class.STX: return insn.imm === AtomicOp.CMPXCHG && (insn.opcode & 0xe0) === Mode.ATOMIC ? sorted(0, insn.src, insn.dst) : sorted(insn.src, insn.dst);
    default:
      if (op === JmpOp.CALL) return [0];
      if (op === JmpOp.JA || op === JmpOp.EXIT) return undefined;
      return x ? sorted(insn.src, insn.dst) : [insn.dst];
  }
}

/** `R6=... R8=...`: the registers that hold something, numbered by `numbers` (their index when absent). */
function registersText(regs: readonly Reg[], numbers?: readonly number[]): string {
  return regs.flatMap((reg, i) => (reg.type === 'not_init' ? [] : [`R${numbers ? numbers[i] : i}=${formatReg(reg)}`])).join(' ');
}

class Walk implements AccessEnv {
  readonly cfg: ControlFlow;
  /** Per instruction, the registers whose scalar values may matter from there (precision.ts). */
  private readonly precise: Uint16Array;
  /** The main frame's stack slots that may still be read, by instruction (liveStackSlots). */
  private readonly slotsLive: { lo: Int32Array; hi: Int32Array };
  private readonly explored = new Map<number, Checkpoint[]>();
  private readonly pending: State[] = [];
  /**
   * The instructions of the path being walked, from its entry: a fork remembers how long it was,
   * and the walk cuts it back there when it takes the fork up, as the kernel's log level 1 keeps
   * only the failing path.
   */
  private readonly path: number[] = [];
  /**
   * The registers each instruction of `path` read or wrote, as they were after it (registers are
   * never mutated, so these are the values then): what the log prints after the instruction, as
   * the kernel's prints the registers an instruction touched. Undefined where it prints none.
   */
  private readonly pathRegs: (readonly Reg[] | { target: number; regs: readonly Reg[] } | undefined)[] = [];
  /** Per instruction, the registers it reads or writes, in order (the kernel's scratched ones), for pathRegs. */
  private readonly scratched: (readonly number[] | undefined)[];
  private processed = 0;
  /** Jump-class instructions walked (the kernel's jmps_processed), and both counts when the last checkpoint was made. */
  private jmpsProcessed = 0;
  private jmpsAtCheckpoint = 0;
  private processedAtCheckpoint = 0;
  private totalStates = 0;
  private prunedPaths = 0;
  private peakPending = 0;
  private nextIdValue = 1;
  maxCtxOffset = 0;
  readonly depth = new Map<number, number>();
  /** Per load instruction: whether it went through a ptr_to_btf_id (those are PROBE_MEM). */
  private readonly loadsThroughBtf = new Map<number, boolean>();
  private current: State | undefined;
  /** The state the walk goes on from; undefined once every path is walked. */
  private next: State | undefined;
  /** The global functions to validate on their own, in order, and those called from code verified so far. */
  private readonly globals: [number, GlobalFunction][] = [];
  private readonly calledGlobals = new Set<number>();
  private readonly verifiedGlobals = new Set<number>();
  /** do_check_subprogs' place in its pass over the global functions, and how many it began in this pass. */
  private globalAt = 0;
  private globalsThisPass = 0;
  /** The log's first line while a global function is validated ("Validating pick() func#1..."). */
  private validating: string | undefined;
  /** Function starts in order (func#N in messages is the index). */
  private readonly functionStarts: number[];
  /** Per bpf_loop call, the caller's registers and slots an iteration coming back may widen (precision.ts). */
  private readonly widening: Map<number, { regs: number; lo: number; hi: number }>;

  constructor(
    readonly insns: readonly Instruction[],
    readonly opts: VerifyOptions,
  ) {
    try {
      this.cfg = analyzeControlFlow(insns);
    } catch (e) {
      if (e instanceof CfgError) {
        const line = this.sourceLine(e.pc);
        throw new VerifierError(e.pc, e.reason, `${line ? `; ${line}\n` : ''}${e.pc}: ${this.insnText(e.pc)}\n${e.reason}`);
      }
      throw e;
    }
    this.functionStarts = [...new Set([0, ...this.cfg.calls.map(([, t]) => t)])].sort((a, b) => a - b);
    this.scratched = insns.map(scratchedBy);
    ({ precise: this.precise, slots: this.slotsLive } = stackPrecision(insns, this.cfg.calls.length > 0 || opts.precision === false, opts.maps, opts.ctx?.tracing?.trusted === false, opts.ctx?.tracing !== undefined));
    const localCalls = this.cfg.calls.some(([site]) => (insns[site]!.opcode & 0xf0) === JmpOp.CALL && (insns[site]!.opcode & 0x07) === Class.JMP);
    this.widening = opts.precision === false ? new Map() : callbackWidening(insns, this.cfg.callsCallback, this.functionStarts, localCalls, opts.ctx?.tracing !== undefined);
    // The program first, then each global function it calls, on its own (Linux 6.6 on validates
    // them lazily: do_check_main, then do_check_subprogs over those called, pass after pass).
    for (const [start, g] of [...(opts.globals ?? [])].sort((a, b) => a[0] - b[0])) {
      if (this.functionStarts.includes(start) && g.args.every((a) => a.kind !== 'unsupported')) this.globals.push([start, g]);
    }
    this.next = this.entry();
  }

  /** The next global function called and not yet validated, in do_check_subprogs' order; undefined when none is left. */
  private nextGlobal(): State | undefined {
    for (;;) {
      for (; this.globalAt < this.globals.length; this.globalAt++) {
        const [start, g] = this.globals[this.globalAt]!;
        if (!this.calledGlobals.has(start) || this.verifiedGlobals.has(start)) continue;
        this.verifiedGlobals.add(start);
        this.globalAt++;
        this.globalsThisPass++;
        this.validating = `Validating ${g.name}() func#${this.functionStarts.indexOf(start)}...`;
        return this.globalEntry(start, g);
      }
      if (this.globalsThisPass === 0) return undefined;
      this.globalAt = 0;
      this.globalsThisPass = 0;
    }
  }

  /** A global function's first state: its arguments as their types say, r10 its own frame. */
  private globalEntry(start: number, g: GlobalFunction): State {
    const st: State = { pc: start, frames: [newFrame(start, -1)], refs: [], parent: undefined, unroll: 0, logAt: 0 };
    const f = st.frames[0]!;
    f.regs[10] = pointerReg('fp', { frame: 0 });
    g.args.forEach((a, i) => {
      if (i >= 5) return;
      f.regs[i + 1] = a.kind === 'ctx' ? pointerReg('ctx') : a.kind === 'mem' ? pointerReg('mem_or_null', { memSize: a.size, id: this.newId() }) : scalarReg(unknownScalar());
    });
    return st;
  }

  /**
   * A call of a global function: the arguments checked against its types (btf_check_subprog_call),
   * then r0 an unknown scalar and r1-r5 clobbered; the body was verified on its own.
   */
  private callGlobal(st: State, target: number, g: GlobalFunction): boolean {
    const pc = st.pc;
    const caller = this.frame(st);
    const refuse = (why: string): never => this.fail(pc, `Caller passes invalid args into func#${this.functionStarts.indexOf(target)} ('${g.name}')`, why);
    g.args.forEach((a, i) => {
      const regno = i + 1;
      const reg = caller.regs[regno]!;
      switch (a.kind) {
        case 'unsupported':
          refuse(a.why);
          break;
        case 'scalar':
          if (reg.type !== 'scalar') refuse(`R${regno} is not a scalar`);
          break;
        case 'ctx':
          if (reg.type !== 'ctx') refuse(`arg#${i} expects pointer to ctx`);
          break;
        case 'mem':
          if (isNull(reg)) break;
          try {
            helperMemory(this, st, pc, regno, reg, a.size, false);
          } catch (e) {
            if (e instanceof VerifierError) refuse(e.reason);
            throw e;
          }
          break;
      }
    });
    // Called: validated on its own once the code calling it is (do_check_subprogs).
    this.calledGlobals.add(target);
    caller.regs[0] = scalarReg(unknownScalar());
    for (let r = 1; r <= 5; r++) caller.regs[r] = notInit();
    st.pc = pc + 1;
    return true;
  }

  get maps() {
    return this.opts.maps;
  }
  get ctx() {
    return this.opts.ctx;
  }
  get cpus() {
    return this.opts.cpus;
  }

  get btf() {
    return this.opts.btf;
  }

  noteLoad(pc: number, throughBtf: boolean): void {
    const before = this.loadsThroughBtf.get(pc);
    if (before === undefined) this.loadsThroughBtf.set(pc, throughBtf);
    else if (before !== throughBtf) this.fail(pc, 'same insn cannot be used with different pointers');
  }

  newId(): number {
    return this.nextIdValue++;
  }

  noteDepth(fn: number, depth: number): void {
    if (depth > (this.depth.get(fn) ?? 0)) this.depth.set(fn, depth);
  }

  /** Refuses at pc with `reason`, the kernel's last line (`detail`, when given, the line before it). */
  fail(pc: number, reason: string, detail?: string): never {
    const lines: string[] = [];
    // The failing path from its entry (its last TRAIL instructions when longer).
    if (this.validating) lines.push(this.validating);
    const from = Math.max(0, this.path.length - TRAIL);
    if (from > 0) lines.push(`... ${from} instructions of this path before`);
    // Each instruction with the registers it touched as they were after it; a source line, where
    // the object has them, before the first instruction of its code, as the kernel prints them.
    let source: string | undefined;
    for (let i = from; i < this.path.length; i++) {
      const pc = this.path[i]!;
      const line = this.sourceLine(pc);
      if (line && line !== source) lines.push(`; ${line}`);
      source = line ?? source;
      const shown = this.pathRegs[i];
      const touched = shown && !('target' in shown) ? registersText(shown, this.scratched[pc]) : '';
      const state = shown && 'target' in shown ? `\t${shown.target}: ${registersText(shown.regs)}` : touched ? `\t; ${touched}` : '';
      lines.push(`${pc}: ${this.insnText(pc)}${state}`);
    }
    const st = this.current;
    if (st) lines.push(`; ${formatRegs(st.frames[st.frames.length - 1]!)}`);
    if (detail) lines.push(detail);
    lines.push(reason);
    // As the kernel's log ends, refused or not (a refusal at load time walked nothing).
    lines.push(this.summary());
    throw new VerifierError(pc, reason, lines.join('\n'), this.processed);
  }

  private insnText(pc: number): string {
    return formatInstruction(this.insns[pc]!, this.insns[pc + 1], { helperName, mapName: (i) => this.maps[i]?.name });
  }

  /** The C source line of instruction `pc`, when the object says (line 0 is clang's "no source line" marker). */
  private sourceLine(pc: number): string | undefined {
    const line = this.opts.lines?.get(pc)?.trim();
    return line && !/:0:$/.test(line) ? line : undefined;
  }

  /** Walks every path at once. */
  run(): Verdict {
    while (!this.walk(Infinity));
    return this.verdict();
  }

  /** The first state: r1 the context, r10 the frame pointer. */
  private entry(): State {
    const st: State = { pc: 0, frames: [newFrame(0, -1)], refs: [], parent: undefined, unroll: 0, logAt: 0 };
    const f0 = st.frames[0]!;
    f0.regs[10] = pointerReg('fp', { frame: 0 });
    if (this.opts.ctx) f0.regs[1] = pointerReg('ctx');
    return st;
  }

  /** Walks up to `budget` more instructions; true once every path is walked (then `verdict()`). */
  walk(budget: number): boolean {
    const limit = this.opts.maxProcessed ?? COMPLEXITY_LIMIT_INSNS;
    let cur = this.next;
    while (cur && budget-- > 0) {
      this.current = cur;
      if (++this.processed > limit) this.fail(cur.pc, `BPF program is too large. Processed ${this.processed} insn`);
      if (this.cfg.prunePoint[cur.pc] && this.prune(cur)) {
        this.prunedPaths++;
        this.endPath(cur);
        cur = this.takeUp();
        continue;
      }
      this.path.push(cur.pc);
      const cls = this.insns[cur.pc]!.opcode & 0x07;
      if (cls === Class.JMP || cls === Class.JMP32) this.jmpsProcessed++;
      const pc = cur.pc;
      const frames = cur.frames.length;
      this.pathRegs.length = this.path.length - 1;
      if (!this.step(cur)) {
        this.endPath(cur);
        cur = this.takeUp();
      } else {
        const used = this.scratched[pc];
        const regs = this.frame(cur).regs;
        this.pathRegs.push(used && cur.frames.length === frames ? used.map((r) => regs[r]!) : undefined);
        if (this.opts.onStep) this.opts.onStep(pc, this.frame(cur).regs.map((r) => (r.type === 'not_init' ? undefined : formatReg(r))));
      }
    }
    this.next = cur;
    return cur === undefined;
  }

  /** The kernel's last log line: what the walk processed (and, here, pruned and kept pending). */
  private summary(): string {
    const limit = this.opts.maxProcessed ?? COMPLEXITY_LIMIT_INSNS;
    return `processed ${this.processed} insns (limit ${limit}) max_states_per_insn ${this.maxStatesPerInsn()} total_states ${this.totalStates} pruned ${this.prunedPaths} peak_pending ${this.peakPending}`;
  }

  /** The verdict of a finished walk (its stack depth checked). */
  verdict(): Verdict {
    this.checkStackDepth();
    const log = this.summary();
    return {
      processed: this.processed,
      totalStates: this.totalStates,
      prunedPaths: this.prunedPaths,
      peakPending: this.peakPending,
      maxCtxOffset: this.maxCtxOffset,
      stackDepth: new Map(this.depth),
      probeMem: [...this.loadsThroughBtf].filter(([, btf]) => btf).map(([pc]) => pc).sort((a, b) => a - b),
      log,
    };
  }

  private maxStatesPerInsn(): number {
    let max = 0;
    for (const list of this.explored.values()) max = Math.max(max, list.length);
    return max;
  }

  /** Whether an explored, finished state covers this one; else checkpoints it. */
  private prune(st: State): boolean {
    const live = this.cfg.liveIn[st.pc]!;
    const precise = this.precise[st.pc]!;
    const jmps = this.jmpsProcessed - this.jmpsAtCheckpoint;
    const insns = this.processed - this.processedAtCheckpoint;
    // A bpf_loop call: always checkpointed, and an iteration that comes back as a state seen
    // before, even one still being explored, has converged (RANGE_WITHIN: every scalar compared).
    const loop = this.cfg.callsCallback[st.pc] === 1;
    let add = loop || (jmps >= CHECKPOINT_JMPS && insns >= CHECKPOINT_INSNS);
    const missRatio = (cp: Checkpoint): number => (loop && cp.branches > 0 ? LOOP_MISS_RATIO : MISS_RATIO);
    let list = this.explored.get(st.pc);
    if (list) {
      let evict = false;
      // Newest first, as the kernel's list is.
      for (let i = list.length - 1; i >= 0; i--) {
        const cp = list[i]!;
        if (cp.branches === 0) {
          if (stateCovers(cp.state!, st, live, false, precise, this.slotsLive.lo[st.pc]!, this.slotsLive.hi[st.pc]!)) {
            cp.hits++;
            return true;
          }
        } else if (loop) {
          if (stateCovers(cp.state!, st, live, false)) {
            cp.hits++;
            return true;
          }
        } else {
          if (cp.state!.unroll === st.unroll && stateCovers(cp.state!, st, live, true)) this.fail(st.pc, `infinite loop detected at insn ${st.pc}`);
          // A loop: fewer checkpoints while it goes round.
          if (jmps < LOOP_CHECKPOINT_JMPS && insns < LOOP_CHECKPOINT_INSNS) add = false;
        }
        if (add) cp.misses++;
        if (unlikelyToPrune(cp, missRatio(cp))) evict = true;
      }
      // Dropped from the list only: the path's parent chain still counts its branches.
      if (evict) {
        list = list.filter((cp) => {
          if (unlikelyToPrune(cp, missRatio(cp))) cp.state = undefined;
          return cp.state !== undefined;
        });
        this.explored.set(st.pc, list);
      }
    } else {
      list = [];
      this.explored.set(st.pc, list);
    }
    if (!add) return false;
    this.jmpsAtCheckpoint = this.jmpsProcessed;
    this.processedAtCheckpoint = this.processed;
    const cp: Checkpoint = { state: copyState(st), branches: 1, parent: st.parent, hits: 0, misses: 0 };
    st.parent = cp;
    list.push(cp);
    if (list.length > CHECKPOINTS_PER_INSN) {
      const i = list.findIndex((c) => c.branches === 0);
      if (i >= 0) list.splice(i, 1)[0]!.state = undefined;
    }
    this.totalStates++;
    return false;
  }

  /** The next path to walk, the log cut back to where it was forked. */
  private takeUp(): State | undefined {
    const next = this.pending.pop() ?? this.nextGlobal();
    if (next) {
      this.path.length = next.logAt;
      // The instruction that forked it shows the state it goes on from, all of it, as the kernel's
      // log does for a branch taken after the other was walked ("2: ... goto pc+1 4: R0=0 ...").
      if (next.logAt > 0) {
        this.pathRegs.length = next.logAt - 1;
        this.pathRegs.push({ target: next.pc, regs: this.frame(next).regs.slice() });
      }
    }
    return next;
  }

  /** A path ended (exit or pruned): its checkpoints with no other path left are finished. */
  private endPath(st: State): void {
    for (let cp = st.parent; cp; cp = cp.parent) {
      if (--cp.branches > 0) break;
    }
  }

  private fork(st: State): State {
    const other = copyState(st);
    other.logAt = this.path.length;
    if (st.parent) st.parent.branches++;
    this.pending.push(other);
    if (this.pending.length > this.peakPending) this.peakPending = this.pending.length;
    if (this.pending.length > JMP_SEQ_LIMIT) this.fail(st.pc, `The sequence of ${this.pending.length} jumps is too complex.`);
    return other;
  }

  private frame(st: State) {
    return st.frames[st.frames.length - 1]!;
  }

  private reg(st: State, r: number): Reg {
    const reg = this.frame(st).regs[r]!;
    if (reg.type === 'not_init') this.fail(st.pc, `R${r} !read_ok`);
    return reg;
  }

  private set(st: State, r: number, reg: Reg): void {
    this.frame(st).regs[r] = reg;
  }

  /** Executes the instruction at st.pc; false when the path ends. */
  private step(st: State): boolean {
    const pc = st.pc;
    const insn = this.insns[pc]!;
    const cls = insn.opcode & 0x07;
    switch (cls) {
      case Class.ALU:
      case Class.ALU64:
        this.alu(st, insn, cls === Class.ALU64);
        st.pc = pc + 1;
        return true;
      case Class.LD:
        this.ldImm64(st, insn, this.insns[pc + 1]!);
        st.pc = pc + 2;
        return true;
      case Class.LDX: {
        const ptr = this.reg(st, insn.src);
        const size = sizeBytes(insn.opcode & 0x18);
        const value = readMemory(this, st, pc, insn.src, ptr, insn.off, size, (insn.opcode & 0xe0) === Mode.MEMSX);
        this.set(st, insn.dst, value);
        st.pc = pc + 1;
        return true;
      }
      case Class.ST: {
        const ptr = this.reg(st, insn.dst);
        writeMemory(this, st, pc, insn.dst, ptr, insn.off, sizeBytes(insn.opcode & 0x18), scalarReg(constScalar(BigInt(insn.imm))), 'imm');
        st.pc = pc + 1;
        return true;
      }
      case Class.STX: {
        // The stored register is read first, then the pointer (check_store_reg, check_atomic_rmw).
        const value = this.reg(st, insn.src);
        const ptr = this.reg(st, insn.dst);
        if ((insn.opcode & 0xe0) === Mode.ATOMIC) this.atomic(st, insn, ptr);
        else {
          const size = sizeBytes(insn.opcode & 0x18);
          writeMemory(this, st, pc, insn.dst, ptr, insn.off, size, this.spilled(st, insn.src, ptr, insn.off, size, value), 'register');
        }
        st.pc = pc + 1;
        return true;
      }
      default:
        return this.jump(st, insn, cls === Class.JMP32);
    }
  }

  private ldImm64(st: State, insn: Instruction, next: Instruction): void {
    switch (insn.src) {
      case Imm64Src.IMM:
        this.set(st, insn.dst, scalarReg(constScalar((BigInt(next.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0))));
        return;
      case Imm64Src.MAP_FD:
      case Imm64Src.MAP_IDX:
        if (!this.maps[insn.imm]) this.fail(st.pc, `fd ${insn.imm} is not pointing to valid bpf_map`);
        this.set(st, insn.dst, pointerReg('map_ptr', { map: insn.imm }));
        return;
      case Imm64Src.MAP_VALUE:
      case Imm64Src.MAP_IDX_VALUE: {
        const map = this.maps[insn.imm];
        if (!map) this.fail(st.pc, `fd ${insn.imm} is not pointing to valid bpf_map`);
        if (next.imm < 0 || next.imm >= map.valueSize) this.fail(st.pc, `invalid access to map value pointer, value_size=${map.valueSize} off=${next.imm}`);
        this.set(st, insn.dst, pointerReg('map_value', { map: insn.imm, off: next.imm }));
        return;
      }
      case Imm64Src.CODE_ADDR:
        this.set(st, insn.dst, pointerReg('func', { off: codeAddressTarget(insn, st.pc) }));
        return;
      default:
        this.fail(st.pc, `unsupported ld_imm64 source ${insn.src}`);
    }
  }

  private alu(st: State, insn: Instruction, is64: boolean): void {
    const op = insn.opcode & 0xf0;
    const x = (insn.opcode & Source.X) !== 0;
    const dst = insn.dst;
    if (op === AluOp.MOV) {
      const src = x ? this.reg(st, insn.src) : scalarReg(is64 ? constScalar(BigInt(insn.imm)) : constScalar(BigInt(insn.imm >>> 0)));
      if (x && isPointer(src)) {
        if (insn.off !== 0) this.fail(st.pc, `R${insn.src} sign-extension mov of a pointer prohibited`);
        // A pointer's low half is a number (allow_ptr_leaks).
        this.set(st, dst, is64 ? src : scalarReg(mov32(unknownScalar())));
        return;
      }
      if (!x) {
        this.set(st, dst, src);
        return;
      }
      // A copy shares the source's id, so a bounds check on one bounds the other (sync_linked_regs),
      // when the copy is the same number: always for a 64-bit mov, for a 32-bit one when the value
      // fits 32 bits, for a sign-extending one when it has no sign bit to extend.
      const same = insn.off === 0 ? is64 || regWidth(src.value) <= 32 : src.value.umax < 1n << BigInt(insn.off - 1);
      const linked = same ? this.idBeforeMov(src) : src;
      if (linked !== src) this.set(st, insn.src, linked);
      const value = insn.off === 0 ? (is64 ? linked.value : mov32(linked.value))
        : is64 ? sext(linked.value, insn.off as 8 | 16 | 32) : mov32(sext32(linked.value, insn.off as 8 | 16));
      this.set(st, dst, same ? { ...scalarReg(value), id: linked.id, link: linked.link, delta: linked.delta } : scalarReg(value));
      return;
    }
    // The source is read first, as check_alu_op reads it (`R2 !read_ok` before R3's).
    if (x && op !== AluOp.NEG && op !== AluOp.END) this.reg(st, insn.src);
    const d = this.reg(st, dst);
    if (op === AluOp.NEG || op === AluOp.END) {
      // A pointer negated or byte-swapped is a number: tracing programs may leak pointers
      // (allow_ptr_leaks with CAP_PERFMON), so the kernel marks it unknown rather than refusing.
      const v = isPointer(d) ? unknownScalar() : op === AluOp.NEG ? negScalar(d.value, is64) : endScalar(d.value, insn.imm, (insn.opcode & Source.X) !== 0 || is64);
      this.set(st, dst, scalarReg(v));
      return;
    }
    const s = x ? this.reg(st, insn.src) : scalarReg(constScalar(BigInt(insn.imm)));
    if (isPointer(d) || isPointer(s)) {
      this.set(st, dst, this.pointerAlu(st, insn, op, is64, d, s));
      return;
    }
    if ((op === AluOp.DIV || op === AluOp.MOD) && !x && insn.imm === 0) this.fail(st.pc, 'div by zero');
    // maybe_fork_scalars: x in [-1, 0] masked or or-ed with a constant goes on as -1, and the
    // instruction is walked again later with x = 0, so each result is known.
    let dv = d.value;
    if ((op === AluOp.AND || op === AluOp.OR) && isConst(s.value)) {
      const forked = forkedScalars(dv);
      if (forked) {
        const later = this.fork(st);
        this.frame(later).regs[dst] = { ...d, value: forked.later, id: 0, link: 0, delta: 0 };
        dv = forked.now;
      }
    }
    const v = is64 ? aluScalar(op, dv, s.value) : alu32Scalar(op, dv, s.value);
    this.set(st, dst, this.offsetLink(d, s, op, is64, scalarReg(v)));
  }

  /**
   * assign_scalar_id_before_mov: a number copied keeps an id with its copy; one that was its id's
   * number plus a constant starts an id of its own (a copy of a copy plus a constant is not tracked).
   */
  private idBeforeMov(src: Reg): Reg {
    let r = src;
    if (r.link) r = { ...r, id: 0, link: 0, delta: 0 };
    if (!r.id && !isConst(r.value)) r = { ...r, id: this.newId() };
    return r;
  }

  /**
   * What `d OP= s` leaves of d's id (adjust_reg_min_max_vals, Linux 6.18): adding or subtracting a
   * constant that fits 32 bits keeps it, with the constant as the offset from the id's number (for a
   * 32-bit op only when d fitted 32 bits); a second constant, or any other operation, drops it.
   */
  private offsetLink(d: Reg, s: Reg, op: number, is64: boolean, out: Reg): Reg {
    if (!d.id || (op !== AluOp.ADD && op !== AluOp.SUB)) return out;
    const k = is64 ? (isConst(s.value) ? s.value.var.value : undefined) : isConst32(s.value) ? s.value.var.value & 0xffffffffn : undefined;
    if (k === undefined || d.link) return out;
    if (is64 && (BigInt.asIntN(64, k) < -(1n << 31n) || BigInt.asIntN(64, k) >= 1n << 31n)) return out;
    if (!is64 && d.value.umax > 0xffffffffn) return out;
    let off = Number(BigInt.asIntN(32, k));
    if (op === AluOp.SUB) {
      if (off === -(2 ** 31)) return out;
      off = -off;
    }
    return { ...out, id: d.id, link: is64 ? 64 : 32, delta: off };
  }

  private pointerAlu(st: State, insn: Instruction, op: number, is64: boolean, d: Reg, s: Reg): Reg {
    const dst = insn.dst;
    const names: Record<number, string> = { 0x00: '+=', 0x10: '-=', 0x20: '*=', 0x30: '/=', 0x40: '|=', 0x50: '&=', 0x60: '<<=', 0x70: '>>=', 0x90: '%=', 0xa0: '^=', 0xc0: 's>>=' };
    // adjust_reg_min_max_vals: two pointers subtracted give a number (allow_ptr_leaks), else refused.
    if (isPointer(d) && isPointer(s)) {
      if (op === AluOp.SUB) return scalarReg();
      this.fail(st.pc, `R${dst} pointer ${names[op]} pointer prohibited`);
    }
    // adjust_ptr_min_max_vals, in its order.
    if (!is64) {
      if (op === AluOp.SUB) return scalarReg();
      this.fail(st.pc, `R${dst} 32-bit pointer arithmetic prohibited`);
    }
    const ptr = isPointer(d) ? d : s;
    const k = isPointer(d) ? s : d;
    if (mayBeNull(ptr)) this.fail(st.pc, `R${dst} pointer arithmetic on ${ptr.type} prohibited, null-check it first`);
    // A map pointer plus a known 0 stays itself.
    if (ptr.type === 'map_ptr' && op === AluOp.ADD && isConst(k.value) && k.value.var.value === 0n) return ptr;
    if (ptr.type === 'map_ptr' || ptr.type === 'func') this.fail(st.pc, `R${dst} pointer arithmetic on ${ptr.type} prohibited`);
    this.saneOperand(st, k.value, ptr.type);
    this.sanePointer(st, ptr);
    if (op === AluOp.AND || op === AluOp.OR || op === AluOp.XOR) this.fail(st.pc, `R${dst} bitwise operator ${names[op]} on pointer prohibited`);
    if (op !== AluOp.ADD && op !== AluOp.SUB) this.fail(st.pc, `R${dst} pointer arithmetic with ${names[op]} operator prohibited`);
    if (!isPointer(d) && op === AluOp.SUB) this.fail(st.pc, `R${dst} tried to subtract pointer from scalar`);
    const v: Scalar = k.value;
    const neg = op === AluOp.SUB;
    // JITs need not support it (the kernel's reason): even a constant.
    if (neg && ptr.type === 'fp') this.fail(st.pc, `R${dst} subtraction from stack pointer prohibited`);
    // A constant goes into the fixed offset while that stays an s32 (adjust_ptr_min_max_vals).
    if (isConst(v)) {
      const c = BigInt(ptr.off) + (neg ? -toS64(v.var.value) : toS64(v.var.value));
      if (c === BigInt.asIntN(32, c)) return this.sanePointer(st, { ...ptr, off: Number(c) });
    }
    // A variable part, bounds and tnum, 32-bit bounds dropped as pointers carry none.
    return this.sanePointer(st, { ...ptr, var: pointerOffset(ptr.var, v, neg) });
  }

  /** check_reg_sane_offset on the number added to a pointer of `type`: its value when known, else its smallest. */
  private saneOperand(st: State, v: Scalar, type: string): void {
    if (isConst(v) && outOfOffsets(toS64(v.var.value))) this.fail(st.pc, `math between ${type} pointer and ${toS64(v.var.value)} is not allowed`);
    if (v.smin === S64_MIN) this.fail(st.pc, `math between ${type} pointer and register with unbounded min value is not allowed`);
    if (outOfOffsets(v.smin)) this.fail(st.pc, `value ${v.smin} makes ${type} pointer be out of bounds`);
  }

  /** check_reg_sane_offset on a pointer: its fixed offset and its variable part's smallest value. Returns it. */
  private sanePointer(st: State, r: Reg): Reg {
    if (outOfOffsets(BigInt(r.off))) this.fail(st.pc, `${r.type} pointer offset ${r.off} is not allowed`);
    if (r.var.smin === S64_MIN) this.fail(st.pc, `math between ${r.type} pointer and register with unbounded min value is not allowed`);
    if (outOfOffsets(r.var.smin)) this.fail(st.pc, `${r.type} pointer offset ${r.var.smin} is not allowed`);
    return r;
  }

  private atomic(st: State, insn: Instruction, ptr: Reg): void {
    const size = sizeBytes(insn.opcode & 0x18);
    if (ptr.type === 'ctx') this.fail(st.pc, `BPF_ATOMIC stores into R${insn.dst} ctx is not allowed`);
    if (insn.imm === AtomicOp.CMPXCHG) this.reg(st, 0);
    // A pointer may be added into memory, which then holds a number: tracing programs may leak
    // pointers (allow_ptr_leaks), so the kernel's "leaks addr into mem" is not said to them.
    // The fetched value is what the read finds (check_atomic_rmw reads into the fetch register):
    // a number spilled to a stack slot comes back as itself.
    const loaded = readMemory(this, st, st.pc, insn.dst, ptr, insn.off, size, false, true);
    writeMemory(this, st, st.pc, insn.dst, ptr, insn.off, size, scalarReg(), 'other');
    if (insn.imm === AtomicOp.CMPXCHG) this.set(st, 0, loaded);
    else if (insn.imm & AtomicOp.FETCH) this.set(st, insn.src, loaded);
  }

  private jump(st: State, insn: Instruction, is32: boolean): boolean {
    const pc = st.pc;
    const op = insn.opcode & 0xf0;
    switch (op) {
      case JmpOp.JA:
        st.pc = pc + 1 + (is32 ? insn.imm : insn.off);
        return true;
      case JmpOp.EXIT:
        return this.exit(st);
      case JmpOp.CALL:
        if (insn.src === CallSrc.LOCAL) return this.callLocal(st, insn);
        if (insn.src !== CallSrc.HELPER) this.fail(pc, 'kernel function calls are not supported');
        {
          const proto = helperProto(insn.imm);
          if (!proto) this.fail(pc, `invalid func unknown#${insn.imm}`);
          const caller = this.frame(st);
          const callback = caller.regs[2]!;
          const callbackCtx = caller.regs[3]!;
          const count = caller.regs[1]!;
          // bpf_loop (Linux 6.7 on): another iteration is walked while fewer have been than the count
          // may be, from the state before the call (its arguments as they are), and the call goes on
          // as the loop that ends here.
          const loops = insn.imm === BPF_LOOP_HELPER;
          const iteration = loops && count.type === 'scalar' && BigInt(caller.callbackDepth) < count.value.umax ? this.fork(st) : undefined;
          checkHelperCall(this, st, proto);
          st.pc = pc + 1;
          if (loops) caller.callbackDepth = 0;
          if (iteration) this.loopCallback(iteration, pc, callback.off, callbackCtx);
        }
        return true;
    }
    const x = (insn.opcode & Source.X) !== 0;
    const a = this.reg(st, insn.dst);
    const b = x ? this.reg(st, insn.src) : scalarReg(is32 ? constScalar(BigInt(insn.imm >>> 0)) : constScalar(BigInt(insn.imm)));
    const target = pc + 1 + insn.off;

    // A maybe-NULL pointer compared with 0 (the kernel does this for 64-bit compares only).
    if (!is32 && (op === JmpOp.JEQ || op === JmpOp.JNE) && mayBeNull(a) && isNull(b)) {
      const other = this.fork(st);
      // `st` continues with the fall-through, `other` takes the jump.
      const nullOnJump = op === JmpOp.JEQ;
      this.markNull(nullOnJump ? other : st, a, true);
      this.markNull(nullOnJump ? st : other, a, false);
      other.pc = target;
      st.pc = pc + 1;
      return true;
    }
    if (isPointer(a) || isPointer(b)) {
      // A pointer that cannot be NULL against 0 has a known outcome; anything else goes both ways.
      // A ptr_to_btf_id read out of a kernel object may be NULL; a trusted one (the program's argument) may not (reg_not_null).
      const ptrVsZero = isPointer(a) && !mayBeNull(a) && (a.type !== 'ptr_to_btf_id' || a.btf!.trusted) && isNull(b);
      // Only a 64-bit compare decides it (Linux 6.18 walks both ways of `if w0 == 0`).
      if (ptrVsZero && !is32 && (op === JmpOp.JEQ || op === JmpOp.JNE)) {
        st.pc = op === JmpOp.JNE ? target : pc + 1;
        return true;
      }
      const other = this.fork(st);
      other.pc = target;
      st.pc = pc + 1;
      return true;
    }
    const cmp = op as CompareOp;
    const outcome = branchOutcome(cmp, a.value, b.value, is32);
    if (outcome !== undefined) {
      st.pc = outcome ? target : pc + 1;
      return true;
    }
    const other = this.fork(st);
    const same = x && insn.src === insn.dst;
    this.applyRefinement(other, insn, x, a, b, refineBranch(cmp, a.value, b.value, true, is32, same));
    other.pc = target;
    this.applyRefinement(st, insn, x, a, b, refineBranch(cmp, a.value, b.value, false, is32, same));
    st.pc = pc + 1;
    return true;
  }

  /**
   * The value a store of `regno` into the stack spills: a number that fits the store shares an id
   * with its register (given one if it has none), so that a bounds check on either bounds the other;
   * a narrowing store breaks the link (check_stack_write_fixed_off's assign_scalar_id_before_mov).
   */
  private spilled(st: State, regno: number, ptr: Reg, off: number, size: number, value: Reg): Reg {
    if (ptr.type !== 'fp' || !fixedOffset(ptr) || value.type !== 'scalar' || isConst(value.value)) return value;
    // Only a store at the start of a slot spills the register (check_stack_write_fixed_off).
    if ((ptr.off + varMin(ptr) + off) % 8 !== 0) return value;
    if (size < 8 && value.value.umax >> BigInt(8 * size) !== 0n) return value.id ? { ...value, id: 0, link: 0, delta: 0 } : value;
    const linked = this.idBeforeMov(value);
    if (linked !== value) this.set(st, regno, linked);
    return linked;
  }

  /** Narrows a compared register (and every linked copy of it) on one side of a branch. */
  private applyRefinement(st: State, insn: Instruction, x: boolean, a: Reg, b: Reg, bounds: [Scalar, Scalar]): void {
    this.narrow(st, insn.dst, a, bounds[0]);
    if (x) this.narrow(st, insn.src, b, bounds[1]);
  }

  private narrow(st: State, r: number, reg: Reg, value: Scalar): void {
    const f = this.frame(st);
    if (reg.id === 0) {
      f.regs[r] = { ...reg, value };
      return;
    }
    // sync_linked_regs: a copy gets the value, a copy plus a constant the value plus the difference.
    const known = { ...reg, value };
    const sync = (q: Reg): Reg => {
      if (q.type !== 'scalar' || q.id !== reg.id) return q;
      if ((!q.link && !known.link) || q.delta === known.delta) return { ...known, link: q.link, delta: q.delta };
      return { ...q, value: linkedValue(value, q.delta - known.delta, known.link === 32) };
    };
    for (const frame of st.frames) {
      frame.regs = frame.regs.map(sync);
      frame.spills = frame.spills.map((q) => q && sync(q));
    }
  }

  /** After a NULL check: every copy of the pointer is either 0 or the non-NULL pointer. */
  private markNull(st: State, ptr: Reg, isNull: boolean): void {
    const id = ptr.id;
    const settle = (q: Reg | undefined): Reg | undefined => {
      if (!q || !mayBeNull(q) || q.id !== id) return q;
      if (isNull) return scalarReg(constScalar(0n));
      return { ...q, type: q.type === 'map_value_or_null' ? 'map_value' : q.type === 'mem_or_null' ? 'mem' : 'ringbuf_mem', id: 0 };
    };
    for (const frame of st.frames) {
      frame.regs = frame.regs.map((q) => settle(q)!);
      frame.spills = frame.spills.map(settle);
    }
    // A NULL reservation holds nothing to release.
    if (isNull && ptr.ref) st.refs = st.refs.filter((r) => r.id !== ptr.ref);
  }

  private callLocal(st: State, insn: Instruction): boolean {
    const target = st.pc + 1 + insn.imm;
    const global = this.opts.globals?.get(target);
    if (global) return this.callGlobal(st, target, global);
    if (st.frames.length >= MAX_CALL_FRAMES) this.fail(st.pc, `the call stack of ${st.frames.length + 1} frames is too deep`);
    const caller = this.frame(st);
    const callee = newFrame(target, st.pc + 1);
    for (let r = 1; r <= 5; r++) callee.regs[r] = caller.regs[r]!;
    callee.regs[10] = pointerReg('fp', { frame: st.frames.length });
    st.frames.push(callee);
    st.pc = target;
    return true;
  }

  /**
   * One more iteration of bpf_loop's callback, from `st` as it was at the call `callsite`: r1 the
   * index, r2 the context; its exit comes back to the call (Linux 6.7 on: the kernel walks a
   * callback as if called any number of times, until an iteration adds nothing or the count runs out).
   */
  private loopCallback(st: State, callsite: number, target: number, ctx: Reg): void {
    if (st.frames.length >= MAX_CALL_FRAMES) this.fail(callsite, `the call stack of ${st.frames.length + 1} frames is too deep`);
    st.frames[st.frames.length - 1]!.callbackDepth++;
    st.unroll++;
    const callee = newFrame(target, callsite, true);
    callee.regs[1] = scalarReg(unknownScalar());
    callee.regs[2] = ctx;
    callee.regs[10] = pointerReg('fp', { frame: st.frames.length });
    st.frames.push(callee);
    st.pc = target;
  }

  /**
   * Back at a bpf_loop call from an iteration: a scalar of the caller's that is not precise there
   * and changed since the call was first reached becomes unknown, so that iterations converge
   * (widen_imprecise_scalars: `ctx->i++` is walked twice, not once per value of i).
   */
  private widen(st: State): void {
    const w = this.widening.get(st.pc);
    if (!w) return;
    let prev = st.parent;
    while (prev && !(prev.state && prev.branches > 0 && prev.state.pc === st.pc && prev.state.frames.length === st.frames.length)) prev = prev.parent;
    if (!prev) return;
    const old = prev.state!.frames[st.frames.length - 1]!;
    const cur = st.frames[st.frames.length - 1]!;
    const widened = (o: Reg | undefined, c: Reg): Reg => (o && o.type === 'scalar' && c.type === 'scalar' && !regEqual(o, c) ? scalarReg(unknownScalar()) : c);
    for (let r = 0; r < 10; r++) if (w.regs & (1 << r)) cur.regs[r] = widened(old.regs[r], cur.regs[r]!);
    for (let k = 0; k < STACK_BYTES / 8; k++) {
      const spilled = cur.spills[k];
      if (!spilled || cur.slots[k * 8] !== Slot.SPILL || !((k < 32 ? w.lo >>> k : w.hi >>> (k - 32)) & 1)) continue;
      if (old.slots[k * 8] !== Slot.SPILL) continue;
      cur.spills[k] = widened(old.spills[k], spilled);
    }
  }

  private exit(st: State): boolean {
    const f = this.frame(st);
    const r0 = f.regs[0]!;
    // A callback's r0 must be a number; a function's goes back to its caller as it is (read there
    // or not); the program's, or a global function's, must be set (check_return_code).
    if (f.callback) {
      if (r0.type !== 'scalar') this.fail(st.pc, 'R0 not a scalar value');
      const v = r0.value;
      if (v.smin < 0n || v.smax > 1n) {
        const bounds = `${v.smin > -(1n << 63n) ? ` smin=${v.smin}` : ''}${v.smax < (1n << 63n) - 1n ? ` smax=${v.smax}` : ''}`;
        this.fail(st.pc, `At callback return the register R0 has${bounds || ' unknown scalar value'} should have been in [0, 1]`);
      }
      // Back to the call, whose arguments are as they were: it walks another iteration or ends the loop.
      st.frames.pop();
      st.pc = f.returnTo;
      this.widen(st);
      return true;
    }
    if (st.frames.length === 1 && r0.type === 'not_init') this.fail(st.pc, 'R0 !read_ok');
    // A global function walked on its own returns a number to callers the walk never saw.
    if (st.frames.length === 1 && f.fn !== 0 && r0.type !== 'scalar') this.fail(st.pc, `At subprogram exit the register R0 is not a scalar value (${r0.type})`);
    if (st.frames.length > 1) {
      // Any frame's, though a caller's would stay valid: the kernel is conservative here.
      if (r0.type === 'fp') this.fail(st.pc, 'cannot return stack pointer to the caller');
      st.frames.pop();
      const caller = this.frame(st);
      caller.regs[0] = r0;
      for (let r = 1; r <= 5; r++) caller.regs[r] = notInit();
      st.pc = f.returnTo;
      return true;
    }
    if (st.refs.length) {
      const ref = st.refs[0]!;
      this.fail(st.pc, 'BPF_EXIT instruction in main prog would lead to reference leak', `Unreleased reference id=${ref.id} alloc_insn=${ref.insn}`);
    }
    return false;
  }

  /**
   * The kernel's check_max_stack_depth: the deepest call chain's stacks fit 512, each rounded to 16
   * bytes as for a JIT-compiled program (x86-64 always JITs; only the interpreter rounds to 32).
   */
  private checkStackDepth(): void {
    const rounded = (fn: number): number => Math.ceil((this.depth.get(fn) ?? 0) / 16) * 16;
    const calls = new Map<number, number[]>();
    const fnOf = (pc: number): number => {
      let best = 0;
      for (const start of [0, ...this.cfg.calls.map(([, t]) => t)]) if (start <= pc && start > best) best = start;
      return best;
    };
    for (const [site, target] of this.cfg.calls) {
      const fn = fnOf(site);
      calls.set(fn, [...(calls.get(fn) ?? []), target]);
    }
    const walk = (fn: number, total: number, chain: number): void => {
      const sum = total + rounded(fn);
      if (sum > 512) this.fail(fn, `combined stack size of ${chain} calls is ${sum}. Too large`);
      for (const callee of calls.get(fn) ?? []) if (chain < MAX_CALL_FRAMES) walk(callee, sum, chain + 1);
    };
    walk(0, 0, 1);
  }
}
