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

/** What a probe sees: the call's arguments (at entry) or its return value (at return), and where it stopped. */
export interface ProbeRegisters {
  args?: readonly bigint[];
  ret?: bigint;
  ip?: bigint;
  sp?: bigint;
}

/**
 * Builds the pt_regs bytes for a probe hit. Kernel code runs with cs 0x10; user code with cs 0x33.
 * With `into`, fills that buffer instead of a new one (a simulator reuses one per side).
 */
export function ptRegs(r: ProbeRegisters, user = false, into?: Uint8Array): Uint8Array {
  const out = into ? (into.fill(0), into) : new Uint8Array(PT_REGS_BYTES);
  const dv = new DataView(out.buffer, out.byteOffset, PT_REGS_BYTES);
  const set = (reg: keyof typeof PT_REGS, v: bigint): void => dv.setBigUint64(PT_REGS[reg], BigInt.asUintN(64, v), true);
  (r.args ?? []).forEach((a, i) => {
    if (i >= ARG_REGISTERS.length) throw new Error('more than six register arguments');
    set(ARG_REGISTERS[i]!, a);
  });
  if (r.ret !== undefined) set('ax', r.ret);
  set('ip', r.ip ?? 0n);
  set('sp', r.sp ?? 0n);
  set('cs', user ? 0x33n : 0x10n);
  set('ss', user ? 0x2bn : 0x18n);
  set('flags', 0x246n);
  return out;
}
