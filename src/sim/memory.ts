// Simulated memory of a kernel or a process: objects allocated at realistic addresses, laid out by BTF, read by bpf_probe_read_*.
import type { Btf, BtfType } from '../vm/index.js';

/** Where kernel objects live (the x86-64 direct map) and where QEMU's heap does. */
export const KERNEL_HEAP = 0xffff_8881_0000_0000n;
export const USER_HEAP = 0x0000_55d0_0000_0000n;

interface Block {
  base: bigint;
  bytes: Uint8Array;
}

/** One address space's memory: a bump allocator of blocks, each a byte array. Freed blocks become unreadable. */
export class SimMemory {
  private readonly blocks = new Map<bigint, Block>();
  /** Blocks sorted by base, rebuilt lazily for lookups by address. */
  private sorted: Block[] = [];
  private dirty = false;
  private next: bigint;

  constructor(base: bigint) {
    this.next = base;
  }

  /** Allocates `size` zeroed bytes aligned to 64 (a cache line, as slab objects are). */
  alloc(size: number): bigint {
    const base = this.next;
    this.next += BigInt((size + 63) & ~63) + 64n;
    this.blocks.set(base, { base, bytes: new Uint8Array(size) });
    this.dirty = true;
    return base;
  }

  /** Frees a block: reads of it fault from now on, as a use-after-free would read garbage or fault. */
  free(base: bigint): void {
    if (this.blocks.delete(base)) this.dirty = true;
  }

  private find(addr: bigint, len: number): Block | undefined {
    if (this.dirty) {
      this.sorted = [...this.blocks.values()].sort((a, b) => (a.base < b.base ? -1 : 1));
      this.dirty = false;
    }
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = this.sorted[mid]!;
      if (addr < b.base) hi = mid - 1;
      else if (addr >= b.base + BigInt(b.bytes.length)) lo = mid + 1;
      else return addr + BigInt(len) <= b.base + BigInt(b.bytes.length) ? b : undefined;
    }
    return undefined;
  }

  /** The bytes of the block holding [addr, addr+len), at the right place; throws if unmapped (a simulator bug). */
  view(addr: bigint, len: number): Uint8Array {
    const b = this.find(addr, len);
    if (!b) throw new Error(`simulated memory: 0x${addr.toString(16)}+${len} is not allocated`);
    const off = Number(addr - b.base);
    return b.bytes.subarray(off, off + len);
  }

  /** bpf_probe_read_*: copies, or answers false when any byte is unmapped. */
  read(addr: bigint, dst: Uint8Array, dstOff: number, len: number): boolean {
    const b = this.find(addr, len);
    if (!b) return false;
    const off = Number(addr - b.base);
    dst.set(b.bytes.subarray(off, off + len), dstOff);
    return true;
  }

  /** Writes an integer of `size` bytes, little-endian. */
  writeInt(addr: bigint, size: number, value: bigint | number): void {
    const v = this.view(addr, size);
    let x = BigInt.asUintN(size * 8, BigInt(value));
    for (let i = 0; i < size; i++) {
      v[i] = Number(x & 0xffn);
      x >>= 8n;
    }
  }
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

  /** Byte offset and size of a member. */
  member(name: string): { offset: number; size: number } {
    const m = this.btf.member(this.type, name);
    if (!m) throw new Error(`struct ${this.name} has no member ${name} in this BTF`);
    return m;
  }

  /** Writes members of an object at `addr`. */
  write(mem: SimMemory, addr: bigint, values: Readonly<Record<string, bigint | number>>): void {
    for (const [name, v] of Object.entries(values)) {
      const m = this.member(name);
      mem.writeInt(addr + BigInt(m.offset), m.size, v);
    }
  }
}
