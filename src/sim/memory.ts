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
  /** Blocks by each 4 KiB page they touch, so an address finds its block in one or two probes. */
  private readonly pages = new Map<number, Block[]>();
  private next: bigint;
  /** Freed blocks by size, reused last-freed first (as slab caches and glibc's tcache do: addresses recur). */
  private readonly freed = new Map<number, Block[]>();

  constructor(base: bigint) {
    this.next = base;
  }

  /** Allocates `size` zeroed bytes aligned to 64 (a cache line, as slab objects are). */
  alloc(size: number): bigint {
    const again = this.freed.get(size)?.pop();
    if (again) {
      again.bytes.fill(0);
      this.map(again);
      return again.base;
    }
    const base = this.next;
    this.next += BigInt((size + 63) & ~63) + 64n;
    this.map({ base, bytes: new Uint8Array(size) });
    return base;
  }

  private map(b: Block): void {
    this.blocks.set(b.base, b);
    for (let p = Number(b.base >> 12n); p <= Number((b.base + BigInt(Math.max(1, b.bytes.length)) - 1n) >> 12n); p++) {
      const list = this.pages.get(p);
      if (list) list.push(b);
      else this.pages.set(p, [b]);
    }
  }

  /** Frees a block: reads of it fault until it is allocated again. */
  free(base: bigint): void {
    const b = this.blocks.get(base);
    if (!b) return;
    this.blocks.delete(base);
    for (let p = Number(b.base >> 12n); p <= Number((b.base + BigInt(Math.max(1, b.bytes.length)) - 1n) >> 12n); p++) {
      const on = this.pages.get(p)!;
      on.splice(on.indexOf(b), 1);
      if (on.length === 0) this.pages.delete(p);
    }
    const list = this.freed.get(b.bytes.length) ?? [];
    list.push(b);
    this.freed.set(b.bytes.length, list);
  }

  /** The last block found: accesses cluster on one object at a time. */
  private last: Block | undefined;

  private find(addr: bigint, len: number): Block | undefined {
    const last = this.last;
    if (last && addr >= last.base && addr + BigInt(len) <= last.base + BigInt(last.bytes.length) && this.blocks.get(last.base) === last) return last;
    const on = this.pages.get(Number(addr >> 12n));
    if (!on) return undefined;
    for (const b of on) {
      const end = b.base + BigInt(b.bytes.length);
      if (addr >= b.base && addr < end) return addr + BigInt(len) <= end ? (this.last = b) : undefined;
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
    if (typeof value === 'number' && size <= 4) {
      // Most fields are small numbers: no BigInt on this path.
      for (let i = 0, x = value; i < size; i++, x = Math.floor(x / 256)) v[i] = x & 0xff;
      return;
    }
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

  private readonly members = new Map<string, { offset: number; size: number; at: bigint }>();

  /** Byte offset and size of a member (looked up in BTF once). */
  member(name: string): { offset: number; size: number; at: bigint } {
    let m = this.members.get(name);
    if (!m) {
      const b = this.btf.member(this.type, name);
      if (!b) throw new Error(`struct ${this.name} has no member ${name} in this BTF`);
      m = { offset: b.offset, size: b.size, at: BigInt(b.offset) };
      this.members.set(name, m);
    }
    return m;
  }

  /** Writes members of an object at `addr`. */
  write(mem: SimMemory, addr: bigint, values: Readonly<Record<string, bigint | number>>): void {
    for (const name in values) {
      const m = this.member(name);
      mem.writeInt(addr + m.at, m.size, values[name]!);
    }
  }
}
