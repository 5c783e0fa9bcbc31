// Bob Jenkins' lookup3 hash exactly as the kernel's jhash() and jhash2() (include/linux/jhash.h), which hash maps key on.

const JHASH_INITVAL = 0xdeadbeef;

/** Scratch words for jhash of bytes: the key's bytes as little-endian words, the last one zero-padded. */
let scratch = new Int32Array(16);

/**
 * jhash(key, length, initval) over `length` bytes of `mem` from `off`, little-endian words as on
 * x86. For lengths that are a multiple of 4 it equals jhash2(), which htab_map_hash() uses then,
 * so with seed 0 (BPF_F_ZERO_SEED) bucket placement, and so iteration order, match the kernel's.
 * Reads bytes, not a Uint32Array, because keys sit at any offset of program or user memory.
 */
export function jhash(mem: Uint8Array, off: number, length: number, initval: number): number {
  const n = (length + 3) >> 2;
  if (n > scratch.length) scratch = new Int32Array(n);
  const w = scratch;
  // The kernel's fall-through switch adds the last 1..3 bytes at their little-endian positions
  // of a word: the same sum as a word padded with zeros.
  for (let j = 0, k = off; j < n; j++, k += 4) {
    const left = length - (k - off);
    w[j] = left >= 4
      ? mem[k]! | (mem[k + 1]! << 8) | (mem[k + 2]! << 16) | (mem[k + 3]! << 24)
      : mem[k]! | (left > 1 ? mem[k + 1]! << 8 : 0) | (left > 2 ? mem[k + 2]! << 16 : 0);
  }
  return mix(w, n, length, initval);
}

/**
 * jhash2(words, n, initval): the kernel's hash of n 32-bit words, which equals jhash() of their
 * 4n little-endian bytes. Hash maps whose key size is a multiple of 4 hash the key's words,
 * loaded once, instead of reading its bytes again for the hash, the compare and the copy.
 */
export function jhashWords(w: Int32Array, n: number, initval: number): number {
  return mix(w, n, n << 2, initval);
}

/**
 * lookup3 over n words whose key was `length` bytes: __jhash_mix over each three words but the
 * last one to three, which __jhash_final folds in (the byte and word forms differ only there in
 * how the last word was read, and both start from the byte length).
 */
function mix(w: Int32Array, n: number, length: number, initval: number): number {
  let a = (JHASH_INITVAL + length + initval) | 0;
  let b = a;
  let c = a;
  let k = 0;
  while (n > 3) {
    a = (a + w[k]!) | 0;
    b = (b + w[k + 1]!) | 0;
    c = (c + w[k + 2]!) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= (c << 4) | (c >>> 28); c = (c + b) | 0;
    b = (b - a) | 0; b ^= (a << 6) | (a >>> 26); a = (a + c) | 0;
    c = (c - b) | 0; c ^= (b << 8) | (b >>> 24); b = (b + a) | 0;
    a = (a - c) | 0; a ^= (c << 16) | (c >>> 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= (a << 19) | (a >>> 13); a = (a + c) | 0;
    c = (c - b) | 0; c ^= (b << 4) | (b >>> 28); b = (b + a) | 0;
    n -= 3;
    k += 3;
  }
  if (n === 0) return c >>> 0;
  a = (a + w[k]!) | 0;
  if (n > 1) b = (b + w[k + 1]!) | 0;
  if (n > 2) c = (c + w[k + 2]!) | 0;
  // __jhash_final
  c ^= b; c = (c - ((b << 14) | (b >>> 18))) | 0;
  a ^= c; a = (a - ((c << 11) | (c >>> 21))) | 0;
  b ^= a; b = (b - ((a << 25) | (a >>> 7))) | 0;
  c ^= b; c = (c - ((b << 16) | (b >>> 16))) | 0;
  a ^= c; a = (a - ((c << 4) | (c >>> 28))) | 0;
  b ^= a; b = (b - ((a << 14) | (a >>> 18))) | 0;
  c ^= b; c = (c - ((b << 24) | (b >>> 8))) | 0;
  return c >>> 0;
}
