// x86-64 struct pt_regs as kprobe and uprobe programs see it: arguments in di, si, dx, cx, r8, r9; the return value in ax.

/** sizeof(struct pt_regs) on x86-64. */
export const PT_REGS_BYTES = 168;

/** Byte offsets of the registers in struct pt_regs (arch/x86/include/asm/ptrace.h). */
export const PT_REGS = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72,
  ax: 80, cx: 88, dx: 96, si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
} as const;

/** Where the System V AMD64 calling convention puts integer arguments 1-6. */
export const ARG_REGISTERS = ['di', 'si', 'dx', 'cx', 'r8', 'r9'] as const;

/** A register value: a BigInt, or a number (exact integers below 2^53 and negative ones, written with no BigInt). */
export type RegisterValue = bigint | number;

/** What a probe sees: the call's arguments (at entry) or its return value (at return), and where it stopped. */
export interface ProbeRegisters {
  args?: readonly RegisterValue[];
  ret?: RegisterValue;
  ip?: RegisterValue;
  sp?: RegisterValue;
}

/** Writes a 64-bit register value little-endian at `off` (a pt_regs slot, a raw tracepoint argument). */
export function writeRegisterValue(dv: DataView, off: number, v: RegisterValue): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`register value ${v} is not an exact integer`);
    dv.setUint32(off, v >>> 0, true);
    dv.setUint32(off + 4, Math.floor(v / 4294967296) >>> 0, true);
  } else dv.setBigUint64(off, v, true); // ToBigUint64 wraps negative values, as a register holds them
}

/**
 * Writes the pt_regs of a probe hit into `dv` (PT_REGS_BYTES long), every other register zero.
 * Kernel code runs with cs 0x10; user code with cs 0x33.
 */
export function writePtRegs(dv: DataView, r: ProbeRegisters, user: boolean): void {
  for (let o = 0; o < PT_REGS_BYTES; o += 4) dv.setUint32(o, 0);
  const args = r.args;
  if (args) {
    if (args.length > ARG_REGISTERS.length) throw new Error('more than six register arguments');
    for (let i = 0; i < args.length; i++) writeRegisterValue(dv, ARG_OFFSETS[i]!, args[i]!);
  }
  if (r.ret !== undefined) writeRegisterValue(dv, PT_REGS.ax, r.ret);
  if (r.ip !== undefined) writeRegisterValue(dv, PT_REGS.ip, r.ip);
  if (r.sp !== undefined) writeRegisterValue(dv, PT_REGS.sp, r.sp);
  dv.setUint32(PT_REGS.cs, user ? 0x33 : 0x10, true);
  dv.setUint32(PT_REGS.ss, user ? 0x2b : 0x18, true);
  dv.setUint32(PT_REGS.flags, 0x246, true);
}

const ARG_OFFSETS = ARG_REGISTERS.map((r) => PT_REGS[r]);

/** Builds the pt_regs bytes for a probe hit (a new buffer; simulators reuse one with writePtRegs). */
export function ptRegs(r: ProbeRegisters, user = false): Uint8Array {
  const out = new Uint8Array(PT_REGS_BYTES);
  writePtRegs(new DataView(out.buffer), r, user);
  return out;
}

/** The 8-byte slots of the registers a probe sets: arguments, ax, ip, sp. */
const SLOT_OF_ARG = ARG_OFFSETS.map((o) => o >> 3);
const SLOT_AX = PT_REGS.ax >> 3;
const SLOT_IP = PT_REGS.ip >> 3;
const SLOT_SP = PT_REGS.sp >> 3;

/** A value no register holds: a slot whose bytes are not known to hold any particular value. */
const UNKNOWN = Symbol('unknown');

/**
 * One reusable pt_regs buffer, rewritten per probe hit with exactly writePtRegs' bytes, but
 * touching only what changes: a register is written when its value differs from the one it
 * holds, the registers the last hit set and this one does not are zeroed, cs/ss/flags are
 * rewritten only when the hit switches between kernel and user code. Programs cannot write
 * their context, so the buffer holds what was last written.
 */
