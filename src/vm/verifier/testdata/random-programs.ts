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

const INDEX_OPS = ['and', 'and32'];
const INDEX_MASKS = [7, 15, 31, 56, 63, 64, 127, 0xff, -8, 0x3c];
const INDEX_COMPARES = ['jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jslt', 'jgt32', 'jlt32', 'jsge', 'jne', 'jeq', 'jset'];
const ACCESSES = ['ldxb', 'ldxh', 'ldxw', 'ldxdw', 'stxb', 'stxw', 'stxdw', 'ldxsb', 'ldxsw'];

/**
 * The `n`th random program of `seed` that indexes memory: a 64-byte array map value (looked up and
 * NULL-checked) or 64 zeroed bytes of stack, plus an index computed from the context's unknowns by
 * masks, shifts, sign extensions and compares (sometimes a bounds check), then a load or store
 * through it at a small offset. Most are refused, each for the reason the kernel gives first.
 */
export function randomPointerProgram(seed: number, n: number): string {
  const rnd = generator(seed * 15485863 + n * 32452843);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const head = [
    'ldxdw %r6, [%r1+0]', 'ldxdw %r7, [%r1+8]', 'ldxdw %r8, [%r1+16]', `stw [%r10-4], ${pick([0, 1, 3, 4, 7])}`,
    'mov %r2, %r10', 'add %r2, -4', 'lddw %r1, map[1]', 'call 1', 'jne %r0, 0, +2', 'mov %r0, 0', 'exit',
    ...[64, 56, 48, 40, 32, 24, 16, 8].map((o) => `stdw [%r10-${o}], 0`),
  ];
  const regs = [6, 7, 8];
  const body: string[] = [];
  const length = 2 + Math.floor(rnd() * 6);
  for (let i = 0; i < length; i++) {
    const d = pick(regs);
    const s = pick(regs);
    const k = rnd();
    if (k < 0.3) body.push(`${pick(INDEX_OPS)} %r${d}, ${pick(INDEX_MASKS)}`);
    else if (k < 0.45) body.push(`${pick(['add', 'sub', 'lsh', 'rsh', 'mul', 'add32', 'or'])} %r${d}, ${pick([1, 2, 3, 4, 8, 16, 32])}`);
    else if (k < 0.55) body.push(`${pick(['add', 'sub', 'and', 'mov', 'mov32'])} %r${d}, %r${s}`);
    else if (k < 0.85) body.push(`${pick(INDEX_COMPARES)} %r${d}, ${pick([0, 1, 7, 8, 15, 16, 56, 60, 63, 64, -1])}, +${1 + Math.floor(rnd() * 2)}`);
    else body.push(`${pick(['movsx864', 'movsx3264', 'movsx832'])} %r${d}, %r${s}`);
  }
  const x = pick(regs);
  if (rnd() < 0.5) {
    body.push(`${pick(['jgt', 'jge', 'jsgt', 'jgt32'])} %r${x}, ${pick([7, 8, 56, 60, 63, 64])}, +99`);
    if (rnd() < 0.5) body.push(`${pick(['jslt', 'jlt'])} %r${x}, ${pick([0, 1, -1])}, +99`);
  }
  const access = pick(ACCESSES);
  const off = pick([0, 0, 1, 4, 8, 56, 60, 63, 64, -1, -8]);
  const at = `[%r9${off >= 0 ? '+' : ''}${off}]`;
  const stack = rnd() < 0.5;
  const tail = [
    ...(stack ? ['mov %r9, %r10', 'add %r9, -64'] : ['mov %r9, %r0']),
    rnd() < 0.85 ? `add %r9, %r${x}` : `sub %r9, %r${x}`,
    access.startsWith('st') ? `${access} ${at}, %r6` : `${access} %r5, ${at}`,
    'mov %r0, 0', 'exit',
  ];
  const all = [...head, ...body, ...tail];
  // Forward jumps land at the last `mov %r0, 0` at the latest.
  return all.map((l, i) => l.replace(/, \+(\d+)$/, (_m, v: string) => `, +${Math.min(Number(v), all.length - i - 3)}`)).join('\n');
}

/** A size argument: constants (zero, odd, negative) or a context number, masked and checked or not. */
const SIZES = ['mov %r2, 8', 'mov %r2, 16', 'mov %r2, 0', 'mov %r2, 17', 'mov %r2, %r7', 'mov %r2, %r8', 'mov %r2, -1'];

/**
 * The `n`th random program of `seed` that calls helpers (a kprobe, tracepoint or raw tracepoint
 * program, returned with its context kind): probe reads and bpf_get_current_comm into the stack,
 * ring-buffer reservations used, NULL-checked or not and submitted or discarded, hash map updates
 * and lookups with keys and values written or not, and context loads at odd offsets and sizes,
 * with size arguments from constants or from the context.
 */
