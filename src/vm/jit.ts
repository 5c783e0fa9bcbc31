// The JIT: compiles validated bytecode to one JavaScript function per program, with exactly the interpreter's results.
//
// Registers become local int32 pairs (r3l, r3h) that V8 keeps in machine registers; basic blocks
// become cases of one switch inside a loop, so jumps are `pc = N; continue`. The instruction
// budget is charged once per block. The generated text is built only from numbers taken from the
// decoded instructions (register numbers, offsets, immediates, block indices) and fixed templates:
// nothing of an object file's text ever reaches `new Function`.
import {
  arsh64, bswap16, bswap32, hiOut, lsh64, mul64, rsh64, sdiv32, sdiv64, smod32, smod64, udiv32, udiv64, umod32, umod64,
} from './int64.js';
import { AluOp, CallSrc, Class, JmpOp, MAX_CALL_FRAMES, Mode, STACK_SIZE, Size, Source } from './isa/opcodes.js';
import type { FunctionLayout } from './isa/validate.js';
import { probeReadBytes, probeReadInto, ringbufCommitAt } from './helpers/builtin.js';
import { BPF_LOOP_HELPER, BPF_MAX_LOOPS, helperProto } from './helpers/table.js';
import { BUILTIN_TABLE, fastHelperCall, type KnownRegisters } from './jit-calls.js';
import type { Code, Machine } from './machine.js';
import type { AnyMap } from './maps/index.js';
import { E2BIG, EINVAL } from './maps/constants.js';
import { CODE_REGION, MAP_HANDLE_REGION, MAX_REGION, STACK_REGION, VmError } from './memory.js';

/**
 * A compiled program: runs on a machine prepared by Program.run, starting with r1 = (0, ctxHi)
 * and r2 = ctxLen (both 0 without a context), r10 the stack top, every other register 0.
 */
export type CompiledProgram = (m: Machine, ctxHi: number, ctxLen: number) => void;

const n = (v: number): string => String(v | 0);

/** What ends a jump-class instruction: an exit, a call (local or not), or a jump to `target`. */
type Jump = { kind: 'exit' } | { kind: 'call'; local: boolean; target: number } | { kind: 'jump'; target: number };

/** Calls `f` for each jump-class instruction (exits, calls, jumps) in order, skipping the second half of ld_imm64; stops when `f` returns false. */
function eachJump(code: Code, f: (pc: number, j: Jump) => boolean | void): void {
  for (let pc = 0; pc < code.length; pc++) {
    const op = code.op[pc]!;
    const cls = op & 0x07;
    if (op === (Class.LD | Mode.IMM | Size.DW)) {
      pc++;
      continue;
    }
    if (cls !== Class.JMP && cls !== Class.JMP32) continue;
    const jop = op & 0xf0;
    let j: Jump;
    if (jop === JmpOp.EXIT) j = { kind: 'exit' };
    else if (jop === JmpOp.CALL) {
      const local = code.src[pc] === CallSrc.LOCAL && !(op & Source.X);
      j = { kind: 'call', local, target: local ? pc + 1 + code.imm[pc]! : -1 };
    } else j = { kind: 'jump', target: pc + 1 + (cls === Class.JMP32 && jop === JmpOp.JA ? code.imm[pc]! : code.off[pc]!) };
    if (f(pc, j) === false) return;
  }
}

function leadersOf(code: Code, layout: FunctionLayout): Set<number> {
  const leaders = new Set<number>([0, ...layout.starts]);
  eachJump(code, (pc, j) => {
    // A local call's target starts a block; its return point too, and a helper call may be followed by a budget trap.
    if (j.kind !== 'exit' && j.target >= 0) leaders.add(j.target);
    if (pc + 1 < code.length) leaders.add(pc + 1);
  });
  return leaders;
}

