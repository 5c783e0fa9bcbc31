// Simulated memory of a kernel or a process: objects allocated at realistic addresses, laid out by BTF, read by bpf_probe_read_*.
import type { Btf, BtfType } from '../vm/index.js';

/**
 * A 64-bit address as the signed integer a register holds: canonical x86-64 addresses lie within
 * 2^47 of zero (kernel addresses below it), so a double holds every one exactly and the simulator
 * computes with them as numbers, never BigInts.
 */
export type Address = number;

/** The address of a 64-bit value written in hex (0xffff... is negative as an Address). */
export function address(u64: bigint): Address {
  const a = Number(BigInt.asIntN(64, u64));
  if (!Number.isSafeInteger(a)) throw new Error(`0x${u64.toString(16)} is not a canonical address`);
  return a;
}

/** An address in hex, as the kernel prints it (two's complement, 64 bits). */
export function hexAddress(a: Address): string {
  return `0x${BigInt.asUintN(64, BigInt(a)).toString(16)}`;
}

/** Where kernel objects live: the x86-64 direct map. */
export const KERNEL_HEAP = address(0xffff_8881_0000_0000n);
/** Where QEMU's heap lives: a PIE process's heap, above its text. */
export const USER_HEAP = address(0x0000_55d0_0000_0000n);

interface Block {
  base: Address;
  /** Offset of the block from the memory's base. */
  at: number;
  bytes: Uint8Array;
  view: DataView;
}

/** Blocks are found by the 64-byte granule an address falls in (every block is 64-aligned). */
const GRANULE_SHIFT = 6;

/**
 * One address space's memory: a bump allocator of blocks, each a byte array. Freed blocks become
 * unreadable. Addresses are 64-bit, but every block lies within 4 GiB of the base (whose low 32
 * bits are zero), so an address is its base's high half and a 32-bit offset: lookups use numbers
 * only, and a program's probe read (two 32-bit halves) needs no BigInt.
 */
export class SimMemory {
  /** The block covering each granule, by offset >> GRANULE_SHIFT. */
  private readonly granules: (Block | undefined)[] = [];
  private next = 0;
  /** Freed blocks by size, reused last-freed first (as slab caches and glibc's tcache do: addresses recur). */
  private readonly freed = new Map<number, Block[]>();
  /** The base's high 32 bits, as a signed int32 (what a register's high half holds). */
  private readonly baseHi: number;

  constructor(readonly base: Address) {
    if (!Number.isSafeInteger(base) || base % 4294967296 !== 0) throw new Error('simulated memory: the base must be 4 GiB aligned');
    this.baseHi = Math.floor(base / 4294967296) | 0;
  }

  /** Allocates `size` zeroed bytes aligned to 64 (a cache line, as slab objects are). */
  alloc(size: number): Address {
    const again = this.freed.get(size)?.pop();
    if (again) {
      again.bytes.fill(0);
      this.map(again);
      return again.base;
    }
    const at = this.next;
    this.next += ((size + 63) & ~63) + 64;
    if (this.next > 0xffff_ffff) throw new Error('simulated memory: more than 4 GiB allocated');
    const bytes = new Uint8Array(size);
    this.map({ base: this.base + at, at, bytes, view: new DataView(bytes.buffer) });
    return this.base + at;
  }

  private map(b: Block): void {
    const last = (b.at + Math.max(1, b.bytes.length) - 1) >>> GRANULE_SHIFT;
    for (let g = b.at >>> GRANULE_SHIFT; g <= last; g++) this.granules[g] = b;
  }

  /** Frees a block: reads of it fault until it is allocated again. */
  free(base: Address): void {
    const b = this.find(this.offsetOf(base), 1);
    if (!b || b.base !== base) return;
    const last = (b.at + Math.max(1, b.bytes.length) - 1) >>> GRANULE_SHIFT;
    for (let g = b.at >>> GRANULE_SHIFT; g <= last; g++) this.granules[g] = undefined;
    const list = this.freed.get(b.bytes.length);
    if (list) list.push(b);
    else this.freed.set(b.bytes.length, [b]);
  }

  /** The offset of an address from the base, or -1 when it is not within 4 GiB above it. */
  private offsetOf(addr: Address): number {
    const d = addr - this.base;
    return d >= 0 && d <= 0xffff_ffff ? d : -1;
  }

  private find(at: number, len: number): Block | undefined {
    if (at < 0) return undefined;
    const b = this.granules[at >>> GRANULE_SHIFT];
    return b !== undefined && at + len <= b.at + b.bytes.length ? b : undefined;
  }

  /** The bytes of the block holding [addr, addr+len), at the right place; throws if unmapped (a simulator bug). */
  view(addr: Address, len: number): Uint8Array {
    const at = this.offsetOf(addr);
    const b = this.find(at, len);
    if (!b) throw new Error(`simulated memory: ${hexAddress(addr)}+${len} is not allocated`);
    return b.bytes.subarray(at - b.at, at - b.at + len);
  }

  /** bpf_probe_read_*: copies, or answers false when any byte is unmapped. */
  read(addr: Address, dst: Uint8Array, dstOff: number, len: number): boolean {
    return this.readAt(this.offsetOf(addr), dst, dstOff, len);
  }

  /** `read` of an address given as a register's two 32-bit halves (no BigInt). */
  readHalves(lo: number, hi: number, dst: Uint8Array, dstOff: number, len: number): boolean {
    return hi === this.baseHi ? this.readAt(lo >>> 0, dst, dstOff, len) : false;
  }

