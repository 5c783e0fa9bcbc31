// Key and value byte builders shared by this folder's tests.

/** A little-endian u32 as 4 bytes (array indexes, u32 keys). */
export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/** A little-endian u64 as 8 bytes. */
export function u64(v: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
}

/** Reads a little-endian u64 at `off` as a number. */
export function readU64(b: Uint8Array, off = 0): number {
  return Number(new DataView(b.buffer, b.byteOffset).getBigUint64(off, true));
}

/** Reads a little-endian u32 at `off`. */
export function readU32(b: Uint8Array, off = 0): number {
  return new DataView(b.buffer, b.byteOffset).getUint32(off, true);
}
