// Bob Jenkins' lookup3 hash exactly as the kernel's jhash() (include/linux/jhash.h), which hash maps key on.

const JHASH_INITVAL = 0xdeadbeef;

/**
 * jhash(key, length, initval) over `length` bytes of `mem` from `off`, little-endian words as on
 * x86. For lengths that are a multiple of 4 it equals jhash2(), which htab_map_hash() uses then,
 * so with seed 0 (BPF_F_ZERO_SEED) bucket placement, and so iteration order, match the kernel's.
 * Reads bytes, not a Uint32Array, because keys sit at any offset of program or user memory.
 */
export function jhash(mem: Uint8Array, off: number, length: number, initval: number): number {
  let a = (JHASH_INITVAL + length + initval) | 0;
  let b = a;
  let c = a;
  let k = off;
  while (length > 12) {
    a = (a + (mem[k] | (mem[k + 1] << 8) | (mem[k + 2] << 16) | (mem[k + 3] << 24))) | 0;
    b = (b + (mem[k + 4] | (mem[k + 5] << 8) | (mem[k + 6] << 16) | (mem[k + 7] << 24))) | 0;
    c = (c + (mem[k + 8] | (mem[k + 9] << 8) | (mem[k + 10] << 16) | (mem[k + 11] << 24))) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= (c << 4) | (c >>> 28); c = (c + b) | 0;
    b = (b - a) | 0; b ^= (a << 6) | (a >>> 26); a = (a + c) | 0;
    c = (c - b) | 0; c ^= (b << 8) | (b >>> 24); b = (b + a) | 0;
    a = (a - c) | 0; a ^= (c << 16) | (c >>> 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= (a << 19) | (a >>> 13); a = (a + c) | 0;
    c = (c - b) | 0; c ^= (b << 4) | (b >>> 28); b = (b + a) | 0;
    length -= 12;
    k += 12;
  }
  if (length === 0) return c >>> 0;
  // The kernel's fall-through switch adds the 1..12 remaining bytes into a, b, c at their
  // little-endian positions; whole words first, then the partial one, give the same sums.
  if (length >= 4) {
    a = (a + (mem[k] | (mem[k + 1] << 8) | (mem[k + 2] << 16) | (mem[k + 3] << 24))) | 0;
    if (length >= 8) {
      b = (b + (mem[k + 4] | (mem[k + 5] << 8) | (mem[k + 6] << 16) | (mem[k + 7] << 24))) | 0;
      if (length === 12) c = (c + (mem[k + 8] | (mem[k + 9] << 8) | (mem[k + 10] << 16) | (mem[k + 11] << 24))) | 0;
      else if (length > 8) c = (c + partialWord(mem, k + 8, length - 8)) | 0;
    } else if (length > 4) {
      b = (b + partialWord(mem, k + 4, length - 4)) | 0;
    }
  } else {
    a = (a + partialWord(mem, k, length)) | 0;
  }
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

/**
 * jhash2(words, n, initval): the kernel's hash of n 32-bit words, which equals jhash() of their
 * 4n little-endian bytes. Hash maps whose key size is a multiple of 4 hash the key's words,
 * loaded once, instead of reading its bytes again for the hash, the compare and the copy.
 */
export function jhashWords(w: Int32Array, n: number, initval: number): number {
  let a = (JHASH_INITVAL + (n << 2) + initval) | 0;
  let b = a;
  let c = a;
  let k = 0;
  while (n > 3) {
    a = (a + w[k]!) | 0;
    b = (b + w[k + 1]!) | 0;
    c = (c + w[k + 2]!) | 0;
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
  c ^= b; c = (c - ((b << 14) | (b >>> 18))) | 0;
  a ^= c; a = (a - ((c << 11) | (c >>> 21))) | 0;
  b ^= a; b = (b - ((a << 25) | (a >>> 7))) | 0;
  c ^= b; c = (c - ((b << 16) | (b >>> 16))) | 0;
  a ^= c; a = (a - ((c << 4) | (c >>> 28))) | 0;
  b ^= a; b = (b - ((a << 14) | (a >>> 18))) | 0;
  c ^= b; c = (c - ((b << 24) | (b >>> 8))) | 0;
  return c >>> 0;
}

/** The 1..3 bytes at `mem[k]` as the low bytes of a little-endian word. */
function partialWord(mem: Uint8Array, k: number, n: number): number {
  let w = mem[k];
  if (n > 1) w |= mem[k + 1] << 8;
  if (n > 2) w |= mem[k + 2] << 16;
  return w;
}