export class PtRegsFrame {
  readonly bytes = new Uint8Array(PT_REGS_BYTES);
  readonly view = new DataView(this.bytes.buffer);
  /** Slots (bit per 8 bytes) the last hit may have left non-zero, cs/ss/flags aside. */
  private dirty = 0;
  /** 1 user, 0 kernel, -1 not yet written. */
  private mode = -1;
  /** The value each 8-byte slot holds, as last written (0 once cleared). */
  private readonly held: (RegisterValue | typeof UNKNOWN)[] = new Array(PT_REGS_BYTES / 8).fill(0);

  /** Writes a hit's registers (as writePtRegs would into a zeroed buffer). */
  write(r: ProbeRegisters, user: boolean): void {
    let set = 0;
    const args = r.args;
    if (args) {
      if (args.length > ARG_REGISTERS.length) throw new Error('more than six register arguments');
      for (let i = 0; i < args.length; i++) set |= 1 << SLOT_OF_ARG[i]!;
    }
    if (r.ret !== undefined) set |= 1 << SLOT_AX;
    if (r.ip !== undefined) set |= 1 << SLOT_IP;
    if (r.sp !== undefined) set |= 1 << SLOT_SP;
    this.clear(this.dirty & ~set);
    this.dirty = set;
    this.setMode(user);
    if (args) for (let i = 0; i < args.length; i++) this.set(ARG_OFFSETS[i]!, args[i]!);
    if (r.ret !== undefined) this.set(PT_REGS.ax, r.ret);
    if (r.ip !== undefined) this.set(PT_REGS.ip, r.ip);
    if (r.sp !== undefined) this.set(PT_REGS.sp, r.sp);
  }

  /** An entry hit with `n` arguments (the rest of a..f ignored), every other register zero. */
  args(user: boolean, n: number, a?: RegisterValue, b?: RegisterValue, c?: RegisterValue, d?: RegisterValue, e?: RegisterValue, f?: RegisterValue): void {
    const set = ARG_MASKS[n]!;
    if (this.dirty !== set) {
      this.clear(this.dirty & ~set);
      this.dirty = set;
    }
    if (this.mode !== (user ? 1 : 0)) this.setMode(user);
    if (n > 0) this.set(PT_REGS.di, a!);
    if (n > 1) this.set(PT_REGS.si, b!);
    if (n > 2) this.set(PT_REGS.dx, c!);
    if (n > 3) this.set(PT_REGS.cx, d!);
    if (n > 4) this.set(PT_REGS.r8, e!);
    if (n > 5) this.set(PT_REGS.r9, f!);
  }

  /** A return hit: the return value in ax, every other register zero. */
  ret(user: boolean, v: RegisterValue): void {
    const set = 1 << SLOT_AX;
    if (this.dirty !== set) {
      this.clear(this.dirty & ~set);
      this.dirty = set;
    }
    if (this.mode !== (user ? 1 : 0)) this.setMode(user);
    this.set(PT_REGS.ax, v);
  }

  /** Writes a register unless it already holds `v`. */
  private set(off: number, v: RegisterValue): void {
    const slot = off >> 3;
    if (this.held[slot] === v) return;
    // Not known while being written: set64 may throw half way.
    this.held[slot] = UNKNOWN;
    writeRegisterValue(this.view, off, v);
    this.held[slot] = v;
  }

  private clear(slots: number): void {
    for (let k = 0; slots !== 0; k++, slots >>>= 1) {
      if (slots & 1 && this.held[k] !== 0) {
        this.view.setUint32(k * 8, 0);
        this.view.setUint32(k * 8 + 4, 0);
        this.held[k] = 0;
      }
    }
  }

  private setMode(user: boolean): void {
    const m = user ? 1 : 0;
    if (this.mode === m) return;
    this.mode = m;
    const dv = this.view;
    dv.setUint32(PT_REGS.cs, user ? 0x33 : 0x10, true);
    dv.setUint32(PT_REGS.ss, user ? 0x2b : 0x18, true);
    dv.setUint32(PT_REGS.flags, 0x246, true);
  }
}

/** The slots of the first n argument registers, by n. */
const ARG_MASKS = [0, 1, 2, 3, 4, 5, 6].map((n) => SLOT_OF_ARG.slice(0, n).reduce((m, s) => m | (1 << s), 0));
