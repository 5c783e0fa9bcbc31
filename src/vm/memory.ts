// The memory a program may address: regions (stack frames, context, map values, ring-buffer data), each at its own 4 GiB-aligned base.
//
// A pointer is (region id << 32) + offset. Region ids are small (below 0x1000), so a pointer can
// never alias the simulated kernel (0xffff8880_...) or QEMU (0x55.._..., 0x7f.._...) addresses
// that programs see as plain numbers and may only read through bpf_probe_read_*. Every load and
// store resolves its region by the high half and checks the offset against the region's size.

/** A runtime fault: the run stops; names the instruction index. */
export class VmError extends Error {
  constructor(
    readonly pc: number,
    readonly reason: string,
  ) {
    super(`insn ${pc}: ${reason}`);
    this.name = 'VmError';
  }
}

/** One addressable region. */
export interface Region {
  readonly name: string;
  bytes: Uint8Array;
  view: DataView;
  readonly writable: boolean;
}

/** Region id of stack frame k (0-based) is STACK_REGION + k. */
export const STACK_REGION = 1;
/** Region id of the program's context (the conformance suites' memory). */
export const CTX_REGION = 9;
/** Map i's handle (ARG_CONST_MAP_PTR) is MAP_HANDLE_REGION + i: a value with no memory behind it. */
export const MAP_HANDLE_REGION = 0x100;
/** Map i's storage (values, ring data, global data) is region MAP_DATA_REGION + i. */
export const MAP_DATA_REGION = 0x200;
/** A function's address (an ld_imm64 of a code address, for bpf_loop) is (its first instruction, CODE_REGION): a value with no memory behind it. */
export const CODE_REGION = 0x300;
/** Highest region id. */
export const MAX_REGION = 0x400;

const EMPTY = new Uint8Array(0);

/** Formats a (lo, hi) address as hex. */
export function formatAddress(lo: number, hi: number): string {
  return `0x${((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16)}`;
}

/** The region table of one VM instance. */
export class AddressSpace {
  /** Indexed by region id; undefined where nothing is mapped. */
  readonly regions: (Region | undefined)[] = new Array(MAX_REGION);

  /** Maps (or replaces) a region. */
  map(id: number, name: string, bytes: Uint8Array, writable: boolean): Region {
    const r: Region = { name, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), writable };
    this.regions[id] = r;
    return r;
  }

  /**
   * Points the context region at new bytes without allocating a region object when possible;
   * `view`, when given, is a DataView over exactly those bytes (callers that reuse buffers keep one).
   */
  setContext(bytes: Uint8Array | undefined, writable: boolean, view?: DataView): void {
    const b = bytes ?? EMPTY;
    const r = this.regions[CTX_REGION];
    if (r && r.writable === writable) {
      if (r.bytes !== b) {
        r.bytes = b;
        r.view = view ?? new DataView(b.buffer, b.byteOffset, b.byteLength);
      }
      return;
    }
    this.map(CTX_REGION, 'ctx', b, writable);
  }

  /**
   * Resolves [addr, addr+len) to its region, checking bounds and (for writes) permission; throws
   * VmError naming the instruction. The offset into the region is `lo >>> 0`.
   */
  resolve(lo: number, hi: number, len: number, write: boolean, pc: number): Region {
    const r = hi >= 0 && hi < MAX_REGION ? this.regions[hi] : undefined;
    const off = lo >>> 0;
    if (!r || off + len > r.bytes.length) throw new VmError(pc, `${write ? 'store' : 'load'} of ${len} bytes at ${formatAddress(lo, hi)} is outside the memory given to the program`);
    if (write && !r.writable) throw new VmError(pc, `store of ${len} bytes at ${formatAddress(lo, hi)}: ${r.name} is read only`);
    return r;
  }

  /** Whether [addr, addr+len) lies inside one region (no throw). */
  contains(lo: number, hi: number, len: number): boolean {
    const r = hi >= 0 && hi < MAX_REGION ? this.regions[hi] : undefined;
    return !!r && (lo >>> 0) + len <= r.bytes.length;
  }
}