function memAccess(pc: number, baseReg: number, off: number, size: number, write: boolean, cached?: Set<number>, oneFrame = false): string {
  // r10 is read only and always the current frame's stack top (its region, offset STACK_SIZE), so a
  // slot at a constant offset inside the frame needs no region lookup or bounds check at run time
  // (and in a program without local calls the frame is always the main one, S0).
  if (baseReg === 10 && off < 0 && STACK_SIZE + off >= 0 && off + size <= 0) return `o = ${STACK_SIZE + off}; v = ${oneFrame ? 'S0' : 'SV[depth]'}; `;
  // Address (hi, lo) + off with carry/borrow; region by the high half; bounds and permission checked.
  const general = `ah = (r${baseReg}h + (t > 4294967295 ? 1 : t < 0 ? -1 : 0)) | 0; o = t >>> 0;` +
    ` rg = (ah >>> 0) < ${MAX_REGION} ? regions[ah] : undefined;` +
    ` if (rg === undefined || o + ${size} > rg.bytes.length${write ? ' || !rg.writable' : ''}) space.resolve(t | 0, ah, ${size}, ${write}, ${pc});` +
    ' v = rg.view;';
  if (!cached) return `t = (r${baseReg}l >>> 0) + ${n(off)}; ${general}`;
  // Within a block, the region of a base register's high half is looked up once (its length, view
  // and permission kept in locals) while the register is unchanged: an access that stays inside it
  // (no carry, in bounds) needs no more; any other takes the general path, with its errors. Regions
  // are far smaller than 2^31 bytes, so "(lo >>> 0) + off in [0, length - size]" is the int32 test
  // lo >= max(0, -off) && lo <= length - (off + size), and lo + off does not overflow.
  const R = baseReg;
  let setup = '';
  if (!cached.has(R)) {
    cached.add(R);
    // `| 0` keeps the length an int32 for V8, not a double (a region of 2^31 bytes or more would
    // come out negative and take the general path).
    setup = `g = (r${R}h >>> 0) < ${MAX_REGION} ? regions[r${R}h] : undefined; if (g === undefined) n${R} = -1; else { n${R} = g.bytes.length | 0; v${R} = g.view; w${R} = g.writable; } `;
  }
  const lowest = Math.max(0, -off);
  return `${setup}if (r${R}l >= ${lowest} && r${R}l <= n${R} - ${off + size}${write ? ` && w${R}` : ''}) { o = r${R}l + ${n(off)}; v = v${R}; } else { t = (r${R}l >>> 0) + ${n(off)}; ${general} }`;
}

function aluInsn(pc: number, op: number, d: number, s: number, off: number, imm: number): string {
  const cls = op & 0x07;
  const is64 = cls === Class.ALU64;
  const aop = op & 0xf0;
  const x = (op & Source.X) !== 0;
  const bl = x ? `r${s}l` : n(imm);
  const bh = x ? `r${s}h` : n(imm >> 31);
  const D = `r${d}`;
  const pre = `bl = ${bl}; bh = ${bh};`;
  if (!is64) {
    const set = (expr: string): string => `${pre} ${D}l = ${expr}; ${D}h = 0;`;
    switch (aop) {
      case AluOp.ADD: return set(`(${D}l + bl) | 0`);
      case AluOp.SUB: return set(`(${D}l - bl) | 0`);
      case AluOp.MUL: return set(`Math.imul(${D}l, bl)`);
      case AluOp.DIV: return set(off === 1 ? `sdiv32(${D}l, bl)` : `udiv32(${D}l, bl)`);
      case AluOp.MOD: return set(off === 1 ? `smod32(${D}l, bl)` : `umod32(${D}l, bl)`);
      case AluOp.OR: return set(`${D}l | bl`);
      case AluOp.AND: return set(`${D}l & bl`);
      case AluOp.XOR: return set(`${D}l ^ bl`);
      case AluOp.LSH: return set(`${D}l << (bl & 31)`);
      case AluOp.RSH: return set(`${D}l >>> (bl & 31)`);
      case AluOp.ARSH: return set(`${D}l >> (bl & 31)`);
      case AluOp.NEG: return `${D}l = -${D}l | 0; ${D}h = 0;`;
      case AluOp.MOV: return set(off === 8 ? '(bl << 24) >> 24' : off === 16 ? '(bl << 16) >> 16' : 'bl');
      case AluOp.END:
        if (x) {
          if (imm === 16) return `${D}l = bswap16(${D}l); ${D}h = 0;`;
          if (imm === 32) return `${D}l = bswap32(${D}l); ${D}h = 0;`;
          return `t = bswap32(${D}h); ${D}h = bswap32(${D}l); ${D}l = t;`;
        }
        if (imm === 16) return `${D}l = ${D}l & 65535; ${D}h = 0;`;
        if (imm === 32) return `${D}h = 0;`;
        return '';
    }
  }
  const set2 = (fn: string): string => `${pre} ${D}l = ${fn}(${D}l, ${D}h, bl, bh); ${D}h = hiOut[0];`;
  switch (aop) {
    case AluOp.ADD:
      return `${pre} t = (${D}l >>> 0) + (bl >>> 0); ${D}h = (${D}h + bh + (t > 4294967295 ? 1 : 0)) | 0; ${D}l = t | 0;`;
    case AluOp.SUB:
      return `${pre} t = (${D}l >>> 0) - (bl >>> 0); ${D}h = (${D}h - bh - (t < 0 ? 1 : 0)) | 0; ${D}l = t | 0;`;
    case AluOp.MUL: return set2('mul64');
    case AluOp.DIV: return set2(off === 1 ? 'sdiv64' : 'udiv64');
    case AluOp.MOD: return set2(off === 1 ? 'smod64' : 'umod64');
    case AluOp.OR: return `${pre} ${D}l = ${D}l | bl; ${D}h = ${D}h | bh;`;
    case AluOp.AND: return `${pre} ${D}l = ${D}l & bl; ${D}h = ${D}h & bh;`;
    case AluOp.XOR: return `${pre} ${D}l = ${D}l ^ bl; ${D}h = ${D}h ^ bh;`;
    case AluOp.LSH:
    case AluOp.RSH:
    case AluOp.ARSH: {
      const fn = aop === AluOp.LSH ? 'lsh64' : aop === AluOp.RSH ? 'rsh64' : 'arsh64';
      if (x) return `${pre} ${D}l = ${fn}(${D}l, ${D}h, bl & 63, 0); ${D}h = hiOut[0];`;
      const k = imm & 63;
      if (k === 0) return '';
      if (aop === AluOp.LSH) return k < 32 ? `${D}h = (${D}h << ${k}) | (${D}l >>> ${32 - k}); ${D}l = ${D}l << ${k};` : `${D}h = ${D}l << ${k - 32}; ${D}l = 0;`;
      if (aop === AluOp.RSH) return k < 32 ? `${D}l = (${D}l >>> ${k}) | (${D}h << ${32 - k}); ${D}h = ${D}h >>> ${k};` : `${D}l = (${D}h >>> ${k - 32}) | 0; ${D}h = 0;`;
      return k < 32 ? `${D}l = (${D}l >>> ${k}) | (${D}h << ${32 - k}); ${D}h = ${D}h >> ${k};` : `${D}l = ${D}h >> ${k - 32}; ${D}h = ${D}h >> 31;`;
    }
    case AluOp.NEG:
      return `t = 0 - (${D}l >>> 0); ${D}h = (0 - ${D}h - (t < 0 ? 1 : 0)) | 0; ${D}l = t | 0;`;
    case AluOp.MOV:
      if (off === 8) return `${pre} ${D}l = (bl << 24) >> 24; ${D}h = ${D}l >> 31;`;
      if (off === 16) return `${pre} ${D}l = (bl << 16) >> 16; ${D}h = ${D}l >> 31;`;
      if (off === 32) return `${pre} ${D}l = bl; ${D}h = bl >> 31;`;
      return `${pre} ${D}l = bl; ${D}h = bh;`;
    case AluOp.END:
      if (imm === 16) return `${D}l = bswap16(${D}l); ${D}h = 0;`;
      if (imm === 32) return `${D}l = bswap32(${D}l); ${D}h = 0;`;
      return `t = bswap32(${D}h); ${D}h = bswap32(${D}l); ${D}l = t;`;
  }
  throw new Error(`jit: unexpected ALU opcode ${op} at ${pc}`);
}