  private readAt(at: number, dst: Uint8Array, dstOff: number, len: number): boolean {
    const b = this.find(at, len);
    if (!b) return false;
    const o = at - b.at;
    if (len <= 16) for (let i = 0; i < len; i++) dst[dstOff + i] = b.bytes[o + i]!;
    else dst.set(b.bytes.subarray(o, o + len), dstOff);
    return true;
  }

  /** The block view `locate` found last. */
  located: DataView = new DataView(new ArrayBuffer(0));

  /** The address `locate` found last, and its offset from the base (the same object is often written field group by field group). */
  private lastAddr = NaN;
  private lastAt = -1;

  /** Finds the block holding [addr, addr+len): sets `located` to its view and returns the offset there; throws if unmapped. */
  locate(addr: Address, len: number): number {
    let at: number;
    if (addr === this.lastAddr) at = this.lastAt;
    else {
      at = this.offsetOf(addr);
      this.lastAddr = addr;
      this.lastAt = at;
    }
    const b = this.find(at, len);
    if (!b) throw new Error(`simulated memory: ${hexAddress(addr)}+${len} is not allocated`);
    this.located = b.view;
    return at - b.at;
  }

  /** Writes an integer of `size` bytes (1, 2, 4 or 8), little-endian. */
  writeInt(addr: Address, size: number, value: bigint | number): void {
    const at = this.offsetOf(addr);
    const b = this.find(at, size);
    if (!b) throw new Error(`simulated memory: ${hexAddress(addr)}+${size} is not allocated`);
    writeField(b.view, at - b.at, size, value);
  }
}

/** Writes `value` as a little-endian integer of `size` bytes; exact integers (negative ones too) need no BigInt. */
export function writeField(v: DataView, o: number, size: number, value: bigint | number): void {
  if (typeof value === 'number') {
    switch (size) {
      case 1: v.setUint8(o, value & 0xff); return;
      case 2: v.setUint16(o, value & 0xffff, true); return;
      case 4: v.setUint32(o, value >>> 0, true); return;
      case 8:
        // Negative integers too (kernel addresses): their two's complement halves.
        if (Number.isSafeInteger(value)) {
          v.setUint32(o, value >>> 0, true);
          v.setUint32(o + 4, Math.floor(value / 4294967296) >>> 0, true);
          return;
        }
        value = BigInt(value);
    }
  }
  const x = BigInt(value);
  switch (size) {
    case 1: v.setUint8(o, Number(BigInt.asUintN(8, x))); return;
    case 2: v.setUint16(o, Number(BigInt.asUintN(16, x)), true); return;
    case 4: v.setUint32(o, Number(BigInt.asUintN(32, x)), true); return;
    // setBigUint64 takes the value modulo 2^64 itself (ToBigUint64).
    case 8: v.setBigUint64(o, x, true); return;
  }
  throw new Error(`simulated memory: a ${size}-byte integer`);
}

/** Member offsets of one struct, from BTF, so simulated objects sit where the real kernel's do. */
export class StructLayout {
  readonly size: number;
  private readonly type: BtfType;

  constructor(private readonly btf: Btf, readonly name: string) {
    const t = btf.struct(name);
    if (!t) throw new Error(`BTF has no struct ${name}`);
    this.type = t;
    this.size = t.size;
  }

  private readonly members = new Map<string, { offset: number; size: number }>();

  /** Byte offset and size of a member (looked up in BTF once). */
  member(name: string): { offset: number; size: number } {
    let m = this.members.get(name);
    if (!m) {
      const b = this.btf.member(this.type, name);
      if (!b) throw new Error(`struct ${this.name} has no member ${name} in this BTF`);
      m = { offset: b.offset, size: b.size };
      this.members.set(name, m);
    }
    return m;
  }

  /**
   * A writer of the members `names`, in that order, of an object at an address: write() without
   * a values object or a name looked up per write.
   */
  writer(...names: string[]): (mem: SimMemory, addr: Address, a: bigint | number, b?: bigint | number, c?: bigint | number, d?: bigint | number, e?: bigint | number) => void {
    const ms = names.map((n) => this.member(n));
    if (ms.length > 5) throw new Error('a writer takes at most five members');
    const size = this.size;
    const [m0, m1, m2, m3, m4] = ms;
    return (mem, addr, a, b, c, d, e) => {
      const o = mem.locate(addr, size);
      const view = mem.located;
      writeField(view, o + m0!.offset, m0!.size, a);
      if (m1) writeField(view, o + m1.offset, m1.size, b!);
      if (m2) writeField(view, o + m2.offset, m2.size, c!);
      if (m3) writeField(view, o + m3.offset, m3.size, d!);
      if (m4) writeField(view, o + m4.offset, m4.size, e!);
    };
  }

  /** Writes `text` into the char array member `name` of the object at `addr`, NUL-padded (as strscpy leaves a name). */
  writeString(mem: SimMemory, addr: Address, name: string, text: string): void {
    const m = this.member(name);
    const bytes = new TextEncoder().encode(text);
    if (bytes.length >= m.size) throw new Error(`struct ${this.name}: ${JSON.stringify(text)} does not fit ${name}[${m.size}]`);
    const o = mem.locate(addr, this.size);
    const view = mem.located;
    for (let i = 0; i < m.size; i++) view.setUint8(o + m.offset + i, bytes[i] ?? 0);
  }

  /** Writes members of an object at `addr` (the object must be allocated whole). */
  write(mem: SimMemory, addr: Address, values: Readonly<Record<string, bigint | number>>): void {
    const o = mem.locate(addr, this.size);
    const view = mem.located;
    for (const name in values) {
      const m = this.member(name);
      writeField(view, o + m.offset, m.size, values[name]!);
    }
  }
}