export function randomHelperProgram(seed: number, n: number): { ctx: string; asm: string } {
  const rnd = generator(seed * 49979687 + n * 67867967);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const ctx = pick(['kprobe', 'tracepoint', 'raw_tracepoint']);
  const lines = ['mov %r6, %r1', `ldxdw %r7, [%r1+${pick([0, 8, 16])}]`, `ldxdw %r8, [%r1+${pick([0, 8])}]`];
  if (rnd() < 0.6) lines.push(`and %r7, ${pick([7, 15, 16, 31, 255, 0x1000])}`);
  if (rnd() < 0.4) lines.push(`jgt %r7, ${pick([8, 16, 32])}, +EXIT`);
  if (rnd() < 0.3) lines.push('jeq %r7, 0, +EXIT');
  const steps = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < steps; i++) {
    const k = rnd();
    if (k < 0.2) lines.push('mov %r1, %r10', `add %r1, ${pick([-16, -32, -8, -4, -64])}`, pick(SIZES), 'mov %r3, %r8', `call ${pick([113, 112, 4, 45, 115])}`);
    else if (k < 0.35) lines.push('mov %r1, %r10', `add %r1, ${pick([-16, -32, -8])}`, pick(SIZES), 'call 16');
    else if (k < 0.6) {
      lines.push('lddw %r1, map[2]', pick(SIZES), 'mov %r3, 0', 'call 131', 'mov %r9, %r0');
      if (rnd() < 0.7) lines.push('jeq %r9, 0, +3');
      if (rnd() < 0.6) lines.push(`${pick(['stdw', 'stw', 'stb'])} [%r9+${pick([0, 4, 8, 12, 16])}], 1`);
      lines.push('mov %r1, %r9', 'mov %r2, 0', `call ${pick([132, 133, 132])}`);
    } else if (k < 0.8) {
      if (rnd() < 0.7) lines.push('stdw [%r10-8], 1');
      if (rnd() < 0.7) lines.push('stdw [%r10-16], 2');
      lines.push('lddw %r1, map[0]', 'mov %r2, %r10', 'add %r2, -8');
      if (rnd() < 0.5) lines.push('mov %r3, %r10', 'add %r3, -16', 'mov %r4, 0', 'call 2');
      else lines.push('call 1', 'jeq %r0, 0, +1', `ldx${pick(['dw', 'w', 'b'])} %r5, [%r0+${pick([0, 4, 8])}]`);
    } else lines.push(`ldx${pick(['dw', 'w', 'h', 'b'])} %r5, [%r6+${pick([0, 1, 4, 8, 12, 16, 24, 100, 160, 164, 168])}]`);
  }
  lines.push('mov %r0, 0', 'exit');
  // +EXIT: to the final `mov %r0, 0`.
  return { ctx, asm: lines.map((l, i) => l.replace(/\+EXIT$/, `+${lines.length - i - 3}`)).join('\n') };
}

/**
 * The `n`th random program of `seed` that calls a function of its own or hands one to bpf_loop:
 * arguments a pointer into the caller's stack or numbers, the function loading and storing through
 * its argument, computing with registers it may not have been given, and returning a number, a
 * pointer or nothing set.
 */
export function randomCallProgram(seed: number, n: number): string {
  const rnd = generator(seed * 86028121 + n * 49979693);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const main = ['ldxdw %r6, [%r1+0]', 'stdw [%r10-8], 0', 'stdw [%r10-16], 0'];
  if (rnd() < 0.5) main.push(`and %r6, ${pick([7, 15, 255])}`);
  const args = pick([['mov %r1, %r10', 'add %r1, -8'], ['mov %r1, %r6'], ['mov %r1, %r10', 'add %r1, -16', 'mov %r2, %r6']]);
  main.push(...args);
  const loop = rnd() < 0.4;
  if (loop) main.push('mov %r2, %r1', 'mov %r1, 4', 'lddw %r2, func cb', ...(args.length > 1 ? ['mov %r3, %r10', `add %r3, ${pick([-8, -16])}`] : ['mov %r3, 0']), 'mov %r4, 0', 'call 181');
  else main.push('call local fn');
  main.push(pick(['mov %r0, 0', 'ldxdw %r0, [%r10-8]', 'mov %r0, %r0']), 'exit');
  const arg = loop ? 2 : 1;
  const body: string[] = [];
  const length = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < length; i++) {
    const k = rnd();
    const off = pick([0, 4, 8, -8]);
    const at = `[%r${arg}${off < 0 ? off : `+${off}`}]`;
    if (k < 0.3) body.push(`ldx${pick(['dw', 'w', 'b'])} %r3, ${at}`);
    else if (k < 0.5) body.push(`stx${pick(['dw', 'w'])} ${at}, %r${pick([1, 3])}`);
    else if (k < 0.7) body.push(`${pick(['add', 'and', 'mov'])} %r3, ${pick(['%r1', '1', '%r2'])}`);
    else body.push(`mov %r0, ${pick(['0', '1', '%r3', '%r1', '2'])}`);
  }
  const ret = pick(['mov %r0, 0', 'mov %r0, 1', '', 'mov %r0, %r1']);
  if (ret) body.push(ret);
  return [...main, loop ? 'cb:' : 'fn:', ...body, 'exit'].join('\n');
}

