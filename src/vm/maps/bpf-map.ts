// What every map kind shares: its definition, access flags, freezing, and the update-flag check.
import {
  BPF_EXIST, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG, EBUSY, EINVAL, EPERM,
  MAP_TYPE_NAMES,
} from './constants.js';
import { checkMapDefinition, type MapDefinition, type MapEnvironment } from './definition.js';

/**
 * A BPF map: its bpf_attr fields, as the verifier and `viotrace prog` need them, plus the
 * syscall-side access state. Kinds extend it with their storage and operations.
 */
export abstract class BpfMap {
  /** The map's name as the object named it ('' when unnamed). */
  readonly name: string;
  /** The BPF_MAP_TYPE_* id. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  /** max_entries; for per-CPU-LRU hash maps already rounded to a multiple of the CPUs, as the kernel does. */
  readonly maxEntries: number;
  /** The BPF_F_* creation flags. */
  readonly flags: number;
  /** num_possible_cpus(): the number of values per-CPU maps hold per element. */
  readonly possibleCpus: number;
  private isFrozen = false;

  /** Checks `def` as BPF_MAP_CREATE would; throws MapDefinitionError naming `where`. */
  protected constructor(def: MapDefinition, env: MapEnvironment, where?: string) {
    checkMapDefinition(def, env, where);
    this.name = def.name ?? '';
    this.type = def.type;
    this.keySize = def.keySize;
    this.valueSize = def.valueSize;
    this.maxEntries = def.maxEntries;
    this.flags = def.flags ?? 0;
    this.possibleCpus = env.possibleCpus;
  }

  /** The map type's kernel name ('hash', 'ringbuf', ...). */
  get typeName(): string {
    return MAP_TYPE_NAMES[this.type] ?? `type ${this.type}`;
  }

  /** BPF_F_RDONLY_PROG: the verifier must refuse program writes (libbpf's .rodata). */
  get readOnlyForPrograms(): boolean {
    return (this.flags & BPF_F_RDONLY_PROG) !== 0;
  }

  /** BPF_F_WRONLY_PROG: the verifier must refuse program reads. */
  get writeOnlyForPrograms(): boolean {
    return (this.flags & BPF_F_WRONLY_PROG) !== 0;
  }

  /** Whether BPF_MAP_FREEZE has been applied. */
  get frozen(): boolean {
    return this.isFrozen;
  }

  /**
   * BPF_MAP_FREEZE, as libbpf applies to .rodata after load: from then on bpf(2) writes fail with
   * -EPERM while programs keep their access. As map_freeze in kernel/bpf/syscall.c: -EPERM when
   * the syscall side cannot write (BPF_F_RDONLY, or already frozen, since freezing removes write
   * permission), -EBUSY while a writable mmap() exists; else 0.
   */
  freeze(): number {
    if (this.syscallWriteError()) return -EPERM;
    if (this.writablyMapped) return -EBUSY;
    this.isFrozen = true;
    return 0;
  }

  /** Set once user space holds a writable mmap() of the map; freezing then fails with -EBUSY. */
  protected writablyMapped = false;

  /** 0 if bpf(2) may write the map, else -EPERM (BPF_F_RDONLY, or frozen). */
  protected syscallWriteError(): number {
    return this.isFrozen || (this.flags & BPF_F_RDONLY) ? -EPERM : 0;
  }

  /** 0 if bpf(2) may read the map, else -EPERM (BPF_F_WRONLY). */
  protected syscallReadError(): number {
    return this.flags & BPF_F_WRONLY ? -EPERM : 0;
  }
}

/**
 * The update flags every element map accepts: BPF_ANY, BPF_NOEXIST, BPF_EXIST. Anything else is
 * -EINVAL; BPF_F_LOCK is -EINVAL too, as the kernel says when the value has no bpf_spin_lock
 * (viotrace's never do).
 */
export function badUpdateFlags(flags: number): boolean {
  return !(flags === 0 || flags === 1 || flags === BPF_EXIST);
}

/** Returns -EINVAL when `badUpdateFlags`, else 0; a shorthand for update paths. */
export function updateFlagsError(flags: number): number {
  return badUpdateFlags(flags) ? -EINVAL : 0;
}

/** Reads the u32 array index a key holds (little-endian, as on x86). */
export function readIndex(mem: Uint8Array, off: number): number {
  return (mem[off] | (mem[off + 1] << 8) | (mem[off + 2] << 16) | (mem[off + 3] << 24)) >>> 0;
}

/** Throws unless `buf` has exactly `size` bytes: a caller bug, like passing bpf(2) a short buffer. */
export function expectLength(buf: Uint8Array, size: number, what: string): void {
  if (buf.length !== size) throw new RangeError(`${what} must be ${size} bytes, got ${buf.length}`);
}

/** Throws unless `cpu` is a possible CPU: the caller (a helper) supplies it from the run environment. */
export function expectCpu(cpu: number, possibleCpus: number): void {
  if (!((cpu >>> 0) === cpu && cpu < possibleCpus)) throw new RangeError(`cpu ${cpu} is not in 0..${possibleCpus - 1}`);
}

/**
 * Copies `n` bytes between byte arrays. Short copies (keys, small values) go byte by byte: cheaper
 * than the subarray view `set` needs, which would allocate on every helper call.
 */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, n: number): void {
  if (n <= 32) {
    for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i];
  } else {
    dst.set(src.subarray(srcOff, srcOff + n), dstOff);
  }
}

/**
 * Reads `n` little-endian 32-bit words from the bytes at `src[srcOff]` (any alignment) into
 * `dst[at..]`: hash maps read whole-word keys and small values this way once, then work on words.
 */
export function loadWords(dst: Int32Array, at: number, src: Uint8Array, srcOff: number, n: number): void {
  for (let j = 0, o = srcOff; j < n; j++, o += 4) dst[at + j] = src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16) | (src[o + 3]! << 24);
}