function condition(op: number, d: number, s: number, imm: number): string {
  const cls = op & 0x07;
  const is64 = cls === Class.JMP;
  const jop = op & 0xf0;
  const x = (op & Source.X) !== 0;
  const al = `r${d}l`;
  const ah = `r${d}h`;
  const bl = x ? `r${s}l` : n(imm);
  const bh = x ? `r${s}h` : n(imm >> 31);
  if (!is64) {
    switch (jop) {
      case JmpOp.JEQ: return `${al} === ${bl}`;
      case JmpOp.JNE: return `${al} !== ${bl}`;
      case JmpOp.JSET: return `(${al} & ${bl}) !== 0`;
      case JmpOp.JGT: return `(${al} >>> 0) > (${bl} >>> 0)`;
      case JmpOp.JGE: return `(${al} >>> 0) >= (${bl} >>> 0)`;
      case JmpOp.JLT: return `(${al} >>> 0) < (${bl} >>> 0)`;
      case JmpOp.JLE: return `(${al} >>> 0) <= (${bl} >>> 0)`;
      case JmpOp.JSGT: return `${al} > ${bl}`;
      case JmpOp.JSGE: return `${al} >= ${bl}`;
      case JmpOp.JSLT: return `${al} < ${bl}`;
      case JmpOp.JSLE: return `${al} <= ${bl}`;
    }
  }
  const u = (cmp: string, eq: boolean): string => `((${ah} >>> 0) ${cmp} (${bh} >>> 0) || (${ah} === ${bh} && (${al} >>> 0) ${cmp}${eq ? '=' : ''} (${bl} >>> 0)))`;
  const sg = (cmp: string, eq: boolean): string => `(${ah} ${cmp} ${bh} || (${ah} === ${bh} && (${al} >>> 0) ${cmp}${eq ? '=' : ''} (${bl} >>> 0)))`;
  switch (jop) {
    case JmpOp.JEQ: return `(${al} === ${bl} && ${ah} === ${bh})`;
    case JmpOp.JNE: return `(${al} !== ${bl} || ${ah} !== ${bh})`;
    case JmpOp.JSET: return `((${al} & ${bl}) !== 0 || (${ah} & ${bh}) !== 0)`;
    case JmpOp.JGT: return u('>', false);
    case JmpOp.JGE: return u('>', true);
    case JmpOp.JLT: return u('<', false);
    case JmpOp.JLE: return u('<', true);
    case JmpOp.JSGT: return sg('>', false);
    case JmpOp.JSGE: return sg('>', true);
    case JmpOp.JSLT: return sg('<', false);
    case JmpOp.JSLE: return sg('<', true);
  }
  throw new Error(`jit: unexpected jump opcode ${op}`);
}

