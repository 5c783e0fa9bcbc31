// Ring-buffer records (fields by records.h names) into the typed records of src/records the correlator and traces take: one table, read two ways.
import { guestTime, hostTime, type BlockOp, type TraceRecord, type VirtioBlkType } from '../records/index.js';
import type { Btf } from '../vm/index.js';
import { bigintRead, cString, numberRead, recordFields, type DecodedRecord } from './decode.js';
import type { EmittedRecord } from './world.js';

/** A block op from an rwbs string, as blktrace reads it. */
export function opOfRwbs(rwbs: string): BlockOp {
  if (rwbs.includes('D')) return 'discard';
  if (rwbs.includes('F') && !rwbs.includes('R') && !rwbs.includes('W')) return 'flush';
  if (rwbs.includes('W')) return 'write';
  if (rwbs.includes('R')) return 'read';
  return 'other';
}

const VIRTIO_TYPES: Record<number, VirtioBlkType> = { 0: 'in', 1: 'out', 4: 'flush', 8: 'get_id', 11: 'discard', 13: 'write_zeroes' };
const URING_OPCODES: Record<number, string> = { 1: 'READV', 2: 'WRITEV', 22: 'READ', 23: 'WRITE' };
const virtioType = (v: number): VirtioBlkType => VIRTIO_TYPES[v] ?? 'other';
const uringOpcode = (v: number): string => URING_OPCODES[v] ?? `op${v}`;

/**
 * How a typed record's field comes from the C record: a number, a bigint, a string, the block op of
 * an rwbs string, a guest or host time, a flag, a virtio-blk request type or an io_uring opcode name.
 */
type Conversion = 'num' | 'big' | 'str' | 'op' | 'guest_ns' | 'host_ns' | 'flag' | 'virtio' | 'uring';

/** Per record struct: the typed record's kind, whether it carries the VM's name, and its fields in order. */
const RECIPES: Readonly<Record<string, { kind: TraceRecord['kind']; vm: boolean; fields: readonly (readonly [string, Conversion, string])[] }>> = {
  vt_guest_rq: {
    kind: 'guest_rq', vm: true, fields: [
      ['dev', 'num', 'dev'], ['sector', 'num', 'sector'], ['nrSectors', 'num', 'nr_sector'], ['op', 'op', 'rwbs'], ['rwbs', 'str', 'rwbs'],
      ['error', 'num', 'error'], ['hwq', 'num', 'hwq'], ['vq', 'num', 'vq'], ['head', 'num', 'head'], ['cpu', 'num', 'cpu'], ['kickSeq', 'num', 'kick_seq'],
      ['appUserData', 'big', 'app_user_data'], ['tBioQueue', 'guest_ns', 't_bio_queue'], ['tRqInsert', 'guest_ns', 't_rq_insert'], ['tRqIssue', 'guest_ns', 't_rq_issue'],
      ['tQueueRq', 'guest_ns', 't_queue_rq'], ['tVqAdd', 'guest_ns', 't_vq_add'], ['tKick', 'guest_ns', 't_kick'],
      ['tVringInterrupt', 'guest_ns', 't_vring_interrupt'], ['tCompleteRq', 'guest_ns', 't_complete_rq'], ['tRqComplete', 'guest_ns', 't_rq_complete'],
    ],
  },
  vt_guest_app_op: {
    kind: 'guest_app_op', vm: true, fields: [
      ['pid', 'num', 'pid'], ['userData', 'big', 'user_data'], ['opcode', 'uring', 'opcode'], ['res', 'num', 'res'],
      ['tSubmit', 'guest_ns', 't_submit'], ['tComplete', 'guest_ns', 't_complete'],
    ],
  },
  vt_qemu_req: {
    kind: 'qemu_req', vm: false, fields: [
      ['qemuPid', 'num', 'qemu_pid'], ['tid', 'num', 'tid'], ['vdev', 'big', 'vdev'], ['vq', 'num', 'vq'], ['head', 'num', 'head'], ['type', 'virtio', 'type'],
      ['sector', 'num', 'sector'], ['nbytes', 'num', 'nbytes'], ['status', 'num', 'status'], ['userData', 'big', 'user_data'], ['mergedCount', 'num', 'merged_count'],
      ['notifySeq', 'num', 'notify_seq'], ['tHandle', 'host_ns', 't_handle'], ['tPop', 'host_ns', 't_pop'], ['tAio', 'host_ns', 't_aio'], ['tReqComplete', 'host_ns', 't_req_complete'],
    ],
  },
  vt_uring_op: {
    kind: 'uring_op', vm: false, fields: [
      ['pid', 'num', 'pid'], ['tid', 'num', 'tid'], ['userData', 'big', 'user_data'], ['opcode', 'uring', 'opcode'], ['fd', 'num', 'fd'],
      ['offset', 'num', 'offset'], ['nbytes', 'num', 'nbytes'], ['res', 'num', 'res'], ['punted', 'flag', 'punted'], ['resubmit', 'flag', 'resubmit'],
      ['tLuringSubmit', 'host_ns', 't_luring_submit'], ['tSubmit', 'host_ns', 't_submit'], ['tComplete', 'host_ns', 't_complete'],
    ],
  },
  vt_host_blk: {
    kind: 'host_blk', vm: false, fields: [
      ['dev', 'num', 'dev'], ['sector', 'num', 'sector'], ['nrSectors', 'num', 'nr_sector'], ['op', 'op', 'rwbs'], ['rwbs', 'str', 'rwbs'], ['error', 'num', 'error'],
      ['pid', 'num', 'pid'], ['tInsert', 'host_ns', 't_insert'], ['tIssue', 'host_ns', 't_issue'], ['tComplete', 'host_ns', 't_complete'],
    ],
  },
  vt_kick: { kind: 'kick', vm: false, fields: [['qemuPid', 'num', 'qemu_pid'], ['tid', 'num', 'tid'], ['gpa', 'big', 'gpa'], ['t', 'host_ns', 't']] },
  vt_notify: {
    kind: 'notify', vm: false, fields: [
      ['qemuPid', 'num', 'qemu_pid'], ['tid', 'num', 'tid'], ['vdev', 'big', 'vdev'], ['vq', 'num', 'vq'], ['seq', 'num', 'seq'], ['vector', 'num', 'vector'],
      ['tNotify', 'host_ns', 't_notify'], ['tInject', 'host_ns', 't_inject'],
    ],
  },
};

