// The state one loaded program runs in: decoded code, registers, address space, stack frames, helpers, atomics.
import { BUILTIN_HELPERS } from './helpers/builtin.js';
import { DEFAULT_ENVIRONMENT, type HelperCall, type HelperImpl, type RunEnvironment } from './helpers/call.js';
import { BPF_LOOP_HELPER, helperName } from './helpers/table.js';
import { hiOut } from './int64.js';
import type { Instruction } from './isa/instruction.js';
import { AtomicOp, Class, Imm64Src, MAX_CALL_FRAMES, Mode, Size, STACK_SIZE } from './isa/opcodes.js';
import type { AnyMap } from './maps/index.js';
import { AddressSpace, CODE_REGION, MAP_DATA_REGION, MAP_HANDLE_REGION, STACK_REGION, VmError, type Region } from './memory.js';

/** The decoded fields of every instruction slot, as typed arrays for fast dispatch. */
export interface Code {
  op: Uint8Array;
  dst: Uint8Array;
  src: Uint8Array;
  off: Int32Array;
  imm: Int32Array;
  length: number;
}

/** Decodes instructions into typed arrays. */
export function codeOf(insns: readonly Instruction[]): Code {
  const n = insns.length;
  const code: Code = { op: new Uint8Array(n), dst: new Uint8Array(n), src: new Uint8Array(n), off: new Int32Array(n), imm: new Int32Array(n), length: n };
  insns.forEach((insn, i) => {
    code.op[i] = insn.opcode;
    code.dst[i] = insn.dst;
    code.src[i] = insn.src;
    code.off[i] = insn.off;
    code.imm[i] = insn.imm;
  });
  return code;
}

/** Whether `table` holds the built-in implementation at every built-in id. */
function intact(table: readonly (HelperImpl | undefined)[]): boolean {
  for (const [id, impl] of BUILTIN_HELPERS) if (table[id] !== impl) return false;
  return true;
}

/** The default instruction budget of one run (the kernel's processed-instruction limit). */
export const DEFAULT_BUDGET = 1_000_000;

/** Everything a run touches; shared by the interpreter and the JIT. */
export class Machine implements HelperCall {
  readonly L = new Int32Array(11);
  readonly H = new Int32Array(11);
  readonly space = new AddressSpace();
  /** LD_IMM64 values by slot, resolved at load (map handles and map-value pointers included). */
  readonly imm64Lo: Int32Array;
  readonly imm64Hi: Int32Array;
  /** Instructions left in the current run; set per run. */
  budget = DEFAULT_BUDGET;
  /** Scratch for multi-value returns. */
  tmp = 0;
  tmpHi = 0;
  // HelperCall
  readonly args = new Int32Array(10);
  retLo = 0;
  retHi = 0;
  pc = 0;
  env: RunEnvironment = DEFAULT_ENVIRONMENT;
  /**
   * Bytes below r10 the main function may use: its verified stack depth, or the whole frame when
   * not verified. Bytes deeper than that are never written, so they need no zeroing per run.
   */
  mainStackDepth = STACK_SIZE;
  private readonly helpers: Map<number, HelperImpl>;
  /** The same implementations indexed by id: a helper call finds its implementation without hashing (the JIT calls them from here). */
  readonly helperTable: (HelperImpl | undefined)[] = [];
  /** Whether every built-in helper id still has its built-in implementation (the JIT's fast paths need it). */
  builtinHelpers = true;
  private readonly stacks: Uint8Array[] = [];
  /** The main frame's stack bytes: helper arguments the JIT knows to be there are read and written straight in it. */
  readonly mainStack: Uint8Array;
  /** The main frame's stack as 8-byte words: zeroing a few words costs less than a fill call. */
  private readonly mainWords: Float64Array;
  /** The first word of the main frame a verified program can reach (mainStackDepth, rounded up to words). */
  private mainFirstWord = 0;
  private mainDepthFor = -1;
  /** The deepest frame entered since the main frame was: deeper ones need unmapping only up to it. */
  private deepest = MAX_CALL_FRAMES - 1;
  private readonly stackRegions: Region[] = [];
  /** Each frame's stack as a DataView: the JIT reads and writes r10-relative slots straight through it. */
  readonly stackViews: DataView[] = [];
  private rng: number;

