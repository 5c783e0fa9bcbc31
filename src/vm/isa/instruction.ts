// One eBPF instruction: its fields, decoding from bytes and encoding back (RFC 9669 §3).

/** The fields of one 64-bit instruction slot. LD_IMM64 occupies two slots; the second has opcode 0. */
export interface Instruction {
  opcode: number;
  dst: number;
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
}

/** Bytes per instruction slot. */
export const INSN_SIZE = 8;

/** Decodes little-endian instruction bytes (length a multiple of 8) into slots. */
export function decode(bytes: Uint8Array): Instruction[] {
  if (bytes.length % INSN_SIZE !== 0) throw new RangeError(`program length ${bytes.length} is not a multiple of ${INSN_SIZE}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Instruction[] = new Array(bytes.length / INSN_SIZE);
  for (let i = 0; i < out.length; i++) {
    const o = i * INSN_SIZE;
    const regs = bytes[o + 1]!;
    out[i] = { opcode: bytes[o]!, dst: regs & 0x0f, src: regs >> 4, off: dv.getInt16(o + 2, true), imm: dv.getInt32(o + 4, true) };
  }
  return out;
}

/** Encodes slots back into little-endian bytes. */
export function encode(insns: readonly Instruction[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * INSN_SIZE);
  const dv = new DataView(bytes.buffer);
  insns.forEach((insn, i) => {
    const o = i * INSN_SIZE;
    bytes[o] = insn.opcode;
    bytes[o + 1] = (insn.dst & 0x0f) | ((insn.src & 0x0f) << 4);
    dv.setInt16(o + 2, insn.off, true);
    dv.setInt32(o + 4, insn.imm, true);
  });
  return bytes;
}