function recipe(struct: string): (typeof RECIPES)[string] {
  const r = RECIPES[struct];
  if (!r) throw new Error(`unknown record struct ${struct}`);
  return r;
}

function convert(c: Conversion, v: bigint | string | undefined): unknown {
  const num = Number(typeof v === 'bigint' ? v : 0);
  const str = typeof v === 'string' ? v : '';
  switch (c) {
    case 'num': return num;
    case 'big': return typeof v === 'bigint' ? v : 0n;
    case 'str': return str;
    case 'op': return opOfRwbs(str);
    case 'guest_ns': return guestTime(num);
    case 'host_ns': return hostTime(num);
    case 'flag': return num !== 0;
    case 'virtio': return virtioType(num);
    case 'uring': return uringOpcode(num);
  }
}

/** The typed record of one emitted (decoded) record; `vmName` labels guest records by the ring buffer they came from. */
export function toTraceRecord(r: EmittedRecord, vmName: string): TraceRecord {
  const rc = recipe(r.struct);
  const f: DecodedRecord = r.fields;
  const out: Record<string, unknown> = { kind: rc.kind };
  if (rc.vm) out['vm'] = vmName;
  for (const [name, c, field] of rc.fields) out[name] = convert(c, f[field]);
  return out as unknown as TraceRecord;
}

type Build = (dv: DataView, bytes: Uint8Array, vm: string, h: typeof HELPERS) => TraceRecord;
const HELPERS = { cString, opOfRwbs, virtioType, uringOpcode };

/**
 * Typed records straight from a ring buffer's bytes, as `toTraceRecord(decoded)` makes them but
 * with no intermediate record: each struct's table entry is compiled, with the BTF offsets, into
 * one function building one object literal (field names from the table, numbers from BTF).
 */
export class TraceRecordDecoder {
  private readonly builds = new Map<string, Build>();

  constructor(btf: Btf, structs: readonly string[]) {
    for (const struct of structs) {
      const rc = recipe(struct);
      const byName = new Map(recordFields(btf, struct).fields.map((f) => [f.name, f]));
      const parts = [`kind: ${JSON.stringify(rc.kind)}`, ...(rc.vm ? ['vm'] : [])];
      for (const [name, c, field] of rc.fields) {
        const f = byName.get(field);
        const num = f && !f.chars ? numberRead(f) : '0';
        const str = f?.chars ? `h.cString(bytes, ${f.offset}, ${f.size})` : "''";
        const expr =
          c === 'num' || c === 'guest_ns' || c === 'host_ns' ? num
          : c === 'big' ? (f && !f.chars ? bigintRead(f) : '0n')
          : c === 'str' ? str
          : c === 'op' ? `h.opOfRwbs(${str})`
          : c === 'flag' ? `(${num} !== 0)`
          : c === 'virtio' ? `h.virtioType(${num})`
          : `h.uringOpcode(${num})`;
        parts.push(`${name}: ${expr}`);
      }
      this.builds.set(struct, new Function('dv', 'bytes', 'vm', 'h', `return { ${parts.join(', ')} };`) as Build);
    }
  }

  /** The typed record of `bytes`, a record of struct `struct`; `vmName` labels guest records. */
  decode(struct: string, bytes: Uint8Array, vmName: string): TraceRecord {
    const build = this.builds.get(struct);
    if (!build) throw new Error(`unknown record struct ${struct}`);
    return build(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, vmName, HELPERS);
  }
}
