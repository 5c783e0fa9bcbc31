// Join keys: u64ToNumber agrees with Number() over the whole u64 range, rounding included.
import { describe, expect, it } from 'vitest';
import { u64ToNumber } from '../records/index.js';
import { joinKey } from './join-key.js';

describe('u64ToNumber', () => {
  it('is Number(x) for every u64, exact below 2^53 and rounded as Number rounds above', () => {
    const edges = [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 53n + 3n, 2n ** 63n, 2n ** 64n - 1n, 0x5646_3c2a_1000n];
    let x = 0x9e37_79b9_7f4a_7c15n;
    for (let i = 0; i < 2000; i++) {
      // A 64-bit LCG walks the whole range.
      x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffff_ffff_ffff_ffffn;
      edges.push(x, x >> BigInt(i % 64));
    }
    for (const v of edges) expect(u64ToNumber(v)).toBe(Number(v));
  });

  it('gives equal user_data equal join keys', () => {
    const a = 0x5646_3c2a_1000n;
    expect(joinKey(5000, u64ToNumber(a))).toBe(joinKey(5000, u64ToNumber(0x5646_3c2a_1000n)));
    expect(joinKey(5000, u64ToNumber(a))).not.toBe(joinKey(5000, u64ToNumber(a + 4096n)));
  });
});
