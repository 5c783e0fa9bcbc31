// jhash must equal the kernel's: vectors computed with include/linux/jhash.h compiled by gcc.
import { describe, expect, it } from 'vitest';
import { jhash, jhashWords } from './jhash.js';

// [length, initval, jhash(buf, length, initval)] for buf[i] = (i * 37 + 11) & 0xff.
const vectors: [number, number, number][] = [
  [0, 0, 0xdeadbeef], [1, 0, 0xb9c0f036], [2, 0, 0x76ccdd71], [3, 0, 0xa71025c3],
  [4, 0, 0x44e1a72e], [5, 0, 0xcd53084d], [6, 0, 0x16055da4], [7, 0, 0x4f96845f],
  [8, 0, 0x39c60a25], [9, 0, 0xa68c01f8], [10, 0, 0x98b8e7c6], [11, 0, 0x37d9d710],
  [12, 0, 0x387958f9], [13, 0, 0x0d543670], [14, 0, 0xc23082d0], [15, 0, 0x3eb394f6],
  [16, 0, 0x7f4b8ae7], [24, 0, 0x2d9723a7], [32, 0, 0x0636a5d3], [40, 0, 0x4e4e072c],
  [8, 12345, 0xd9f1315c],
];

describe('jhash', () => {
  const buf = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);

  it.each(vectors)('length %i seed %i', (length, seed, want) => {
    expect(jhash(buf, 0, length, seed)).toBe(want);
  });

  it('reads the key at an offset without touching bytes around it', () => {
    const shifted = new Uint8Array(50).fill(0xaa);
    shifted.set(buf.subarray(0, 13), 7);
    expect(jhash(shifted, 7, 13, 0)).toBe(0x0d543670);
  });

  it('of whole words equals jhash of their bytes (jhash2), for every word count and seed', () => {
    for (const length of [4, 8, 12, 16, 20, 24, 28, 32, 36, 40]) {
      for (const seed of [0, 12345, 0xffffffff]) {
        const words = new Int32Array(length / 4);
        for (let i = 0; i < words.length; i++) words[i] = buf[i * 4]! | (buf[i * 4 + 1]! << 8) | (buf[i * 4 + 2]! << 16) | (buf[i * 4 + 3]! << 24);
        expect(jhashWords(words, words.length, seed), `length ${length} seed ${seed}`).toBe(jhash(buf, 0, length, seed));
      }
    }
    // The vectors' whole-word lengths, against the kernel's values directly.
    const w4 = new Int32Array(new Uint8Array(buf.subarray(0, 16)).buffer);
    expect(jhashWords(w4, 4, 0)).toBe(0x7f4b8ae7);
  });
});
