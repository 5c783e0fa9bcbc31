// Join keys: small-integer hashes of the fields records are joined by.

/** A 30-bit hash of whole numbers (any size up to 2^53, negatives too), for join keys. */
export function joinKey(a: number, b: number, c = 0, d = 0): number {
  let h = mix(mix(0x811c9dc5, a), b);
  // Most keys have two fields: the other two cost nothing when both are 0.
  if (c !== 0 || d !== 0) h = mix(mix(h, c), d);
  // 30 bits: small integers, which V8's maps hash fastest.
  return h & 0x3fffffff;
}

function mix(h: number, v: number): number {
  // Low and high 32 bits of v (doubles carry whole numbers to 2^53).
  const lo = v | 0;
  const hi = Math.floor(v / 4294967296) | 0;
  h = Math.imul(h ^ lo, 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h ^ hi, 0x5bd1e995);
  return h ^ (h >>> 13);
}