const ATOMIC_OPS = ['add', 'or', 'and', 'xor', 'xchg', 'cmpxchg'];

/**
 * The `n`th random program of `seed` of atomics and partly written memory: stack slots written
 * whole, in part or not at all (numbers, the context pointer, the frame pointer), then atomic
 * operations (every kind, fetching or not, 32- and 64-bit), loads and stores of every size at
 * aligned and misaligned offsets, on that stack or on an array map's value.
 */
export function randomAtomicProgram(seed: number, n: number): string {
  const rnd = generator(seed * 104395303 + n * 122949829);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const lines = ['ldxdw %r6, [%r1+0]', 'ldxdw %r7, [%r1+8]'];
  for (const o of [-8, -16, -24]) {
    const k = rnd();
    if (k < 0.4) lines.push(`stdw [%r10${o}], ${pick([0, 5])}`);
    else if (k < 0.6) lines.push(`stw [%r10${o}], 1`);
    else if (k < 0.75) lines.push(`stxb [%r10${o + 3}], %r6`);
    else if (k < 0.85) lines.push(`stxdw [%r10${o}], %r${pick([6, 1, 10])}`);
  }
  const map = rnd() < 0.4;
  if (map) lines.push('stw [%r10-32], 0', 'mov %r2, %r10', 'add %r2, -32', 'lddw %r1, map[1]', 'call 1', 'jne %r0, 0, +2', 'mov %r0, 0', 'exit', 'mov %r9, %r0');
  else lines.push('mov %r9, %r10');
  const length = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < length; i++) {
    const off = map ? pick([0, 4, 8, 2, 60, 64]) : pick([-8, -16, -24, -4, -12, -20, -5]);
    const at = `[%r9${off < 0 ? off : `+${off}`}]`;
    const k = rnd();
    if (k < 0.45) {
      const op = pick(ATOMIC_OPS);
      const fetch = op === 'xchg' || op === 'cmpxchg' ? '' : pick(['', 'fetch ']);
      lines.push(`lock ${fetch}${op}${pick(['', '32'])} ${at}, %r${pick([6, 7, 1])}`);
    } else if (k < 0.75) lines.push(`ldx${pick(['dw', 'w', 'h', 'b'])} %r${pick([3, 4, 5])}, ${at}`);
    else lines.push(`stx${pick(['dw', 'w', 'h', 'b'])} ${at}, %r${pick([6, 7, 1, 10])}`);
  }
  lines.push(pick(['mov %r0, 0', 'mov %r0, %r3', 'mov %r0, %r7']), 'exit');
  return lines.join('\n');
}

const CONTEXT_OFFSETS = [0, 1, 2, 4, 6, 7, 8, 12, 16, 20, 24, 32, 64, 80, 96, 100, 104, 112, 152, 160, 164, 166, 167, 168, 176, -8];

/**
 * The `n`th random program of `seed` that reads and writes its context (kprobe pt_regs, a
 * tracepoint record, raw tracepoint arguments) at every size, aligned or not, inside and past
 * its end, through the context pointer, a copy moved by a constant or by a variable. (No
 * tracepoint load at a negative offset: see the corpus's tracepoint-ctx-negative-offset.)
 */
export function randomContextProgram(seed: number, n: number): { ctx: string; asm: string } {
  const rnd = generator(seed * 179424673 + n * 15485867);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const ctx = pick(['kprobe', 'tracepoint', 'raw_tracepoint']);
  const offsets = ctx === 'tracepoint' ? CONTEXT_OFFSETS.filter((o) => o >= 0) : CONTEXT_OFFSETS;
  const lines = ['mov %r6, %r1'];
  const length = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < length; i++) {
    const k = rnd();
    const off = pick(offsets);
    const at = `[%r6${off < 0 ? off : `+${off}`}]`;
    if (k < 0.55) lines.push(`ldx${pick(['dw', 'w', 'h', 'b'])} %r${pick([2, 3])}, ${at}`);
    else if (k < 0.65) lines.push(`ldxs${pick(['w', 'h', 'b'])} %r2, ${at}`);
    else if (k < 0.75) lines.push(`stx${pick(['dw', 'w', 'b'])} ${at}, %r${pick([6, 1])}`);
    else if (k < 0.85) lines.push(`st${pick(['dw', 'w'])} ${at}, 1`);
    else if (k < 0.93) lines.push('mov %r7, %r6', `add %r7, ${pick([8, 16, -8, 4])}`, 'ldxdw %r2, [%r7+0]');
    else lines.push('ldxw %r4, [%r6+0]', 'and %r4, 8', 'mov %r7, %r6', 'add %r7, %r4', 'ldxdw %r2, [%r7+0]');
  }
  lines.push('mov %r0, 0', 'exit');
  return { ctx, asm: lines.join('\n') };
}

