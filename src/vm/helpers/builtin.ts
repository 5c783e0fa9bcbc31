// The helpers' implementations with kernel semantics: maps, ring buffers, perf output, clocks, task identity, probe reads, trace_printk.
import { ArrayMap, CgroupArrayMap, HashMap, PerfEventArrayMap, RingBufMap, type AnyMap } from '../maps/index.js';
import { MAP_DATA_REGION, MAP_HANDLE_REGION, VmError, formatAddress, type Region } from '../memory.js';
import { returnNumber, type HelperCall, type HelperImpl } from './call.js';

const EFAULT = 14;
const EINVAL = 22;

/** The index of the map `mapArg` found last (returned this way so a helper call allocates nothing). */
let mapIndex = 0;

function mapArg(call: HelperCall, arg: number): AnyMap {
  const lo = call.args[arg * 2]!;
  const hi = call.args[arg * 2 + 1]!;
  const index = hi - MAP_HANDLE_REGION;
  const map = lo === 0 ? call.maps[index] : undefined;
  if (!map) throw new VmError(call.pc, `argument ${arg + 1} (${formatAddress(lo, hi)}) is not a map`);
  mapIndex = index;
  return map;
}

function memArg(call: HelperCall, arg: number, len: number, write: boolean): Region {
  return call.space.resolve(call.args[arg * 2]!, call.args[arg * 2 + 1]!, len, write, call.pc);
}

function offArg(call: HelperCall, arg: number): number {
  return call.args[arg * 2]! >>> 0;
}

/** An argument as an unsigned number (exact below 2^53). */
function numArg(call: HelperCall, arg: number): number {
  return (call.args[arg * 2 + 1]! >>> 0) * 4294967296 + (call.args[arg * 2]! >>> 0);
}

function setPointer(call: HelperCall, region: number, off: number): void {
  call.retLo = off | 0;
  call.retHi = region;
}

function setNull(call: HelperCall): void {
  call.retLo = 0;
  call.retHi = 0;
}

/** Maps whose elements programs look up, update and delete (the verifier keeps the others from those helpers). */
const isElementMap = (map: AnyMap): map is HashMap | ArrayMap => map instanceof HashMap || map instanceof ArrayMap;

const mapLookup: HelperImpl = (call) => {
  const map = mapArg(call, 0);
  const index = mapIndex;
  if (!isElementMap(map)) throw new VmError(call.pc, `map_lookup_elem on ${map.typeName} map ${map.name}`);
  const key = memArg(call, 1, map.keySize, false);
  const off = map.programLookup(key.bytes, offArg(call, 1), call.env.cpu);
  if (off < 0) setNull(call);
  else setPointer(call, MAP_DATA_REGION + index, off);
};

const mapUpdate: HelperImpl = (call) => {
  const map = mapArg(call, 0);
  if (!isElementMap(map)) throw new VmError(call.pc, `map_update_elem on ${map.typeName} map ${map.name}`);
  const key = memArg(call, 1, map.keySize, false);
  const value = memArg(call, 2, map.valueSize, false);
  returnNumber(call, map.programUpdate(key.bytes, offArg(call, 1), value.bytes, offArg(call, 2), numArg(call, 3), call.env.cpu));
};

const mapDelete: HelperImpl = (call) => {
  const map = mapArg(call, 0);
  if (!isElementMap(map)) throw new VmError(call.pc, `map_delete_elem on ${map.typeName} map ${map.name}`);
  const key = memArg(call, 1, map.keySize, false);
  returnNumber(call, map.programDelete(key.bytes, offArg(call, 1), call.env.cpu));
};

/** Copies from an address: a region of this VM (e.g. the context) or simulated kernel/user memory. */
function readFrom(call: HelperCall, space: 'kernel' | 'user', srcLo: number, srcHi: number, dst: Uint8Array, dstOff: number, len: number, pc: number): boolean {
  if (len === 0) return true;
  if (call.space.contains(srcLo, srcHi, len)) {
    const r = call.space.resolve(srcLo, srcHi, len, false, pc);
    const o = srcLo >>> 0;
    dst.set(r.bytes.subarray(o, o + len), dstOff);
    return true;
  }
  return call.env.readMemory?.(space, srcLo, srcHi, dst, dstOff, len) ?? false;
}

/** Which memory a probe read reads: bpf_probe_read (4) is the old helper that reads either. */
export type ProbeSpace = 'kernel' | 'user' | 'any';

/**
 * bpf_probe_read_{kernel,user} (and bpf_probe_read) with its arguments as numbers: `len` bytes
 * from (srcLo, srcHi) to the program's memory at (dstLo, dstHi). Returns r0: 0, or -EFAULT with
 * the destination zeroed. The JIT calls it straight, without marshalling r1-r5.
 */
