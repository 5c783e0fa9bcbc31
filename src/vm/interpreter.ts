// The reference interpreter: executes a validated program instruction by instruction with exact RFC 9669 semantics.
import {
  arsh64, bswap16, bswap32, cmpS64, cmpU64, hiOut, lsh64, mul64, rsh64, sdiv32, sdiv64, smod32, smod64, udiv32, udiv64,
  umod32, umod64,
} from './int64.js';
import { CODE_REGION, CTX_REGION, VmError, formatAddress } from './memory.js';
import { BPF_LOOP_HELPER, BPF_MAX_LOOPS } from './helpers/table.js';
import { E2BIG, EINVAL } from './maps/constants.js';
import { AluOp, Class, JmpOp, MAX_CALL_FRAMES, Mode, STACK_SIZE, Size, Source } from './isa/opcodes.js';
import type { Machine } from './machine.js';

/** Evaluates a conditional jump's condition. */
export function condition(op: number, is64: boolean, alo: number, ahi: number, blo: number, bhi: number): boolean {
  if (!is64) {
    ahi = 0;
    bhi = 0;
  }
  switch (op) {
    case JmpOp.JEQ:
      return alo === blo && ahi === bhi;
    case JmpOp.JNE:
      return alo !== blo || ahi !== bhi;
    case JmpOp.JSET:
      return (alo & blo) !== 0 || (ahi & bhi) !== 0;
    case JmpOp.JGT:
      return cmpU64(alo, ahi, blo, bhi) > 0;
    case JmpOp.JGE:
      return cmpU64(alo, ahi, blo, bhi) >= 0;
    case JmpOp.JLT:
      return cmpU64(alo, ahi, blo, bhi) < 0;
    case JmpOp.JLE:
      return cmpU64(alo, ahi, blo, bhi) <= 0;
  }
  // Signed: 32-bit compares the low halves as int32.
  const c = is64 ? cmpS64(alo, ahi, blo, bhi) : alo < blo ? -1 : alo > blo ? 1 : 0;
  switch (op) {
    case JmpOp.JSGT:
      return c > 0;
    case JmpOp.JSGE:
      return c >= 0;
    case JmpOp.JSLT:
      return c < 0;
    default:
      return c <= 0;
  }
}