  constructor(
    readonly code: Code,
    readonly maps: readonly AnyMap[],
    helpers: ReadonlyMap<number, HelperImpl> | undefined,
    seed: number,
  ) {
    this.helpers = new Map(helpers ?? BUILTIN_HELPERS);
    for (const [id, impl] of this.helpers) this.helperTable[id] = impl;
    this.builtinHelpers = intact(this.helperTable);
    this.rng = seed >>> 0 || 0x9e3779b9;
    for (let k = 0; k < MAX_CALL_FRAMES; k++) {
      const s = new Uint8Array(new ArrayBuffer(STACK_SIZE));
      this.stacks.push(s);
      this.stackRegions.push(this.space.map(STACK_REGION + k, `stack frame ${k}`, s, true));
      this.stackViews.push(this.stackRegions[k]!.view);
    }
    this.mainStack = this.stacks[0]!;
    this.mainWords = new Float64Array(this.stacks[0]!.buffer);
    maps.forEach((map, i) => {
      const data = 'values' in map ? map.values : 'data' in map ? (map as { data: Uint8Array }).data : undefined;
      // .rodata is read only for programs (BPF_F_RDONLY_PROG); other storage is writable.
      if (data) this.space.map(MAP_DATA_REGION + i, `map ${map.name || i}`, data, !map.readOnlyForPrograms);
    });
    this.imm64Lo = new Int32Array(code.length);
    this.imm64Hi = new Int32Array(code.length);
    for (let pc = 0; pc < code.length; pc++) {
      if (code.op[pc] !== (Class.LD | Mode.IMM | Size.DW)) continue;
      const src = code.src[pc]!;
      const imm = code.imm[pc]!;
      const next = code.imm[pc + 1]!;
      switch (src) {
        case Imm64Src.IMM:
          this.imm64Lo[pc] = imm;
          this.imm64Hi[pc] = next;
          break;
        case Imm64Src.MAP_FD:
        case Imm64Src.MAP_IDX:
          if (!maps[imm]) throw new VmError(pc, `lddw refers to map ${imm}, but the program has ${maps.length} maps`);
          this.imm64Lo[pc] = 0;
          this.imm64Hi[pc] = MAP_HANDLE_REGION + imm;
          break;
        case Imm64Src.MAP_VALUE:
        case Imm64Src.MAP_IDX_VALUE: {
          const map = maps[imm];
          if (!map || !('values' in map)) throw new VmError(pc, `lddw refers to the value of map ${imm}, which has no directly addressable value`);
          if (next < 0 || next >= map.valueSize) throw new VmError(pc, `lddw offset ${next} is outside map ${map.name}'s ${map.valueSize}-byte value`);
          this.imm64Lo[pc] = next;
          this.imm64Hi[pc] = MAP_DATA_REGION + imm;
          break;
        }
        case Imm64Src.CODE_ADDR:
          this.imm64Lo[pc] = pc + 1 + imm;
          this.imm64Hi[pc] = CODE_REGION;
          break;
        default:
          throw new VmError(pc, `lddw source ${src} (a variable's address) is not supported`);
      }
      pc++;
    }
  }

  /** Scratch for PROBE_MEM loads. */
  private readonly probeBytes = new Uint8Array(8);
  private readonly probeView = new DataView(this.probeBytes.buffer);

  /**
   * A BPF_PROBE_MEM load (through a ptr_to_btf_id): `size` bytes of the side's kernel memory at
   * (hi, lo) + off into tmp and hiOut[0], sign-extended for PROBE_MEMSX. An address with nothing
   * behind it (NULL, or an object the simulator does not keep) reads as 0, as the kernel's
   * exception table makes a faulting load read.
   */
  probeLoad(lo: number, hi: number, off: number, size: number, signed: boolean): void {
    const t = (lo >>> 0) + off;
    const aHi = (hi + (t > 0xffffffff ? 1 : t < 0 ? -1 : 0)) | 0;
    const b = this.probeBytes;
    if (!(this.env.readMemory?.('kernel', t | 0, aHi, b, 0, size) ?? false)) {
      this.tmp = 0;
      hiOut[0] = 0;
      return;
    }
    const v = this.probeView;
    switch (size) {
      case 1:
        this.tmp = signed ? v.getInt8(0) : v.getUint8(0);
        hiOut[0] = signed ? this.tmp >> 31 : 0;
        return;
      case 2:
        this.tmp = signed ? v.getInt16(0, true) : v.getUint16(0, true);
        hiOut[0] = signed ? this.tmp >> 31 : 0;
        return;
      case 4:
        this.tmp = v.getInt32(0, true);
        hiOut[0] = signed ? this.tmp >> 31 : 0;
        return;
      default:
        this.tmp = v.getInt32(0, true);
        hiOut[0] = v.getInt32(4, true);
    }
  }

  /** Instructions that are PROBE_MEM loads (the verifier's verdict), one flag per slot. */
  probeMem: Uint8Array = new Uint8Array(0);

  /** Registers (or replaces) a helper implementation. */
  setHelper(id: number, impl: HelperImpl): void {
    this.helpers.set(id, impl);
    this.helperTable[id] = impl;
    this.builtinHelpers = intact(this.helperTable);
  }

  /** Whether a helper id has an implementation. */
  hasHelper(id: number): boolean {
    return id === BPF_LOOP_HELPER || this.helpers.has(id);
  }

  /** Region id of frame `depth`'s stack. */
  stackRegion(depth: number): number {
    return STACK_REGION + depth;
  }

