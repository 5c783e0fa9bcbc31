// Random programs of scalar arithmetic, compares and stack spills, for holding the verifier's number tracking against a kernel's (test/kernel-verifier).
//
// Each starts from four unknown u64s the context gives (r6-r9, kprobe pt_regs), some masked, then
// mixes 32- and 64-bit ALU operations (constants and registers), negations, byte swaps, sign
// extensions, stores to and loads from three stack slots (every size, sign-extending loads too)
// and up to five forward conditional jumps of every kind. Every program is valid and accepted by
// a privileged kernel: only scalars are computed, nothing is dereferenced but the stack.

/** A seeded linear congruential generator: the same seed gives the same programs everywhere. */
function generator(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 1) / 0x80000000;
  };
}

const IMMEDIATES = [0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 0xfff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, -1, -2, -8, -16, -128, -256, -0x80000000];
const MASKS = [1, 3, 7, 15, 255, 0xff0, 0xffff, 0x7fffffff];
const ALU = ['add', 'sub', 'mul', 'and', 'or', 'xor', 'lsh', 'rsh', 'arsh', 'mov', 'add', 'and', 'div', 'mod'];
const JUMPS = ['jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle', 'jset'];

/** The `n`th random program of `seed`, as assembly text. */
export function randomScalarProgram(seed: number, n: number): string {
  const rnd = generator(seed * 7919 + n * 104729);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const regs = [6, 7, 8, 9];
  const head = ['ldxdw %r6, [%r1+0]', 'ldxdw %r7, [%r1+8]', 'ldxdw %r8, [%r1+16]', 'ldxdw %r9, [%r1+24]', 'stdw [%r10-8], 0', 'stxdw [%r10-16], %r6', 'stdw [%r10-24], 7'];
  for (const r of regs) if (rnd() < 0.6) head.push(`and %r${r}, ${pick(MASKS)}`);
  const body: (string | { jump: string; skip: number })[] = [];
  let branches = 0;
  const length = 6 + Math.floor(rnd() * 14);
  for (let i = 0; i < length; i++) {
    const d = pick(regs);
    const s = pick(regs);
    const k = rnd();
    if (k < 0.5) {
      const w = rnd() < 0.5 ? '' : '32';
      const op = pick(ALU);
      const byReg = rnd() < 0.4;
      if ((op === 'lsh' || op === 'rsh' || op === 'arsh') && !byReg) body.push(`${op}${w} %r${d}, ${Math.floor(rnd() * (w ? 32 : 64))}`);
      else if ((op === 'div' || op === 'mod') && !byReg) body.push(`${op}${w} %r${d}, ${pick([1, 3, 7, 10, 16])}`);
      else body.push(byReg ? `${op}${w} %r${d}, %r${s}` : `${op}${w} %r${d}, ${pick(IMMEDIATES)}`);
    } else if (k < 0.56) body.push(rnd() < 0.5 ? `neg %r${d}` : `neg32 %r${d}`);
    else if (k < 0.61) body.push(pick(['be16', 'be32', 'be64', 'le16', 'le32', 'bswap16', 'bswap32', 'bswap64']) + ` %r${d}`);
    else if (k < 0.66) body.push(`${pick(['movsx864', 'movsx1664', 'movsx3264', 'movsx832', 'movsx1632'])} %r${d}, %r${s}`);
    else if (k < 0.76) {
      const slot = -8 * (1 + Math.floor(rnd() * 3));
      const size = pick(['dw', 'w', 'h', 'b']);
      const off = slot + (size === 'w' && rnd() < 0.5 ? 4 : 0);
      const m = rnd();
      if (m < 0.35) body.push(`stx${size} [%r10${off}], %r${s}`);
      else if (m < 0.5) body.push(`st${size} [%r10${off}], ${pick(IMMEDIATES.filter((v) => size === 'dw' || size === 'w' || Math.abs(v) < 128))}`);
      else if (m < 0.8 || size === 'dw') body.push(`ldx${size} %r${d}, [%r10${off}]`);
      else body.push(`ldxs${size} %r${d}, [%r10${off}]`);
    } else if (branches < 5) {
      branches++;
      const w = rnd() < 0.4 ? '32' : '';
      const op = pick(JUMPS);
      body.push({ jump: rnd() < 0.4 ? `${op}${w} %r${d}, %r${s}` : `${op}${w} %r${d}, ${pick(IMMEDIATES)}`, skip: 1 + Math.floor(rnd() * 3) });
    }
  }
  const lines = body.map((b, i) => (typeof b === 'string' ? b : `${b.jump}, +${Math.min(b.skip, body.length - i - 1)}`));
  return [...head, ...lines, 'mov %r0, 0', 'exit'].join('\n');
}
