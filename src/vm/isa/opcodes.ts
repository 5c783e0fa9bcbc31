// The eBPF opcode space of RFC 9669: instruction classes, ALU and jump operations, sizes, modes.

/** Instruction classes (low 3 bits of the opcode). */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Source bit of ALU and jump opcodes: K = immediate, X = register. */
export const Source = { K: 0x00, X: 0x08 } as const;

/** ALU operations (high 4 bits of ALU/ALU64 opcodes). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

/** Jump operations (high 4 bits of JMP/JMP32 opcodes). */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;

/** Load/store sizes (bits 3-4). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** Load/store modes (bits 5-7). */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** Atomic operations (the imm of an ATOMIC store). */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe1,
  CMPXCHG: 0xf1,
} as const;

/** src values of LD_IMM64 (RFC 9669 §4.4 and libbpf's pseudo sources). */
export const Imm64Src = {
  IMM: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  VARIABLE_ADDR: 3,
  CODE_ADDR: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

/** src values of CALL: a helper, a program-local function, a kernel function (kfunc). */
export const CallSrc = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

/** Bytes per access size. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size) {
    case Size.B:
      return 1;
    case Size.H:
      return 2;
    case Size.W:
      return 4;
    default:
      return 8;
  }
}

/** Number of registers (r0-r10). */
export const REGISTER_COUNT = 11;
/** The read-only frame pointer. */
export const FRAME_POINTER = 10;
/** Bytes of stack per frame. */
export const STACK_SIZE = 512;
/** Deepest bpf-to-bpf call chain, frames included (the kernel's MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;

/**
 * The helper id libbpf writes over an instruction whose CO-RE relocation found nothing in the
 * kernel's BTF (bpf_core_poison_insn: 0xbad2310, "bad relo"): loadable, and refused by the
 * verifier only if reached, as "invalid func unknown#195896080".
 */
export const CORE_POISON_HELPER = 0xbad2310;
