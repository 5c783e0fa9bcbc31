// A loaded program ready to run: validated, bound to its maps and helpers, run by the JIT or the interpreter.
import { DEFAULT_ENVIRONMENT, type HelperImpl, type RunEnvironment } from './helpers/call.js';
import { interpret } from './interpreter.js';
import { pairToBigInt } from './int64.js';
import { decode, type Instruction } from './isa/instruction.js';
import { STACK_SIZE } from './isa/opcodes.js';
import { validateProgram, type FunctionLayout } from './isa/validate.js';
import { compile, type CompiledProgram } from './jit.js';
import { codeOf, DEFAULT_BUDGET, Machine } from './machine.js';
import type { AnyMap } from './maps/index.js';
import { CTX_REGION, STACK_REGION } from './memory.js';
import { mapSpec, verify, verifyInSlices, type ContextSpec, type Verdict, type VerifyOptions } from './verifier/index.js';

/** Which engine runs a program. */
export type Engine = 'interpreter' | 'jit';

/** How to load a program. */
export interface ProgramOptions {
  /** The maps ld_imm64 map references index (the loader's order). */
  maps?: readonly AnyMap[];
  /** Helper implementations by id (default: the built-in set). */
  helpers?: ReadonlyMap<number, HelperImpl>;
  /** Engine; default the JIT. */
  engine?: Engine;
  /** Instructions one run may execute before it is stopped. */
  budget?: number;
  /** Seed of bpf_get_prandom_u32. */
  seed?: number;
  /** Whether the program may write its context (the conformance suites' memory is writable; tracepoint records are not). */
  ctxWritable?: boolean;
  /**
   * Verify before loading, as the kernel does for every program, with this context in r1 (the
   * conformance suites' programs are not verified: they test the ISA on raw memory).
   */
  verify?: { ctx?: ContextSpec; lines?: ReadonlyMap<number, string>; globals?: VerifyOptions['globals']; btf?: VerifyOptions['btf'] };
}

/** What the verifier is given for a program loaded with `verify` and `maps`. */
function verifierOptions(v: NonNullable<ProgramOptions['verify']>, maps: readonly AnyMap[] = []): VerifyOptions {
  // The machine's CPUs are the maps' possible CPUs (one environment makes them all).
  const cpus = maps[0]?.possibleCpus;
  return { ctx: v.ctx, maps: maps.map((m) => mapSpec(m.name, m)), ...(v.lines ? { lines: v.lines } : {}), ...(v.globals?.size ? { globals: v.globals } : {}), ...(v.btf ? { btf: v.btf } : {}), ...(cpus ? { cpus } : {}) };
}

/** A program loaded into the VM. */
export class Program {
  readonly insns: readonly Instruction[];
  readonly layout: FunctionLayout;
  readonly engine: Engine;
  /** The verifier's verdict, when the program was verified. */
  readonly verdict?: Verdict;
  private readonly machine: Machine;
  private readonly compiled?: CompiledProgram;
  private readonly budget: number;
  private readonly ctxWritable: boolean;

  /** Validates and loads; throws LoadError (naming the instruction) for a program it refuses. */
  constructor(program: Uint8Array | readonly Instruction[], opts: ProgramOptions = {}) {
    this.insns = program instanceof Uint8Array ? decode(program) : program;
    this.machine = new Machine(codeOf(this.insns), opts.maps ?? [], opts.helpers, opts.seed ?? 1);
    this.layout = validateProgram(this.insns, { helperExists: (id) => this.machine.hasHelper(id) });
    if (opts.verify) this.verdict = verify(this.insns, verifierOptions(opts.verify, opts.maps));
    // A verified main function with no stack depth recorded never touches its stack.
    if (this.verdict) this.machine.mainStackDepth = Math.min(STACK_SIZE, this.verdict.stackDepth.get(0) ?? 0);
    const probeMem = this.verdict?.probeMem ?? [];
    if (probeMem.length) {
      this.machine.probeMem = new Uint8Array(this.insns.length);
      for (const pc of probeMem) this.machine.probeMem[pc] = 1;
    }
    this.engine = opts.engine ?? 'jit';
    this.budget = opts.budget ?? DEFAULT_BUDGET;
    this.ctxWritable = opts.ctxWritable ?? true;
    if (this.engine === 'jit') this.compiled = compile(this.machine.code, this.layout, { lo: this.machine.imm64Lo, hi: this.machine.imm64Hi }, this.machine.maps, probeMem);
  }

  /**
   * Verifies a program as loading it with `opts` would, a slice at a time with the event loop let
   * run in between, so that loading it afterwards finds the verdict remembered. Nothing is thrown:
   * a program refused (or not valid) is refused by the load, with its reasons. `stop`, asked
   * between slices, gives up; resolves false then.
   */
  static async verifyAhead(program: Uint8Array | readonly Instruction[], opts: ProgramOptions, stop?: () => boolean): Promise<boolean> {
    if (!opts.verify) return true;
    try {
      return await verifyInSlices(program instanceof Uint8Array ? decode(program) : program, verifierOptions(opts.verify, opts.maps), stop);
    } catch {
      // The load reports it.
      return true;
    }
  }

  /** The run environment (CPU, task, clock, memory readers) seen by helpers; replace or mutate between runs. */
  get env(): RunEnvironment {
    return this.machine.env;
  }
  set env(env: RunEnvironment) {
    this.machine.env = env;
  }

  /**
   * Runs once with r1 = the context (or 0 without one) and r2 = its length; `view` may be a
   * DataView over exactly `ctx`, saving one per run when the caller reuses its buffers. Returns r0's low 32
   * bits as a signed number (what a tracing program's return means); `r0` has all 64 bits.
   * Throws VmError (instruction index, address) on a fault; the maps keep what was done before it.
   */
  run(ctx?: Uint8Array, view?: DataView): number {
    const m = this.machine;
    m.space.setContext(ctx, this.ctxWritable, view);
    m.enterFrame(0);
    m.budget = this.budget;
    // The JIT starts from its own registers (r1, r2 and r10 set, the rest zero); the interpreter from the machine's.
    if (this.compiled) {
      this.compiled(m, ctx ? CTX_REGION : 0, ctx ? ctx.length : 0);
      return m.L[0]!;
    }
    const L = m.L;
    const H = m.H;
    for (let i = 0; i < 11; i++) {
      L[i] = 0;
      H[i] = 0;
    }
    if (ctx) {
      L[1] = 0;
      H[1] = CTX_REGION;
      L[2] = ctx.length;
    }
    L[10] = STACK_SIZE;
    H[10] = STACK_REGION;
    interpret(m);
    return L[0]!;
  }

  /** r0 of the last run, all 64 bits, unsigned. */
  get r0(): bigint {
    return pairToBigInt(this.machine.L[0]!, this.machine.H[0]!);
  }

  /** Instructions the last run executed (the JIT counts per block, so this is exact at exits). */
  get executed(): number {
    return this.budget - this.machine.budget;
  }

  /** Registers or replaces a helper. */
  setHelper(id: number, impl: HelperImpl): void {
    this.machine.setHelper(id, impl);
  }
}

/** Default environment re-exported for callers that build on it. */
export { DEFAULT_ENVIRONMENT };