/** Every register (r0-r10), as a mask for `written`. */
const ALL_REGISTERS = 0x7ff;

/**
 * The registers an instruction writes, one bit each: ALU and loads write dst; an atomic may write
 * src (fetch) and r0 (cmpxchg); a helper call writes r0 (r1-r5 keep their values in this VM); a
 * call of a function of the program may change any.
 */
function written(op: number, d: number, s: number): number {
  const cls = op & 0x07;
  if (cls === Class.ALU || cls === Class.ALU64 || cls === Class.LDX || cls === Class.LD) return 1 << d;
  if (cls === Class.STX && (op & 0xe0) === Mode.ATOMIC) return (1 << s) | 1;
  if ((cls === Class.JMP || cls === Class.JMP32) && (op & 0xf0) === JmpOp.CALL) return isLocalCall(op, s) ? ALL_REGISTERS : 1;
  return 0;
}

/** Forgets what `known` holds for each register in the mask `regs`. */
function forget(known: (number | undefined)[], regs: number): void {
  for (let r = 0; regs !== 0; r++, regs >>>= 1) if (regs & 1) known[r] = undefined;
}

/**
 * Updates which map each register holds for the instruction about to run: an ld_imm64 map
 * reference sets it, a register move copies it, any other write to a register forgets it.
 */
function trackMaps(mapIn: (number | undefined)[], op: number, d: number, s: number, off: number, lo: number, hi: number): void {
  if (op === (Class.LD | Mode.IMM | Size.DW)) mapIn[d] = lo === 0 && hi >= MAP_HANDLE_REGION && hi < MAP_HANDLE_REGION + 0x100 ? hi - MAP_HANDLE_REGION : undefined;
  else if (op === (Class.ALU64 | AluOp.MOV | Source.X) && off === 0) mapIn[d] = mapIn[s];
  else forget(mapIn, written(op, d, s));
}

/**
 * Updates which registers point into the main stack frame at a known offset (r10 copied, plus or
 * minus constants, staying inside the frame) and which hold a known small constant.
 */
function trackValues(stackAt: (number | undefined)[], constOf: (number | undefined)[], op: number, d: number, s: number, off: number, imm: number): void {
  if (op === (Class.ALU64 | AluOp.MOV | Source.X) && off === 0) {
    stackAt[d] = s === 10 ? STACK_SIZE : stackAt[s];
    constOf[d] = constOf[s];
  } else if (op === (Class.ALU64 | AluOp.ADD | Source.K) || op === (Class.ALU64 | AluOp.SUB | Source.K)) {
    const at = stackAt[d];
    const to = at === undefined ? undefined : op === (Class.ALU64 | AluOp.ADD | Source.K) ? at + imm : at - imm;
    stackAt[d] = to !== undefined && to >= 0 && to <= STACK_SIZE ? to : undefined;
    constOf[d] = undefined;
  } else if ((op === (Class.ALU64 | AluOp.MOV | Source.K) || op === (Class.ALU | AluOp.MOV | Source.K)) && off === 0) {
    stackAt[d] = undefined;
    constOf[d] = imm >= 0 ? imm : undefined;
  } else {
    const w = written(op, d, s);
    forget(stackAt, w);
    forget(constOf, w);
  }
}

/** Whether a call instruction calls a function of the program (which changes every register) rather than a helper (r0 only). */
function isLocalCall(op: number, src: number): boolean {
  return src === CallSrc.LOCAL && !(op & Source.X);
}

/** Forgets the region looked up for each register the instruction writes. */
function forgetWritten(regionOf: Set<number>, op: number, d: number, s: number): void {
  for (let r = 0, w = written(op, d, s); w !== 0; r++, w >>>= 1) if (w & 1) regionOf.delete(r);
}

/**
 * The targets of a program's jumps when every jump goes forward and there is no local call (no
 * loops, one frame): what the straight-code form needs. undefined otherwise.
 */
function forwardTargets(code: Code): Set<number> | undefined {
  const targets = new Set<number>();
  let straight = true;
  eachJump(code, (pc, j) => {
    if (j.kind === 'exit') return true;
    if (j.kind === 'call') return (straight = !j.local);
    if (j.target <= pc) return (straight = false);
    targets.add(j.target);
    return true;
  });
  return straight ? targets : undefined;
}

/** Inline bodies of built-in helpers that only read the run environment, by helper id (r0 from m.env, as the built-ins set it). */
const INLINE_HELPERS: Readonly<Record<number, string>> = {
  5: 'hv = env.ktimeNs(); r0l = hv | 0; r0h = Math.floor(hv / 4294967296) | 0;', // ktime_get_ns
  8: 'hv = env.cpu; r0l = hv | 0; r0h = Math.floor(hv / 4294967296) | 0;', // get_smp_processor_id
  14: 'r0l = env.pid | 0; r0h = env.tgid | 0;', // get_current_pid_tgid
};