  /**
   * Maps frame `depth`'s stack as the frame is entered, zeroed (deterministic runs; the verifier
   * forbids reading it uninitialised). Frames deeper than the current one are unmapped, so a
   * pointer into a returned frame's stack is no longer memory the program was given.
   */
  enterFrame(depth: number): void {
    const regions = this.space.regions;
    if (depth === 0) {
      // The main frame zeroes only what a verified program can reach (its stack depth, rounded up
      // to whole words); the rest stays zero.
      if (this.mainDepthFor !== this.mainStackDepth) {
        this.mainDepthFor = this.mainStackDepth;
        this.mainFirstWord = Math.max(0, (STACK_SIZE - Math.ceil(Math.max(0, this.mainStackDepth) / 8) * 8) >> 3);
      }
      const w = this.mainWords;
      for (let i = this.mainFirstWord; i < STACK_SIZE / 8; i++) w[i] = 0;
      regions[STACK_REGION] = this.stackRegions[0];
      for (let k = 1; k <= this.deepest; k++) regions[STACK_REGION + k] = undefined;
      this.deepest = 0;
      return;
    }
    this.stacks[depth]!.fill(0);
    regions[STACK_REGION + depth] = this.stackRegions[depth];
    if (depth > this.deepest) this.deepest = depth;
  }

  /** Unmaps frame `depth`'s stack as it returns. */
  leaveFrame(depth: number): void {
    this.space.regions[STACK_REGION + depth] = undefined;
  }

  random(): number {
    // xorshift32: cheap, seeded, reproducible.
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  /** Calls helper `id` with r1-r5; sets r0, leaves r1-r5 as the kernel's ABI allows (clobbered: we keep them). */
  callHelper(id: number, pc: number): void {
    const impl = id >= 0 && id < this.helperTable.length ? this.helperTable[id] : undefined;
    if (!impl) throw new VmError(pc, `call to unknown helper ${id}${helperName(id) ? ` (${helperName(id)} is not available here)` : ''}`);
    const L = this.L;
    const H = this.H;
    const a = this.args;
    for (let i = 0; i < 5; i++) {
      a[i * 2] = L[i + 1]!;
      a[i * 2 + 1] = H[i + 1]!;
    }
    this.pc = pc;
    this.retLo = 0;
    this.retHi = 0;
    impl(this);
    L[0] = this.retLo;
    H[0] = this.retHi;
  }

  /** One atomic read-modify-write at [dst + off] of 4 or 8 bytes; `s` is the source register. */
  atomic(pc: number, bytes: number, imm: number, dlo: number, dhi: number, off: number, s: number): void {
    const t = (dlo >>> 0) + off;
    const aLo = t | 0;
    const aHi = (dhi + (t > 0xffffffff ? 1 : t < 0 ? -1 : 0)) | 0;
    const r = this.space.resolve(aLo, aHi, bytes, true, pc);
    const o = aLo >>> 0;
    const v = r.view;
    const L = this.L;
    const H = this.H;
    const oldLo = v.getInt32(o, true);
    const oldHi = bytes === 8 ? v.getInt32(o + 4, true) : 0;
    const slo = L[s]!;
    const shi = bytes === 8 ? H[s]! : 0;
    let nlo = oldLo;
    let nhi = oldHi;
    switch (imm & ~AtomicOp.FETCH) {
      case AtomicOp.ADD: {
        const sum = (oldLo >>> 0) + (slo >>> 0);
        nlo = sum | 0;
        nhi = (oldHi + shi + (sum > 0xffffffff ? 1 : 0)) | 0;
        break;
      }
      case AtomicOp.OR:
        nlo = oldLo | slo;
        nhi = oldHi | shi;
        break;
      case AtomicOp.AND:
        nlo = oldLo & slo;
        nhi = oldHi & shi;
        break;
      case AtomicOp.XOR:
        nlo = oldLo ^ slo;
        nhi = oldHi ^ shi;
        break;
      case AtomicOp.XCHG & ~AtomicOp.FETCH:
        nlo = slo;
        nhi = shi;
        break;
      case AtomicOp.CMPXCHG & ~AtomicOp.FETCH: {
        // Compares with r0 (its low 32 bits for the 32-bit form); r0 gets the old value.
        const eq = bytes === 8 ? oldLo === L[0] && oldHi === H[0] : oldLo === L[0];
        if (eq) {
          nlo = slo;
          nhi = shi;
        }
        L[0] = oldLo;
        H[0] = oldHi;
        break;
      }
      default:
        throw new VmError(pc, `unknown atomic operation 0x${imm.toString(16)}`);
    }
    v.setInt32(o, nlo, true);
    if (bytes === 8) v.setInt32(o + 4, nhi, true);
    if (imm & AtomicOp.FETCH && (imm & ~AtomicOp.FETCH) !== (AtomicOp.CMPXCHG & ~AtomicOp.FETCH)) {
      L[s] = oldLo;
      H[s] = oldHi;
    }
    hiOut[0] = 0;
  }
}