/** Runs the program on the machine from instruction 0; returns with r0 in m.L[0]/m.H[0]. */
export function interpret(m: Machine): void {
  const { op: OP, dst: DST, src: SRC, off: OFF, imm: IMM } = m.code;
  const L = m.L;
  const H = m.H;
  const space = m.space;
  let budget = m.budget;
  let pc = 0;
  let depth = 0;
  const retPc = new Int32Array(MAX_CALL_FRAMES);
  const saved = new Int32Array(MAX_CALL_FRAMES * 10);
  // bpf_loop in progress, by the depth of the frame that called it: its callback runs one frame deeper.
  const loopFn = new Int32Array(MAX_CALL_FRAMES);
  const loopAt = new Int32Array(MAX_CALL_FRAMES);
  const loopEnd = new Int32Array(MAX_CALL_FRAMES);
  const loopCtx = new Int32Array(MAX_CALL_FRAMES * 2);
  /** Whether frame k runs a bpf_loop callback (its exit goes back to the loop, not to a call site). */
  const callbackFrame = new Uint8Array(MAX_CALL_FRAMES);
  /** Before a call from frame `depth` at pc: r6-r9 and r10 saved, and where it returns to. */
  const saveCaller = (): void => {
    if (depth + 1 >= MAX_CALL_FRAMES) throw new VmError(pc, `call stack too deep: more than ${MAX_CALL_FRAMES} frames`);
    for (let i = 0; i < 4; i++) {
      saved[depth * 10 + i * 2] = L[6 + i]!;
      saved[depth * 10 + i * 2 + 1] = H[6 + i]!;
    }
    saved[depth * 10 + 8] = L[10]!;
    saved[depth * 10 + 9] = H[10]!;
    retPc[depth] = pc + 1;
  };
  /** Enters frame `depth` for iteration i of the loop its caller runs: r1 = i, r2 = the callback's context, r3-r5 = 0. */
  const enterCallback = (i: number): number => {
    const caller = depth - 1;
    m.enterFrame(depth);
    L[1] = i;
    H[1] = 0;
    L[2] = loopCtx[caller * 2]!;
    H[2] = loopCtx[caller * 2 + 1]!;
    for (let r = 3; r <= 5; r++) L[r] = H[r] = 0;
    L[10] = STACK_SIZE;
    H[10] = m.stackRegion(depth);
    return loopFn[caller]!;
  };

  const addr = (lo: number, hi: number, off: number): number => {
    // (hi, lo) + sign-extended off, with the carry or borrow into hi.
    const t = (lo >>> 0) + off;
    m.tmpHi = (hi + (t > 0xffffffff ? 1 : t < 0 ? -1 : 0)) | 0;
    return t | 0;
  };
  const load = (lo: number, hi: number, off: number, size: number, signed: boolean): void => {
    const aLo = addr(lo, hi, off);
    const aHi = m.tmpHi;
    const r = space.resolve(aLo, aHi, size, false, pc);
    const o = aLo >>> 0;
    const v = r.view;
    switch (size) {
      case 1:
        hiOut[0] = 0;
        if (signed) {
          const b = v.getInt8(o);
          hiOut[0] = b >> 31;
          m.tmp = b;
        } else m.tmp = v.getUint8(o);
        return;
      case 2:
        hiOut[0] = 0;
        if (signed) {
          const h = v.getInt16(o, true);
          hiOut[0] = h >> 31;
          m.tmp = h;
        } else m.tmp = v.getUint16(o, true);
        return;
      case 4:
        m.tmp = v.getInt32(o, true);
        hiOut[0] = signed ? m.tmp >> 31 : 0;
        return;
      default:
        m.tmp = v.getInt32(o, true);
        hiOut[0] = v.getInt32(o + 4, true);
    }
  };
  const store = (lo: number, hi: number, off: number, size: number, vlo: number, vhi: number): void => {
    const aLo = addr(lo, hi, off);
    const r = space.resolve(aLo, m.tmpHi, size, true, pc);
    const o = aLo >>> 0;
    switch (size) {
      case 1:
        r.view.setUint8(o, vlo & 0xff);
        return;
      case 2:
        r.view.setUint16(o, vlo & 0xffff, true);
        return;
      case 4:
        r.view.setInt32(o, vlo, true);
        return;
      default:
        r.view.setInt32(o, vlo, true);
        r.view.setInt32(o + 4, vhi, true);
    }
  };

  for (;;) {
    if (--budget < 0) throw new VmError(pc, `instruction budget of ${m.budget} exceeded`);
    const opcode = OP[pc]!;
    const d = DST[pc]!;
    const s = SRC[pc]!;
    const off = OFF[pc]!;
    const imm = IMM[pc]!;
    const cls = opcode & 0x07;
    switch (cls) {
      case Class.ALU64:
      case Class.ALU: {
        const is64 = cls === Class.ALU64;
        const aop = opcode & 0xf0;
        let blo: number;
        let bhi: number;
        if (opcode & Source.X) {
          blo = L[s]!;
          bhi = H[s]!;
        } else {
          blo = imm;
          bhi = imm >> 31;
        }
        const alo = L[d]!;
        const ahi = H[d]!;
        let rlo = 0;
        let rhi = 0;
        if (is64) {
          switch (aop) {
            case AluOp.ADD: {
              const t = (alo >>> 0) + (blo >>> 0);
              rlo = t | 0;
              rhi = (ahi + bhi + (t > 0xffffffff ? 1 : 0)) | 0;
              break;
            }
            case AluOp.SUB: {
              const t = (alo >>> 0) - (blo >>> 0);
              rlo = t | 0;
              rhi = (ahi - bhi - (t < 0 ? 1 : 0)) | 0;
              break;
            }
            case AluOp.MUL:
              rlo = mul64(alo, ahi, blo, bhi);
              rhi = hiOut[0]!;
              break;
            case AluOp.DIV:
              rlo = off === 1 ? sdiv64(alo, ahi, blo, bhi) : udiv64(alo, ahi, blo, bhi);
              rhi = hiOut[0]!;
              break;
            case AluOp.MOD:
              rlo = off === 1 ? smod64(alo, ahi, blo, bhi) : umod64(alo, ahi, blo, bhi);
              rhi = hiOut[0]!;
              break;
            case AluOp.OR:
              rlo = alo | blo;
              rhi = ahi | bhi;
              break;
            case AluOp.AND:
              rlo = alo & blo;
              rhi = ahi & bhi;
              break;
            case AluOp.XOR:
              rlo = alo ^ blo;
              rhi = ahi ^ bhi;
              break;
            case AluOp.LSH:
              rlo = lsh64(alo, ahi, blo & 63);
              rhi = hiOut[0]!;
              break;
            case AluOp.RSH:
              rlo = rsh64(alo, ahi, blo & 63);
              rhi = hiOut[0]!;
              break;
            case AluOp.ARSH:
              rlo = arsh64(alo, ahi, blo & 63);
              rhi = hiOut[0]!;
              break;
            case AluOp.NEG: {
              const t = 0 - (alo >>> 0);
              rlo = t | 0;
              rhi = (0 - ahi - (t < 0 ? 1 : 0)) | 0;
              break;
            }
            case AluOp.MOV:
              if (off === 8) {
                rlo = (blo << 24) >> 24;
                rhi = rlo >> 31;
              } else if (off === 16) {
                rlo = (blo << 16) >> 16;
                rhi = rlo >> 31;
              } else if (off === 32) {
                rlo = blo;
                rhi = blo >> 31;
              } else {
                rlo = blo;
                rhi = bhi;
              }
              break;
            case AluOp.END:
              // ALU64 END: unconditional byte swap (bswap).
              if (imm === 16) {
                rlo = bswap16(alo);
                rhi = 0;
              } else if (imm === 32) {
                rlo = bswap32(alo);
                rhi = 0;
              } else {
                rlo = bswap32(ahi);
                rhi = bswap32(alo);
              }
              break;
          }
        } else {
          switch (aop) {
            case AluOp.ADD:
              rlo = (alo + blo) | 0;
              break;
            case AluOp.SUB:
              rlo = (alo - blo) | 0;
              break;
            case AluOp.MUL:
              rlo = Math.imul(alo, blo);
              break;
            case AluOp.DIV:
              rlo = off === 1 ? sdiv32(alo, blo) : udiv32(alo, blo);
              break;
            case AluOp.MOD:
              rlo = off === 1 ? smod32(alo, blo) : umod32(alo, blo);
              break;
            case AluOp.OR:
              rlo = alo | blo;
              break;
            case AluOp.AND:
              rlo = alo & blo;
              break;
            case AluOp.XOR:
              rlo = alo ^ blo;
              break;
            case AluOp.LSH:
              rlo = alo << (blo & 31);
              break;
            case AluOp.RSH:
              rlo = alo >>> (blo & 31);
              break;
            case AluOp.ARSH:
              rlo = alo >> (blo & 31);
              break;
            case AluOp.NEG:
              rlo = -alo | 0;
              break;
            case AluOp.MOV:
              rlo = off === 8 ? (blo << 24) >> 24 : off === 16 ? (blo << 16) >> 16 : blo;
              break;
            case AluOp.END:
              if (opcode & Source.X) {
                // to big endian: swap (the host, like every eBPF target viotrace models, is little endian)
                rlo = imm === 16 ? bswap16(alo) : imm === 32 ? bswap32(alo) : 0;
                if (imm === 64) {
                  rlo = bswap32(ahi);
                  rhi = bswap32(alo);
                }
              } else {
                // to little endian: truncate
                rlo = imm === 16 ? alo & 0xffff : alo;
                if (imm === 64) rhi = ahi;
              }
              break;
          }
        }
        L[d] = rlo;
        H[d] = rhi;
        pc++;
        continue;
      }
      case Class.JMP:
      case Class.JMP32: {
        const jop = opcode & 0xf0;
        if (jop === JmpOp.JA) {
          pc += 1 + (cls === Class.JMP ? off : imm);
          continue;
        }
        if (jop === JmpOp.EXIT) {
          if (depth === 0) {
            m.budget = budget;
            return;
          }
          if (callbackFrame[depth]) {
            // bpf_loop: 0 asks for the next iteration, anything else stops; r0 is then the iterations run.
            const caller = depth - 1;
            const ran = loopAt[caller]! + 1;
            if ((L[0] | H[0]) === 0 && ran < loopEnd[caller]!) {
              loopAt[caller] = ran;
              pc = enterCallback(ran);
              continue;
            }
            callbackFrame[depth] = 0;
            L[0] = ran;
            H[0] = 0;
          }
          m.leaveFrame(depth);
          depth--;
          for (let i = 0; i < 4; i++) {
            L[6 + i] = saved[depth * 10 + i * 2]!;
            H[6 + i] = saved[depth * 10 + i * 2 + 1]!;
          }
          L[10] = saved[depth * 10 + 8]!;
          H[10] = saved[depth * 10 + 9]!;
          pc = retPc[depth]!;
          continue;
        }
        if (jop === JmpOp.CALL) {
          if (opcode & Source.X || s === 0) {
            const id = opcode & Source.X ? L[d]! : imm;
            if (id === BPF_LOOP_HELPER) {
              // bpf_loop(nr_loops, callback_fn, callback_ctx, flags) calls back into the program: it runs here, as the kernel's bpf_loop() does.
              const n = L[1]! >>> 0;
              const err = (L[4] | H[4]) !== 0 ? -EINVAL : n > BPF_MAX_LOOPS ? -E2BIG : 0;
              if (err !== 0 || n === 0) {
                L[0] = err;
                H[0] = err >> 31;
                pc++;
                continue;
              }
              if (H[2] !== CODE_REGION) throw new VmError(pc, `bpf_loop: R2 (${formatAddress(L[2]!, H[2]!)}) is not a function's address`);
              saveCaller();
              loopFn[depth] = L[2]!;
              loopAt[depth] = 0;
              loopEnd[depth] = n;
              loopCtx[depth * 2] = L[3]!;
              loopCtx[depth * 2 + 1] = H[3]!;
              depth++;
              callbackFrame[depth] = 1;
              pc = enterCallback(0);
              continue;
            }
            m.callHelper(id, pc);
            pc++;
            continue;
          }
          // bpf-to-bpf call: new frame, r6-r9 and r10 saved.
          saveCaller();
          depth++;
          m.enterFrame(depth);
          L[10] = STACK_SIZE;
          H[10] = m.stackRegion(depth);
          pc += 1 + imm;
          continue;
        }
        let blo: number;
        let bhi: number;
        if (opcode & Source.X) {
          blo = L[s]!;
          bhi = H[s]!;
        } else {
          blo = imm;
          bhi = imm >> 31;
        }
        pc += condition(jop, cls === Class.JMP, L[d]!, H[d]!, blo, bhi) ? 1 + off : 1;
        continue;
      }
      case Class.LD: {
        // LD_IMM64, already resolved by the machine (map references included).
        L[d] = m.imm64Lo[pc]!;
        H[d] = m.imm64Hi[pc]!;
        pc += 2;
        continue;
      }
      case Class.LDX: {
        const size = opcode & 0x18;
        const bytes = size === Size.B ? 1 : size === Size.H ? 2 : size === Size.W ? 4 : 8;
        if (m.probeMem[pc] === 1) m.probeLoad(L[s]!, H[s]!, off, bytes, (opcode & 0xe0) === Mode.MEMSX);
        else load(L[s]!, H[s]!, off, bytes, (opcode & 0xe0) === Mode.MEMSX);
        L[d] = m.tmp;
        H[d] = hiOut[0]!;
        pc++;
        continue;
      }
      case Class.ST: {
        const size = opcode & 0x18;
        store(L[d]!, H[d]!, off, size === Size.B ? 1 : size === Size.H ? 2 : size === Size.W ? 4 : 8, imm, imm >> 31);
        pc++;
        continue;
      }
      case Class.STX: {
        const size = opcode & 0x18;
        const bytes = size === Size.B ? 1 : size === Size.H ? 2 : size === Size.W ? 4 : 8;
        if ((opcode & 0xe0) === Mode.ATOMIC) {
          m.atomic(pc, bytes, imm, L[d]!, H[d]!, off, s);
          pc++;
          continue;
        }
        store(L[d]!, H[d]!, off, bytes, L[s]!, H[s]!);
        pc++;
        continue;
      }
    }
    throw new VmError(pc, `unknown opcode 0x${opcode.toString(16)}`);
  }
}

/** Re-exported for the JIT's error messages. */
export { CTX_REGION, formatAddress };