const argsOut = [1, 2, 3, 4, 5].map((i) => `A[${(i - 1) * 2}] = r${i}l; A[${(i - 1) * 2 + 1}] = r${i}h;`).join(' ');
/** r1..rk into m.args: what a built-in helper with k arguments reads (the others are never looked at). */
const argsOf = (k: number): string => [1, 2, 3, 4, 5].slice(0, k).map((i) => `A[${(i - 1) * 2}] = r${i}l; A[${(i - 1) * 2 + 1}] = r${i}h;`).join(' ');
const spillArgs = [1, 2, 3, 4, 5].map((i) => `L[${i}] = r${i}l; H[${i}] = r${i}h;`).join(' ');

/** Generated code: frame `depth`'s r6-r9 and r10 saved before it calls a function (or bpf_loop its callback). */
const SAVE_CALLER = ' b = depth * 10; saved[b] = r6l; saved[b + 1] = r6h; saved[b + 2] = r7l; saved[b + 3] = r7h; saved[b + 4] = r8l; saved[b + 5] = r8h; saved[b + 6] = r9l; saved[b + 7] = r9h; saved[b + 8] = r10l; saved[b + 9] = r10h;';

/**
 * Generated code: enters frame `depth`, the callback of the bpf_loop frame `b` runs, for iteration
 * `index` (an expression): r1 the index, r2 the loop's context, r3-r5 zero, a fresh stack.
 */
const enterCallback = (index: string): string =>
  ` r1l = ${index}; r1h = 0; r2l = loopCtx[b * 2]; r2h = loopCtx[b * 2 + 1]; r3l = 0; r3h = 0; r4l = 0; r4h = 0; r5l = 0; r5h = 0; r10l = ${STACK_SIZE}; r10h = ${STACK_REGION} + depth; m.enterFrame(depth); pc = loopFn[b]; continue;`;

/** Compiles a validated program for a machine whose LD_IMM64 values are resolved. */
export function compile(code: Code, layout: FunctionLayout, imm64: { lo: Int32Array; hi: Int32Array }, maps: readonly AnyMap[] = [], probeMem: readonly number[] = []): CompiledProgram {
  // The generated text depends on nothing but these: the same program loaded again finds its
  // function without generating the text to look it up by.
  const key = `${inputsKey(code, layout, imm64, maps)} probe ${probeMem.join(',')}`;
  const known = compiledByInputs.get(key);
  if (known) return known;
  const run = generate(code, layout, imm64, maps, new Set(probeMem));
  if (compiledByInputs.size >= MAX_COMPILED) compiledByInputs.delete(compiledByInputs.keys().next().value!);
  compiledByInputs.set(key, run);
  return run;
}

/** Everything compile reads, as one string: the instructions, function starts, ld_imm64 values, and each map's kind and sizes. */
function inputsKey(code: Code, layout: FunctionLayout, imm64: { lo: Int32Array; hi: Int32Array }, maps: readonly AnyMap[]): string {
  const parts: (number | string)[] = [code.length, layout.starts.join(',')];
  for (let pc = 0; pc < code.length; pc++) parts.push(code.op[pc]!, code.dst[pc]!, code.src[pc]!, code.off[pc]!, code.imm[pc]!, imm64.lo[pc]!, imm64.hi[pc]!);
  for (const m of maps) parts.push(`${m.type}:${m.keySize}:${m.valueSize}`);
  return parts.join(' ');
}