export function probeReadInto(call: HelperCall, space: ProbeSpace, dstLo: number, dstHi: number, len: number, srcLo: number, srcHi: number, pc: number): number {
  return probeReadBytes(call, space, call.space.resolve(dstLo, dstHi, len, true, pc).bytes, dstLo >>> 0, len, srcLo, srcHi, pc);
}

/** probeReadInto with the destination already resolved (and checked) to `dst[dOff, dOff+len)`. */
export function probeReadBytes(call: HelperCall, space: ProbeSpace, dst: Uint8Array, dOff: number, len: number, srcLo: number, srcHi: number, pc: number): number {
  const ok = space === 'any'
    ? readFrom(call, 'kernel', srcLo, srcHi, dst, dOff, len, pc) || readFrom(call, 'user', srcLo, srcHi, dst, dOff, len, pc)
    : readFrom(call, space, srcLo, srcHi, dst, dOff, len, pc);
  if (ok) return 0;
  dst.fill(0, dOff, dOff + len);
  return -EFAULT;
}

function probeRead(space: ProbeSpace): HelperImpl {
  return (call) => returnNumber(call, probeReadInto(call, space, call.args[0]!, call.args[1]!, offArg(call, 1), call.args[4]!, call.args[5]!, call.pc));
}

function probeReadStr(space: 'kernel' | 'user' | 'any'): HelperImpl {
  return (call) => {
    const size = offArg(call, 1);
    const dst = memArg(call, 0, size, true);
    const dOff = offArg(call, 0);
    if (size === 0) return returnNumber(call, 0);
    const lo = call.args[4]!;
    const hi = call.args[5]!;
    const one = new Uint8Array(1);
    let n = 0;
    // Byte by byte up to NUL or size-1 bytes, as strncpy_from_kernel_nofault: a fault mid-string is -EFAULT.
    for (; n < size - 1; n++) {
      const aLo = (lo + n) | 0;
      const aHi = (hi + ((lo >>> 0) + n > 0xffffffff ? 1 : 0)) | 0;
      const ok = space === 'any' ? readFrom(call, 'kernel', aLo, aHi, one, 0, 1, call.pc) || readFrom(call, 'user', aLo, aHi, one, 0, 1, call.pc) : readFrom(call, space, aLo, aHi, one, 0, 1, call.pc);
      if (!ok) {
        dst.bytes.fill(0, dOff, dOff + size);
        return returnNumber(call, -EFAULT);
      }
      if (one[0] === 0) break;
      dst.bytes[dOff + n] = one[0]!;
    }
    dst.bytes[dOff + n] = 0;
    returnNumber(call, n + 1);
  };
}

const ringbufOutput: HelperImpl = (call) => {
  const map = mapArg(call, 0);
  if (!(map instanceof RingBufMap)) throw new VmError(call.pc, `ringbuf_output on ${map.typeName} map ${map.name}`);
  const size = offArg(call, 2);
  const data = memArg(call, 1, size, false);
  returnNumber(call, map.output(data.bytes, offArg(call, 1), size, numArg(call, 3)));
};

const ringbufReserve: HelperImpl = (call) => {
  const map = mapArg(call, 0);
  const index = mapIndex;
  if (!(map instanceof RingBufMap)) throw new VmError(call.pc, `ringbuf_reserve on ${map.typeName} map ${map.name}`);
  const off = map.reserve(numArg(call, 1), numArg(call, 2));
  if (off < 0) setNull(call);
  else setPointer(call, MAP_DATA_REGION + index, off);
};

/**
 * bpf_ringbuf_submit / bpf_ringbuf_discard of the record at (lo, hi) with `flags`: r0 is void (0).
 * Throws VmError when the pointer is not a reserved record. The JIT calls it straight.
 */
export function ringbufCommitAt(call: HelperCall, discard: boolean, lo: number, hi: number, flags: number, pc: number): void {
  const map = call.maps[hi - MAP_DATA_REGION];
  if (!(map instanceof RingBufMap)) throw new VmError(pc, `ringbuf_${discard ? 'discard' : 'submit'} of ${formatAddress(lo, hi)}, which is not a ring-buffer record`);
  const r = discard ? map.discard(lo >>> 0, flags) : map.submit(lo >>> 0, flags);
  if (r < 0) throw new VmError(pc, `ringbuf_${discard ? 'discard' : 'submit'} of ${formatAddress(lo, hi)}: not a reserved record`);
}

function ringbufCommit(discard: boolean): HelperImpl {
  return (call) => {
    ringbufCommitAt(call, discard, call.args[0]!, call.args[1]!, numArg(call, 1), call.pc);
    setNull(call);
  };
}

const ringbufQuery: HelperImpl = (call) => {
  const map = mapArg(call, 0);
  if (!(map instanceof RingBufMap)) throw new VmError(call.pc, `ringbuf_query on ${map.typeName} map ${map.name}`);
  returnNumber(call, map.query(numArg(call, 1)));
};