/**
 * The `n`th random program of `seed` that spills and fills registers: numbers, a map value, the
 * context and stack pointers stored whole or in part into four stack slots, by register and by
 * immediate, then loaded back at every size and dereferenced.
 */
export function randomSpillProgram(seed: number, n: number): string {
  const rnd = generator(seed * 275604541 + n * 32452867);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const lines = ['ldxdw %r6, [%r1+0]', 'stw [%r10-40], 0', 'mov %r2, %r10', 'add %r2, -40', 'lddw %r1, map[1]', 'call 1', 'jne %r0, 0, +2', 'mov %r0, 0', 'exit', 'mov %r7, %r0', 'mov %r8, %r10', 'add %r8, -24'];
  const regs = ['%r6', '%r7', '%r8', '%r10', '%r1'];
  const length = 2 + Math.floor(rnd() * 5);
  for (let i = 0; i < length; i++) {
    const slot = pick([-8, -16, -24, -32]);
    const k = rnd();
    if (k < 0.35) lines.push(`stxdw [%r10${slot}], ${pick(regs)}`);
    else if (k < 0.5) lines.push(`stx${pick(['w', 'b', 'h'])} [%r10${slot + pick([0, 4])}], ${pick(regs)}`);
    else if (k < 0.6) lines.push(`st${pick(['w', 'b', 'dw'])} [%r10${slot + pick([0, 4])}], ${pick([0, 1, -1])}`);
    else if (k < 0.8) lines.push(`ldxdw %r${pick([3, 4, 5, 9])}, [%r10${slot}]`);
    else if (k < 0.9) lines.push(`ldx${pick(['w', 'b', 'h'])} %r${pick([3, 4])}, [%r10${slot + pick([0, 4])}]`);
    else lines.push(`ldxdw %r3, [%r${pick([3, 4, 5, 9])}+0]`);
  }
  lines.push(pick(['mov %r0, 0', 'mov %r0, %r3', 'mov %r0, %r9']), 'exit');
  return lines.join('\n');
}

/** What an argument register may be set to: the context, a map value, a stack pointer, a number, a map, a constant, the frame pointer. */
const ARGUMENTS = [['mov', '%r6'], ['mov', '%r7'], ['mov', '%r8'], ['mov', '%r9'], ['lddw', 'map[0]'], ['lddw', 'map[1]'], ['lddw', 'map[2]'], ['lddw', 'map[4]'], ['mov', '0'], ['mov', '8'], ['mov', '-1'], ['mov', '%r10']] as const;
/** Helpers whose arguments are checked: map operations, probe reads, the clock, pid, comm, perf and ring-buffer output, reservations. */
const CHECKED_HELPERS = [1, 2, 3, 4, 5, 6, 14, 16, 25, 45, 112, 113, 130, 131, 132, 134];

/**
 * The `n`th random program of `seed` that calls one helper with arguments of any kind: each of
 * r1-r5 set (or left unset) to the context, a map value, a stack pointer, a number, a map, a
 * constant or the frame pointer, so that the helper's argument checks refuse most of them, each
 * for the first reason the kernel gives.
 */
export function randomArgumentProgram(seed: number, n: number): string {
  const rnd = generator(seed * 373587883 + n * 49979687);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const lines = [
    'mov %r6, %r1', 'stdw [%r10-8], 0', 'stdw [%r10-16], 0', 'stw [%r10-20], 0', 'mov %r2, %r10', 'add %r2, -20', 'lddw %r1, map[1]',
    'call 1', 'jne %r0, 0, +2', 'mov %r0, 0', 'exit', 'mov %r7, %r0', 'mov %r8, %r10', 'add %r8, -16', 'ldxdw %r9, [%r6+0]',
  ];
  const helper = pick(CHECKED_HELPERS);
  for (let r = 1; r <= 5; r++) {
    if (rnd() < 0.15) continue;
    const [op, v] = pick(ARGUMENTS);
    lines.push(op === 'lddw' ? `lddw %r${r}, ${v}` : `mov %r${r}, ${v}`);
  }
  lines.push(`call ${helper}`, 'mov %r0, 0', 'exit');
  return lines.join('\n');
}