function generate(code: Code, layout: FunctionLayout, imm64: { lo: Int32Array; hi: Int32Array }, maps: readonly AnyMap[], probeMem: ReadonlySet<number>): CompiledProgram {
  const leaders = [...leadersOf(code, layout)].filter((pc) => pc < code.length).sort((a, b) => a - b);
  const leaderSet = new Set(leaders);
  // A program whose jumps all go forward and that calls no function of its own runs as straight
  // code: each jump target is the end of a labelled block (`break L<pc>`), so V8 sees the control
  // flow as it is instead of a dispatch loop whose every variable is a loop phi.
  // bpf_loop calls back into the program: its callback runs as a frame of the dispatch loop.
  let callsBack = false;
  for (let pc = 0; pc < code.length; pc++) if (code.op[pc] === (Class.JMP | JmpOp.CALL) && code.src[pc] === CallSrc.HELPER && code.imm[pc] === BPF_LOOP_HELPER) callsBack = true;
  const targets = callsBack ? undefined : forwardTargets(code);
  const structured = targets !== undefined;
  const jump = (target: number): string => (structured ? `break L${target};` : `pc = ${target}; continue;`);
  const body: string[] = [];
  // Maps the fast helper paths name, hoisted out of the run loop as M<i>.
  const usedMaps = new Set<number>();
  const M = (i: number): string => (usedMaps.add(i), `M${i}`);
  // Which map each register holds, where an ld_imm64 map reference put it (and nothing wrote the
  // register since): a helper call names its map this way. Base registers whose region has been
  // looked up (memAccess), until they are written. Registers pointing into the main stack frame at
  // a known offset, or holding a known constant (straight code only: there the frame is always
  // the main one). Helper calls change only r0 (r1-r5 keep their values in this VM), so all of
  // this survives them.
  let mapIn: (number | undefined)[] = [];
  let regionOf = new Set<number>();
  let stackAt: (number | undefined)[] = [];
  let constOf: (number | undefined)[] = [];
  let terminated = true;
  for (let li = 0; li < leaders.length; li++) {
    const start = leaders[li]!;
    const end = leaders[li + 1] ?? code.length;
    let count = 0;
    for (let pc = start; pc < end; pc++) {
      count++;
      if (code.op[pc] === (Class.LD | Mode.IMM | Size.DW)) pc++;
    }
    if (structured && targets.has(start)) body.push(`} // L${start}`);
    body.push(`${structured ? '' : `case ${start}: `}if ((budget -= ${count}) < 0) { m.budget = budget; throw new VmError(${start}, 'instruction budget of ' + initial + ' exceeded'); }`);
    // What is known of the registers carries into a block that only the previous one falls into
    // (straight code, not a jump target: the block after a helper call or an untaken branch);
    // any other block starts knowing nothing.
    if (!(structured && li > 0 && !terminated && !targets.has(start))) {
      mapIn = [];
      regionOf = new Set<number>();
      stackAt = [];
      constOf = [];
    }
    terminated = false;
    const known: KnownRegisters = {
      map: (r) => mapIn[r],
      stack: (r) => (structured ? (r === 10 ? STACK_SIZE : stackAt[r]) : undefined),
      constant: (r) => constOf[r],
    };
    for (let pc = start; pc < end; pc++) {
      const op = code.op[pc]!;
      const d = code.dst[pc]!;
      const s = code.src[pc]!;
      const off = code.off[pc]!;
      const imm = code.imm[pc]!;
      const cls = op & 0x07;
      terminated = false;
      const at = pc;
      switch (cls) {
        case Class.ALU:
        case Class.ALU64:
          body.push(aluInsn(pc, op, d, s, off, imm));
          break;
        case Class.LD: {
          const lo = imm64.lo[pc]!;
          const hi = imm64.hi[pc]!;
          body.push(`r${d}l = ${n(lo)}; r${d}h = ${n(hi)};`);
          pc++;
          break;
        }
        case Class.LDX: {
          const size = op & 0x18;
          const bytes = size === Size.B ? 1 : size === Size.H ? 2 : size === Size.W ? 4 : 8;
          const sx = (op & 0xe0) === Mode.MEMSX;
          // Through a BTF-typed kernel pointer: the kernel's PROBE_MEM, a load of simulated kernel memory that reads 0 where nothing is.
          if (probeMem.has(pc)) {
            body.push(`m.probeLoad(r${s}l, r${s}h, ${n(off)}, ${bytes}, ${sx}); r${d}l = m.tmp; r${d}h = hiOut[0];`);
            break;
          }
          let read: string;
          if (bytes === 1) read = sx ? `r${d}l = v.getInt8(o); r${d}h = r${d}l >> 31;` : `r${d}l = v.getUint8(o); r${d}h = 0;`;
          else if (bytes === 2) read = sx ? `r${d}l = v.getInt16(o, true); r${d}h = r${d}l >> 31;` : `r${d}l = v.getUint16(o, true); r${d}h = 0;`;
          else if (bytes === 4) read = sx ? `r${d}l = v.getInt32(o, true); r${d}h = r${d}l >> 31;` : `r${d}l = v.getInt32(o, true); r${d}h = 0;`;
          else read = `r${d}h = v.getInt32(o + 4, true); r${d}l = v.getInt32(o, true);`;
          body.push(`${memAccess(pc, s, off, bytes, false, regionOf, structured)} ${read}`);
          break;
        }
        case Class.ST:
        case Class.STX: {
          const size = op & 0x18;
          const bytes = size === Size.B ? 1 : size === Size.H ? 2 : size === Size.W ? 4 : 8;
          if (cls === Class.STX && (op & 0xe0) === Mode.ATOMIC) {
            body.push(`L[0] = r0l; H[0] = r0h; L[${s}] = r${s}l; H[${s}] = r${s}h; m.atomic(${pc}, ${bytes}, ${n(imm)}, r${d}l, r${d}h, ${n(off)}, ${s}); r0l = L[0]; r0h = H[0]; r${s}l = L[${s}]; r${s}h = H[${s}];`);
            break;
          }
          const vl = cls === Class.ST ? n(imm) : `r${s}l`;
          const vh = cls === Class.ST ? n(imm >> 31) : `r${s}h`;
          let write: string;
          if (bytes === 1) write = `v.setUint8(o, ${vl} & 255);`;
          else if (bytes === 2) write = `v.setUint16(o, ${vl} & 65535, true);`;
          else if (bytes === 4) write = `v.setInt32(o, ${vl}, true);`;
          else write = `v.setInt32(o, ${vl}, true); v.setInt32(o + 4, ${vh}, true);`;
          body.push(`${memAccess(pc, d, off, bytes, true, regionOf, structured)} ${write}`);
          break;
        }
        case Class.JMP:
        case Class.JMP32: {
          const jop = op & 0xf0;
          if (jop === JmpOp.EXIT) {
            if (structured) body.push('L[0] = r0l; H[0] = r0h; m.budget = budget; return;');
            else body.push(
              'if (depth === 0) { L[0] = r0l; H[0] = r0h; m.budget = budget; return; }' +
                // A bpf_loop callback returns to the loop: 0 runs the next iteration, else (or at the end) r0 is the count.
                (callsBack ? ` if (cbFrame[depth] === 1) { b = depth - 1; lt = loopAt[b] + 1; if ((r0l | r0h) === 0 && lt < loopEnd[b]) { loopAt[b] = lt;${enterCallback('lt')} } cbFrame[depth] = 0; r0l = lt; r0h = 0; }` : '') +
                ' m.leaveFrame(depth); depth--; b = depth * 10; r6l = saved[b]; r6h = saved[b + 1]; r7l = saved[b + 2]; r7h = saved[b + 3]; r8l = saved[b + 4]; r8h = saved[b + 5]; r9l = saved[b + 6]; r9h = saved[b + 7]; r10l = saved[b + 8]; r10h = saved[b + 9];' +
                ' pc = retPc[depth]; continue;',
            );
            terminated = true;
          } else if (jop === JmpOp.CALL) {
            if (!(op & Source.X) && s === CallSrc.HELPER && imm === BPF_LOOP_HELPER) {
              // bpf_loop(nr_loops, callback_fn, callback_ctx, flags), as the kernel's bpf_loop(): errors first, then a frame per iteration.
              body.push(
                `if ((r4l | r4h) !== 0) { r0l = ${-EINVAL}; r0h = -1; } else if ((r1l >>> 0) > ${BPF_MAX_LOOPS}) { r0l = ${-E2BIG}; r0h = -1; } else if (r1l === 0) { r0l = 0; r0h = 0; } else {` +
                  ` if (r2h !== ${CODE_REGION}) throw new VmError(${pc}, "bpf_loop: R2 is not a function's address");` +
                  ` if (depth + 1 >= ${MAX_CALL_FRAMES}) throw new VmError(${pc}, 'call stack too deep: more than ${MAX_CALL_FRAMES} frames');` +
                  SAVE_CALLER +
                  ` retPc[depth] = ${pc + 1}; b = depth; loopFn[b] = r2l; loopAt[b] = 0; loopEnd[b] = r1l >>> 0; loopCtx[b * 2] = r3l; loopCtx[b * 2 + 1] = r3h; depth++; cbFrame[depth] = 1;` +
                  `${enterCallback('0')} }`,
              );
            } else if (op & Source.X || s === CallSrc.HELPER) {
              if (op & Source.X) body.push(`${spillArgs} m.callHelper(r${d}l, ${pc}); r0l = L[0]; r0h = H[0];`);
              // A helper by constant id is called straight from the table with r1-r5 in m.args, as
              // callHelper would (which still reports an unknown id).
              else {
                const call = `${argsOut} f = HT[${n(imm)}]; if (f === undefined) m.callHelper(${n(imm)}, ${pc}); m.pc = ${pc}; m.retLo = 0; m.retHi = 0; f(m); r0l = m.retLo; r0h = m.retHi;`;
                // The environment readers programs call on every event run inline while the machine
                // has the built-in implementation (a test may replace it), as the kernel inlines them;
                // other built-ins are called straight (jit-calls.ts), or given only the arguments they read.
                const proto = helperProto(imm);
                const builtin = BUILTIN_TABLE[imm] !== undefined;
                const fast = INLINE_HELPERS[imm] ?? (builtin ? fastHelperCall(imm, pc, known, maps, M) : undefined) ??
                  (builtin && proto ? `${argsOf(proto.args.length)} m.pc = ${pc}; m.retLo = 0; m.retHi = 0; BI[${n(imm)}](m); r0l = m.retLo; r0h = m.retHi;` : undefined);
                body.push(fast ? `if (BH) { ${fast} } else { ${call} }` : call);
              }
            } else {
              const target = pc + 1 + imm;
              body.push(
                `if (depth + 1 >= ${MAX_CALL_FRAMES}) throw new VmError(${pc}, 'call stack too deep: more than ${MAX_CALL_FRAMES} frames');` +
                  SAVE_CALLER +
                  ` retPc[depth] = ${pc + 1}; depth++; m.enterFrame(depth); r10l = ${STACK_SIZE}; r10h = ${STACK_REGION} + depth; pc = ${target}; continue;`,
              );
              terminated = true;
            }
          } else if (jop === JmpOp.JA) {
            const target = pc + 1 + (cls === Class.JMP ? off : imm);
            body.push(jump(target));
            terminated = true;
          } else {
            const target = pc + 1 + off;
            body.push(`if (${condition(op, d, s, imm)}) { ${jump(target)} }`);
          }
          break;
        }
      }
      trackMaps(mapIn, op, d, s, off, imm64.lo[at]!, imm64.hi[at]!);
      forgetWritten(regionOf, op, d, s);
      trackValues(stackAt, constOf, op, d, s, off, imm);
    }
    // Fall through into the next case: the next leader follows in the switch.
    if (!terminated && end < code.length && !leaderSet.has(end)) body.push(`pc = ${end}; continue;`);
  }
  const regs = Array.from({ length: 11 }, (_, i) => (i === 1 ? 'r1l = 0, r1h = ctxHi' : i === 2 ? 'r2l = ctxLen, r2h = 0' : i === 10 ? `r10l = ${STACK_SIZE}, r10h = ${STACK_REGION}` : `r${i}l = 0, r${i}h = 0`)).join(', ');
  const hoisted = [...usedMaps].sort((a, b) => a - b).map((i) => `, M${i} = m.maps[${i}]`).join('');
  // The call-frame arrays live with the compiled program, not in each run: a run never re-enters
  // its own program, and allocating two typed arrays per run cost more than many programs' bodies.
  const head = `
    const retPc = new Int32Array(${MAX_CALL_FRAMES}), saved = new Int32Array(${MAX_CALL_FRAMES * 10});${callsBack ? `
    const loopFn = new Int32Array(${MAX_CALL_FRAMES}), loopAt = new Int32Array(${MAX_CALL_FRAMES}), loopEnd = new Int32Array(${MAX_CALL_FRAMES}), loopCtx = new Int32Array(${MAX_CALL_FRAMES * 2}), cbFrame = new Uint8Array(${MAX_CALL_FRAMES});` : ''}
    return function run(m, ctxHi, ctxLen) {
      const L = m.L, H = m.H, A = m.args, HT = m.helperTable, SV = m.stackViews, S0 = SV[0], SB0 = m.mainStack, space = m.space, regions = space.regions, initial = m.budget, env = m.env, BH = m.builtinHelpers === true${hoisted};
      let ${regs};
      let budget = initial, pc = 0, depth = 0, lt = 0, t = 0, ah = 0, o = 0, rg, rk, v, bl = 0, bh = 0, b = 0, f, hv = 0, g;
      let ${Array.from({ length: 10 }, (_, i) => `n${i} = -1, v${i}, w${i} = false`).join(', ')};`;
  // Labels open outermost-last-target first, so each closes just before its target's code.
  const src = structured ? `${head}
      ${[...targets].sort((a, b) => b - a).map((t) => `L${t}: {`).join(' ')}
      ${body.join('\n      ')}
      throw new VmError(${leaders[leaders.length - 1]}, 'fell off the end of the program');
    };` : `${head}
      for (;;) {
        switch (pc) {
          ${body.join('\n          ')}
        }
        throw new VmError(pc, 'fell off the end of the program');
      }
    };`;
  const factory = new Function('VmError', 'hiOut', 'mul64', 'udiv64', 'umod64', 'sdiv64', 'smod64', 'udiv32', 'umod32', 'sdiv32', 'smod32', 'lsh64', 'rsh64', 'arsh64', 'bswap16', 'bswap32', 'BI', 'PR', 'PB', 'RC', src) as (...a: unknown[]) => CompiledProgram;
  return factory(VmError, hiOut, mul64, udiv64, umod64, sdiv64, smod64, udiv32, umod32, sdiv32, smod32, lsh64, rsh64, arsh64, bswap16, bswap32, BUILTIN_TABLE, probeReadInto, probeReadBytes, ringbufCommitAt);
}

/**
 * Compiled programs by what they were compiled from (compile's inputs). Loading the same object
 * again (every simulation run does) gives the same inputs, and the function made for them is
 * reused: V8 keeps its type feedback and optimised code, where a fresh function would be compiled
 * by TurboFan again, which on two cores cost more than a short run's programs do. Sharing is safe
 * because the function holds no state between runs (its call-frame arrays are scratch, and a run
 * never re-enters a program). Bounded, so a process that loads many distinct programs (a fuzzer)
 * does not grow without limit.
 */
const compiledByInputs = new Map<string, CompiledProgram>();
const MAX_COMPILED = 512;
