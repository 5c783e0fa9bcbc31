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

function set64(dv: DataView, off: number, v: RegisterValue): void {
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
    for (let i = 0; i < args.length; i++) set64(dv, ARG_OFFSETS[i]!, args[i]!);
  }
  if (r.ret !== undefined) set64(dv, PT_REGS.ax, r.ret);
  if (r.ip !== undefined) set64(dv, PT_REGS.ip, r.ip);
  if (r.sp !== undefined) set64(dv, PT_REGS.sp, r.sp);
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