const perfEventOutput: HelperImpl = (call) => {
  const map = mapArg(call, 1);
  if (!(map instanceof PerfEventArrayMap)) throw new VmError(call.pc, `perf_event_output on ${map.typeName} map ${map.name}`);
  const size = offArg(call, 4);
  const data = memArg(call, 3, size, false);
  // flags is a u64; BPF_F_CURRENT_CPU is 0xffffffff.
  const flags = call.args[5]! === 0 ? call.args[4]! >>> 0 : -1;
  returnNumber(call, map.output(call.env.cpu, flags, data.bytes, offArg(call, 3), size));
};

const currentTaskUnderCgroup: HelperImpl = (call) => {
  const map = mapArg(call, 0);
  if (!(map instanceof CgroupArrayMap)) throw new VmError(call.pc, `current_task_under_cgroup on ${map.typeName} map ${map.name}`);
  // The index is a u32.
  returnNumber(call, map.currentTaskUnder(call.args[2]! >>> 0));
};

const ktimeGetNs: HelperImpl = (call) => returnNumber(call, call.env.ktimeNs());
const ktimeGetBootNs: HelperImpl = (call) => returnNumber(call, call.env.bootNs ? call.env.bootNs() : call.env.ktimeNs());
const getPrandomU32: HelperImpl = (call) => {
  call.retLo = call.random() | 0;
  call.retHi = 0;
};
const getSmpProcessorId: HelperImpl = (call) => returnNumber(call, call.env.cpu);
const getCurrentPidTgid: HelperImpl = (call) => {
  call.retLo = call.env.pid | 0;
  call.retHi = call.env.tgid | 0;
};
const getCurrentUidGid: HelperImpl = (call) => {
  call.retLo = call.env.uid | 0;
  call.retHi = call.env.gid | 0;
};
const getCurrentTask: HelperImpl = (call) => {
  call.retLo = call.env.taskLo ?? 0;
  call.retHi = call.env.taskHi ?? 0;
};
const encoder = new TextEncoder();
const getCurrentComm: HelperImpl = (call) => {
  const size = offArg(call, 1);
  const dst = memArg(call, 0, size, true);
  const off = offArg(call, 0);
  dst.bytes.fill(0, off, off + size);
  if (size > 0) dst.bytes.set(encoder.encode(call.env.comm).subarray(0, Math.min(15, size - 1)), off);
  returnNumber(call, 0);
};

/** bpf_trace_printk: formats with up to three arguments (%d %i %u %x %ld %lu %lx %lld %llu %llx %p %c %%). */
const tracePrintk: HelperImpl = (call) => {
  const size = offArg(call, 1);
  const fmtRegion = memArg(call, 0, size, false);
  const off = offArg(call, 0);
  let fmt = new TextDecoder().decode(fmtRegion.bytes.subarray(off, off + size));
  const nul = fmt.indexOf('\0');
  if (nul >= 0) fmt = fmt.slice(0, nul);
  let argi = 0;
  let bad = false;
  const text = fmt.replace(/%(l{0,2})([diuxpc%])/g, (_m, l: string, conv: string) => {
    if (conv === '%') return '%';
    if (argi >= 3) {
      bad = true;
      return '';
    }
    const lo = call.args[(2 + argi) * 2]!;
    const hi = call.args[(2 + argi) * 2 + 1]!;
    argi++;
    const u = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const wide = l.length > 0 || conv === 'p';
    switch (conv) {
      case 'd':
      case 'i':
        return wide ? BigInt.asIntN(64, u).toString() : String(lo);
      case 'u':
        return wide ? u.toString() : String(lo >>> 0);
      case 'x':
        return wide ? u.toString(16) : (lo >>> 0).toString(16);
      case 'p':
        return `0x${u.toString(16)}`;
      default:
        return String.fromCharCode(lo & 0xff);
    }
  });
  if (bad) return returnNumber(call, -EINVAL);
  call.env.printk?.(text);
  returnNumber(call, encoder.encode(text).length);
};

/** The built-in helper implementations by id. */
export const BUILTIN_HELPERS: ReadonlyMap<number, HelperImpl> = new Map<number, HelperImpl>([
  [1, mapLookup],
  [2, mapUpdate],
  [3, mapDelete],
  [4, probeRead('any')],
  [5, ktimeGetNs],
  [6, tracePrintk],
  [7, getPrandomU32],
  [8, getSmpProcessorId],
  [14, getCurrentPidTgid],
  [15, getCurrentUidGid],
  [16, getCurrentComm],
  [25, perfEventOutput],
  [35, getCurrentTask],
  [37, currentTaskUnderCgroup],
  [45, probeReadStr('any')],
  [112, probeRead('user')],
  [113, probeRead('kernel')],
  [114, probeReadStr('user')],
  [115, probeReadStr('kernel')],
  [125, ktimeGetBootNs],
  [130, ringbufOutput],
  [131, ringbufReserve],
  [132, ringbufCommit(false)],
  [133, ringbufCommit(true)],
  [134, ringbufQuery],
]);
